import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatEvent, toJson, writeEventStorage } from '../../helpers/eventGenerator';
import { RunAggregator } from '../../../client/src/events/aggregate';
import { EventLogReader } from '../../../client/src/events/reader';
import type { RawEvent } from '../../../client/src/events/types';
import { buildModelCard, countParameters, splitKey, sweptPaths } from '../../../client/src/modelcard/card';
import { loadModelCard } from '../../../client/src/modelcard/load';
import { isModelCardData } from '../../../shared/webview-protocol/modelCard';
import { GS, corpusEvent, rebuildCorpus, tempDir } from './helpers';

const corpusJson = (rel: string) => JSON.parse(readFileSync(corpusEvent(rel), 'utf8')) as Record<string, unknown>;

test('the real 2024 run: model, dataset, training and evaluation fields from its configs', async (t) => {
  const gs = rebuildCorpus(tempDir(t));
  const card = await loadModelCard(gs, '1', { now: new Date('2025-01-02T03:04:05Z') });
  assert.ok(isModelCardData(card), 'the card passes the contract guard');
  assert.equal(card.gridSearchId, GS);
  assert.equal(card.experimentId, '1');
  assert.equal(card.generatedAt, '2025-01-02T03:04:05.000Z');
  assert.equal(card.model.name, 'conv_net');
  assert.equal(card.model.description, 'Testing 1 2 3 Hopefully it works.');
  assert.equal(card.model.version, '1.0.0');
  assert.equal(card.model.sourceRepo, 'Github repo link Ex: https://github.com/mlgym/mlgym/tree/dev');
  assert.deepEqual(card.model.layers.map((l) => l.type), ['conv', 'conv', 'fc', 'fc']);
  // PyTorch's count of this net: 320 + 18,496 + 1,179,776 + 1,290; MLgym's card says 0.
  assert.equal(card.model.parameterCount, 1_199_882);
  assert.equal(card.dataset.name, 'mnist');
  assert.deepEqual(card.dataset.splits, ['train', 'test']);
  assert.deepEqual(card.dataset.subscription, ['train', 'test']);
  assert.deepEqual(card.dataset.percentages, [{ component: 'splitted_dataset_iterators', source: 'train', parts: [{ split: 'train', fraction: 0.7 }, { split: 'val', fraction: 0.3 }] }]);
  assert.equal(card.training.optimizer, 'ADAM');
  assert.deepEqual(card.training.hyperparams, [{ key: 'lr', value: 0.1 }]);
  assert.equal(card.training.lossFunction, 'cross_entropy_loss');
  assert.equal(card.training.lrScheduler, 'dummy');
  assert.equal(card.training.batchSize, 10);
  assert.equal(card.training.numEpochs, 50, 'from run_config.yml');
  assert.equal(card.training.checkpointing, 'SAVE_LAST_EPOCH_ONLY_CHECKPOINTING_STRATEGY');
  assert.deepEqual(card.training.gridParams, [{ key: 'data_loaders.config.batch_size', value: 10 }, { key: 'optimizer.config.params.lr', value: 0.1 }]);
  assert.deepEqual(card.evaluation.lossFunctions, ['cross_entropy_loss']);
  assert.deepEqual(card.evaluation.metrics.map((m) => [m.name, m.key, m.params]), [
    ['F1_SCORE_macro', 'F1_SCORE', [{ key: 'average', value: 'macro' }]],
    ['PRECISION_macro', 'PRECISION', [{ key: 'average', value: 'macro' }]],
    ['RECALL_macro', 'RECALL', [{ key: 'average', value: 'macro' }]],
  ]);
  assert.deepEqual(card.evaluation.splits, ['train', 'val', 'test']);
  // Same values as MLgym's own card for the fields it gets right.
  const mlgym = corpusJson('1__model_card.json');
  assert.deepEqual(card.training.hyperparams, [{ key: 'lr', value: (mlgym.training_details as { hyperparams: { optimizer: { lr: number } } }).hyperparams.optimizer.lr }]);
  assert.deepEqual(card.evaluation.metrics.map((m) => m.name), (mlgym.eval_details as { metrics: { name: string }[] }).metrics.map((m) => m.name));
});

test('the real 2024 run: no events and no system_info.json, so the stored card fills in, flagged', async (t) => {
  const gs = rebuildCorpus(tempDir(t));
  const card = await loadModelCard(gs, '14');
  assert.deepEqual(card.training.hyperparams, [{ key: 'lr', value: 0.0001 }], 'experiment 14 has the smallest lr');
  assert.equal(card.training.trainDate, '2024-02-14');
  assert.equal(card.training.trainDateSource, 'modelCard');
  assert.equal(card.training.startedAt, null);
  assert.equal(card.environment.source, 'model_card.json');
  assert.equal(card.environment.cudaDevices.length, 8);
  assert.equal(card.environment.cudaDevices[0].name, 'Tesla V100-SXM2-32GB');
  assert.ok(card.environment.fields.some((f) => f.key === 'ram' && f.value === '1007 GB'));
  assert.ok(card.environment.fields.some((f) => f.key === 'architecture' && f.value === '64bit'), 'the [bits, linkage] pair, empty linkage dropped');
  assert.ok(card.environment.pythonPackages.some((p) => p.name === 'torch' && p.version === '2.2.0+cu118'));
  assert.ok(card.corrections.some((c) => /day the card was generated/.test(c)));
  assert.ok(card.corrections.some((c) => /REST server/.test(c)));
  assert.ok(card.problems.some((p) => /No event log/.test(p)));
  assert.equal(card.results.scores.length, 0);
});

test('the real 2024 run with a training log, system_info.json and checkpoints 9 and 10: the corrected card', async (t) => {
  const gs = rebuildCorpus(tempDir(t));
  // Events of experiment 1 (µs timestamps of 2024-02-15 UTC), one evaluation result arriving out of epoch order.
  const day = Date.UTC(2024, 1, 15, 8) * 1000;
  const ev = (type: string, payload: Record<string, unknown>, ts: number): RawEvent => ({ event_type: type, creation_ts: ts, payload: { grid_search_id: GS, experiment_id: 1, ...payload } });
  const result = (epoch: number, f1: number) => ev('evaluation_result', { epoch, metric_scores: [{ metric: 'F1_SCORE_macro', split: 'val', score: f1 }], loss_scores: [{ loss: 'cross_entropy_loss', split: 'val', score: 1 - f1 }] }, day + 1000 * epoch + 500);
  const lines = [
    ev('experiment_config', { job_id: 1, config: corpusJson('1__experiment_config.json') }, day - 3_600_000_000),
    ev('experiment_status', { status: 'train', num_epochs: 50, current_epoch: 0, splits: ['train'], current_split: 'train', num_batches: 100, current_batch: 0 }, day),
    result(0, 0.5), result(2, 0.9), result(1, 0.7), result(10, 0.95), result(9, 0.93),
  ].map((e) => formatEvent(e)).join('\n') + '\n';
  writeFileSync(join(gs, 'event_storage.log'), lines);
  writeFileSync(join(gs, '1', 'system_info.json'), toJson({ platform: 'Linux', 'platform-release': '6.1.0', architecture: 'x86_64', processor: 'x86_64', ram: '251 GB', 'python-version': '3.10.12', 'python-packages': [{ name: 'torch', version: '2.2.0' }], CUDNN_version: 8902, num_cuda_device: 1, cuda_device_list: [{ name: 'NVIDIA A100', multi_proc_count: 108, total_memory: '79.15 GB' }] }));
  for (const epoch of ['9', '10']) {
    mkdirSync(join(gs, '1', epoch));
    writeFileSync(join(gs, '1', epoch, 'model.pickle'), 'x');
  }
  const card = await loadModelCard(gs, '1');
  assert.equal(card.training.trainDate, '2024-02-15', 'the day of the first training event, not of the config event or of the card');
  assert.equal(card.training.trainDateSource, 'events');
  assert.equal(card.training.startedAt, '2024-02-15T08:00:00.000Z');
  assert.ok(card.corrections.some((c) => c.includes('MLgym\'s card says 2024-02-14')));
  assert.equal(card.environment.source, 'system_info.json');
  assert.deepEqual(card.environment.cudaDevices, [{ name: 'NVIDIA A100', totalMemory: '79.15 GB', multiProcCount: 108 }]);
  assert.ok(card.environment.fields.some((f) => f.key === 'ram' && f.value === '251 GB'), 'the training host, not the REST host (1007 GB)');
  assert.equal(card.training.latestCheckpointEpoch, 10);
  assert.ok(card.corrections.some((c) => c.includes('would pick 9')));
  const f1 = card.results.series.find((s) => s.key === 'val_F1_SCORE_macro');
  assert.deepEqual(f1?.epochs, [0, 1, 2, 9, 10], 'numeric epoch order');
  assert.deepEqual(f1?.values, [0.5, 0.7, 0.9, 0.93, 0.95]);
  assert.deepEqual(card.results.scores.find((s) => s.key === 'val_F1_SCORE_macro'), { key: 'val_F1_SCORE_macro', split: 'val', tag: 'F1_SCORE_macro', epoch: 10, value: 0.95 });
  assert.equal(card.results.finalEpoch, 10);
  assert.equal(card.training.lastEpoch, 10);
  assert.equal(card.training.status, 'running', 'a sequential log without job events, progress seen');
});

test('a generated run: dates from the job events, results equal the aggregated series, environment of the host', async (t) => {
  const root = tempDir(t);
  const w = writeEventStorage(root, { experiments: 6, epochs: 12, failing: [4], checkpointEpochs: [9, 11] });
  const card = await loadModelCard(w.dir, '3');
  assert.ok(isModelCardData(card));
  assert.equal(card.training.status, 'done');
  assert.equal(card.training.trainDateSource, 'events');
  assert.match(card.training.startedAt ?? '', /^2024-02-14T/);
  assert.ok(card.training.finishedAt && card.training.finishedAt > card.training.startedAt!);
  assert.equal(card.training.numEpochs, 12);
  assert.equal(card.training.latestCheckpointEpoch, 11);
  assert.deepEqual(card.training.checkpoints.map((c) => c.epoch), [9, 11]);
  assert.equal(card.environment.source, 'system_info.json');
  assert.equal(card.environment.cudaDevices[0].name, 'NVIDIA A100-SXM4-80GB');
  // The results are exactly what the aggregator holds for experiment 3.
  const agg = new RunAggregator();
  await new EventLogReader(w.logPath, agg, { validate: 'all' }).read({ final: true });
  const e = agg.experiments.get('3')!;
  assert.deepEqual(card.results.scores.map((s) => s.key), [...e.series.keys()].sort());
  for (const s of card.results.scores) assert.equal(s.value, e.series.get(s.key)!.latest()!.value);
  for (const s of card.results.series) assert.deepEqual(s.epochs, Array.from({ length: 12 }, (_, i) => i));
  assert.equal(card.pipeline.nodes.length, Object.keys(JSON.parse(readFileSync(join(w.dir, '3', 'experiment_config.json'), 'utf8'))).length);
  assert.ok(card.training.gridParams.some((p) => p.key === 'optimizer.config.params.lr'));
  // A failed experiment is dated too, and says so.
  const failed = await loadModelCard(w.dir, '4');
  assert.equal(failed.training.status, 'failed');
  assert.ok(failed.training.finishedAt);
});

test('building blocks: parameter counts, swept paths, split keys, missing inputs', () => {
  assert.equal(countParameters([{ type: 'conv', params: { in_channels: 3, out_channels: 8, kernel_size: [3, 5] } }]), 3 * 8 * 15 + 8);
  assert.equal(countParameters([{ type: 'fc', params: { in_features: 4, out_features: 2, bias: false } }]), 8);
  assert.equal(countParameters([{ type: 'lstm', params: {} }]), null, 'an unknown layer makes the count unknown');
  assert.equal(countParameters([]), null);
  assert.deepEqual(sweptPaths(
    { global_config: { a: [1, 2] }, opt: { config: { lr: { sweep: 'absolute', values: [1, 2] }, seeds: [0, 1], bs: [8, 16] } } },
    { opt: { config: { lr: 1, seeds: [0, 1], bs: 8 } } },
  ), [['opt', 'config', 'lr'], ['opt', 'config', 'bs']]);
  assert.deepEqual(splitKey('my_val_F1_SCORE', ['my_val', 'val']), { split: 'my_val', tag: 'F1_SCORE' });
  assert.deepEqual(splitKey('test_loss', []), { split: 'test', tag: 'loss' });
  const empty = buildModelCard({ gridSearchId: 'g', experimentId: '0' });
  assert.ok(isModelCardData(empty));
  assert.equal(empty.model.name, null);
  assert.equal(empty.pipeline.nodes.length, 0);
  assert.equal(empty.environment.source, 'none');
  assert.equal(empty.training.trainDateSource, 'unknown');
  assert.equal(empty.problems.length, 2);
  // A scalar split subscription is one split (MLgym adds its characters).
  const card = buildModelCard({ gridSearchId: 'g', experimentId: '0', experimentConfig: {
    s: { component_type_key: 'SPLITTED_DATASET_ITERATORS', variant_key: 'RANDOM', requirements: [{ name: 'i', component_name: 'd', subscription: 'train' }], config: { split_configs: {} } },
  } });
  assert.deepEqual(card.dataset.subscription, ['train']);
  assert.ok(card.corrections.some((c) => c.includes('"train"')));
});
