/**
 * Publish a cube to Debian's docker-registry (no auth, 127.0.0.1:5010: no referrers API, so the cube is linked
 * to its image through the fallback tag), pull it into another folder with its image by digest, and run it
 * through the run supervisor and the local Docker backend. Then the refusals: a tampered blob in the registry,
 * a tampered cached file, a manifest with errors, a missing image, an existing version.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  setupRegistries, endpoint, clientFor, uniqueRepo, tempDir, cache, engine, writeCube, planCube, configure, runTask,
  removeImageEverywhere, storedBlob,
} from './helpers';
import { publishCube, cubeContents, deleteVersion, moveAlias } from '../../client/src/registry/publish';
import { pullCube } from '../../client/src/registry/pull';
import { RegistryBrowser, listCubes } from '../../client/src/registry/browse';
import { ANNOTATION, MEDIA } from '../../client/src/registry/oci';
import { DigestMismatchError, RegistryError } from '../../client/src/registry/errors';
import { docker } from '../runner/helpers';

before(() => setupRegistries());

async function publishTestCube(repo: string, version: string, opts: { aliases?: string[]; dir?: string } = {}) {
  const dir = opts.dir ?? tempDir('publish');
  const cube = writeCube(join(dir, 'cube'));
  const { errors, plans } = await planCube(cube.manifest);
  assert.deepEqual(errors, [], 'the test cube is clean');
  await configure(plans[0]!);
  const contents = await cubeContents(cube.manifest, readFileSync(cube.manifest, 'utf8'), plans);
  const client = clientFor(endpoint('plain'));
  const result = await publishCube({
    client, repository: repo, version, aliases: opts.aliases ?? [], contents, problems: errors, engine, cache: cache(dir),
    meta: { license: 'MIT', source: 'https://example.invalid/cube.git', revision: 'abc123', authors: 'CubeLab tests' },
  });
  return { dir, cube, contents, client, result };
}

test('publish, browse, pull into another folder with the image by digest, and run the pulled cube', { timeout: 180_000 }, async () => {
  const repo = uniqueRepo('hello');
  const { dir, cube, contents, client, result } = await publishTestCube(repo, '1.0.0', { aliases: ['latest'] });
  assert.deepEqual(contents.parameters.map((p) => p.rel), ['workspace/params.yaml']);
  assert.equal(result.referrers, 'tag', 'docker-registry 2.8 has no referrers API: the fallback tag links the cube');
  assert.deepEqual(result.layers.map((l) => l.file), ['mlcube.yaml', 'workspace/params.yaml', 'additional_files.tar', 'README.md']);

  // The artifact: type, annotations, layers, image pinned by digest as subject.
  const m = await client.manifest(repo, '1.0.0');
  assert.ok('layers' in m.manifest);
  const man = m.manifest as import('../../client/src/registry/oci').ImageManifest;
  assert.equal(man.artifactType, MEDIA.cube);
  assert.equal(man.config.mediaType, MEDIA.cubeConfig);
  assert.deepEqual(man.layers.map((l) => l.mediaType), [MEDIA.cubeManifest, MEDIA.cubeParameters, MEDIA.cubeFiles, MEDIA.cubeCard]);
  assert.equal(man.subject?.digest, result.image.digest);
  const a = man.annotations ?? {};
  for (const k of ['title', 'version', 'description', 'source', 'revision', 'created', 'authors', 'licenses'] as const) assert.ok(a[ANNOTATION[k]], `annotation ${ANNOTATION[k]}`);
  assert.equal(a[ANNOTATION.image], `127.0.0.1:5010/${repo}@${result.image.digest}`);
  const refs = await client.referrers(repo, result.image.digest, MEDIA.cube);
  assert.equal(refs.via, 'tag');
  assert.deepEqual(refs.descriptors.map((d) => d.digest), [result.digest]);

  // Browse: the catalog lists the repository; its version and alias; the card and tasks.
  const browser = new RegistryBrowser(client, 1000);
  let found = false;
  for (let cursor: string | undefined, i = 0; i < 50 && !found; i++) {
    const page = await browser.page(cursor);
    assert.equal(page.source, 'catalog');
    found = page.repositories.includes(repo);
    if (!page.next) break;
    cursor = page.next;
  }
  assert.ok(found, 'the catalog lists the new repository');
  const cubes = await browser.repository(repo);
  assert.deepEqual(cubes.versions.map((v) => [v.tag, v.tasks]), [['1.0.0', ['train']]]);
  assert.deepEqual(cubes.aliases.map((x) => [x.tag, x.targetVersion]), [['latest', '1.0.0']]);
  const details = await browser.cube(repo, cubes.versions[0]!.manifest, cubes.versions[0]!.digest);
  assert.deepEqual(details.cardSummary.tasks, ['train']);
  assert.equal(details.cardSummary.license, 'MIT');
  assert.match(details.card, /# Registry cube/);
  assert.ok(browser.matches(repo, 'train registry'), 'the filter matches tasks and card text');
  assert.ok(!browser.matches(repo, 'no-such-word'));

  // Pull into another folder; the image is removed first so that it must come from the registry by digest.
  await removeImageEverywhere(cube.image);
  const dest = join(dir, 'pulled', 'hello');
  const pulled = await pullCube({ client, repository: repo, reference: 'latest', dest, cache: cache(dir), engine });
  assert.equal(pulled.digest !== result.digest, true, 'the alias is its own manifest');
  assert.equal(pulled.config.version, '1.0.0');
  assert.deepEqual(pulled.files, ['README.md', 'mlcube.yaml', join('workspace', 'additional_files', 'nested', 'weights.txt'), join('workspace', 'additional_files', 'vocab.txt'), join('workspace', 'params.yaml')].sort());
  assert.equal(readFileSync(join(dest, 'mlcube.yaml'), 'utf8'), readFileSync(cube.manifest, 'utf8'));
  assert.equal(readFileSync(join(dest, 'workspace', 'params.yaml'), 'utf8'), 'lr: 0.5\n');
  assert.equal(readFileSync(join(dest, 'workspace', 'additional_files', 'nested', 'weights.txt'), 'utf8'), 'weights v1\n');
  assert.match(readFileSync(join(dest, 'README.md'), 'utf8'), /^---\nlicense: MIT\nname: registry-cube\nversion: 1\.0\.0\n/);
  assert.equal(pulled.image?.pulled, true);
  const info = await docker.getImage(cube.image).inspect();
  assert.ok(info.RepoDigests?.includes(`127.0.0.1:5010/${repo}@${result.image.digest}`), 'the manifest\'s image name is the pinned image');
  assert.deepEqual(readdirSync(join(dir, 'pulled')), ['hello'], 'no staging folder left');

  // Run it.
  const run = await runTask(pulled.manifest);
  assert.deepEqual([run.status, run.exitCode], ['succeeded', 0], run.reason);
  assert.deepEqual(run.lines, ['task train: lr: 0.5', 'done']);
  assert.equal(readFileSync(join(dest, 'workspace', 'model', 'weights.txt'), 'utf8'), 'weights v1\n');
  client.dispose();
});

test('a tampered blob in the registry is refused, naming the file and both digests; nothing is written', { timeout: 120_000 }, async () => {
  const repo = uniqueRepo('tampered');
  const { dir, client, result } = await publishTestCube(repo, '1.0.0');
  const params = result.layers.find((l) => l.file === 'workspace/params.yaml')!;
  const stored = storedBlob('plain', params.digest);
  const original = readFileSync(stored);
  writeFileSync(stored, Buffer.from('lr: 9.9\n'));
  try {
    const dest = join(dir, 'pulled', 'tampered');
    await assert.rejects(pullCube({ client, repository: repo, reference: '1.0.0', dest, cache: cache(join(dir, 'fresh')) }), (e: unknown) => {
      assert.ok(e instanceof DigestMismatchError, String(e));
      assert.equal(e.file, 'workspace/params.yaml');
      assert.equal(e.expected, params.digest);
      assert.match(e.message, /^workspace\/params\.yaml: what 127\.0\.0\.1:5010 sent has digest sha256:[a-f0-9]{64}, but the cube names sha256:[a-f0-9]{64}\. Refused/);
      assert.ok(e.message.includes(params.digest) && e.message.includes(e.actual));
      return true;
    });
    assert.ok(!existsSync(dest), 'the destination was not created');
    assert.deepEqual(readdirSync(join(dir, 'pulled')), [], 'no staging folder left behind');
    assert.ok(!existsSync(join(dir, 'fresh', 'cache', 'sha256', params.digest.slice(7))), 'the bad blob did not enter the cache');
  } finally {
    writeFileSync(stored, original);
  }
  client.dispose();
});

test('a tampered cached file is refused on its next use and dropped from the cache; the next pull fetches it again', { timeout: 120_000 }, async () => {
  const repo = uniqueRepo('cache');
  const { dir, client, result } = await publishTestCube(repo, '1.0.0');
  const c = cache(join(dir, 'c'));
  await pullCube({ client, repository: repo, reference: '1.0.0', dest: join(dir, 'one'), cache: c });
  const tar = result.layers.find((l) => l.file === 'additional_files.tar')!;
  const cached = c.path(tar.digest);
  const bytes = readFileSync(cached);
  bytes[bytes.length - 2000] ^= 0xff;
  writeFileSync(cached, bytes);
  await assert.rejects(pullCube({ client, repository: repo, reference: '1.0.0', dest: join(dir, 'two'), cache: c }), (e: unknown) => {
    assert.ok(e instanceof DigestMismatchError, String(e));
    assert.equal(e.file, 'additional_files.tar');
    assert.ok(e.message.includes(cached), 'the message names the cached file');
    assert.ok(e.message.includes(tar.digest) && e.message.includes(e.actual));
    return true;
  });
  assert.ok(!existsSync(join(dir, 'two')));
  assert.ok(!existsSync(cached), 'the corrupt entry left the cache');
  const again = await pullCube({ client, repository: repo, reference: '1.0.0', dest: join(dir, 'two'), cache: c });
  assert.ok(again.files.includes(join('workspace', 'additional_files', 'vocab.txt')));
  assert.ok(existsSync(cached));
  client.dispose();
});

test('aliases move with a history; a version is deleted (refused while an alias points to it)', { timeout: 180_000 }, async () => {
  const repo = uniqueRepo('alias');
  const first = await publishTestCube(repo, '1.0.0', { aliases: ['latest', 'champion'] });
  const second = await publishTestCube(repo, '1.1.0', { aliases: ['latest'] });
  const client = first.client;
  let cubes = await listCubes(client, repo);
  assert.deepEqual(cubes.versions.map((v) => v.tag).sort(), ['1.0.0', '1.1.0']);
  assert.deepEqual(cubes.aliases.map((a) => [a.tag, a.targetVersion]), [['champion', '1.0.0'], ['latest', '1.1.0']]);
  const latest = cubes.aliases.find((a) => a.tag === 'latest')!;
  assert.deepEqual(latest.history.map((h) => h.version), ['1.0.0', '1.1.0'], 'each move is recorded');

  // Moved on request: champion to 1.1.0.
  const moved = await moveAlias(client, repo, 'champion', '1.1.0');
  assert.equal(moved.moved, true);
  assert.deepEqual(moved.history.map((h) => h.version), ['1.0.0', '1.1.0']);
  assert.equal((await moveAlias(client, repo, 'champion', '1.1.0')).moved, false, 'moving to where it is changes nothing');
  await assert.rejects(moveAlias(client, repo, '1.0.0', '1.1.0'), /1\.0\.0 is a version, not an alias/);
  const pulled = await pullCube({ client, repository: repo, reference: 'champion', dest: join(first.dir, 'champion'), cache: cache(first.dir) });
  assert.equal(pulled.config.version, '1.1.0');

  // Delete 1.1.0: both aliases point to it.
  await assert.rejects(deleteVersion(client, repo, '1.1.0'), (e: unknown) => e instanceof RegistryError && e.code === 'refused' && /"champion", "latest" point to/.test(e.message));
  await moveAlias(client, repo, 'champion', '1.0.0');
  const del = await deleteVersion(client, repo, '1.1.0', { withAliases: true });
  assert.deepEqual(del.aliasesDeleted, ['latest']);
  cubes = await listCubes(client, repo);
  assert.deepEqual(cubes.versions.map((v) => v.tag), ['1.0.0']);
  assert.deepEqual(cubes.aliases.map((a) => [a.tag, a.targetVersion, a.history.length]), [['champion', '1.0.0', 3]]);
  assert.equal(await client.resolve(repo, '1.1.0'), undefined);
  const refs = await client.referrers(repo, second.result.image.digest, MEDIA.cube);
  assert.ok(!refs.descriptors.some((d) => d.digest === second.result.digest), 'the fallback index no longer lists the deleted version');
  client.dispose();
});

test('publish refuses: manifest errors, an image the engine cannot find, an existing version', { timeout: 120_000 }, async () => {
  const dir = tempDir('refuse');
  const broken = writeCube(join(dir, 'broken'), { broken: true });
  const b = await planCube(broken.manifest);
  assert.ok(b.errors.length > 0, 'the broken manifest has errors');
  const client = clientFor(endpoint('plain'));
  const contents = await cubeContents(broken.manifest, readFileSync(broken.manifest, 'utf8'), b.plans);
  const repo = uniqueRepo('refused');
  await assert.rejects(publishCube({ client, repository: repo, version: '1', contents, problems: b.errors, engine, cache: cache(dir) }),
    (e: unknown) => e instanceof RegistryError && e.code === 'refused' && /^Not published: mlcube\.yaml has \d+ error\(s\)/.test(e.message));
  // A clean manifest whose image was never built.
  const clean = writeCube(join(dir, 'clean'));
  const c = await planCube(clean.manifest);
  const cc = await cubeContents(clean.manifest, readFileSync(clean.manifest, 'utf8'), c.plans);
  await assert.rejects(publishCube({ client, repository: repo, version: '1', contents: cc, problems: [], engine, cache: cache(dir) }),
    (e: unknown) => e instanceof RegistryError && e.code === 'refused' && e.message.includes(`the image ${clean.image} cannot be found`));
  assert.equal(await client.resolve(repo, '1'), undefined, 'nothing was pushed');
  // An existing version is never overwritten.
  const ok = await publishTestCube(repo, '2.0.0');
  await assert.rejects(publishCube({ client, repository: repo, version: '2.0.0', contents: ok.contents, engine, cache: cache(dir) }),
    /exists already in 127\.0\.0\.1:5010: versions are never overwritten/);
  await assert.rejects(pullCube({ client, repository: repo, reference: '2.0.0', dest: clean.dir, cache: cache(dir) }), /is not empty/);
  client.dispose();
});
