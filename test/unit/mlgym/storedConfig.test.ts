import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import type { StoredConfigResult } from '../../../shared/lsp-protocol';
import { storedConfig } from '../../../server/src/mlgym/storedConfig';
import { GOOD_GS, ctxWith } from './helpers';
import { corpusFile } from '../../helpers/corpus';

const GS_FILE = corpusFile('mlgym/events/mlgym+mlgym__event_storage__2024-02-14--22-15-46__grid_search_config.yml');
const RUN_FILE = corpusFile('mlgym/events/mlgym+mlgym__event_storage__2024-02-14--22-15-46__run_config.yml');

function ok(r: StoredConfigResult): Extract<StoredConfigResult, { ok: true }> {
  if (!r.ok) assert.fail(`expected a reading, got: ${r.error}`);
  return r;
}

test('the stored grid_search_config.yml of the 2024 run: every component, its type, variant and requirements', () => {
  const r = ok(storedConfig(GS_FILE, ctxWith()));
  assert.equal(r.kind, 'mlgym-gs');
  assert.deepEqual(r.components.map((c) => [c.name, c.component_type_key, c.variant_key]), [
    ['dataset_repository', 'DATASET_REPOSITORY', 'DEFAULT'],
    ['dataset_iterators', 'DATASET_ITERATORS', 'DEFAULT'],
    ['splitted_dataset_iterators', 'SPLITTED_DATASET_ITERATORS', 'RANDOM'],
    ['data_collator', 'DATA_COLLATOR', 'DEFAULT'],
    ['data_loaders', 'DATA_LOADER', 'DEFAULT'],
    ['model_registry', 'MODEL_REGISTRY', 'DEFAULT'],
    ['model', 'MODEL', 'DEFAULT'],
    ['optimizer', 'OPTIMIZER', 'DEFAULT'],
    ['lr_scheduler', 'LR_SCHEDULER', 'DEFAULT'],
    ['loss_function_registry', 'LOSS_FUNCTION_REGISTRY', 'DEFAULT'],
    ['metric_registry', 'METRIC_REGISTRY', 'DEFAULT'],
    ['prediction_postprocessing_registry', 'PREDICTION_POSTPROCESSING_REGISTRY', 'DEFAULT'],
    ['train_component', 'TRAIN_COMPONENT', 'DEFAULT'],
    ['trainer', 'TRAINER', 'DEFAULT'],
    ['eval_component', 'EVAL_COMPONENT', 'DEFAULT'],
    ['evaluator', 'EVALUATOR', 'DEFAULT'],
    ['early_stopping_strategy_registry', 'EARLY_STOPPING_STRATEGY_REGISTRY', 'DEFAULT'],
    ['early_stopping_strategy', 'EARLY_STOPPING_STRATEGY', 'DEFAULT'],
    ['checkpointing_strategy_registry', 'CHECKPOINTING_STRATEGY_REGISTRY', 'DEFAULT'],
    ['checkpointing_strategy', 'CHECKPOINTING_STRATEGY', 'DEFAULT'],
  ]);
  const byName = new Map(r.components.map((c) => [c.name, c]));
  // Subscriptions as MLgym reads them: a list, a scalar (one split), an explicit null, or absent (null).
  assert.deepEqual(byName.get('trainer')?.requirements, [
    { name: 'train_component', component_name: 'train_component', subscription: null },
    { name: 'model', component_name: 'model', subscription: null },
    { name: 'data_loaders', component_name: 'data_loaders', subscription: 'train' },
  ]);
  assert.deepEqual(byName.get('data_loaders')?.requirements, [
    { name: 'iterators', component_name: 'splitted_dataset_iterators', subscription: ['train', 'val', 'test'] },
    { name: 'data_collator', component_name: 'data_collator', subscription: null },
  ]);
  assert.deepEqual(byName.get('model')?.requirements, [{ name: 'model_registry', component_name: 'model_registry', subscription: 'conv_net' }]);
  assert.deepEqual(byName.get('model_registry')?.requirements, []);
  assert.equal(r.components.reduce((n, c) => n + c.requirements.length, 0), 18);
});

test('configs are plain JSON with anchors resolved and PyYAML scalars (1e-05 stays a float, sweeps kept)', () => {
  const r = ok(storedConfig(GS_FILE, ctxWith()));
  const byName = new Map(r.components.map((c) => [c.name, c]));
  assert.deepEqual(byName.get('dataset_repository')?.config, { storage_connector_path: './file_storage/' });
  assert.deepEqual(byName.get('data_loaders')?.config.batch_size, { sweep: 'absolute', values: [10, 50, 100] });
  assert.deepEqual(byName.get('optimizer')?.config, { optimizer_key: 'ADAM', params: { lr: { sweep: 'absolute', values: [1, 0.1, 0.01, 0.001, 0.0001] } } });
  assert.deepEqual((byName.get('train_component')?.config.loss_fun_config as Record<string, unknown>).target_subscription_key, 'target_key');
  assert.equal((byName.get('early_stopping_strategy')?.config.early_stopping_config as Record<string, unknown>).min_relative_improvement, 0.00001);
  assert.deepEqual(r.modelInfo, { model_description: 'Testing 1 2 3 Hopefully it works.', model_version: '1.0.0', source_repo: 'Github repo link Ex: https://github.com/mlgym/mlgym/tree/dev' });
  assert.equal((r.globalConfig as Record<string, unknown>).seed, 2);
  // The result crosses JSON-RPC: it must survive a JSON round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

test('the diagnostics of the stored config are counted by severity', () => {
  const r = ok(storedConfig(GS_FILE, ctxWith()));
  // MLgym HEAD builds this run; its `seeds: [0, 1, 2]` list is read as a dict and silently ignored.
  assert.deepEqual({ ...r.diagnostics, first: r.diagnostics.first.map((x) => [x.severity, x.code, x.line + 1]) },
    { errors: 0, warnings: 1, infos: 1, hints: 0, first: [['warning', 'mlgym/seeds-list-ignored', 71]] });
  // A known-good config has none; a requirement on a missing component is one error, with its code.
  const good = ok(storedConfig('/stored/grid_search_config.yml', ctxWith({ '/stored/grid_search_config.yml': GOOD_GS.replace('variant_key: FUTURE', 'variant_key: DEFAULT') })));
  assert.equal(good.diagnostics.errors, 0, JSON.stringify(good.diagnostics.first));
  const bad = ok(storedConfig('/stored/grid_search_config.yml', ctxWith({ '/stored/grid_search_config.yml': GOOD_GS.replace('component_name: data_collator', 'component_name: data_kollator') })));
  assert.equal(bad.diagnostics.errors, 1, JSON.stringify(bad.diagnostics.first));
  assert.equal(bad.diagnostics.first[0].code, 'mlgym/unknown-component-name');
  assert.match(bad.diagnostics.first[0].message, /data_kollator/);
});

test('the stored run_config.yml is a run config: no components, its value read as MLgym reads it', () => {
  const r = ok(storedConfig(RUN_FILE, ctxWith()));
  assert.equal(r.kind, 'mlgym-run');
  assert.deepEqual(r.components, []);
  const v = r.value as { run_configuration: { type: string; config: { num_epochs: number } }; environment: { config: { computation_device_ids: number[] } } };
  assert.equal(v.run_configuration.type, 'train');
  assert.equal(v.run_configuration.config.num_epochs, 50);
  assert.deepEqual(v.environment.config.computation_device_ids, [1, 2, 3, 4, 5]);
});

test('a stored config under an excluded folder (.cubelab/) is still read', () => {
  const path = '/w/.cubelab/runs/x/event_storage/gs/grid_search_config.yml';
  const r = ok(storedConfig(path, ctxWith({ [path]: GOOD_GS })));
  assert.equal(r.kind, 'mlgym-gs');
  assert.equal(r.components.length, 19);
});

test('missing files, folders and text that is not YAML are errors, not readings', () => {
  const missing = storedConfig('/nowhere/grid_search_config.yml', ctxWith());
  assert.deepEqual(missing, { ok: false, error: '/nowhere/grid_search_config.yml does not exist.' });
  const folder = storedConfig(dirname(GS_FILE), ctxWith());
  assert.equal(folder.ok, false);
  const broken = storedConfig('/s/grid_search_config.yml', ctxWith({ '/s/grid_search_config.yml': 'model:\n  component_type_key: MODEL\n  config: {a: [1, 2\n' }));
  assert.equal(broken.ok, false);
  assert.match(!broken.ok ? broken.error : '', /not valid YAML \(line \d+\)/);
});

test('NaN, infinities and dates become JSON-safe text; alias bombs are cut, not expanded', () => {
  const text = 'model:\n  component_type_key: MODEL\n  variant_key: DEFAULT\n  config:\n    a: .nan\n    b: -.inf\n    c: 2024-02-14\n';
  const r = ok(storedConfig('/s/grid_search_config.yml', ctxWith({ '/s/grid_search_config.yml': text })));
  assert.deepEqual(r.components[0].config, { a: 'NaN', b: '-Infinity', c: '2024-02-14' });
  let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 9; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
  bomb += 'model:\n  component_type_key: MODEL\n  variant_key: DEFAULT\n  config:\n    big: *a8\n';
  const b = ok(storedConfig('/s/grid_search_config.yml', ctxWith({ '/s/grid_search_config.yml': bomb })));
  assert.equal(b.truncated, true);
  assert.ok(JSON.stringify(b).length < 50_000_000);
});
