import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate, found, open } from './helpers';

const CV = 'global_config:\n  seed: &s 2\n\nCROSS_VALIDATION:\n  iterator_key: splitted_dataset_iterators\n  split_key: train\n  config:\n    num_folds: 5\n    stratification: false\n    target_pos: 1\n    shuffle: false\n    seed: *s\n';

test('CV configs are recognised by content under any *_config name, and validated as validation-strategy configs', () => {
  assert.equal(open('/w/cv_config.yml', CV).kind, 'mlgym-gs');
  const ds = validate('/w/cv_config.yml', CV);
  assert.deepEqual(found(CV, ds), [['mlgym/cv-broken', 'CROSS_VALIDATION', 4]]);
  assert.match(ds[0].message, /cannot start from run_config at MLgym HEAD/);
});

test('2021 mode names (CV, NestedCV) are errors at HEAD; nested CV is broken anyway', () => {
  const legacy = CV.replace('CROSS_VALIDATION', 'CV');
  assert.deepEqual(found(legacy, validate('/w/cv_config.yml', legacy), 'mlgym/cv-mode'), [['mlgym/cv-mode', 'CV', 4]]);
  const nested = 'NestedCV:\n  iterator_key: combined\n  config:\n    num_outer_loop_folds: 5\n    num_inner_loop_folds: 2\n    inner_stratification: true\n    outer_stratification: true\n    target_pos: 1\n    shuffle: false\n    seed: 1\n';
  const ds = validate('/w/nested_cv_config.yml', nested);
  assert.deepEqual(ds.map((d) => d.code), ['mlgym/cv-mode', 'mlgym/cv-broken']);
  assert.match(ds[1].message, /NESTED_CROSS_VALIDATION/);
});

test('CV config keys: unknown and missing', () => {
  const t = CV.replace('    num_folds: 5\n', '    folds: 5\n');
  const ds = validate('/w/cv_config.yml', t);
  assert.deepEqual(found(t, ds, 'mlgym/cv-key').map((h) => h[1]), ['config', 'folds']);
  assert.match(ds.find((d) => d.message.startsWith('config lacks'))!.message, /config lacks num_folds: all are required/);
});
