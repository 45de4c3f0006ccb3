import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatEvent, formatGeneratedEvent, generateEvents } from '../../helpers/eventGenerator';
import { parseLine } from '../../../client/src/events/lineScan';
import { normalize } from '../../../client/src/events/normalize';
import { scanEvaluationResult } from '../../../client/src/events/resultScan';
import { resultEvent } from './helpers';

/** What the general path makes of a line: the event, or undefined when it is not a valid evaluation result. */
function general(line: string): unknown {
  const parsed = parseLine(line);
  if ('error' in parsed) return undefined;
  const r = normalize(parsed.value);
  return r.ok === true && r.event.type === 'evaluation_result' ? r.event : undefined;
}

const fast = (line: string) => { const b = Buffer.from(line, 'utf8'); return scanEvaluationResult(b, 0, b.length); };

test('every evaluation result MLgym writes (generated, python style) takes the fast path and gives what JSON.parse + normalize give', () => {
  let results = 0;
  let i = 0;
  for (const ev of generateEvents({ experiments: 6, epochs: 8, seed: 4 })) {
    const line = formatGeneratedEvent(ev, 'head', i++);
    if (ev.event_type !== 'evaluation_result') { assert.equal(fast(line), undefined); continue; }
    results++;
    const got = fast(line);
    assert.ok(got, `fast path refused: ${line.slice(0, 160)}`);
    assert.deepEqual(got, general(line));
  }
  assert.ok(results > 40);
});

test('lines in any other shape fall back (undefined), never to a different event', () => {
  const base = formatEvent(resultEvent(3, 2, 0.25), 'head');
  assert.deepEqual(fast(base), general(base));
  const variants = [
    formatEvent(resultEvent(3, 2, 0.25), 'head', 0, 'compact'), // no spaces
    formatEvent(resultEvent(3, 2, 0.25), 'legacy2022'),
    base.replace('"score": 0.25', '"score": NaN'),
    base.replace('"score": 0.25', '"score": [0.1, 0.2]'),
    base.replace('"split": "val"', '"split": "v\\u00e9l"'),
    base.replace('"epoch": 2', '"epoch": -2'),
    base.replace('"epoch": 2', '"epoch": 2.5'),
    base.replace('"epoch": 2', '"epoch": 02'),
    base.replace('"experiment_id": 3', '"experiment_id": "3"'),
    base.replace('"score": 0.25', '"score": .25'),
    base.replace('"score": 0.25', '"score": 1.'),
    base.replace('"score": 0.25', '"score": 0.25, "extra": 1'),
    base.replace('"grid_search_id"', '"grid_search_idx"'),
    base.slice(0, -1),
    base + ' ',
    base.replace('}}', '}, "x": 1}'),
  ];
  for (const line of variants) {
    const got = fast(line);
    if (got !== undefined) assert.deepEqual(got, general(line), line);
  }
  // These specifically must not be taken by the fast path (their meaning needs the general one).
  for (const line of variants.slice(2, 11)) assert.equal(fast(line), undefined, line);
});

test('numbers, ids and names read exactly as JSON.parse reads them (property test)', () => {
  const num = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constant(-0), fc.constant(1e-7), fc.constant(123456789012345680000));
  const name = fc.stringMatching(/^[A-Za-z0-9_@. -]{0,20}$/);
  fc.assert(fc.property(
    fc.array(fc.record({ metric: name, split: name, score: num }), { maxLength: 4 }),
    fc.array(fc.record({ loss: name, split: name, score: num }), { maxLength: 3 }),
    fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat(1e6), fc.nat(10_000),
    fc.option(name, { nil: undefined }),
    (metrics, losses, ts, experiment, epoch, gs) => {
      const payload: Record<string, unknown> = { experiment_id: experiment, epoch, metric_scores: metrics, loss_scores: losses };
      if (gs !== undefined) payload.grid_search_id = gs;
      const line = formatEvent({ event_type: 'evaluation_result', creation_ts: ts, payload }, 'head');
      const got = fast(line);
      if (got !== undefined) assert.deepEqual(got, general(line));
      // Python-style lines with plain names and finite scores are always taken.
      assert.ok(got !== undefined || metrics.some((m) => Object.is(m.score, -0)) || /e[+-]?\d|\d\.\d*e/i.test(line), line);
    },
  ), { numRuns: 500 });
});
