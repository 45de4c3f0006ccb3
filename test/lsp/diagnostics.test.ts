import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LspClient } from '../helpers/lspClient';

let lsp: LspClient;
before(async () => { lsp = await LspClient.start({ settings: { validation: { debounceMs: 0 } } }); });
after(async () => { await lsp.stop(); });

test('a duplicate key in mlcube.yaml is published with its exact range', async () => {
  const uri = lsp.open('/tmp/cubelab-lsp/dup/mlcube.yaml', 'name: demo\ndocker:\n  image: busybox\ntasks:\n  train: {}\n  train: {}\n');
  const ds = await lsp.diagnosticsFor(uri);
  assert.equal(ds.length, 1);
  assert.equal(ds[0].code, 'duplicate-key');
  assert.equal(ds[0].source, 'CubeLab');
  assert.deepEqual(ds[0].range, { start: { line: 5, character: 2 }, end: { line: 5, character: 7 } });
  assert.match(ds[0].message, /Duplicate key "train" in `tasks` \(first defined on line 5\)/);
});

test('a YAML syntax error in mlcube.yaml is published as an error on its line', async () => {
  const uri = lsp.open('/tmp/cubelab-lsp/syntax/mlcube.yaml', 'docker:\n  image: x\ntasks:\n  train:\n    entrypoint: [a, b\n');
  const ds = await lsp.diagnosticsFor(uri);
  assert.ok(ds.length >= 1, 'one diagnostic at least');
  assert.equal(ds[0].code, 'yaml-syntax');
  assert.equal(ds[0].severity, 1);
  assert.equal(ds[0].range.start.line, 4);
});

test('editing the file updates the diagnostics', async () => {
  const uri = lsp.open('/tmp/cubelab-lsp/edit/mlcube.yaml', 'docker: {image: x}\ntasks:\n  a: {}\n  a: {}\n');
  assert.equal((await lsp.diagnosticsFor(uri)).length, 1);
  lsp.change(uri, 'docker: {image: x}\ntasks:\n  a: {}\n  b: {}\n');
  assert.deepEqual(await lsp.diagnosticsFor(uri), []);
});

test('other YAML files get no diagnostics, even when broken', async () => {
  const uri = lsp.open('/tmp/cubelab-lsp/other/docker-compose.yaml', 'a: 1\na: 2\nb: [\n');
  assert.deepEqual(await lsp.diagnosticsFor(uri), []);
});

test('the documentKind request tells manifests from settings files', async () => {
  const m = lsp.open('/tmp/cubelab-lsp/kind/mlcube.yaml', 'tasks: {}\n');
  const s = lsp.open('/tmp/cubelab-lsp/home/mlcube.yaml', 'runners:\n  docker: {pkg: mlcube_docker}\nplatforms: {}\n');
  assert.equal((await lsp.request<{ kind: string }>('cubelab/documentKind', { uri: m })).kind, 'mlcube');
  assert.equal((await lsp.request<{ kind: string }>('cubelab/documentKind', { uri: s })).kind, 'mlcube-settings');
});
