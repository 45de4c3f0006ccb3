/** `cubelab/cubes` and the run lenses, through the built server: manifests found on disk, and open ones. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeLens } from 'vscode-languageserver-types';
import { LspClient } from '../helpers/lspClient';
import type { CubesResult } from '../../shared/lsp-protocol';

let lsp: LspClient;
let dir: string;
const MANIFEST = 'name: hello\ndocker:\n  image: cubelab/hello:1\ntasks:\n  greet:\n    parameters:\n      outputs: {out: out/}\n  count: {}\n';

before(async () => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cubelab-cubes-')));
  fs.writeFileSync(path.join(dir, 'mlcube.yaml'), MANIFEST);
  fs.mkdirSync(path.join(dir, 'deep', 'er'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'deep', 'er', 'mlcube_cpu.yaml'), 'docker:\n  image: x/y:1\ntasks:\n  train: {}\n');
  fs.mkdirSync(path.join(dir, 'node_modules', 'p'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', 'p', 'mlcube.yaml'), MANIFEST);
  fs.writeFileSync(path.join(dir, 'other.yaml'), MANIFEST);
  lsp = await LspClient.start({ rootPath: dir, settings: { validation: { debounceMs: 0 } } });
});
after(async () => {
  await lsp.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const summary = (r: CubesResult) => r.cubes.map((c) => [path.relative(dir, new URL(c.uri).pathname), c.name, c.tasks.map((t) => `${t.name}@${t.range.start.line}:${t.range.start.character}`)]);

test('the server lists the manifests on disk (none opened) with their tasks, skipping node_modules', async () => {
  const res = await lsp.request<CubesResult>('cubelab/cubes', null);
  assert.equal(res.truncated, false);
  assert.deepEqual(summary(res), [
    ['deep/er/mlcube_cpu.yaml', 'er', ['train@3:2']],
    ['mlcube.yaml', 'hello', ['greet@4:2', 'count@7:2']],
  ]);
});

test('an open, edited manifest is listed as edited; a new file on disk shows up on the next request', async () => {
  const uri = lsp.open(path.join(dir, 'mlcube.yaml'), MANIFEST);
  lsp.change(uri, MANIFEST.replace('  count: {}\n', '  count: {}\n  extra: {}\n'));
  await lsp.diagnosticsFor(uri);
  fs.writeFileSync(path.join(dir, 'deep', 'mlcube.yml'), 'name: later\ndocker:\n  image: a/b:1\ntasks:\n  t1: {}\n');
  const res = await lsp.request<CubesResult>('cubelab/cubes', null);
  assert.deepEqual(summary(res), [
    ['deep/er/mlcube_cpu.yaml', 'er', ['train@3:2']],
    ['deep/mlcube.yml', 'later', ['t1@4:2']],
    ['mlcube.yaml', 'hello', ['greet@4:2', 'count@7:2', 'extra@8:2']],
  ]);
  assert.equal(res.cubes[2].uri, uri);
});

test('code lenses: "▶ Run", "Sweep…" and "Configure" above each task of an open manifest', async () => {
  const file = path.join(dir, 'lens', 'mlcube.yaml');
  fs.mkdirSync(path.dirname(file));
  const uri = lsp.open(file, MANIFEST);
  await lsp.diagnosticsFor(uri);
  const lenses = await lsp.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
  assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command?.title, l.command?.command, l.command?.arguments]), [
    [4, '▶ Run', 'cubelab.runTask', [uri, 'greet']],
    [4, 'Sweep…', 'cubelab.runSweep', [uri, 'greet']],
    [4, 'Configure', 'cubelab.configureCube', [uri, 'greet']],
    [7, '▶ Run', 'cubelab.runTask', [uri, 'count']],
    [7, 'Sweep…', 'cubelab.runSweep', [uri, 'count']],
    [7, 'Configure', 'cubelab.configureCube', [uri, 'count']],
  ]);
  assert.equal(uri, pathToFileURL(file).href);
  // A non-manifest YAML document gets none.
  const other = lsp.open(path.join(dir, 'plain.yaml'), 'a: 1\n');
  assert.deepEqual(await lsp.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: other } }), []);
});
