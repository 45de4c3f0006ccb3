/**
 * One Metrics chart's data as uPlot draws it (pure; runs in the extension host): every line on one shared x
 * axis, numbers in typed arrays (VS Code's webview postMessage transfers ArrayBuffers as they are, without JSON).
 *
 * - `raw`: when the lines' distinct x values in the range fit the budget (about the chart's width in pixels),
 *   every point, on the union of their x values.
 * - `minmax`: otherwise the range is cut into buckets whose edges every line shares, and each line keeps its
 *   minimum and maximum per bucket (in x order: a spike and a dip both survive), at the bucket's two x slots.
 *   So the aligned axis has about as many values as the chart has pixels, whatever the number of points.
 * A zoomed range is the same computation over that range: once it holds few enough x values, every point.
 */
import type { ChartData } from '../../../shared/webview-protocol/metrics';

export interface LineInput {
  experiment: string;
  /** Ascending. */
  x: readonly number[];
  y: readonly number[];
}

export interface ChartOptions {
  /** Most x values to send (about the plot's width in pixels); at least 8. */
  maxValues: number;
  /** The x range to cover; undefined or null: everything. */
  range?: readonly [number, number] | null;
  /** The page's request this answers (0: none). */
  request?: number;
}

/** First index with x[i] >= v (x ascending). */
export function lowerBound(x: readonly number[], v: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (x[mid]! < v) lo = mid + 1; else hi = mid; } // mid < x.length
  return lo;
}

/** First index with x[i] > v. */
function upperBound(x: readonly number[], v: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (x[mid]! <= v) lo = mid + 1; else hi = mid; } // mid < x.length
  return lo;
}

/**
 * The distinct x values of the windows, sorted, when there are at most `limit` of them (undefined otherwise).
 * Lines of one grid search usually share their epochs: each is walked against the longest one, and only the
 * values that one lacks are collected.
 */
// In unionOf and buildChart, windows/inner/outer hold one [from, to) per line with to <= min(x.length, y.length),
// and loops stay inside them: the `!` index reads below are in range.
function unionOf(lines: readonly LineInput[], windows: readonly [number, number][], limit: number): Float64Array | undefined {
  let ref = -1;
  let refSize = -1;
  windows.forEach(([a, b], l) => { if (b - a > refSize) { ref = l; refSize = b - a; } });
  const refWindow = windows[ref];
  const refLine = lines[ref];
  if (!refWindow || !refLine) return new Float64Array(0);
  const [r0, r1] = refWindow;
  if (r1 - r0 > limit) return undefined;
  const rx = refLine.x;
  const extra = new Set<number>();
  for (const [l, line] of lines.entries()) {
    if (l === ref) continue;
    const x = line.x;
    const [from, to] = windows[l]!;
    let j = r0;
    for (let i = from; i < to; i++) {
      const v = x[i]!;
      while (j < r1 && rx[j]! < v) j++;
      if (j < r1 && rx[j] === v) continue;
      extra.add(v);
      if (extra.size + (r1 - r0) > limit) return undefined;
    }
  }
  const out = new Float64Array((r1 - r0) + extra.size);
  let k = 0;
  for (let i = r0; i < r1; i++) out[k++] = rx[i]!;
  for (const v of extra) out[k++] = v;
  if (extra.size) out.sort();
  return out;
}

/** The bucket of `x` among `B` buckets from `lo`, `scale` = 1 / bucket width (the tests place points with it too). */
export function bucketOf(x: number, lo: number, scale: number, B: number): number {
  const b = Math.floor((x - lo) * scale);
  return b < 0 ? 0 : b >= B ? B - 1 : b;
}

export function buildChart(key: string, lines: readonly LineInput[], options: ChartOptions): ChartData {
  const maxValues = Math.max(8, Math.floor(options.maxValues));
  const range = options.range ?? null;
  const experiments = lines.map((l) => l.experiment);
  // Each line's index window in the range; a raw view also takes the point just outside each end, so that
  // the lines run on to the edges of a zoomed chart.
  const inner: [number, number][] = lines.map((l) => {
    const n = Math.min(l.x.length, l.y.length);
    return range ? [Math.min(n, lowerBound(l.x, range[0])), Math.min(n, upperBound(l.x, range[1]))] : [0, n];
  });
  const totals = inner.map(([a, b]) => b - a);
  const outer: [number, number][] = range
    ? inner.map(([a, b], l) => [Math.max(0, a - 1), Math.min(Math.min(lines[l]!.x.length, lines[l]!.y.length), b + 1)])
    : inner;
  const request = options.request ?? 0;
  const union = unionOf(lines, outer, maxValues);
  if (union) {
    const X = union.length;
    const y = new Float64Array(lines.length * X).fill(Number.NaN);
    lines.forEach((l, r) => {
      let j = 0;
      const [from, to] = outer[r]!;
      for (let i = from; i < to; i++) {
        const v = l.x[i]!;
        while (union[j]! < v) j++; // v is in the union
        y[r * X + j] = l.y[i]!;
      }
    });
    return { key, experiments, x: union, y, totals, resolution: 'raw', range: range ? [range[0], range[1]] : null, request };
  }
  // Buckets over [lo, hi]: the range, or the extent of the lines.
  let lo = range ? range[0] : Number.POSITIVE_INFINITY;
  let hi = range ? range[1] : Number.NEGATIVE_INFINITY;
  if (!range) {
    lines.forEach((l, r) => {
      const [a, b] = inner[r]!;
      if (b > a) { lo = Math.min(lo, l.x[a]!); hi = Math.max(hi, l.x[b - 1]!); }
    });
  }
  const B = Math.max(1, Math.floor(maxValues / 2));
  const X = 2 * B;
  const w = (hi - lo) / B;
  const x = new Float64Array(X);
  for (let b = 0; b < B; b++) { x[2 * b] = lo + (b + 0.25) * w; x[2 * b + 1] = lo + (b + 0.75) * w; }
  // The axis still starts and ends where the data does.
  x[0] = lo;
  x[X - 1] = hi;
  const y = new Float64Array(lines.length * X).fill(Number.NaN);
  const scale = w > 0 ? 1 / w : 0;
  for (const [r, line] of lines.entries()) {
    const lx = line.x;
    const ly = line.y;
    const row = r * X;
    let bucket = -1;
    // The next bucket's first x: points below it stay in this bucket without a division each.
    let next = Number.NEGATIVE_INFINITY;
    let minV = 0, maxV = 0, minI = 0, maxI = 0;
    const [start, end] = inner[r]!;
    for (let i = start; i < end; i++) {
      const v = ly[i]!;
      if (v !== v || v === Infinity || v === -Infinity) continue; // a diverged loss: no extent to keep
      const xv = lx[i]!;
      if (xv < next) {
        if (v < minV) { minV = v; minI = i; } else if (v > maxV) { maxV = v; maxI = i; }
        continue;
      }
      const b = bucketOf(xv, lo, scale, B);
      if (b === bucket) {
        if (v < minV) { minV = v; minI = i; } else if (v > maxV) { maxV = v; maxI = i; }
        continue;
      }
      if (bucket >= 0) { y[row + 2 * bucket] = minI <= maxI ? minV : maxV; y[row + 2 * bucket + 1] = minI <= maxI ? maxV : minV; }
      bucket = b;
      // Smallest x of the next bucket, conservatively (a point at or past it is placed by bucketOf again).
      next = b + 1 < B ? lo + (b + 1) * w * (1 - 1e-12) - Math.abs(lo) * 1e-12 : Number.POSITIVE_INFINITY;
      minV = maxV = v;
      minI = maxI = i;
    }
    if (bucket >= 0) { y[row + 2 * bucket] = minI <= maxI ? minV : maxV; y[row + 2 * bucket + 1] = minI <= maxI ? maxV : minV; }
  }
  return { key, experiments, x, y, totals, resolution: 'minmax', range: range ? [range[0], range[1]] : null, request };
}
