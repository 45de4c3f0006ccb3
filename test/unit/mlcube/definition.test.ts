import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DocumentLink, Location } from 'vscode-languageserver-types';
import { caret } from '../../helpers/caret';
import { context, doc } from '../../helpers/service';
import { definitionInManifest } from '../../../server/src/mlcube/definition';
import { manifestLinks } from '../../../server/src/mlcube/links';
import type { FileAccess, ServiceContext } from '../../../server/src/service/languageService';

const files = new Set(['/cube/workspace/data.yaml', '/proj/Dockerfile']);
const dirs = new Set(['/cube', '/cube/workspace', '/proj', '/cube/workspace/data']);
const fakeFs: FileAccess = { exists: (p) => files.has(p) || dirs.has(p), isDirectory: (p) => dirs.has(p), readDir: () => [] };
const ctx: ServiceContext = context({ fs: fakeFs });

function define(fixture: string): Location | null {
  const { text, offset } = caret(fixture);
  const d = doc('/cube/mlcube.yaml', text, ctx);
  return definitionInManifest(d, d.parsed.lines.positionAt(offset), ctx) as Location | null;
}

const MANIFEST = 'name: mnist\ndocker:\n  image: mlcommons/${na|me}:1\n  build_context: ../proj\ntasks:\n  t:\n    parameters:\n      inputs:\n        cfg: {type: file, default: data.yaml}\n        d: data/\n';

test('${name} goes to the top-level key', () => {
  assert.deepEqual(define(MANIFEST), { uri: 'file:///cube/mlcube.yaml', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 4 } } });
});

test('${docker.image} and ${runner.image} go to docker.image', () => {
  const text = MANIFEST.replace('${na|me}', '${name}') + '      outputs:\n        o: {type: file, default: "${docker.ima|ge}/x"}\n';
  const loc = define(text);
  assert.deepEqual(loc?.range, { start: { line: 2, character: 2 }, end: { line: 2, character: 7 } });
  assert.deepEqual(define(text.replace('${docker.ima|ge}', '${runner.im|age}'))?.range, loc?.range);
});

test('resolvers and unknown keys go nowhere', () => {
  assert.equal(define(MANIFEST.replace('${na|me}', '${oc.env:HO|ME}')), null);
  assert.equal(define(MANIFEST.replace('${na|me}', '${nope|}')), null);
});

test('a parameter path goes to the file in the workspace; a folder does not', () => {
  const text = MANIFEST.replace('${na|me}', 'x').replace('default: data.yaml', 'default: da|ta.yaml');
  assert.deepEqual(define(text), { uri: 'file:///cube/workspace/data.yaml', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } });
  assert.equal(define(MANIFEST.replace('${na|me}', 'x').replace('d: data/', 'd: da|ta/')), null);
});

test('build_file goes to the Dockerfile under build_context', () => {
  const text = MANIFEST.replace('${na|me}', 'x').replace('  build_context: ../proj\n', '  build_context: ../proj\n  build_file: Docker|file\n');
  assert.equal(define(text)?.uri, 'file:///proj/Dockerfile');
});

test('document links cover existing files only, without quotes', () => {
  const text = MANIFEST.replace('${na|me}', 'x').replace('default: data.yaml', 'default: "data.yaml"').replace('../proj\n', '../proj\n  build_file: Dockerfile\n') + '        missing: {type: file, default: nope.txt}\n';
  const d = doc('/cube/mlcube.yaml', text, ctx);
  const links: DocumentLink[] = manifestLinks(d, ctx);
  assert.deepEqual(links.map((l) => l.target), ['file:///cube/workspace/data.yaml', 'file:///proj/Dockerfile']);
  assert.deepEqual(links[0].range, { start: { line: 9, character: 36 }, end: { line: 9, character: 45 } });
});
