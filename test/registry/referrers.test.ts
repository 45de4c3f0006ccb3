/**
 * The referrers path, against a STAND-IN OCI 1.1 registry (standIns.ts; docker-registry 2.8 has no referrers
 * API): the registry answers the cube's push with `OCI-Subject`, so no fallback tag is written, and the image's
 * referrers (filtered by artifact type) list the cube. The engine pushes and pulls the image to and from the
 * stand-in as well.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, cache, engine, writeCube, planCube, configure, removeImageEverywhere } from './helpers';
import { startReferrersRegistry, type StandInRegistry } from './standIns';
import { parseRegistrySetting } from '../../client/src/registry/names';
import { RegistryClient } from '../../client/src/registry/client';
import { cubeContents, deleteVersion, publishCube } from '../../client/src/registry/publish';
import { pullCube } from '../../client/src/registry/pull';
import { MEDIA } from '../../client/src/registry/oci';

let registry: StandInRegistry;
before(async () => { registry = await startReferrersRegistry(); });
after(() => registry.close());

test('with the referrers API, the cube is found as the image\'s referrer and no fallback tag is written', { timeout: 180_000 }, async () => {
  const dir = tempDir('referrers');
  const cube = writeCube(join(dir, 'cube'));
  const { errors, plans } = await planCube(cube.manifest);
  await configure(plans[0]!);
  const client = new RegistryClient({ registry: parseRegistrySetting({ url: `http://${registry.host}` }) });
  const repo = 'team/referred';
  const contents = await cubeContents(cube.manifest, readFileSync(cube.manifest, 'utf8'), plans);
  const result = await publishCube({ client, repository: repo, version: '1', contents, problems: errors, engine, cache: cache(dir) });
  assert.equal(result.referrers, 'api');
  const refs = await client.referrers(repo, result.image.digest, MEDIA.cube);
  assert.equal(refs.via, 'api');
  assert.deepEqual(refs.descriptors.map((d) => [d.digest, d.artifactType]), [[result.digest, MEDIA.cube]]);
  const tags = (await client.tags(repo)).tags;
  assert.deepEqual(tags.filter((t) => t.startsWith('sha256-')), [], 'no fallback tag');
  assert.deepEqual(tags.sort(), ['1', 'image-1']);

  await removeImageEverywhere(cube.image);
  const pulled = await pullCube({ client, repository: repo, reference: '1', dest: join(dir, 'pulled'), cache: cache(join(dir, 'c2')), engine });
  assert.equal(pulled.image?.digest, result.image.digest);

  await deleteVersion(client, repo, '1');
  assert.deepEqual((await client.referrers(repo, result.image.digest, MEDIA.cube)).descriptors, []);
  client.dispose();
});
