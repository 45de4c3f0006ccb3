import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EpochSeries, RunAggregator, compareIds } from '../../../client/src/events/aggregate';
import type { EvaluationResultEvent, NormalizedEvent } from '../../../client/src/events/types';

const result = (experimentId: string, epoch: number, val: number, ts = 1000 + epoch): EvaluationResultEvent => ({
  type: 'evaluation_result', experimentId, ts, epoch,
  scores: [
    { split: 'val', tag: 'F1_SCORE_macro', kind: 'metric', score: val },
    { split: 'val', tag: 'cross_entropy_loss', kind: 'loss', score: 1 - val },
  ],
});

test('series are aligned by epoch in numeric order, whatever the arrival order', () => {
  const agg = new RunAggregator();
  // Arrival: 2, 0, 10, 1, 9 (MLboard would plot them in this order).
  for (const e of [2, 0, 10, 1, 9]) agg.apply(result('3', e, e / 100));
  const s = agg.experiments.get('3')?.series.get('val_F1_SCORE_macro');
  assert.ok(s);
  assert.deepEqual(s.epochs, [0, 1, 2, 9, 10]);
  assert.deepEqual(s.values, [0, 0.01, 0.02, 0.09, 0.1]);
  assert.deepEqual(agg.experiments.get('3')?.series.get('val_cross_entropy_loss')?.epochs, [0, 1, 2, 9, 10]);
  // The latest score is the one of the highest epoch, not the last to arrive.
  assert.deepEqual(agg.experiments.get('3')?.latestScores(), { val_F1_SCORE_macro: 0.1, val_cross_entropy_loss: 0.9 });
  assert.equal(agg.experiments.get('3')?.lastEpoch, 10);
});

test('a second value for an epoch replaces the first (re-evaluation after a warm start)', () => {
  const s = new EpochSeries();
  s.set(0, 1);
  s.set(1, 2);
  s.set(1, 5);
  s.set(0, 7);
  assert.deepEqual(s.epochs, [0, 1]);
  assert.deepEqual(s.values, [7, 5]);
  assert.equal(s.at(1), 5);
  assert.equal(s.at(3), undefined);
});

test('job status gives the state; DONE with an error is failed; progress fractions as MLboard computes them', () => {
  const agg = new RunAggregator();
  const job = (experimentId: string, status: string, error: string | null = null): NormalizedEvent => ({ type: 'job_status', experimentId, ts: 5, jobId: `gs-${experimentId}`, status, error, stacktrace: error ? 'Traceback' : null });
  agg.apply({ type: 'experiment_config', experimentId: '0', ts: 1, config: { optimizer: { config: { params: { lr: 0.1 } } } } });
  agg.apply({ type: 'experiment_config', experimentId: '1', ts: 2, config: {} });
  agg.apply({ type: 'experiment_config', experimentId: '2', ts: 3, config: {} });
  assert.equal(agg.experiments.get('0')?.state, 'configured');
  agg.apply(job('0', 'INIT'));
  assert.equal(agg.experiments.get('0')?.state, 'queued');
  agg.apply(job('0', 'RUNNING'));
  agg.apply(job('1', 'RUNNING'));
  agg.apply(job('1', 'DONE'));
  agg.apply(job('2', 'RUNNING'));
  agg.apply(job('2', 'DONE', 'CUDA out of memory.'));
  assert.deepEqual(agg.sortedExperiments().map((e) => e.state), ['running', 'done', 'failed']);
  assert.equal(agg.experiments.get('2')?.job?.stacktrace, 'Traceback');
  agg.apply({ type: 'experiment_status', experimentId: '0', ts: 9, phase: 'evaluation', numEpochs: 50, currentEpoch: 5, splits: ['train', 'val'], currentSplit: 'val', numBatches: 252, currentBatch: 63 });
  const p = agg.experiments.get('0')?.progress;
  assert.equal(p?.epochFraction, 0.1);
  assert.equal(p?.batchFraction, 0.25);
  assert.equal(p?.currentSplit, 'val');
  assert.equal(agg.experiments.get('0')?.firstTs, 1);
  assert.equal(agg.experiments.get('0')?.lastTs, 9);
  assert.deepEqual(agg.counts, { experiment_config: 3, job_status: 6, experiment_status: 1, evaluation_result: 0 });
});

test('without job events (sequential gym) an experiment with results is running', () => {
  const agg = new RunAggregator();
  agg.apply(result('0', 0, 0.5));
  assert.equal(agg.experiments.get('0')?.state, 'running');
});

test('list scores (RECALL_AT_K) give one series per position', () => {
  const agg = new RunAggregator();
  agg.apply({ type: 'evaluation_result', experimentId: '0', ts: 1, epoch: 3, scores: [{ split: 'test', tag: 'RECALL_AT_K', kind: 'metric', score: [0.5, 0.75] }] });
  assert.deepEqual(agg.seriesKeys(), ['test_RECALL_AT_K[0]', 'test_RECALL_AT_K[1]']);
  assert.equal(agg.experiments.get('0')?.series.get('test_RECALL_AT_K[1]')?.at(3), 0.75);
});

test('changes are tracked per experiment, and reset forgets everything', () => {
  const agg = new RunAggregator();
  const v0 = agg.version;
  agg.apply(result('7', 0, 0.1));
  agg.apply(result('2', 0, 0.1));
  agg.apply(result('7', 1, 0.2));
  assert.deepEqual(agg.takeChanged().sort(), ['2', '7']);
  assert.deepEqual(agg.takeChanged(), []);
  assert.ok(agg.version > v0);
  agg.reset();
  assert.equal(agg.experiments.size, 0);
  assert.equal(agg.counts.evaluation_result, 0);
});

test('experiment ids sort numerically ("10" after "9"), paths naturally', () => {
  assert.deepEqual(['10', '9', '1'].sort(compareIds), ['1', '9', '10']);
  assert.deepEqual(['gs/conv_net/10', 'gs/conv_net/2'].sort(compareIds), ['gs/conv_net/2', 'gs/conv_net/10']);
});

test('client/src/events stays pure Node (no vscode import), so tests, the benchmark and workers can load it', () => {
  const dir = join(__dirname, '..', '..', '..', 'client', 'src', 'events');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 7);
  for (const f of files) assert.doesNotMatch(readFileSync(join(dir, f), 'utf8'), /from ['"]vscode['"]|require\(['"]vscode['"]\)/, f);
});
