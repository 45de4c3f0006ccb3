/**
 * Series arithmetic of the metrics webview (pure): a chart's lines on one shared x axis (as the extension sends
 * them, NaN where a line has no point), live points merged into it, and the columns uPlot draws (smoothing,
 * log scale, gaps as null).
 */

/** One chart's lines on a shared axis; `rows` values are NaN where a line has no point. */
export interface Aligned {
  x: number[] | Float64Array;
  rows: Map<string, number[] | Float64Array>;
}

const asArray = (a: number[] | Float64Array): number[] => (Array.isArray(a) ? a : Array.from(a));

/**
 * Merges live points (x ascending) of `experiment` into the chart: a point at an existing x sets that value, a
 * new x is inserted in order with NaN for the other lines. The chart's arrays become plain arrays (they grow).
 */
export function mergeAligned(chart: Aligned, experiment: string, x: ArrayLike<number>, y: ArrayLike<number>): void {
  const xs = asArray(chart.x);
  chart.x = xs;
  for (const [e, r] of chart.rows) chart.rows.set(e, asArray(r));
  let row = chart.rows.get(experiment) as number[] | undefined;
  if (!row) { row = new Array<number>(xs.length).fill(Number.NaN); chart.rows.set(experiment, row); }
  const rows = [...chart.rows.values()] as number[][];
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!; // i < x.length
    const n = xs.length;
    let at: number;
    if (n === 0 || v > xs[n - 1]!) {
      xs.push(v);
      for (const r of rows) r.push(Number.NaN);
      at = n;
    } else {
      let lo = 0;
      let hi = n;
      while (lo < hi) { const mid = (lo + hi) >>> 1; if (xs[mid]! < v) lo = mid + 1; else hi = mid; } // mid < n
      if (xs[lo] !== v) {
        xs.splice(lo, 0, v);
        for (const r of rows) r.splice(lo, 0, Number.NaN);
      }
      at = lo;
    }
    row[at] = y[i] ?? Number.NaN; // a y array shorter than its x leaves a gap
  }
}

/** Whether every value is a finite number (then the typed array can go to uPlot as it is). */
function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) { const v = a[i]; if (v !== v || v === Infinity || v === -Infinity) return false; }
  return true;
}

/**
 * What uPlot draws for one line: gaps (NaN) as null; smoothing with an exponential moving average with
 * TensorBoard's debiasing over the points present (gaps stay gaps); on a log scale, values <= 0 become gaps.
 */
export function column(row: number[] | Float64Array, smoothing: number, logScale: boolean): number[] | Float64Array | (number | null)[] {
  if (smoothing <= 0 && !logScale && allFinite(row)) return row;
  const out = new Array<number | null>(row.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < row.length; i++) {
    let v = row[i];
    if (v === undefined || !Number.isFinite(v)) { out[i] = null; continue; }
    if (smoothing > 0) {
      last = last * smoothing + (1 - smoothing) * v;
      count++;
      v = last / (1 - Math.pow(smoothing, count));
    }
    out[i] = logScale && v <= 0 ? null : v;
  }
  return out;
}

/** Exponential moving average with TensorBoard's debiasing, so the first points are not pulled to 0. */
export function smooth(y: readonly number[], weight: number): number[] {
  return column(y.slice(), weight, false) as number[];
}
