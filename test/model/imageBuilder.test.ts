/**
 * Image builders against the real engine: a cube whose Dockerfile names a missing base image that a builder
 * of cubelab.docker.imageBuilders makes (here: by tagging the busybox test image) is configured in one step,
 * the builder's progress reported; a builder that fails stops Configure with its message.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DockerBackend } from '../../client/src/backends/docker/dockerBackend';
import { BASE_IMAGE, docker, removeImage, tempWorkspace, writeFiles } from '../runner/helpers';
import type { Reporter } from '../../client/src/runs/backend';

const tag = randomBytes(4).toString('hex');
const BASE = `cubelab-test/built-base-${tag}:1`;
const IMAGE = `cubelab-test/on-built-base-${tag}:1`;
after(async () => { await removeImage(IMAGE); await removeImage(BASE); });

test('a missing FROM base is made by its builder, then the Dockerfile builds on it', { timeout: 120_000 }, async () => {
  const { dir } = tempWorkspace('image-builder');
  writeFiles(dir, {
    'builder.sh': `set -e\necho "progress: 10/100 starting"\n/usr/bin/docker tag ${BASE_IMAGE} "$1"\necho "made $1"\necho "progress: 100/100 done"\n`,
    'cube/Dockerfile': `FROM ${BASE}\nRUN echo built > /built.txt\n`,
  });
  const backend = new DockerBackend({ name: 'local', imageBuilders: { [BASE.split(':')[0]!]: ['bash', join(dir, 'builder.sh')] } });
  const infos: string[] = [], details: string[] = [], progress: number[] = [];
  const reporter: Reporter = { info: (t) => infos.push(t), detail: (t) => details.push(t), warn: (t) => infos.push(t), progress: (_m, c) => { if (c !== undefined) progress.push(c); } };
  await backend.configure(IMAGE, { strategy: 'auto', context: join(dir, 'cube'), file: join(dir, 'cube', 'Dockerfile'), args: {} }, reporter);
  assert.ok(infos.some((l) => l.includes(`The Dockerfile's base image ${BASE} is missing`)), infos.join('\n'));
  assert.ok(details.includes(`made ${BASE}`));
  assert.deepEqual(progress.slice(0, 2), [10, 100]);
  await docker.getImage(IMAGE).inspect();
  // A second Configure finds the base: the builder does not run again.
  const again: string[] = [];
  await backend.configure(IMAGE, { strategy: 'always', context: join(dir, 'cube'), file: join(dir, 'cube', 'Dockerfile'), args: {} }, { ...reporter, info: (t) => again.push(t), detail: (t) => again.push(t) });
  assert.ok(!again.some((l) => l.includes('made ')), again.join('\n'));
  await backend.dispose();
});

test('a builder that fails stops Configure with its last lines', { timeout: 60_000 }, async () => {
  const { dir } = tempWorkspace('image-builder-fail');
  writeFiles(dir, { 'builder.sh': 'echo "building needs root" >&2\nexit 4\n', 'cube/Dockerfile': `FROM ${BASE}-missing\n` });
  const backend = new DockerBackend({ name: 'local', imageBuilders: { [`${BASE}-missing`]: ['bash', join(dir, 'builder.sh')] } });
  await assert.rejects(
    backend.configure(IMAGE, { strategy: 'auto', context: join(dir, 'cube'), file: join(dir, 'cube', 'Dockerfile'), args: {} }, { info: () => undefined, detail: () => undefined, warn: () => undefined, progress: () => undefined }),
    (e: Error) => /exit code 4/.test(e.message) && /building needs root/.test(e.message));
  await backend.dispose();
});
