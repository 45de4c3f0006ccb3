/** Series arithmetic of the metrics webview (pure): merging live points, smoothing, aligning for uPlot. */

export interface Line {
  x: number[];
  y: number[];
}

/** Merges points sorted by x into a line sorted by x; a point at an existing x replaces its value. */
export function mergePoints(line: Line, x: readonly number[], y: readonly number[]): void {
  for (let i = 0; i < x.length; i++) {
    const n = line.x.length;
    if (n === 0 || x[i] > line.x[n - 1]) { line.x.push(x[i]); line.y.push(y[i]); continue; }
    let lo = 0;
    let hi = n;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (line.x[mid] < x[i]) lo = mid + 1; else hi = mid; }
    if (line.x[lo] === x[i]) line.y[lo] = y[i];
    else { line.x.splice(lo, 0, x[i]); line.y.splice(lo, 0, y[i]); }
  }
}

/** Exponential moving average with TensorBoard's debiasing, so the first points are not pulled to 0. */
export function smooth(y: readonly number[], weight: number): number[] {
  if (weight <= 0) return y.slice();
  const out: number[] = [];
  let last = 0;
  let count = 0;
  for (const v of y) {
    last = last * weight + (1 - weight) * v;
    count++;
    out.push(last / (1 - Math.pow(weight, count)));
  }
  return out;
}

/** uPlot's aligned data: one shared x (the union of every line's x) and one y per line, null where absent. */
export function align(lines: readonly Line[], mapY: (v: number) => number | null = (v) => v): [number[], ...(number | null)[][]] {
  const xs = new Set<number>();
  for (const l of lines) for (const v of l.x) xs.add(v);
  const x = [...xs].sort((a, b) => a - b);
  const index = new Map<number, number>();
  x.forEach((v, i) => index.set(v, i));
  const ys = lines.map((l) => {
    const y: (number | null)[] = new Array<number | null>(x.length).fill(null);
    for (let i = 0; i < l.x.length; i++) y[index.get(l.x[i]) as number] = mapY(l.y[i]);
    return y;
  });
  return [x, ...ys];
}
