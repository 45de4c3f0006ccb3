/** MLCube manifest validation through the built language server: real diagnostics with range, code, message, data. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from 'vscode-languageserver-types';
import { LspClient } from '../helpers/lspClient';

let lsp: LspClient;
before(async () => { lsp = await LspClient.start({ settings: { validation: { debounceMs: 0 } } }); });
after(async () => { await lsp.stop(); });

const byCode = (ds: Diagnostic[], code: string) => ds.filter((d) => d.code === code);

test('semantic errors and warnings of a manifest are published with exact ranges', async () => {
  const text = [
    'name: demo', //                                   0
    'docker:', //                                      1
    '  image: "mlcommons/${nme}:0.1"', //              2
    '  tar_file: demo.tar', //                         3
    'platform:', //                                    4
    '  accelerator_count: "1"', //                     5
    'tasks:', //                                       6
    '  train:', //                                     7
    '    parameters:', //                              8
    '      inputs:', //                                9
    '        epochs: 5', //                            10
    '      outpus:', //                                11
    '        model: model/', //                       12
    '',
  ].join('\n');
  const uri = lsp.open('/tmp/cubelab-lsp/validation/mlcube.yaml', text);
  const ds = await lsp.diagnosticsFor(uri);
  assert.deepEqual(ds.map((d) => d.code).sort(), [
    'mlcube/accelerator-count-type', 'mlcube/param-value-type', 'mlcube/unknown-key', 'mlcube/unknown-runner-key', 'mlcube/unresolved-interpolation',
  ]);
  const [interp] = byCode(ds, 'mlcube/unresolved-interpolation');
  assert.deepEqual(interp.range, { start: { line: 2, character: 20 }, end: { line: 2, character: 26 } });
  assert.equal(interp.severity, 1);
  assert.match(interp.message, /InterpolationKeyError: Interpolation key 'nme' not found/);
  const [runnerKey] = byCode(ds, 'mlcube/unknown-runner-key');
  assert.deepEqual(runnerKey.range, { start: { line: 3, character: 2 }, end: { line: 3, character: 10 } });
  assert.match(runnerKey.message, /Unknown keys: \['tar_file'\]/);
  assert.deepEqual(runnerKey.data, { key: 'tar_file', section: 'docker' });
  const [count] = byCode(ds, 'mlcube/accelerator-count-type');
  assert.deepEqual(count.range, { start: { line: 5, character: 21 }, end: { line: 5, character: 24 } });
  const [param] = byCode(ds, 'mlcube/param-value-type');
  assert.deepEqual(param.range, { start: { line: 10, character: 16 }, end: { line: 10, character: 17 } });
  const [typo] = byCode(ds, 'mlcube/unknown-key');
  assert.equal(typo.severity, 2);
  assert.deepEqual(typo.range, { start: { line: 11, character: 6 }, end: { line: 11, character: 12 } });
  assert.deepEqual(typo.data, { key: 'outpus', section: 'parameters', suggestion: 'outputs' });
  assert.ok(ds.every((d) => d.source === 'CubeLab'));
});

test('fixing the file clears the diagnostics; a hint remains for an untyped input', async () => {
  const uri = lsp.open('/tmp/cubelab-lsp/validation2/mlcube.yaml', 'docker:\n  image: x\n  build_strategy: sometimes\ntasks:\n  t:\n    parameters:\n      inputs:\n        cfg: params.yaml\n');
  let ds = await lsp.diagnosticsFor(uri);
  assert.deepEqual(ds.map((d) => [d.code, d.severity]), [['mlcube/bad-build-strategy', 1], ['mlcube/untyped-input', 4]]);
  assert.deepEqual(ds[0].range, { start: { line: 2, character: 18 }, end: { line: 2, character: 27 } });
  lsp.change(uri, 'docker:\n  image: x\n  build_strategy: auto\ntasks:\n  t:\n    parameters:\n      inputs:\n        cfg: {type: file, default: params.yaml}\n');
  ds = await lsp.diagnosticsFor(uri);
  assert.deepEqual(ds, []);
});

test('a system settings file named mlcube.yaml and a MedPerf container config get nothing', async () => {
  const s = lsp.open('/tmp/cubelab-lsp/home2/mlcube.yaml', 'runners:\n  docker: {pkg: mlcube_docker}\nplatforms:\n  docker: {runner: docker, image: "${docker.image}"}\nstorage: {}\n');
  assert.deepEqual(await lsp.diagnosticsFor(s), []);
  const m = lsp.open('/tmp/cubelab-lsp/medperf/mlcube.yaml', 'container_type: DockerImage\nimage: x\ntasks:\n  infer:\n    input_volumes: {data_path: {mount_path: /d, type: directory}}\n');
  assert.deepEqual(await lsp.diagnosticsFor(m), []);
});

test('a legacy v1 manifest gets one diagnostic', async () => {
  const uri = lsp.open('/tmp/cubelab-lsp/legacy/mlcube.yaml', 'schema_version: 1.0.0\nschema_type: mlcube_root\nname: mnist\ntasks:\n  - tasks/download.yaml\n');
  const ds = await lsp.diagnosticsFor(uri);
  assert.deepEqual(ds.map((d) => d.code), ['mlcube/legacy-v1']);
  assert.equal(ds[0].range.start.line, 1);
});
