/**
 * The default build context (issue 14): CubeLab's own `.cubelab/` folder is never sent, a symbolic link is sent
 * as a link (never followed out of the context), the walk is asynchronous and bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildContextFiles } from '../../../client/src/backends/docker/buildContext';

test('build context: .cubelab/ is left out, links are listed as themselves, nothing outside is walked', async () => {
  const root = mkdtempSync(join(tmpdir(), 'cubelab-ctx-'));
  const outside = mkdtempSync(join(tmpdir(), 'cubelab-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'not for the image');
  mkdirSync(join(root, 'src', 'deep'), { recursive: true });
  writeFileSync(join(root, 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(join(root, 'src', 'deep', 'a.py'), 'print(1)\n');
  mkdirSync(join(root, '.cubelab', 'runs', 'r1'), { recursive: true });
  writeFileSync(join(root, '.cubelab', 'runs', 'r1', 'run.log'), 'a log\n');
  symlinkSync(outside, join(root, 'data-link'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'src', 'file-link'));
  const pending = buildContextFiles(root);
  assert.ok(pending instanceof Promise, 'walked asynchronously');
  assert.deepEqual(await pending, ['Dockerfile', 'data-link', 'src/deep/a.py', 'src/file-link']);
});

test('build context: a context with too many files is refused with a message', async () => {
  const root = mkdtempSync(join(tmpdir(), 'cubelab-ctx-many-'));
  for (let i = 0; i < 30; i++) writeFileSync(join(root, `f${i}`), '');
  await assert.rejects(buildContextFiles(root, 20), /holds more than 20 files; narrow docker.build_context or add a .dockerignore/);
});
