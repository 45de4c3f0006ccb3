import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompletionItem, TextEdit } from 'vscode-languageserver-types';
import { caret } from '../../helpers/caret';
import { context, doc } from '../../helpers/service';
import { completeManifest, cursorPlace } from '../../../server/src/mlcube/complete';
import type { FileAccess, ServiceContext } from '../../../server/src/service/languageService';

/** An in-memory file system: paths ending in `/` are folders. */
function memFs(paths: string[]): FileAccess {
  const dirs = new Set<string>(); const files = new Set<string>();
  for (const p of paths) {
    const parts = p.replace(/\/$/, '').split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/') || '/');
    (p.endsWith('/') ? dirs : files).add(p.replace(/\/$/, ''));
  }
  const norm = (p: string) => (p === '/' ? '/' : p.replace(/\/$/, ''));
  return {
    exists: (p) => dirs.has(norm(p)) || files.has(p),
    isDirectory: (p) => dirs.has(norm(p)),
    readDir: (p) => {
      const base = p === '/' ? '/' : `${norm(p)}/`;
      return [...new Set([...dirs, ...files].filter((x) => x.startsWith(base) && x.length > base.length).map((x) => x.slice(base.length).split('/')[0]))];
    },
  };
}

function complete(fixture: string, ctx: ServiceContext = context(), path = '/cube/mlcube.yaml'): CompletionItem[] {
  const { text, offset } = caret(fixture);
  const d = doc(path, text, ctx);
  const list = completeManifest(d, d.parsed.lines.positionAt(offset), ctx);
  return list?.items ?? [];
}
const labels = (items: CompletionItem[]) => items.map((i) => i.label).sort();

const MANIFEST = 'name: mnist\ndocker:\n  image: mlcommons/mnist:0.0.1\n';

test('task keys while typing an incomplete task', () => {
  const items = complete(`${MANIFEST}tasks:\n  train:\n    para|`);
  assert.deepEqual(labels(items), ['entrypoint', 'parameters']);
  const p = items.find((i) => i.label === 'parameters')!;
  const edit = p.textEdit as TextEdit;
  assert.deepEqual(edit.range, { start: { line: 5, character: 4 }, end: { line: 5, character: 8 } });
  assert.equal(edit.newText, 'parameters:\n      $0');
  assert.equal(p.insertTextFormat, 2);
  assert.match(JSON.stringify(p.documentation), /tasks.train.parameters/);
});

test('top-level keys exclude those already present', () => {
  const items = complete(`${MANIFEST}|\ntasks: {}\n`);
  const l = labels(items);
  assert.ok(l.includes('platform') && l.includes('singularity') && l.includes('description'));
  assert.ok(!l.includes('name') && !l.includes('docker') && !l.includes('tasks'));
});

test('docker keys are the runner keys, with the schema description', () => {
  const items = complete('docker:\n  image: x\n  b|\ntasks: {}\n');
  const l = labels(items);
  for (const k of ['build_context', 'build_file', 'build_strategy', 'gpu_args', '--gpus']) assert.ok(l.includes(k), k);
  assert.ok(!l.includes('image'));
  const bs = items.find((i) => i.label === 'build_strategy')!;
  assert.match(JSON.stringify(bs.documentation), /always/);
  assert.equal(bs.detail, 'default: pull');
});

test('platform and parameter keys', () => {
  assert.ok(labels(complete('platform:\n  |\ntasks: {}\n')).includes('accelerator_count'));
  assert.deepEqual(labels(complete('tasks:\n  t:\n    parameters:\n      |\n')), ['inputs', 'outputs']);
  assert.deepEqual(labels(complete('tasks:\n  t:\n    parameters:\n      inputs:\n        x:\n          default: a\n          |\n')), ['opts', 'type']);
});

test('keys inside a flow mapping parameter', () => {
  const items = complete('tasks:\n  t:\n    parameters:\n      inputs:\n        data: {type: file, |}\n');
  assert.deepEqual(labels(items), ['default', 'opts']);
});

test('enum values: build_strategy, param type in block and flow form, opts', () => {
  assert.deepEqual(labels(complete('docker:\n  build_strategy: |\n')), ['always', 'auto', 'pull']);
  const flow = complete('tasks:\n  t:\n    parameters:\n      outputs:\n        log: {type: di|}\n');
  assert.deepEqual(labels(flow), ['directory', 'file']);
  const dir = flow.find((i) => i.label === 'directory')!.textEdit as TextEdit;
  assert.deepEqual(dir.range, { start: { line: 4, character: 20 }, end: { line: 4, character: 22 } });
  assert.deepEqual(labels(complete('tasks:\n  t:\n    parameters:\n      inputs:\n        d:\n          opts: |\n')), ['ro', 'rw']);
});

test('interpolation targets after ${', () => {
  const items = complete(`${MANIFEST}tasks:\n  t:\n    parameters:\n      inputs:\n        d: \${run|\n`);
  const l = items.map((i) => i.label);
  for (const k of ['runtime.root', 'runtime.workspace', 'workspace', 'name', 'docker.image', 'oc.env:']) assert.ok(l.includes(k), k);
  const root = items.find((i) => i.label === 'runtime.root')!;
  assert.equal(root.detail, '/cube');
  const edit = root.textEdit as TextEdit;
  assert.deepEqual(edit.range, { start: { line: 7, character: 13 }, end: { line: 7, character: 16 } });
  assert.equal(edit.newText, 'runtime.root}');
  assert.equal(items.find((i) => i.label === 'docker.image')!.detail, 'mlcommons/mnist:0.0.1');
});

test('an existing closing brace is not doubled; oc.env: lists environment variables', () => {
  const items = complete('name: x\ndocker:\n  image: ${na|}\n');
  assert.equal((items.find((i) => i.label === 'name')!.textEdit as TextEdit).newText, 'name');
  const env = complete('docker:\n  image: ${oc.env:|\n', context({ env: { MY_IMAGE: 'busybox', HOME: '/root' } }));
  assert.deepEqual(labels(env), ['oc.env:HOME', 'oc.env:MY_IMAGE']);
  assert.equal((env.find((i) => i.label === 'oc.env:MY_IMAGE')!.textEdit as TextEdit).newText, 'oc.env:MY_IMAGE}');
});

test('parameter defaults complete files and folders of the workspace', () => {
  const ctx = context({ fs: memFs(['/cube/workspace/data/', '/cube/workspace/data/train.csv', '/cube/workspace/params.yaml']) });
  const top = complete('tasks:\n  t:\n    parameters:\n      inputs:\n        d: {type: file, default: |}\n', ctx);
  assert.deepEqual(labels(top), ['data/', 'params.yaml']);
  const nested = complete('tasks:\n  t:\n    parameters:\n      inputs:\n        d: data/tr|\n', ctx);
  assert.deepEqual(labels(nested), ['train.csv']);
  assert.deepEqual((nested[0].textEdit as TextEdit).range, { start: { line: 4, character: 16 }, end: { line: 4, character: 18 } });
});

test('build_context completes folders of the manifest dir; build_file files of the context', () => {
  const ctx = context({ fs: memFs(['/cube/mlcube.yaml', '/cube/workspace/', '/project/', '/project/Dockerfile', '/project/src/']) });
  assert.deepEqual(labels(complete('docker:\n  build_context: |\n', ctx)), ['workspace/']);
  assert.deepEqual(labels(complete('docker:\n  build_context: ../|\n', ctx)), ['cube/', 'project/']);
  const files = complete('docker:\n  build_context: "../project"\n  build_file: |\n', ctx);
  assert.deepEqual(labels(files), ['Dockerfile', 'src/']);
  assert.equal(files[0].label, 'Dockerfile');
});

test('parameter names of other tasks are offered for a new parameter', () => {
  const items = complete('tasks:\n  a:\n    parameters:\n      inputs: {data_dir: data/, cfg: c.yaml}\n  b:\n    parameters:\n      inputs:\n        cfg: c.yaml\n        d|\n');
  assert.deepEqual(labels(items), ['data_dir']);
});

test('author keys in a list item; nothing in comments', () => {
  assert.deepEqual(labels(complete('authors:\n  - name: a\n    |\n')), ['email', 'org']);
  assert.deepEqual(complete('tasks: # ta|\n'), []);
});

test('cursorPlace reads the path through block and flow maps', () => {
  const { text, offset } = caret('tasks:\n  t:\n    parameters:\n      inputs: {x: {default: a|}}\n');
  const d = doc('/c/mlcube.yaml', text);
  const place = cursorPlace(text, d.parsed.lines, offset);
  assert.equal(place.mode, 'value');
  assert.deepEqual(place.mode === 'value' && place.path, ['tasks', 't', 'parameters', 'inputs', 'x', 'default']);
});
