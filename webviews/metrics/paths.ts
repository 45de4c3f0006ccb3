/**
 * A line path builder for charts whose lines share one x axis with about one value per pixel (what the extension
 * sends, client/src/webviews/chartData.ts). uPlot's own `linear` builder merges points that fall in one pixel
 * column, per line; here there are none to merge, so the x pixel of every value is computed once per draw for all
 * the lines, and each line is a plain polyline (gaps, NaN or null, are spanned as `spanGaps` does).
 * Measured with 1,000 lines of 500 values (bench:render): about three times faster than `linear`.
 */
import type uPlot from 'uplot';

/** Canvas x pixel of each value of an x array, for one scale state. */
const xPixels = new WeakMap<object, { key: string; px: Float64Array }>();

function pixelsOf(u: uPlot, xs: ArrayLike<number>): Float64Array {
  const sx = u.scales.x;
  const key = `${sx?.min}|${sx?.max}|${u.bbox.left}|${u.bbox.width}`;
  const hit = xPixels.get(xs as object);
  if (hit && hit.key === key && hit.px.length === xs.length) return hit.px;
  const px = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) px[i] = u.valToPos(xs[i]!, 'x', true); // i < xs.length
  xPixels.set(xs as object, { key, px });
  return px;
}

export const sharedAxisLines: uPlot.Series.PathBuilder = (u, seriesIdx, idx0, idx1) => {
  const xs = u.data[0] as ArrayLike<number>;
  const ys = u.data[seriesIdx] as ArrayLike<number | null | undefined>;
  const px = pixelsOf(u, xs);
  const scale = u.series[seriesIdx]?.scale ?? 'y';
  const path = new Path2D();
  let started = false;
  for (let i = idx0; i <= idx1; i++) {
    const v = ys[i];
    if (v === null || v === undefined || v !== v) continue;
    const y = u.valToPos(v, scale, true);
    const x = px[i]!; // idx0..idx1 index the data, and px has one entry per x value
    if (started) path.lineTo(x, y);
    else { path.moveTo(x, y); started = true; }
  }
  return { stroke: path, fill: null, clip: null, flags: 0 };
};
