/**
 * Min/max bucket downsampling of a series for the charts (pure; runs in the extension host, not the webview).
 * The points are split into `buckets` runs of consecutive indices; each bucket keeps its minimum and its
 * maximum point (in x order), and the first and last points of the series are always kept. So every spike
 * and dip survives and the drawn envelope is the one of the full series, with at most 2 × buckets points.
 */

/** Index range [start, end) of bucket `i` of `buckets` over `n` points. Shared with the tests. */
export function bucketBounds(n: number, buckets: number, i: number): [number, number] {
  return [Math.floor((i * n) / buckets), Math.floor(((i + 1) * n) / buckets)];
}

export function downsampleMinMax(x: readonly number[], y: readonly number[], buckets: number): { x: number[]; y: number[] } {
  const n = Math.min(x.length, y.length);
  if (buckets < 1 || n <= 2 * buckets) return { x: x.slice(0, n), y: y.slice(0, n) };
  const keep: number[] = [0];
  for (let b = 0; b < buckets; b++) {
    const [start, end] = bucketBounds(n, buckets, b);
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (y[i] < y[lo]) lo = i;
      if (y[i] > y[hi]) hi = i;
    }
    const first = Math.min(lo, hi);
    const second = Math.max(lo, hi);
    if (first !== keep[keep.length - 1]) keep.push(first);
    if (second !== first) keep.push(second);
  }
  if (keep[keep.length - 1] !== n - 1) keep.push(n - 1);
  return { x: keep.map((i) => x[i]), y: keep.map((i) => y[i]) };
}
