import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GOOD_GS, gsWith, validate, found, ctxWith } from './helpers';

const P = '/w/gs_config.yml';
const check = (text: string, code: string) => {
  const ds = validate(P, text);
  return { all: ds, hits: found(text, ds, `mlgym/${code}`), msgs: ds.filter((d) => d.code === `mlgym/${code}`).map((d) => d.message) };
};

test('the reference config has no diagnostic at all', () => {
  assert.deepEqual(validate(P, GOOD_GS), []);
});

test('model_info without the fields the model card needs is a warning on model_info', () => {
  const r = check(gsWith('  model_version: "1.0"\n  source_repo: https://example.invalid/repo\n', ''), 'model-info');
  assert.deepEqual(r.hits, [['mlgym/model-info', 'model_info', 4]]);
  assert.match(r.msgs[0], /lacks model_version, source_repo: the model card \(GET \/model-card\) fails with HTTP 500/);
  assert.equal(r.all.find((d) => d.code === 'mlgym/model-info')!.severity, 2);
});

test('a top-level key that is not a block is an error; global_config stays free-form', () => {
  const r = check(GOOD_GS + 'seed: 3\n', 'not-a-component');
  assert.deepEqual(r.hits, [['mlgym/not-a-component', 'seed', GOOD_GS.split('\n').length]]);
  assert.equal(r.all.filter((d) => d.severity === 1).length, 1);
});

test('unknown block keys, missing component_type_key / variant_key', () => {
  const r = check(gsWith('  variant_key: FUTURE\n', '  variant_key: FUTURE\n  requirement: []\n'), 'unknown-block-key');
  assert.deepEqual(r.hits.map((h) => h[1]), ['requirement']);
  assert.match(r.msgs[0], /ComponentConstructionError.*Did you mean "requirements"\?/);
  const m = check(gsWith('model_registry:\n  component_type_key: MODEL_REGISTRY\n  variant_key: DEFAULT\n', 'model_registry:\n  component_type_key: MODEL_REGISTRY\n'), 'missing-component-key');
  assert.deepEqual(m.hits.map((h) => h[1]), ['model_registry']);
  assert.match(m.msgs[0], /no variant_key/);
});

test('an unknown type or variant is a warning (a blueprint may register it), with did-you-mean and a declare fix', () => {
  const t = check(gsWith('component_type_key: OPTIMIZER', 'component_type_key: OPTIMIZR'), 'undeclared-component');
  assert.deepEqual(t.hits.map((h) => h[1]), ['OPTIMIZR']);
  assert.equal(t.all.find((d) => d.code === 'mlgym/undeclared-component')!.severity, 2);
  assert.match(t.msgs[0], /no component type "OPTIMIZR".*Did you mean "OPTIMIZER"\?/);
  const v = check(gsWith('  variant_key: FUTURE\n', '  variant_key: FUTUR\n'), 'undeclared-component');
  assert.deepEqual(v.hits.map((h) => h[1]), ['FUTUR']);
  assert.match(v.msgs[0], /DATA_LOADER has no variant "FUTUR" in MLgym \(known: DEFAULT, FUTURE\)/);
  const d = v.all.find((x) => x.code === 'mlgym/undeclared-component')!.data as { kind: string; type: string; variant: string; configKeys: string[]; slots: string[] };
  assert.deepEqual([d.kind, d.type, d.variant, d.configKeys, d.slots], ['declare', 'DATA_LOADER', 'FUTUR', ['batch_size'], ['iterators', 'data_collator']]);
  // An undeclared pair makes no wall of errors: its config keys and slots are not checked.
  assert.equal(v.all.filter((x) => x.severity === 1).length, 0);
});

test('the example blueprints\' pairs are known but still need a declaration; deprecated DATA_LOADER/DEFAULT is info', () => {
  const r = check(gsWith('  component_type_key: LOSS_FUNCTION_REGISTRY\n  variant_key: DEFAULT', '  component_type_key: LOSS_FUNCTION_REGISTRY\n  variant_key: LM'), 'undeclared-component');
  assert.deepEqual(r.hits.map((h) => h[1]), ['LM']);
  assert.match(r.msgs[0], /not part of MLgym: Registered by the BERT \/ GPT-2 examples/);
  const dep = check(gsWith('  variant_key: FUTURE\n  requirements:', '  variant_key: DEFAULT\n  requirements:'), 'deprecated-variant');
  assert.deepEqual(dep.hits.map((h) => h[1]), ['DEFAULT']);
  assert.equal(dep.all.find((d) => d.code === 'mlgym/deprecated-variant')!.severity, 3);
});

test('config keys per variant: unknown = error (TypeError), stale keys named as such, show_progress under ACCELERATE', () => {
  const u = check(gsWith('    optimizer_key: ADAM\n', '    optimizer_key: ADAM\n    lr: 0.1\n'), 'unknown-config-key');
  assert.deepEqual(u.hits, [['mlgym/unknown-config-key', 'lr', GOOD_GS.split('\n').findIndex((l) => l.includes('optimizer_key: ADAM')) + 2]]);
  assert.match(u.msgs[0], /OPTIMIZER\/DEFAULT takes no config key "lr": MLgym raises TypeError: __init__\(\) got an unexpected keyword argument 'lr'\. It takes optimizer_key, params\./);
  const s = check(gsWith('    metrics_config:\n', '    train_split_name: train\n    metrics_config:\n'), 'stale-config-key');
  assert.deepEqual(s.hits.map((h) => h[1]), ['train_split_name']);
  const acc = gsWith('  component_type_key: TRAIN_COMPONENT\n  variant_key: DEFAULT', '  component_type_key: TRAIN_COMPONENT\n  variant_key: ACCELERATE');
  const a = check(gsWith('      tag: cross_entropy_loss\ntrainer:', '      tag: cross_entropy_loss\n    show_progress: true\ntrainer:', acc), 'stale-config-key');
  assert.deepEqual(a.hits.map((h) => h[1]), ['show_progress']);
  assert.match(a.msgs[0], /ACCELERATE variant of TRAIN_COMPONENT has no `show_progress`/);
  const ok = check(gsWith('      tag: cross_entropy_loss\ntrainer:', '      tag: cross_entropy_loss\n    show_progress: true\ntrainer:'), 'stale-config-key');
  assert.deepEqual(ok.hits, []);
  const nm = check(gsWith('  config:\n    storage_connector_path: ./file_storage/', '  config: [a]'), 'config-not-mapping');
  assert.deepEqual(nm.hits.map((h) => h[1]), ['[a]']);
});

test('requirements: keys, slots, component names, missing slots with candidates', () => {
  // MLgym reads only name, component_name and subscription: another key is ignored, a warning (docs/mlgym.md §7.1).
  const k = check(gsWith('      component_name: dataset_repository\n', '      component_name: dataset_repository\n      subscribe: train\n'), 'ignored-key');
  assert.deepEqual(k.hits.map((h) => h[1]), ['subscribe']);
  assert.match(k.msgs[0], /Did you mean "subscription"\?/);
  assert.equal(k.all.find((d) => d.code === 'mlgym/ignored-key')!.severity, 2);
  const n = check(gsWith('      component_name: dataset_repository\n', '      component_name: dataset_repo\n'), 'unknown-component-name');
  assert.deepEqual(n.hits.map((h) => h[1]), ['dataset_repo']);
  assert.match(n.msgs[0], /raises a bare KeyError: 'dataset_repo'.*Did you mean "dataset_repository"\?/);
  const sl = check(gsWith('    - name: repository\n', '    - name: repo\n'), 'unknown-slot');
  assert.deepEqual(sl.hits.map((h) => h[1]), ['repo']);
  assert.match(sl.msgs[0], /never reads a requirement named "repo" \(it reads repository\)/);
  const miss = check(gsWith('    - name: eval_component\n      component_name: eval_component\n', '    - name: eval_comp\n      component_name: eval_component\n'), 'missing-requirement');
  assert.deepEqual(miss.hits.map((h) => h[1]), ['evaluator']);
  assert.match(miss.msgs[0], /EVALUATOR\/DEFAULT reads the requirement "eval_component".*KeyError: 'eval_component'/);
  assert.deepEqual((miss.all.find((d) => d.code === 'mlgym/missing-requirement')!.data as { candidates: string[] }).candidates, ['eval_component']);
});

test('requirement cycles are reported once, on the edge that closes them', () => {
  const text = gsWith('model_registry:\n  component_type_key: MODEL_REGISTRY\n  variant_key: DEFAULT\n',
    'model_registry:\n  component_type_key: MODEL_REGISTRY\n  variant_key: DEFAULT\n  requirements:\n    - name: model\n      component_name: model\n');
  const r = check(text, 'requirement-cycle');
  assert.equal(r.hits.length, 1);
  assert.match(r.msgs[0], /Requirement cycle (model_registry → model → model_registry|model → model_registry → model).*RecursionError/);
});

test('subscriptions against the producer\'s splits; split-valued keys; evaluated splits; monitoring key vs tags', () => {
  const sub = check(gsWith('      subscription: [train, val, test]\n    - name: data_collator', '      subscription: [train, valid, test]\n    - name: data_collator'), 'unknown-split');
  assert.deepEqual(sub.hits.map((h) => h[1]), ['valid']);
  assert.match(sub.msgs[0], /Split "valid" is not produced \(available: train, test, val\): MLgym raises KeyError: 'valid'\. Did you mean "val"\?/);
  // A source split the splitter never receives is skipped by MLgym: a warning, not a KeyError (docs/mlgym.md §7.1).
  const src = check(gsWith('      train:\n        train: 0.7', '      trian:\n        train: 0.7'), 'unused-split-key');
  assert.deepEqual(src.hits.map((h) => h[1]), ['trian']);
  assert.equal(src.all.find((d) => d.code === 'mlgym/unused-split-key')!.severity, 2);
  const es = check(gsWith('      split_name: val', '      split_name: validation'), 'split-not-evaluated');
  assert.deepEqual(es.hits.map((h) => h[1]), ['validation']);
  const mk = check(gsWith('      monitoring_key: F1_SCORE_macro', '      monitoring_key: F1_macro'), 'unknown-monitoring-key');
  assert.deepEqual(mk.hits.map((h) => h[1]), ['F1_macro']);
  assert.match(mk.msgs[0], /neither a metric tag nor a loss tag of the evaluation \(F1_SCORE_macro, cross_entropy_loss\).*Did you mean "F1_SCORE_macro"\?/);
  const loss = check(gsWith('      monitoring_key: F1_SCORE_macro', '      monitoring_key: cross_entropy_loss'), 'unknown-monitoring-key');
  assert.deepEqual(loss.hits, []);
  const ap = check(gsWith('        tag: F1_SCORE_macro\n', '        tag: F1_SCORE_macro\n    metrics_computation_config:\n      - metric_tag: F1_SCORE_macro\n        applicable_splits: [val, holdout]\n'), 'applicable-split-not-evaluated');
  assert.deepEqual(ap.hits.map((h) => h[1]), ['holdout']);
  const seeds = check(gsWith('    batch_size:\n', '    sampling_strategies:\n      validation: {strategy: RANDOM}\n      train: {strategy: SHUFFLED}\n    batch_size:\n'), 'unused-split-key');
  assert.deepEqual(seeds.hits.map((h) => h[1]), ['validation']);
  const strat = check(gsWith('    batch_size:\n', '    sampling_strategies:\n      train: {strategy: SHUFFLED}\n    batch_size:\n'), 'unknown-registry-key');
  assert.deepEqual(strat.hits.map((h) => h[1]), ['SHUFFLED']);
});

test('registry keys: losses, metrics, post-processors, optimizer, early stopping, checkpointing (HEAD vs dev)', () => {
  const l = check(gsWith('      key: CrossEntropyLoss\n      tag: cross_entropy_loss\ntrainer', '      key: CrossEntropy\n      tag: cross_entropy_loss\ntrainer'), 'unknown-registry-key');
  assert.deepEqual(l.hits.map((h) => h[1]), ['CrossEntropy']);
  assert.match(l.msgs[0], /loss function registry has no "CrossEntropy": MLgym raises ClassRegistryKeyNotFoundError.*Did you mean "CrossEntropyLoss"\?/);
  const m = check(gsWith('      - key: F1_SCORE', '      - key: F1'), 'unknown-registry-key');
  assert.deepEqual(m.hits.map((h) => h[1]), ['F1']);
  const o = check(gsWith('optimizer_key: ADAM', 'optimizer_key: ADAMM'), 'unknown-registry-key');
  assert.deepEqual(o.hits.map((h) => h[1]), ['ADAMM']);
  assert.match(o.msgs[0], /MLgym knows SGD, ADAM, ADADELTA, ADAMW.*Did you mean "ADAM"/);
  const e = check(gsWith('early_stopping_key: LAST_K_EPOCHS_IMPROVEMENT_STRATEGY', 'early_stopping_key: LAST_K'), 'unknown-registry-key');
  assert.deepEqual(e.hits.map((h) => h[1]), ['LAST_K']);
  const dev = check(gsWith('checkpointing_key: SAVE_LAST_EPOCH_ONLY_CHECKPOINTING_STRATEGY', 'checkpointing_key: SAVE_MOST_RECENT_EPOCH_ONLY_CHECKPOINTING_STRATEGY'), 'dev-only-key');
  assert.deepEqual(dev.hits.map((h) => h[1]), ['SAVE_MOST_RECENT_EPOCH_ONLY_CHECKPOINTING_STRATEGY']);
  assert.match(dev.msgs[0], /only on MLgym's dev branch/);
});

test('params of losses, metrics, post-processors and the early-stopping config', () => {
  const p = check(gsWith('        tag: F1_SCORE_macro\n', '        tag: F1_SCORE_macro\n        identifier: x\n'), 'stale-config-key');
  assert.deepEqual(p.hits.map((h) => h[1]), ['identifier']);
  assert.match(p.msgs[0], /works only with the custom LM metric registry/);
  const up = check(gsWith('      tag: cross_entropy_loss\ntrainer', '      tag: cross_entropy_loss\n      root: 2\ntrainer'), 'unknown-param');
  assert.deepEqual(up.hits.map((h) => h[1]), ['root']);
  const mp = check(gsWith('      target_subscription_key: *target\n      key: CrossEntropyLoss\n      tag: cross_entropy_loss\ntrainer', '      key: CrossEntropyLoss\n      tag: cross_entropy_loss\ntrainer'), 'missing-param');
  assert.deepEqual(mp.hits.map((h) => h[1]), ['CrossEntropyLoss']);
  assert.match(mp.msgs[0], /needs `target_subscription_key`/);
  const pp = check(gsWith('      tag: cross_entropy_loss\ntrainer', '      tag: cross_entropy_loss\n    post_processors_config:\n      - key: ARG_MAX\ntrainer'), 'missing-param');
  assert.deepEqual(pp.hits.map((h) => h[1]), ['ARG_MAX']);
  assert.match(pp.msgs[0], /KeyError: 'params'/);
  const ppk = check(gsWith('    metrics_config:\n', '    post_processors_config:\n      - key: ARG_MAX\n        params: {prediction_subscription_key: a, prediction_publication_key: b, axis: 1}\n    metrics_config:\n'), 'unknown-param');
  assert.deepEqual(ppk.hits.map((h) => h[1]), ['axis']);
  const esc = check(gsWith('      is_increase_task: true', '      increase: true'), 'unknown-param');
  assert.deepEqual(esc.hits.map((h) => h[1]), ['increase']);
  const escm = check(gsWith('      is_increase_task: true', '      increase: true'), 'missing-param');
  assert.match(escm.msgs[0], /lacks is_increase_task/);
  const card = check(gsWith('        params:\n          average: macro\n', ''), 'model-card-param');
  assert.deepEqual(card.hits.map((h) => h[1]), ['F1_SCORE']);
  assert.equal(card.all.find((d) => d.code === 'mlgym/model-card-param')!.severity, 3);
});

test('list seeds are silently ignored; HF warmup steps; injectable ids (built in, unknown, declared)', () => {
  const s = check(gsWith('    batch_size:\n', '    seeds: [0, 1, 2]\n    batch_size:\n', gsWith('variant_key: FUTURE', 'variant_key: DEFAULT')), 'seeds-list-ignored');
  assert.deepEqual(s.hits.map((h) => h[1]), ['[0, 1, 2]']);
  const hf = check(GOOD_GS + 'lr_scheduler:\n  component_type_key: LR_SCHEDULER\n  variant_key: DEFAULT\n  config:\n    lr_scheduler_key: hugging_face_scheduler\n    params: {name: linear, num_warmup_steps: 100}\n', 'hf-warmup');
  assert.deepEqual(hf.hits.map((h) => h[1]), ['100']);
  const inj = check(gsWith('id: id_conv_mnist_standard_collator', 'id: id_my_collator'), 'unknown-injectable');
  assert.deepEqual(inj.hits.map((h) => h[1]), ['id_my_collator']);
  const declared = validate(P, gsWith('id: id_conv_mnist_standard_collator', 'id: id_my_collator'), ctxWith({ '/w/.cubelab/mlgym-components.yml': 'injectable_ids: [id_my_collator]\n' }));
  assert.deepEqual(declared, []);
});

test('the components the blueprint needs: a warning listing the missing ones; lr_scheduler is optional; a setting decides', () => {
  const text = gsWith('early_stopping_strategy:\n  component_type_key: EARLY_STOPPING_STRATEGY', 'stopper:\n  component_type_key: EARLY_STOPPING_STRATEGY');
  const r = check(text, 'missing-blueprint-component');
  assert.deepEqual(r.hits.map((h) => h[1]), ['dataset_repository']);
  assert.match(r.msgs[0], /No component named "early_stopping_strategy"/);
  assert.equal(r.all.find((d) => d.code === 'mlgym/missing-blueprint-component')!.severity, 2);
  assert.ok(!r.msgs[0].includes('lr_scheduler'));
  const custom = validate(P, text, ctxWith({ '/w/.cubelab/mlgym-components.yml': 'required_components: [model, stopper]\n' }));
  assert.deepEqual(custom.filter((d) => d.code === 'mlgym/missing-blueprint-component'), []);
});

test('requirements must be a list; a scheduler key outside the registry; a date where a string is meant', () => {
  const r = check(gsWith('  requirements:\n    - name: model_registry', '  requirements: model_registry\n  config_x:\n    - name: model_registry'), 'requirements-not-list');
  assert.deepEqual(r.hits.map((h) => h[1]), ['model_registry']);
  assert.match(r.msgs[0], /must be a list of \{name, component_name, subscription\?\}/);
  const s = check(GOOD_GS + 'lr_scheduler:\n  component_type_key: LR_SCHEDULER\n  variant_key: DEFAULT\n  config:\n    lr_scheduler_key: StepLR\n', 'unknown-registry-key');
  assert.deepEqual(s.hits.map((h) => h[1]), ['StepLR']);
  assert.match(s.msgs[0], /MLgym knows LinearLR, ConstantLR, LambdaLR, hugging_face_scheduler, dummy/);
  const d = check(gsWith('  model_version: "1.0"', '  model_version: 2024-02-14'), 'yaml11-date');
  assert.deepEqual(d.hits.map((h) => h[1]), ['2024-02-14']);
  assert.equal(d.all.find((x) => x.code === 'mlgym/yaml11-date')!.severity, 3);
});
