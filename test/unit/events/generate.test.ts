import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatEvent, formatGeneratedEvent, generateEvents, toJson, writeEventStorage } from '../../helpers/eventGenerator';
import type { RawEvent } from '../../../client/src/events/types';
import { tempDir } from './helpers';

type P = Record<string, unknown>;

test('event order follows docs/mlgym.md §3.3: configs, INIT × N, then per job RUNNING … DONE, at most processCount at once', () => {
  const events = [...generateEvents({ experiments: 6, epochs: 3, processCount: 2, seed: 5 })];
  const types = events.map((e) => e.event_type);
  assert.deepEqual(types.slice(0, 6), Array(6).fill('experiment_config'));
  assert.deepEqual(events.slice(6, 12).map((e) => [e.event_type, (e.payload as P).status]), Array(6).fill(['job_status', 'INIT']));
  assert.deepEqual(events.slice(0, 6).map((e) => (e.payload as P).job_id), [0, 1, 2, 3, 4, 5]); // int index here
  assert.equal((events[6].payload as P).job_id, '2024-02-14--22-15-46-0'); // "<gsid>-<index>" there
  const running = new Set<unknown>();
  let maxRunning = 0;
  for (const e of events.slice(12)) {
    const p = e.payload as P;
    if (e.event_type === 'job_status' && p.status === 'RUNNING') running.add(p.experiment_id);
    else if (e.event_type === 'job_status' && p.status === 'DONE') running.delete(p.experiment_id);
    else assert.ok(running.has(p.experiment_id), `${e.event_type} of ${String(p.experiment_id)} outside its job`);
    maxRunning = Math.max(maxRunning, running.size);
  }
  assert.equal(maxRunning, 2);
  assert.equal(running.size, 0);
  // creation_ts: microseconds (16 digits), increasing in log order.
  assert.ok(events.every((e, i) => String(e.creation_ts).length === 16 && (i === 0 || e.creation_ts > events[i - 1].creation_ts)));
});

test('one experiment: train progress (0-based batches) then per split evaluation progress (1-based) and one result', () => {
  const events = [...generateEvents({ experiments: 1, epochs: 2, processCount: 0, numBatches: 100, evalBatches: { train: 70, val: 30, test: 100 } })];
  assert.equal(events.some((e) => e.event_type === 'job_status'), false); // sequential gyms emit none
  const epoch0 = events.filter((e) => (e.payload as P).current_epoch === 0 || (e.payload as P).epoch === 0);
  const summary = epoch0.map((e) => {
    const p = e.payload as P;
    return e.event_type === 'evaluation_result' ? `result:${(p.metric_scores as P[])[0].split}` : `${p.status}:${p.current_split}:${p.current_batch}`;
  });
  assert.deepEqual(summary.slice(0, 10), ['train:train:0', 'train:train:10', 'train:train:20', 'train:train:30', 'train:train:40', 'train:train:50', 'train:train:60', 'train:train:70', 'train:train:80', 'train:train:90']);
  assert.deepEqual(summary.slice(10, 21), ['evaluation:train:7', 'evaluation:train:14', 'evaluation:train:21', 'evaluation:train:28', 'evaluation:train:35', 'evaluation:train:42', 'evaluation:train:49', 'evaluation:train:56', 'evaluation:train:63', 'evaluation:train:70', 'result:train']);
  assert.equal(summary.filter((s) => s.startsWith('result:')).join(), 'result:train,result:val,result:test');
  const result = epoch0.find((e) => e.event_type === 'evaluation_result')!.payload as P;
  assert.deepEqual(Object.keys(result), ['grid_search_id', 'experiment_id', 'epoch', 'metric_scores', 'loss_scores']);
  assert.deepEqual((result.metric_scores as P[]).map((m) => m.metric), ['F1_SCORE_macro', 'PRECISION_macro', 'RECALL_macro']);
  const status = epoch0[0].payload as P;
  assert.deepEqual(Object.keys(status), ['grid_search_id', 'experiment_id', 'status', 'num_epochs', 'current_epoch', 'splits', 'current_split', 'num_batches', 'current_batch']);
});

test("lines are written as Python's json.dumps writes them; the fast formatter writes the same text", () => {
  const events = [...generateEvents({ experiments: 2, epochs: 2 })];
  for (const [i, e] of events.entries()) {
    const line = formatEvent(e, 'head', i);
    assert.deepEqual(JSON.parse(line), e);
    assert.equal(formatGeneratedEvent(e, 'head', i), line);
    assert.equal(formatGeneratedEvent(e, 'legacy2022', i), formatEvent(e, 'legacy2022', i));
    assert.deepEqual(JSON.parse(formatEvent(e, 'head', i, 'compact')), e);
  }
  assert.ok(formatEvent(events[0]).startsWith('{"event_type": "experiment_config", "creation_ts": 17'));
  assert.equal(toJson({ a: [1, 0.5, NaN, -Infinity], b: 'é"\n' }), '{"a": [1, 0.5, NaN, -Infinity], "b": "\\u00e9\\"\\n"}');
});

test('the 2022 wire format: {event_id, data}, path experiment ids, no grid_search_id, device, TERMINATE jobs', (t) => {
  const root = tempDir(t);
  const w = writeEventStorage(root, { experiments: 2, epochs: 2, processCount: 2, format: 'legacy2022' });
  const lines = readFileSync(w.logPath, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { event_id: number; data: RawEvent });
  assert.equal(lines.length, w.events);
  assert.ok(lines.every((l, i) => l.event_id === i && Object.keys(l).join() === 'event_id,data'));
  assert.ok(lines.every((l) => !('grid_search_id' in l.data.payload)));
  assert.equal(lines.some((l) => l.data.event_type === 'experiment_config'), false);
  const inits = lines.filter((l) => l.data.payload.status === 'INIT').map((l) => [l.data.payload.job_type, l.data.payload.experiment_id]);
  assert.deepEqual(inits, [[1, '2024-02-14--22-15-46/conv_net/0'], [1, '2024-02-14--22-15-46/conv_net/1'], [2, null], [2, null]]);
  const running = lines.find((l) => l.data.payload.status === 'RUNNING');
  assert.equal(running?.data.payload.device, 'cuda:0');
});

test('targetEvents gives exactly that many events, the same for the same seed', (t) => {
  const a = writeEventStorage(tempDir(t), { experiments: 10, targetEvents: 5000, seed: 1 });
  const b = writeEventStorage(tempDir(t), { experiments: 10, targetEvents: 5000, seed: 1 });
  assert.equal(a.events, 5000);
  assert.equal(readFileSync(a.logPath, 'utf8').split('\n').length, 5001);
  assert.equal(readFileSync(a.logPath, 'utf8'), readFileSync(b.logPath, 'utf8'));
});
