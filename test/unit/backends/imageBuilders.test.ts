/**
 * Image builders (client/src/backends/docker/imageBuilders.ts): which FROM lines name base images, how an image
 * finds its builder, a real builder process (progress lines, log lines, failure, cancel), and the model image's
 * name: the demo cubes' Dockerfiles name exactly the tag scripts/build-model-image.sh derives from its package
 * list, and their Dockerfile.registry installs the same packages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builderFor, dockerfileBaseImages, imageRepository, runImageBuilder, sanitizeBuilders } from '../../../client/src/backends/docker/imageBuilders';
import type { Reporter } from '../../../client/src/runs/backend';

const root = join(__dirname, '..', '..', '..');

test('base images of a Dockerfile: stages, scratch and build arguments left out', () => {
  const text = [
    '# syntax=docker/dockerfile:1', 'ARG BASE=x', 'FROM --platform=linux/amd64 cubelab/python-sklearn:abc AS build',
    'RUN make', 'from build AS final', 'FROM scratch', 'FROM ${BASE}', 'FROM \\', '  127.0.0.1:5000/team/base:2',
  ].join('\n');
  assert.deepEqual(dockerfileBaseImages(text), ['cubelab/python-sklearn:abc', '127.0.0.1:5000/team/base:2']);
});

test('an image finds its builder by full name first, then by repository', () => {
  assert.equal(imageRepository('127.0.0.1:5000/a/b:1'), '127.0.0.1:5000/a/b');
  assert.equal(imageRepository('a/b@sha256:00'), 'a/b');
  assert.equal(imageRepository('localhost:5000/a'), 'localhost:5000/a');
  const b = sanitizeBuilders({ 'a/b': ['x'], 'a/b:2': ['y'], bad: 'sh -c', empty: [], mixed: ['a', 3] });
  assert.deepEqual(Object.keys(b), ['a/b', 'a/b:2']);
  assert.deepEqual(builderFor('a/b:1', b), ['x']);
  assert.deepEqual(builderFor('a/b:2', b), ['y']);
  assert.equal(builderFor('a/c:1', b), undefined);
});

function recorder() {
  const infos: string[] = [], details: string[] = [], progress: [string, number | undefined, number | undefined][] = [];
  const reporter: Reporter = { info: (t) => infos.push(t), detail: (t) => details.push(t), warn: (t) => infos.push(t), progress: (m, c, t) => progress.push([m, c, t]) };
  return { reporter, infos, details, progress };
}

test('a builder runs with the image as its last argument; progress lines become progress', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-builder-'));
  const script = join(dir, 'b.sh');
  writeFileSync(script, 'echo "building $1"\necho "progress: 50/100 half way"\necho oops >&2\necho "progress: 100/100 done"\n');
  const r = recorder();
  await runImageBuilder(['bash', script], 'a/b:1', r.reporter);
  assert.deepEqual(r.details, ['building a/b:1', 'oops']);
  assert.deepEqual(r.progress, [['half way', 50, 100], ['done', 100, 100]]);
  assert.match(r.infos.join('\n'), /Made a\/b:1 in/);
});

test('a failing builder is an error with its last lines; a cancelled one is stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-builder-'));
  writeFileSync(join(dir, 'fail.sh'), 'echo first\necho "needs root" >&2\nexit 3\n');
  await assert.rejects(runImageBuilder(['bash', join(dir, 'fail.sh')], 'a/b:1', recorder().reporter), (e: Error) => /exit code 3/.test(e.message) && /needs root/.test(e.message));
  writeFileSync(join(dir, 'slow.sh'), 'sleep 30\n');
  let cancel: () => void = () => undefined;
  const token = { cancelled: false, onCancel: (l: () => void) => { cancel = l; } };
  const started = Date.now();
  const p = runImageBuilder(['bash', join(dir, 'slow.sh')], 'a/b:1', recorder().reporter, { cancel: token });
  setTimeout(() => { token.cancelled = true; cancel(); }, 200);
  await assert.rejects(p, /cancelled/);
  assert.ok(Date.now() - started < 10_000);
});

test('the demo cubes name the model image the package list makes, and install the same packages for registries', () => {
  const list = readFileSync(join(root, 'scripts/model-image/packages.txt'), 'utf8');
  const suite = /^# suite: *(\S+)/m.exec(list)?.[1];
  const variant = /^# variant: *(\S+)/m.exec(list)?.[1];
  const packages = [...new Set(list.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.trim()).filter(Boolean))].sort();
  assert.ok(suite && variant && packages.includes('python3-sklearn') && packages.includes('python3-pil'));
  const key = createHash('sha256').update([suite, variant, ...packages].join('\n') + '\n').digest('hex').slice(0, 12);
  for (const cube of ['digits-cube', 'digits-detect-cube']) {
    const dockerfile = readFileSync(join(root, 'examples', cube, 'Dockerfile'), 'utf8');
    assert.deepEqual(dockerfileBaseImages(dockerfile), [`cubelab/python-sklearn:${key}`], cube);
    const registry = readFileSync(join(root, 'examples', cube, 'Dockerfile.registry'), 'utf8');
    assert.deepEqual(dockerfileBaseImages(registry), ['debian:bookworm-slim']);
    const installed = /apt-get install -y --no-install-recommends ([^&\\]+)/.exec(registry)?.[1]?.trim().split(/\s+/).sort();
    assert.deepEqual(installed, packages, cube);
  }
  const settings = readFileSync(join(root, 'examples/.vscode/settings.json'), 'utf8');
  assert.match(settings, /"cubelab\/python-sklearn": \["bash", "\$\{workspaceFolder\}\/\.\.\/scripts\/build-model-image\.sh"\]/);
});
