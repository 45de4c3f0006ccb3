// Nice axis ticks (shared/niceTicks.ts) and the model card charts that use them: steps of 1, 2 or 5 × 10^k,
// epochs as integers (no 0.5 on an integer axis).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { allIntegers, niceAxis, niceIncrements, niceStep, niceTicks } from '../../../shared/niceTicks';
import { chartGeometry } from '../../../client/src/modelcard/chart';

const isNice = (step: number) => {
  const m = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  return [1, 2, 5].some((n) => Math.abs(m - n) < 1e-9);
};

test('steps are 1, 2 or 5 × 10^k; ticks are their multiples, without floating-point residue', () => {
  assert.equal(niceStep(1, 4), 0.5);
  assert.equal(niceStep(0.37, 4), 0.1);
  assert.equal(niceStep(730, 5), 200);
  assert.deepEqual(niceTicks(0, 1, 4), [0, 0.5, 1]);
  assert.deepEqual(niceTicks(0.1, 0.73, 4), [0.2, 0.4, 0.6]);
  assert.deepEqual(niceTicks(0.3, 0.9, 6), [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  assert.deepEqual(niceTicks(-0.25, 0.25, 4), [-0.2, 0, 0.2]);
  assert.deepEqual(niceTicks(-0.25, 0.25, 5), [-0.2, -0.1, 0, 0.1, 0.2]);
  assert.deepEqual(niceTicks(1e-5, 4e-5, 3), [1e-5, 2e-5, 3e-5, 4e-5]);
  assert.deepEqual(niceAxis(0.13, 0.91, 4, { extend: true }), { min: 0, max: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
  assert.deepEqual(niceAxis(2.31, 2.39, 4, { extend: true }), { min: 2.3, max: 2.4, step: 0.02, ticks: [2.3, 2.32, 2.34, 2.36, 2.38, 2.4] });
  assert.ok(!Object.is(niceTicks(-1, 1, 2)[1], -0));
});

test('an integer axis never steps below 1: epochs 0..3 are 0, 1, 2, 3, not 0, 0.5, 1, 1.5', () => {
  assert.deepEqual(niceTicks(0, 3, 5, true), [0, 1, 2, 3]);
  assert.deepEqual(niceTicks(0, 3, 6, false), [0, 0.5, 1, 1.5, 2, 2.5, 3]);
  assert.deepEqual(niceTicks(0, 3, 6, true), [0, 1, 2, 3]);
  assert.deepEqual(niceTicks(0, 1, 5, true), [0, 1]);
  assert.deepEqual(niceTicks(1, 49, 5, true), [10, 20, 30, 40]);
  assert.deepEqual(niceTicks(2.2, 2.8, 5, true), []);
  assert.deepEqual(niceIncrements(true).slice(0, 6), [1, 2, 5, 10, 20, 50]);
  assert.ok(niceIncrements().includes(0.002) && !niceIncrements().includes(2.5) && !niceIncrements(true).includes(0.5));
  assert.equal(allIntegers([0, 1, 2]), true);
  assert.equal(allIntegers([0, 0.5]), false);
});

test('any range: nice steps, multiples inside the range, at most count + 1 ticks, whole numbers on an integer axis', () => {
  fc.assert(fc.property(
    fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e6, noNaN: true }), fc.integer({ min: 2, max: 10 }), fc.boolean(),
    (lo, span, count, integer) => {
      const hi = lo + span;
      const step = niceStep(span, count, integer);
      assert.ok(isNice(step), `step ${step}`);
      if (integer) assert.ok(step >= 1 && Number.isInteger(step));
      const ts = niceTicks(lo, hi, count, integer);
      assert.ok(ts.length <= count + 1, `${ts.length} ticks for ${count}`);
      const ext = niceAxis(lo, hi, count, { integer, extend: true });
      assert.ok(ext.min <= lo + ext.step * 1e-3 && ext.max >= hi - ext.step * 1e-3 && ext.ticks[0] === ext.min && ext.ticks[ext.ticks.length - 1] === ext.max, JSON.stringify(ext));
      for (const t of ts) {
        assert.ok(t >= lo - step * 1e-3 && t <= hi + step * 1e-3, `${t} in [${lo}, ${hi}]`);
        if (integer) assert.ok(Number.isInteger(t), `${t} on an integer axis`);
      }
      // At least two ticks whenever the range holds two multiples of the step (an axis is never left bare).
      if (!integer || span >= 2) assert.ok(ts.length >= Math.min(2, Math.floor(span / step)), `${ts} for [${lo}, ${hi}]`);
    },
  ), { numRuns: 500, seed: 15 });
});

test('the model card chart: integer epochs labelled as integers, the value axis on nice bounds', () => {
  const g = chartGeometry([{ label: 'val', epochs: [0, 1, 2, 3], values: [0.13, 0.5, 0.77, 0.91] }]);
  assert.deepEqual(g.xTicks.map((t) => t.label), ['0', '1', '2', '3']);
  assert.deepEqual(g.yTicks.map((t) => t.label), ['0', '0.2', '0.4', '0.6', '0.8', '1']);
  // The axis ends on ticks: the first and last y tick sit on the plot's edges.
  assert.equal(g.yTicks[0]!.y, g.plot.bottom);
  assert.equal(g.yTicks[g.yTicks.length - 1]!.y, g.plot.top);
  const two = chartGeometry([{ label: 'val', epochs: [0, 1], values: [2.31, 2.39] }]);
  assert.deepEqual(two.xTicks.map((t) => t.label), ['0', '1']);
  assert.deepEqual(two.yTicks.map((t) => t.label), ['2.3', '2.32', '2.34', '2.36', '2.38', '2.4']);
  const long = chartGeometry([{ label: 'train', epochs: Array.from({ length: 48 }, (_, i) => i + 1), values: Array.from({ length: 48 }, (_, i) => 1 / (i + 1)) }]);
  assert.deepEqual(long.xTicks.map((t) => t.label), ['10', '20', '30', '40']);
  assert.ok(long.xTicks.every((t) => t.x >= long.plot.left && t.x <= long.plot.right));
});
