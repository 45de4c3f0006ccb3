import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { bucketOf, buildChart, type LineInput } from '../../../client/src/webviews/chartData';
import { isChartData, isMetricsToWebview, type ChartData } from '../../../shared/webview-protocol/metrics';

const row = (c: ChartData, r: number) => Array.from(c.y.subarray(r * c.x.length, (r + 1) * c.x.length));
const line = (experiment: string, x: number[], y: number[]): LineInput => ({ experiment, x, y });

test('lines with few epochs go as they are, on the union of their epochs, NaN where a line has none', () => {
  const c = buildChart('val_F1', [line('0', [0, 1, 2], [0.5, 0.6, 0.7]), line('1', [1, 3], [0.4, 0.45])], { maxValues: 100 });
  assert.equal(c.resolution, 'raw');
  assert.ok(c.x instanceof Float64Array && c.y instanceof Float64Array, 'typed arrays');
  assert.deepEqual(Array.from(c.x), [0, 1, 2, 3]);
  assert.deepEqual(row(c, 0), [0.5, 0.6, 0.7, NaN]);
  assert.deepEqual(row(c, 1), [NaN, 0.4, NaN, 0.45]);
  assert.deepEqual(c.totals, [3, 2]);
  assert.deepEqual(c.experiments, ['0', '1']);
  assert.equal(c.range, null);
  assert.ok(isChartData(c));
});

test('100 lines × 10,000 epochs: bucket edges shared by every line, about one x value per pixel, every peak kept', () => {
  const n = 10_000;
  const lines: LineInput[] = [];
  for (let e = 0; e < 100; e++) {
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => Math.sin(i / 300 + e) + (i === 1234 + e ? 50 : 0) - (i === 8765 - e ? 40 : 0));
    lines.push(line(String(e), x, y));
  }
  const c = buildChart('val_F1', lines, { maxValues: 600 });
  assert.equal(c.resolution, 'minmax');
  assert.equal(c.x.length, 600, 'the aligned axis has the plot\'s width, not 10,000 values');
  assert.equal(c.y.length, 100 * 600);
  assert.equal(c.x[0], 0);
  assert.equal(c.x[599], n - 1);
  for (let i = 1; i < c.x.length; i++) assert.ok(c.x[i] > c.x[i - 1]);
  assert.deepEqual(c.totals, lines.map(() => n));
  for (let e = 0; e < 100; e++) {
    const r = row(c, e);
    assert.equal(Math.max(...r), Math.max(...lines[e].y), `the spike of line ${e}`);
    assert.equal(Math.min(...r), Math.min(...lines[e].y), `the dip of line ${e}`);
  }
  // The message that carries it is valid as the page checks it.
  assert.ok(isMetricsToWebview({ type: 'chart', experiments: c.experiments, keys: ['val_F1'], chart: c }));
});

test('property: per shared bucket each line keeps exactly its min and max, in x order', () => {
  fc.assert(fc.property(
    fc.array(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 5 }),
    fc.integer({ min: 8, max: 60 }),
    (ys, maxValues) => {
      const lines = ys.map((y, e) => line(String(e), y.map((_, i) => i * 3 + e), y));
      const c = buildChart('k', lines, { maxValues });
      assert.ok(isChartData(c));
      if (c.resolution === 'raw') {
        // Every point is there at its own epoch.
        lines.forEach((l, r) => l.x.forEach((x, i) => assert.equal(c.y[r * c.x.length + Array.from(c.x).indexOf(x)], l.y[i])));
        return;
      }
      const B = c.x.length / 2;
      const lo = Math.min(...lines.filter((l) => l.x.length).map((l) => l.x[0]));
      const hi = Math.max(...lines.filter((l) => l.x.length).map((l) => l.x[l.x.length - 1]));
      const w = (hi - lo) / B;
      lines.forEach((l, r) => {
        for (let b = 0; b < B; b++) {
          const idx = l.x.map((x, i) => [x, i] as const).filter(([x]) => bucketOf(x, lo, w > 0 ? 1 / w : 0, B) === b).map(([, i]) => i);
          const got = [c.y[r * c.x.length + 2 * b], c.y[r * c.x.length + 2 * b + 1]];
          if (idx.length === 0) { assert.ok(got.every(Number.isNaN)); continue; }
          const vals = idx.map((i) => l.y[i]);
          const min = Math.min(...vals);
          const max = Math.max(...vals);
          const minFirst = idx[vals.indexOf(min)] <= idx[vals.indexOf(max)];
          assert.deepEqual(got, minFirst ? [min, max] : [max, min]);
        }
      });
    },
  ), { numRuns: 200 });
});

test('a zoom with few epochs in range gets every point in it (and one beyond each end), at full resolution', () => {
  const x = Array.from({ length: 10_000 }, (_, i) => i);
  const lines = [line('0', x, x.map((i) => i / 10)), line('1', x, x.map((i) => -i))];
  const c = buildChart('k', lines, { maxValues: 600, range: [4000, 4100], request: 7 });
  assert.equal(c.resolution, 'raw');
  assert.deepEqual(c.range, [4000, 4100]);
  assert.equal(c.request, 7);
  assert.deepEqual(Array.from(c.x), Array.from({ length: 103 }, (_, i) => 3999 + i));
  assert.deepEqual(row(c, 0), Array.from({ length: 103 }, (_, i) => (3999 + i) / 10));
  assert.deepEqual(c.totals, [101, 101]);
  // A wider zoom is bucketed over exactly that range.
  const wide = buildChart('k', lines, { maxValues: 600, range: [1000, 9000], request: 8 });
  assert.equal(wide.resolution, 'minmax');
  assert.equal(wide.x[0], 1000);
  assert.equal(wide.x[wide.x.length - 1], 9000);
  assert.equal(Math.max(...row(wide, 0)), 900);
});

test('a diverged (NaN) value is a gap: NaN as is in raw charts, left out of the buckets', () => {
  const raw = buildChart('k', [line('0', [0, 1, 2], [1, NaN, 3])], { maxValues: 100 });
  assert.deepEqual(row(raw, 0), [1, NaN, 3]);
  const x = Array.from({ length: 1000 }, (_, i) => i);
  const mm = buildChart('k', [line('0', x, x.map((i) => (i < 500 ? NaN : i)))], { maxValues: 20 });
  const r = row(mm, 0);
  assert.ok(r.slice(0, 10).every(Number.isNaN));
  assert.equal(Math.max(...r.slice(10)), 999);
});

test('the page refuses chart data that is not what it says', () => {
  const c = buildChart('k', [line('0', [0, 1], [1, 2])], { maxValues: 100 });
  assert.ok(isChartData(c));
  assert.equal(isChartData({ ...c, x: [0, 1] }), false, 'plain arrays');
  assert.equal(isChartData({ ...c, y: new Float64Array(3) }), false, 'y is not experiments × x');
  assert.equal(isChartData({ ...c, x: new Float64Array([1, 0]) }), false, 'x not ascending');
  assert.equal(isChartData({ ...c, x: new Float64Array([0, NaN]) }), false, 'x not finite');
  assert.equal(isChartData({ ...c, x: new Float32Array([0, 1]) }), false, 'another typed array');
  assert.equal(isChartData({ ...c, resolution: 'all' }), false);
  assert.equal(isChartData({ ...c, range: [2, 1] }), false);
  assert.equal(isChartData({ ...c, totals: [] }), false);
});
