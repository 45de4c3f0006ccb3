import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, doc } from '../../helpers/service';
import { manifestCodeLenses } from '../../../server/src/mlcube/lenses';
import { findManifestFiles, listCubes } from '../../../server/src/cubes';
import type { FileAccess } from '../../../server/src/service/languageService';

const TEXT = [
  'name: hello', //                   0
  'docker:', //                       1
  '  image: cubelab/hello:1', //      2
  'tasks:', //                        3
  '  greet:', //                      4
  '    parameters:', //               5
  '      outputs: {out: out/}', //    6
  '  "long run": {}', //              7
  '',
].join('\n');

test('each task gets "▶ Run", "Sweep…" and "Configure" lenses on its key, naming the client commands', () => {
  const lenses = manifestCodeLenses(doc('/c/mlcube.yaml', TEXT));
  assert.deepEqual(lenses.map((l) => [l.range.start.line, l.range.start.character, l.range.end.character, l.command?.title, l.command?.command, l.command?.arguments]), [
    [4, 2, 7, '▶ Run', 'cubelab.runTask', ['file:///c/mlcube.yaml', 'greet']],
    [4, 2, 7, 'Sweep…', 'cubelab.runSweep', ['file:///c/mlcube.yaml', 'greet']],
    [4, 2, 7, 'Configure', 'cubelab.configureCube', ['file:///c/mlcube.yaml', 'greet']],
    [7, 2, 12, '▶ Run', 'cubelab.runTask', ['file:///c/mlcube.yaml', 'long run']],
    [7, 2, 12, 'Sweep…', 'cubelab.runSweep', ['file:///c/mlcube.yaml', 'long run']],
    [7, 2, 12, 'Configure', 'cubelab.configureCube', ['file:///c/mlcube.yaml', 'long run']],
  ]);
});

test('a manifest without tasks has no lenses', () => {
  assert.deepEqual(manifestCodeLenses(doc('/c/mlcube.yaml', 'name: x\ndocker:\n  image: a/b:1\ntasks: {}\n')), []);
});

/** An in-memory tree: folders are objects, files are strings. */
function memFs(tree: Record<string, unknown>): FileAccess {
  const at = (p: string): unknown => p.split('/').filter(Boolean).reduce<unknown>((n, k) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), tree);
  return {
    exists: (p) => at(p) !== undefined,
    isDirectory: (p) => typeof at(p) === 'object',
    readDir: (p) => { const n = at(p); return n && typeof n === 'object' ? Object.keys(n) : []; },
    readFile: (p) => { const n = at(p); return typeof n === 'string' ? n : undefined; },
  };
}

const ws = memFs({
  w: {
    'mlcube.yaml': TEXT,
    a: { b: { 'mlcube_gpu.yaml': 'docker:\n  image: x/y:1\ntasks:\n  train: {}\n' } },
    node_modules: { pkg: { 'mlcube.yaml': TEXT } },
    '.git': { 'mlcube.yaml': TEXT },
    '.cubelab': { runs: { 'mlcube.yaml': TEXT } },
    'notes.yaml': TEXT,
  },
});

test('the walk finds mlcube*.yaml files and skips node_modules, .git and .cubelab', () => {
  const ctx = context({ fs: ws, workspaceFolders: ['/w'] });
  assert.deepEqual(findManifestFiles(['/w'], ctx), { files: ['/w/mlcube.yaml', '/w/a/b/mlcube_gpu.yaml'], truncated: false });
  // Bounded: depth and folder count.
  assert.deepEqual(findManifestFiles(['/w'], ctx, { maxDepth: 1, maxDirs: 100, maxManifests: 10 }), { files: ['/w/mlcube.yaml'], truncated: false });
  assert.deepEqual(findManifestFiles(['/w'], ctx, { maxDepth: 8, maxDirs: 2, maxManifests: 10 }), { files: ['/w/mlcube.yaml'], truncated: true });
});

test('listCubes names each cube and lists its tasks with ranges; an open document wins over the disk', () => {
  const ctx = context({ fs: ws, workspaceFolders: ['/w'] });
  const res = listCubes(ctx, []);
  assert.equal(res.truncated, false);
  assert.deepEqual(res.cubes.map((c) => [c.uri, c.name, c.tasks.map((t) => [t.name, t.range.start.line])]), [
    ['file:///w/a/b/mlcube_gpu.yaml', 'b', [['train', 3]]],
    ['file:///w/mlcube.yaml', 'hello', [['greet', 4], ['long run', 7]]],
  ]);
  const edited = doc('/w/mlcube.yaml', 'name: hello2\ndocker:\n  image: a/b:1\ntasks:\n  only: {}\n', ctx);
  const again = listCubes(ctx, [edited]);
  assert.deepEqual(again.cubes.map((c) => [c.name, c.tasks.map((t) => t.name)]), [['b', ['train']], ['hello2', ['only']]]);
});
