/**
 * Geometry of the card's small result charts (one per metric or loss tag, one line per split), shared by the
 * HTML export (SVG text) and the webview (SVG elements). Pure, nothing but the pure tick helper imported: the webview bundle includes it.
 */
import { allIntegers, niceAxis, niceTicks } from '../../../shared/niceTicks';
export interface ChartLineInput { label: string; epochs: number[]; values: number[] }
export interface ChartGeometry {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  lines: { label: string; d: string; last: { x: number; y: number } | null }[];
  xTicks: { x: number; label: string }[];
  yTicks: { y: number; label: string }[];
}

const round = (n: number) => Math.round(n * 10) / 10;
/** At most this many intervals between ticks on the small charts. */
const X_TICKS = 5;
const Y_TICKS = 4;

/** Short tick text: 3 significant digits, exponent form for very small or large magnitudes. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

export function chartGeometry(lines: ChartLineInput[], width = 320, height = 160): ChartGeometry {
  const plot = { left: 44, top: 8, right: width - 8, bottom: height - 22 };
  const xs = lines.flatMap((l) => l.epochs);
  const ys = lines.flatMap((l) => l.values).filter((v) => Number.isFinite(v));
  if (!xs.length || !ys.length) return { width, height, plot, lines: lines.map((l) => ({ label: l.label, d: '', last: null })), xTicks: [], yTicks: [] };
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { const pad = Math.abs(y0) * 0.1 || 1; y0 -= pad; y1 += pad; }
  // The value axis starts and ends on a nice tick; the epoch axis spans the data exactly.
  const yAxis = niceAxis(y0, y1, Y_TICKS, { extend: true });
  [y0, y1] = [yAxis.min, yAxis.max];
  const sx = (x: number) => round(plot.left + ((x - x0) / (x1 - x0)) * (plot.right - plot.left));
  const sy = (y: number) => round(plot.bottom - ((y - y0) / (y1 - y0)) * (plot.bottom - plot.top));
  const out = lines.map((l) => {
    const pts: string[] = [];
    let last: { x: number; y: number } | null = null;
    l.epochs.forEach((e, i) => {
      const v = l.values[i];
      if (v === undefined || !Number.isFinite(v)) return;
      last = { x: sx(e), y: sy(v) };
      pts.push(`${pts.length ? 'L' : 'M'} ${last.x} ${last.y}`);
    });
    return { label: l.label, d: pts.join(' '), last };
  });
  // Epochs are whole numbers: their axis steps by 1, 2, 5, 10, … and never shows 0.5.
  const xTicks = niceTicks(x0, x1, X_TICKS, allIntegers(xs)).map((v) => ({ x: sx(v), label: formatTick(v) }));
  const yTicks = yAxis.ticks.map((v) => ({ y: sy(v), label: formatTick(v) }));
  return { width, height, plot, lines: out, xTicks, yTicks };
}
