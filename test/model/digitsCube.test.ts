/**
 * The digits cube for real: its image built on the model image (Configure's path: the base checked, the
 * Dockerfile built), train on the data set (the test split's accuracy in the log and in the MLgym events that
 * the Metrics panel and the model card read), samples of the held-out split written as PNG files, infer on them
 * (predictions checked against the true labels, in the prediction format, each file's sha256 and the model's
 * digest right), and Predict with Cube's staging of a multi-file selection through the same run layer.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelRunner, copyCube, planTasks } from './helpers';
import { CollectingSink } from '../runner/helpers';
import { reporterOf } from '../runner/helpers';
import { readPredictions } from '../../client/src/predictions/read';
import { summarize } from '../../client/src/predictions/summary';
import { findPredictionsFile, obviousSelectionParam, predictOverrides, predictionsParam, stageSelection, taskParams } from '../../client/src/predictions/predict';
import { loadModelCard } from '../../client/src/modelcard/load';
import { EventLogReader, RunAggregator } from '../../client/src/events/index';
import { planBuild } from '../../client/src/backends/docker/dockerBackend';

const { dir, cube, store } = copyCube('digits-cube');
const runner = new ModelRunner(store);
after(() => runner.dispose());
const manifest = join(cube, 'mlcube.yaml');
const ws = join(cube, 'workspace');
let modelDigest = '';

test('Configure builds the digits image on the model image; train reports the test split accuracy in its log and its events', { timeout: 600_000 }, async () => {
  const [train] = await planTasks(cube, [{ task: 'train' }]);
  const sink = new CollectingSink();
  await runner.backend.configure(train!.image, planBuild(train!), reporterOf(sink));
  assert.ok(sink.infos.some((l) => /^Built cubelab-demo\/digits:1$/.test(l)), sink.infos.join('\n'));

  const { sink: out, log } = await runner.run(manifest, train!);
  const final = out.lines.find((l) => l.startsWith('digits: test split accuracy'));
  assert.ok(final, out.lines.join('\n'));
  const m = /test split accuracy (0\.\d+) \(360 held-out samples\).*model (sha256:[0-9a-f]{64})$/.exec(final!);
  assert.ok(m, final);
  const accuracy = Number(m![1]);
  modelDigest = m![2]!;
  assert.ok(accuracy > 0.85, `test split accuracy ${accuracy}`);
  assert.match(log, /epoch 30\/30: train loss \d\.\d+, test accuracy 0\.\d+/);

  const info = JSON.parse(readFileSync(join(ws, 'model', 'model.json'), 'utf8')) as { digest: string; test_accuracy: number };
  const blob = readFileSync(join(ws, 'model', 'model.pkl'));
  assert.equal(info.digest, `sha256:${createHash('sha256').update(blob).digest('hex')}`);
  assert.equal(info.digest, modelDigest);

  // What the Metrics panel reads: the event log, aggregated by epoch.
  const [gsid] = readdirSync(join(ws, 'event_storage'));
  const gsDir = join(ws, 'event_storage', gsid!);
  const agg = new RunAggregator();
  const reader = new EventLogReader(join(gsDir, 'event_storage.log'), agg);
  await reader.read({ final: true });
  assert.equal(reader.stats.badLines, 0);
  const exp = agg.experiments.get('0');
  assert.ok(exp, 'experiment 0 is in the log');
  const series = exp!.series.get('test_accuracy');
  assert.ok(series, `series: ${[...exp!.series.keys()].join(', ')}`);
  assert.equal(series!.epochs.length, 30);
  assert.ok(Math.abs(series!.values[29]! - accuracy) < 5e-5, `the last epoch's test accuracy in the events (${series!.values[29]}) is the one the log names (${accuracy})`);
  assert.ok(exp!.series.get('train_cross_entropy_loss'));

  // What the model card shows: the final scores of the run.
  const card = await loadModelCard(gsDir, '0');
  const score = card.results.scores.find((s) => s.key === 'test_accuracy');
  assert.ok(score, JSON.stringify(card.results.scores));
  assert.equal(card.results.finalEpoch, 29);
  assert.ok(Math.abs(score!.value! - accuracy) < 5e-5);
  void dir;
});

test('infer on the held-out digits written as PNG files: predictions in the format, accuracy above 0.85', { timeout: 300_000 }, async () => {
  assert.ok(modelDigest, 'train ran first');
  const [samples, infer] = await planTasks(cube, [{ task: 'samples' }, { task: 'infer' }]);
  await runner.run(manifest, samples!);
  const images = join(ws, 'images');
  const labels = readdirSync(images).sort();
  assert.deepEqual(labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  const { sink } = await runner.run(manifest, infer!);
  assert.match(sink.lines.join('\n'), /wrote 360 prediction\(s\)/);
  const file = await findPredictionsFile(join(ws, 'predictions'));
  assert.equal(file, join(ws, 'predictions', 'predictions.jsonl'));
  const read = await readPredictions(file!);
  assert.equal(read.problemCount, 0, JSON.stringify(read.problems));
  assert.equal(read.predictions.length, 360);
  let right = 0;
  for (const p of read.predictions) {
    assert.equal(p.model, modelDigest);
    assert.ok(p.scores && Object.keys(p.scores).length === 10);
    if (p.path.split('/')[0] === p.label) right++;
  }
  const accuracy = right / read.predictions.length;
  assert.ok(accuracy > 0.85, `accuracy against the true labels ${accuracy}`);
  const sample = read.predictions[17]!;
  assert.equal(sample.sha256, createHash('sha256').update(readFileSync(join(images, sample.path))).digest('hex'));
  const s = summarize(read.predictions);
  assert.equal(s.labels.reduce((a, l) => a + l.count, 0), 360);
  assert.ok(s.lowest[0]!.score <= s.lowest[1]!.score);
});

test('Predict with Cube: a selection of files in two folders is staged and predicted under the names the Explorer shows', { timeout: 300_000 }, async () => {
  const images = join(ws, 'images');
  const picked = [join(images, '3', readdirSync(join(images, '3')).sort()[0]!), join(images, '7', readdirSync(join(images, '7')).sort()[1]!)];
  const [base] = await planTasks(cube, [{ task: 'infer' }]);
  const params = taskParams(base!);
  const input = obviousSelectionParam(params);
  const output = predictionsParam(params);
  assert.equal(input?.name, 'data_dir');
  assert.equal(output?.name, 'predictions_dir');
  const staged = await stageSelection(picked, join(dir, '.cubelab', 'predict', 't1', 'input'));
  assert.deepEqual([staged.staged, staged.files], [true, 2]);
  const out = join(ws, 'predictions', 't1');
  const { overrides, predictionsHint } = predictOverrides(input!, staged.folder, output!, out);
  const [plan] = await planTasks(cube, [{ task: 'infer', overrides }]);
  await runner.run(manifest, plan!);
  const read = await readPredictions((await findPredictionsFile(predictionsHint))!);
  assert.deepEqual(read.predictions.map((p) => p.path).sort(), picked.map((p) => p.slice(images.length + 1)).sort());
  assert.deepEqual(read.predictions.map((p) => p.label).sort(), ['3', '7']);
});
