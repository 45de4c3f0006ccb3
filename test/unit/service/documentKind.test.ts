import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../../server/src/service/documentKind';
import { defaultSettings } from '../../../shared/lsp-protocol';

const settings = defaultSettings;
const kind = (path: string, text: string, files = settings.files, workspaceFolders: string[] = ['/w']) =>
  classify({ path, text, settings: { files }, workspaceFolders });

test('manifests by name', () => {
  assert.equal(kind('/w/mlcube.yaml', 'tasks:\n  a: {}\n'), 'mlcube');
  assert.equal(kind('/w/mlcube_gpu.yaml', 'name: x\n'), 'mlcube');
  assert.equal(kind('/w/mlcube.yaml', ''), 'mlcube');
});

test('manifests by content under another name', () => {
  assert.equal(kind('/w/cube.yaml', 'docker:\n  image: x\ntasks:\n  a: {}\n'), 'mlcube');
});

test('the system settings file, legacy v1 and MedPerf files are recognised', () => {
  assert.equal(kind('/root/mlcube.yaml', 'runners:\n  docker: {pkg: mlcube_docker}\nplatforms: {}\n'), 'mlcube-settings');
  assert.equal(kind('/w/mlcube.yaml', 'schema_version: 1.0.0\nschema_type: mlcube_root\ntasks:\n- tasks/a.yaml\n'), 'mlcube-legacy');
  assert.equal(kind('/w/mlcube.yaml', 'container_type: DockerImage\nimage: x\n'), 'none');
  assert.equal(kind('/w/mlcube.yaml', 'name: {{ cookiecutter.project_name }}\n'), 'none');
});

test('other YAML files get nothing', () => {
  assert.equal(kind('/w/.github/workflows/ci.yml', 'on: push\njobs: {}\n'), 'none');
  assert.equal(kind('/w/docker-compose.yaml', 'services:\n  a: {}\n'), 'none');
  assert.equal(kind('/w/notes.txt', 'tasks:\n'), 'none');
});

test('MLgym configs by name and content', () => {
  assert.equal(kind('/w/run_config.yml', 'gs_config_path: gs.yml\nenvironment: {}\n'), 'mlgym-run');
  assert.equal(kind('/w/gs_config.yml', 'model:\n  component_type_key: MODEL\n  variant_key: X\n'), 'mlgym-gs');
});

test('settings force and exclude globs', () => {
  const files = { manifestGlobs: ['cubes/*.yaml'], mlgymGlobs: [], exclude: ['**/vendor/**'] };
  assert.equal(kind('/w/cubes/anything.yaml', 'x: 1\n', files), 'mlcube');
  assert.equal(kind('/w/vendor/mlcube.yaml', 'tasks: {}\n', files), 'none');
});
