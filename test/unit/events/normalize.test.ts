import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalize } from '../../../client/src/events/normalize';
import { experimentIdToken, looksComplete, parseLine, scanHead } from '../../../client/src/events/lineScan';

// Lines as MLgym writes them (docs/mlgym.md §3.3, json.dumps separators), and one real 2022 line.
const HEAD_RESULT = '{"event_type": "evaluation_result", "creation_ts": 1707945370000003, "payload": {"grid_search_id": "2024-02-14--22-15-46", "experiment_id": 1, "epoch": 0, "metric_scores": [{"metric": "F1_SCORE_macro", "split": "val", "score": 0.0857}], "loss_scores": [{"loss": "cross_entropy_loss", "split": "val", "score": 31.796}]}}';
const LEGACY_STATUS = '{"event_id": 7, "data": {"event_type": "experiment_status", "creation_ts": 1651263972513393, "payload": {"experiment_id": "2022-04-29--22-25-49/conv_net/0", "status": "evaluation", "num_epochs": 10, "current_epoch": 0, "splits": ["train", "val", "test"], "current_split": "train", "num_batches": 840, "current_batch": 8}}}';
const COMPACT_JOB = '{"event_type":"job_status","creation_ts":1707945350000001,"payload":{"job_id":"2024-02-14--22-15-46-1","job_type":1,"status":"RUNNING","grid_search_id":"2024-02-14--22-15-46","experiment_id":1,"starting_time":1707945349.87,"finishing_time":-1,"error":null,"stacktrace":null}}';

const parse = (line: string) => {
  const p = parseLine(line);
  if ('error' in p) throw new Error(p.error);
  return normalize(p.value);
};

test('a HEAD evaluation_result becomes scores keyed by split and tag', () => {
  const r = parse(HEAD_RESULT);
  assert.equal(r.ok, true);
  if (r.ok !== true) return;
  assert.equal(r.format, 'head');
  assert.deepEqual(r.event, {
    type: 'evaluation_result', experimentId: '1', gridSearchId: '2024-02-14--22-15-46', ts: 1707945370000003, epoch: 0,
    scores: [
      { split: 'val', tag: 'F1_SCORE_macro', kind: 'metric', score: 0.0857 },
      { split: 'val', tag: 'cross_entropy_loss', kind: 'loss', score: 31.796 },
    ],
  });
});

test('a 2022 wire line is unwrapped; its grid search id comes from the experiment path', () => {
  const r = parse(LEGACY_STATUS);
  assert.equal(r.ok, true);
  if (r.ok !== true) return;
  assert.equal(r.format, 'legacy2022');
  assert.equal(r.event.type, 'experiment_status');
  assert.equal(r.event.experimentId, '2022-04-29--22-25-49/conv_net/0');
  assert.equal(r.event.gridSearchId, '2022-04-29--22-25-49');
  if (r.event.type !== 'experiment_status') return;
  assert.equal(r.event.phase, 'evaluation');
  assert.equal(r.event.currentBatch, 8);
  assert.deepEqual(r.event.splits, ['train', 'val', 'test']);
});

test('compact JSON and string job ids are accepted', () => {
  const r = parse(COMPACT_JOB);
  assert.equal(r.ok, true);
  if (r.ok !== true || r.event.type !== 'job_status') return assert.fail('not a job_status');
  assert.equal(r.event.jobId, '2024-02-14--22-15-46-1');
  assert.equal(r.event.status, 'RUNNING');
  assert.equal(r.event.startingTime, 1707945349.87);
  assert.equal(r.event.finishingTime, -1);
});

test('types the server does not store, and 2022 TERMINATE jobs, are ignored, not errors', () => {
  const sched = parse('{"event_type": "job_scheduled", "creation_ts": 1, "payload": {"experiment_id": 1}}');
  assert.deepEqual(sched, { ok: 'ignored', eventType: 'job_scheduled', format: 'head' });
  const terminate = parse('{"event_id": 3, "data": {"event_type": "job_status", "creation_ts": 1651263951393566, "payload": {"job_id": 3, "job_type": 2, "status": "INIT", "experiment_id": null, "starting_time": -1, "finishing_time": -1, "device": "", "error": null, "stacktrace": null}}}');
  assert.equal(terminate.ok, 'ignored');
});

test('what cannot be drawn is reported with a reason', () => {
  const cases: [string, string][] = [
    ['[1, 2]', 'the line is not a JSON object'],
    ['{"foo": 1}', 'no "event_type" (HEAD) or "data" (2022 format) key'],
    ['{"event_type": 3, "payload": {}}', '"event_type" is missing or not a string'],
    ['{"event_type": "evaluation_result", "creation_ts": 1}', 'evaluation_result: "payload" is missing or not an object'],
    ['{"event_type": "evaluation_result", "creation_ts": 1, "payload": {"experiment_id": 1, "epoch": "3"}}', 'evaluation_result: "payload.epoch" is missing or not a non-negative int'],
    ['{"event_type": "experiment_status", "creation_ts": 1, "payload": {"status": "train"}}', 'experiment_status: "payload.experiment_id" is missing or not an int/string'],
    ['{"event_type": "job_status", "creation_ts": 1, "payload": {"experiment_id": 2}}', 'job_status: "payload.status" is missing or not a string'],
    ['{"event_type": "experiment_config", "creation_ts": 1, "payload": {"experiment_id": 2, "config": [1]}}', 'experiment_config: "payload.config" is missing or not an object'],
  ];
  for (const [line, reason] of cases) assert.deepEqual(parse(line), { ok: false, reason }, line);
});

test("Python's NaN and Infinity (a diverged loss) parse, as numbers; strings containing them are untouched", () => {
  const line = '{"event_type": "evaluation_result", "creation_ts": 5, "payload": {"experiment_id": 4, "epoch": 2, "metric_scores": [{"metric": "NaN_count", "split": "val", "score": -Infinity}], "loss_scores": [{"loss": "ce", "split": "val", "score": NaN}]}}';
  const r = parse(line);
  if (r.ok !== true || r.event.type !== 'evaluation_result') return assert.fail('not parsed');
  assert.equal(r.event.scores[0].tag, 'NaN_count');
  assert.equal(r.event.scores[0].score, Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(r.event.scores[1].score));
  const bad = parseLine('{"a": NaNx}');
  assert.ok('error' in bad && bad.error.startsWith('invalid JSON: '));
});

test('RECALL_AT_K list scores are kept as lists', () => {
  const r = parse('{"event_type": "evaluation_result", "creation_ts": 5, "payload": {"experiment_id": 4, "epoch": 1, "metric_scores": [{"metric": "RECALL_AT_K", "split": "test", "score": [0.5, 0.75]}], "loss_scores": []}}');
  if (r.ok !== true || r.event.type !== 'evaluation_result') return assert.fail('not parsed');
  assert.deepEqual(r.event.scores, [{ split: 'test', tag: 'RECALL_AT_K', kind: 'metric', score: [0.5, 0.75] }]);
});

test('the prefix scan finds the event type and experiment id without parsing', () => {
  assert.deepEqual(scanHead(HEAD_RESULT), { format: 'head', eventType: 'evaluation_result' });
  assert.deepEqual(scanHead(LEGACY_STATUS), { format: 'legacy2022', eventType: 'experiment_status' });
  assert.deepEqual(scanHead(COMPACT_JOB), { format: 'head', eventType: 'job_status' });
  assert.equal(scanHead('{"payload": {}, "event_type": "job_status"}'), undefined);
  assert.equal(experimentIdToken(HEAD_RESULT), 1);
  assert.equal(experimentIdToken(LEGACY_STATUS), '"2022-04-29--22-25-49/conv_net/0"');
  assert.equal(experimentIdToken(COMPACT_JOB), 1);
  assert.equal(experimentIdToken('{"experiment_id": 1.5}'), undefined);
  assert.equal(experimentIdToken('{"event_type": "experiment_status"}'), undefined);
  assert.equal(looksComplete(HEAD_RESULT), true);
  assert.equal(looksComplete(HEAD_RESULT.slice(0, 80)), false);
});
