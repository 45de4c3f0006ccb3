import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../../server/src/service/documentKind';
import { defaultSettings } from '../../../shared/lsp-protocol';

const kind = (path: string, text: string, mlgymGlobs: string[] = []) =>
  classify({ path, text, settings: { files: { ...defaultSettings.files, mlgymGlobs } }, workspaceFolders: ['/w'] });

test('run configs by name and by content', () => {
  assert.equal(kind('/w/run_config.yml', 'run_configuration:\n  type: train\nenvironment: {}\nlogging: {}\n'), 'mlgym-run');
  assert.equal(kind('/w/run_config_accelerate.yml', ''), 'mlgym-run');
  assert.equal(kind('/w/experiment.yml', 'run_configuration:\n  type: warmstart\nenvironment:\n  type: accelerate\n'), 'mlgym-run');
  assert.equal(kind('/w/run_config.yml', 'name: other tool\n'), 'none');
});

test('grid-search configs by name (gs_config*) and by component blocks (*_config.yml and others)', () => {
  assert.equal(kind('/w/gs_config.yml', ''), 'mlgym-gs');
  assert.equal(kind('/w/gs_config_nested_cv.yml', 'a:\n  b: 1\n'), 'mlgym-gs');
  assert.equal(kind('/w/cnn_experiment_config.yml', 'model:\n  component_type_key: MODEL\n  variant_key: DEFAULT\n'), 'mlgym-gs');
  assert.equal(kind('/w/grid_search_checkpoint.yaml', 'model:\n  component_type_key: MODEL\n'), 'mlgym-gs');
  assert.equal(kind('/w/app_config.yml', 'server:\n  port: 80\n'), 'none');
});

test('CV / nested-CV configs by content, including the 2021 key names', () => {
  assert.equal(kind('/w/cv_config.yml', 'CROSS_VALIDATION:\n  iterator_key: it\n'), 'mlgym-gs');
  assert.equal(kind('/w/nested_cv_config.yml', 'global_config:\n  seed: 1\n\n\nNestedCV:\n  # folds\n  iterator_key: it\n'), 'mlgym-gs');
  assert.equal(kind('/w/cv.yaml', 'CV:\n  iterator_key: it\n'), 'mlgym-gs');
  assert.equal(kind('/w/cv.yaml', 'CV:\n  name: me\n'), 'none');
});

test('the mlgymGlobs setting forces a kind', () => {
  assert.equal(kind('/w/conf/anything.yaml', 'x: 1\n', ['conf/*.yaml']), 'mlgym-gs');
  assert.equal(kind('/w/conf/anything.yaml', 'run_configuration: {}\nenvironment: {}\nlogging: {}\n', ['conf/*.yaml']), 'mlgym-run');
});
