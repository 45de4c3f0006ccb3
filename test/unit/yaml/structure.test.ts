import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYaml } from '../../../server/src/yaml/parsedDocument';
import { structureDiagnostics } from '../../../server/src/yaml/structure';

const opts = { tool: 'mlcube', uri: 'file:///w/mlcube.yaml' };

test('duplicate keys are reported at the second key, with the first as related information', () => {
  const text = 'name: a\ntasks:\n  train: {}\n  train: {}\nname: b\n';
  const ds = structureDiagnostics(parseYaml(text), opts);
  const dups = ds.filter((d) => d.code === 'duplicate-key');
  assert.equal(dups.length, 2);
  const [task, top] = dups;
  assert.deepEqual(task.range, { start: { line: 3, character: 2 }, end: { line: 3, character: 7 } });
  assert.match(task.message, /Duplicate key "train" in `tasks` \(first defined on line 3\)/);
  assert.deepEqual(top.range, { start: { line: 4, character: 0 }, end: { line: 4, character: 4 } });
  assert.equal(top.relatedInformation?.[0].location.range.start.line, 0);
});

test('a syntax error is reported where the parser stopped, as an error', () => {
  const text = 'tasks:\n  train:\n    entrypoint: "unclosed\n';
  const ds = structureDiagnostics(parseYaml(text), opts);
  assert.ok(ds.length >= 1);
  assert.equal(ds[0].code, 'yaml-syntax');
  assert.equal(ds[0].severity, 1);
  assert.equal(ds[0].range.start.line, 2);
  assert.match(ds[0].message, /mlcube cannot load this file/);
});

test('bad indentation is a syntax error on its line', () => {
  const text = 'tasks:\n  train:\n    parameters: {}\n   bad: 1\n';
  const ds = structureDiagnostics(parseYaml(text), opts);
  assert.ok(ds.some((d) => d.code === 'yaml-syntax' && d.range.start.line === 3), JSON.stringify(ds));
});

test('several documents in one file are refused', () => {
  const ds = structureDiagnostics(parseYaml('a: 1\n---\nb: 2\n'), opts);
  assert.equal(ds.filter((d) => d.code === 'yaml-multiple-documents').length, 1);
});

test('a valid file has no structural diagnostics', () => {
  assert.deepEqual(structureDiagnostics(parseYaml('name: x\ntasks:\n  a: {}\n'), opts), []);
});
