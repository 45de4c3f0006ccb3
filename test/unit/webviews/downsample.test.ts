import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { bucketBounds, downsampleMinMax } from '../../../client/src/webviews/downsample';

test('a short series comes back unchanged', () => {
  assert.deepEqual(downsampleMinMax([0, 1, 2], [5, 6, 7], 10), { x: [0, 1, 2], y: [5, 6, 7] });
});

test('a spike in the middle of a long flat series survives, with the first and last points', () => {
  const n = 10_000;
  const x = Array.from({ length: n }, (_, i) => i);
  const y = x.map((i) => (i === 4321 ? 99 : i === 777 ? -5 : 1));
  const d = downsampleMinMax(x, y, 100);
  assert.ok(d.x.length <= 202, `got ${d.x.length} points`);
  assert.equal(d.x[0], 0);
  assert.equal(d.x[d.x.length - 1], n - 1);
  assert.equal(d.y[d.x.indexOf(4321)], 99);
  assert.equal(d.y[d.x.indexOf(777)], -5);
});

test('property: the min and max of every bucket survive, in x order, within 2 × buckets + 2 points', () => {
  fc.assert(fc.property(
    fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 600 }),
    fc.integer({ min: 1, max: 50 }),
    (y, buckets) => {
      const x = y.map((_, i) => i * 2);
      const d = downsampleMinMax(x, y, buckets);
      assert.ok(d.x.length <= 2 * buckets + 2);
      for (let i = 1; i < d.x.length; i++) assert.ok(d.x[i] > d.x[i - 1], 'x strictly increasing');
      d.x.forEach((xi, i) => assert.equal(d.y[i], y[xi / 2], 'each kept point is a real point'));
      if (y.length <= 2 * buckets) return;
      for (let b = 0; b < buckets; b++) {
        const [s, e] = bucketBounds(y.length, buckets, b);
        if (e <= s) continue;
        const part = y.slice(s, e);
        const inBucket = d.y.filter((_, i) => d.x[i] / 2 >= s && d.x[i] / 2 < e);
        assert.ok(inBucket.includes(Math.min(...part)), `min of bucket ${b}`);
        assert.ok(inBucket.includes(Math.max(...part)), `max of bucket ${b}`);
      }
    }), { numRuns: 200 });
});
