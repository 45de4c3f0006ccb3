/**
 * `cubelab check -`: one document from stdin, recognised by content, or by the name --stdin-filename gives it, with
 * the same diagnostics the language service gives the file; together with paths; a document that is neither a
 * manifest nor a config is said so and not checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cli, removeDir, serviceDiagnostics, tempDir, writeFiles, asJson, type JsonReport } from './helpers';

const BROKEN = 'name: broken\ndocker:\n  image: busybox\n  build_strategy: sometimes\ntasks:\n  train:\n    parameters:\n      inputs:\n        data: {type: directory, default: data}\n';

test('check -: a manifest from stdin, recognised by content, its diagnostics as the language service gives them', async (t) => {
  const dir = tempDir('stdin');
  t.after(() => removeDir(dir));
  const r = await cli(['check', '--format', 'json', '-'], { cwd: dir, input: BROKEN });
  assert.equal(r.code, 1, r.stderr);
  const rep = JSON.parse(r.stdout) as JsonReport;
  assert.deepEqual(rep.files, [{ file: '<stdin>', kind: 'mlcube', problems: rep.diagnostics.length }]);
  const want = serviceDiagnostics(join(dir, 'stdin.yaml'), BROKEN, dir).diagnostics.map((d) => asJson('<stdin>', d));
  assert.deepEqual(rep.diagnostics, want);
  assert.ok(rep.diagnostics.some((d) => d.code === 'mlcube/bad-build-strategy' && d.severity === 'error' && d.line === 4));

  const text = await cli(['check', '-'], { cwd: dir, input: BROKEN });
  assert.equal(text.code, 1);
  assert.match(text.stdout, /^<stdin>:4:19: error mlcube\/bad-build-strategy: /m);
});

test('check - --stdin-filename: recognised by that name, shown under it; with paths; something else is said so', async (t) => {
  const dir = tempDir('stdin-name');
  t.after(() => removeDir(dir));
  writeFiles(dir, { 'cube/mlcube.yaml': 'docker: {image: busybox}\ntasks:\n  t: {}\n' });
  // An MLgym run config, by its name only (its content alone would not say so).
  const run = 'gs_config_path: ./gs_config.yml\n';
  const named = await cli(['check', '--format', 'json', '-', '--stdin-filename', 'configs/run_config.yml', 'cube'], { cwd: dir, input: run });
  const rep = JSON.parse(named.stdout) as JsonReport;
  assert.deepEqual(rep.files.map((f) => [f.file, f.kind]), [['configs/run_config.yml', 'mlgym-run'], ['cube/mlcube.yaml', 'mlcube']]);
  const want = serviceDiagnostics(join(dir, 'configs', 'run_config.yml'), run, dir).diagnostics.map((d) => asJson('configs/run_config.yml', d));
  assert.deepEqual(rep.diagnostics.filter((d) => d.file === 'configs/run_config.yml'), want);
  assert.equal(named.code, want.some((d) => d.severity === 'error') ? 1 : 0);

  const unnamed = await cli(['check', '--format', 'json', '-'], { cwd: dir, input: run });
  assert.deepEqual((JSON.parse(unnamed.stdout) as JsonReport).files, [], 'without its name, the content does not say run config');

  const other = await cli(['check', '-'], { cwd: dir, input: 'just: a mapping\n' });
  assert.equal(other.code, 0);
  assert.match(other.stderr, /<stdin> is neither an MLCube manifest nor an MLgym config/);
  assert.match(other.stdout, /^No problems; 0 files checked\.$/m);

  const twice = await cli(['check', '-', '-'], { cwd: dir, input: '' });
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /"-" \(stdin\) may be given once/);
  const nameAlone = await cli(['check', '--stdin-filename', 'x.yaml'], { cwd: dir });
  assert.equal(nameAlone.code, 2);
  assert.match(nameAlone.stderr, /--stdin-filename needs "-"/);
});
