/**
 * "Nice" axis ticks: steps of 1, 2 or 5 × 10^k, so a reader can interpolate between labels (0, 0.2, 0.4, …
 * rather than 0, 0.23, 0.47, …). An integer axis (epochs) never steps below 1, so it never shows 0.5.
 * Pure, no imports: used by the model card's charts (extension side and webview) and the Metrics panel's uPlot axes.
 */

/** The mantissas of a nice step. */
const MANTISSAS = [1, 2, 5] as const;

/** The smallest nice step that gives at most `count` intervals over `span` (at least 1 on an integer axis). */
export function niceStep(span: number, count: number, integer = false): number {
  const min = integer ? 1 : 0;
  if (!(span > 0) || !Number.isFinite(span) || count < 1) return Math.max(min, 1);
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of MANTISSAS) if (m * power >= raw - raw * 1e-9) return Math.max(min, m * power);
  return Math.max(min, 10 * power);
}

/** A multiple of the step, without floating-point residue (0.30000000000000004 → 0.3). */
function clean(v: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const r = Number(v.toFixed(Math.min(20, decimals)));
  return r === 0 ? 0 : r; // no -0
}

export interface NiceAxis {
  min: number;
  max: number;
  step: number;
  /** The multiples of `step` from `min` to `max`. */
  ticks: number[];
}

/**
 * Ticks for [lo, hi] at most about `count` intervals apart. With `extend`, the range is widened to the
 * enclosing multiples of the step, so the axis starts and ends on a tick.
 */
export function niceAxis(lo: number, hi: number, count: number, opts: { integer?: boolean; extend?: boolean } = {}): NiceAxis {
  const integer = opts.integer ?? false;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) return { min: lo, max: hi, step: 1, ticks: [] };
  const step = niceStep(hi - lo, count, integer);
  // Slack for the floating-point error of lo / step (the range's ends are rarely exact multiples).
  const eps = 1e-12 * Math.max(1000, Math.abs(lo / step), Math.abs(hi / step));
  const first = Math.ceil(lo / step - eps);
  const last = Math.floor(hi / step + eps);
  const [min, max] = opts.extend ? [clean(Math.floor(lo / step + eps) * step, step), clean(Math.ceil(hi / step - eps) * step, step)] : [lo, hi];
  const ticks: number[] = [];
  for (let i = opts.extend ? Math.round(min / step) : first; i <= (opts.extend ? Math.round(max / step) : last) && ticks.length <= count + 2; i++) ticks.push(clean(i * step, step));
  return { min, max, step, ticks };
}

/** The multiples of a nice step within [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number, integer = false): number[] {
  return niceAxis(lo, hi, count, { integer }).ticks;
}

/** Every nice step from 10^-12 to 5 × 10^15 (uPlot's `incrs`); from 1 up on an integer axis. */
export function niceIncrements(integer = false): number[] {
  const out: number[] = [];
  for (let k = integer ? 0 : -12; k <= 15; k++) for (const m of MANTISSAS) out.push(clean(m * 10 ** k, m * 10 ** k));
  return out;
}

/** Whether every value is a whole number (epochs), so its axis should be an integer axis. */
export function allIntegers(values: Iterable<number>): boolean {
  for (const v of values) if (Number.isFinite(v) && !Number.isInteger(v)) return false;
  return true;
}
