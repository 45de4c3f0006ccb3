/**
 * The `auth: token` registry (docker-registry on 127.0.0.1:5012) with the tests' own token issuer, a stand-in
 * (tokenIssuer.ts): bearer tokens per scope, a wrong password refused by the token service, an OAuth2 refresh
 * token (Docker's identity token), and the catalog turned off: the Registries data layer lists the
 * repositories the user named instead. A cube is published (the engine pushes its image through the same
 * token service) and pulled back.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupRegistries, endpoint, clientFor, tokenPassword, uniqueRepo, tempDir, cache, engine, writeCube, planCube, configure, removeImageEverywhere, USER } from './helpers';
import { startTokenIssuer, type Issuer } from './tokenIssuer';
import { RegistryError } from '../../client/src/registry/errors';
import { RegistryBrowser } from '../../client/src/registry/browse';
import { cubeContents, publishCube } from '../../client/src/registry/publish';
import { pullCube } from '../../client/src/registry/pull';

let issuer: Issuer;
before(async () => { setupRegistries(); issuer = await startTokenIssuer(); });
after(() => issuer.close());

test('a wrong password is refused by the token service; no credentials: the registry says it needs some', async () => {
  const wrong = clientFor(endpoint('token'), { username: USER, password: 'wrong', source: 'VS Code secret storage' });
  await assert.rejects(wrong.ping(), (e: unknown) => e instanceof RegistryError && e.code === 'auth'
    && /^The token service of 127\.0\.0\.1:5012 \(127\.0\.0\.1:5013\) refused the credentials of user "cubelab" \(from VS Code secret storage\): wrong user name or password\.$/.test(e.message));
  const none = clientFor(endpoint('token'));
  await assert.rejects(none.tags('cubelab-test/anything'), /127\.0\.0\.1:5012 (needs credentials|denied)/);
  wrong.dispose(); none.dispose();
});

test('publish and pull through bearer tokens; the catalog is refused, so the listed repositories are browsed', { timeout: 180_000 }, async () => {
  const dir = tempDir('token');
  const cube = writeCube(join(dir, 'cube'), { name: 'token-cube' });
  const { errors, plans } = await planCube(cube.manifest);
  await configure(plans[0]!);
  const cred = { username: USER, password: tokenPassword(), source: 'VS Code secret storage' };
  const repo = uniqueRepo('token');
  const client = clientFor(endpoint('token', { repositories: [repo, 'cubelab-test/listed-but-empty'] }), cred);
  const contents = await cubeContents(cube.manifest, readFileSync(cube.manifest, 'utf8'), plans);
  const result = await publishCube({ client, repository: repo, version: '3.0.0', aliases: ['latest'], contents, problems: errors, engine, credentials: async () => cred, cache: cache(dir) });
  assert.equal(result.referrers, 'tag');
  assert.ok(issuer.requests.some((r) => r.granted.includes(`repository:${repo}:pull,push`)), 'push tokens were issued for the repository');
  assert.ok(client.http.stats.tokens < 20, `tokens are cached per scope (${client.http.stats.tokens} fetched)`);

  // The catalog is turned off (the issuer never grants registry:catalog:*): the listed repositories instead.
  const browser = new RegistryBrowser(client, 1);
  const first = await browser.page();
  assert.equal(first.source, 'listed');
  assert.match(first.note ?? '', /^127\.0\.0\.1:5012 does not serve its catalog to CubeLab \(.+\); showing the repositories listed for it in cubelab\.registries\.$/);
  const pages = [first.repositories];
  for (let p = first; p.next; ) { p = await browser.page(p.next); pages.push(p.repositories); }
  assert.deepEqual(pages, [['cubelab-test/listed-but-empty'], [repo]], 'paged, in order');
  const cubes = await browser.repository(repo);
  assert.deepEqual(cubes.versions.map((v) => v.tag), ['3.0.0']);
  assert.deepEqual((await browser.repository('cubelab-test/listed-but-empty')).versions, []);

  await removeImageEverywhere(cube.image);
  const pulled = await pullCube({ client, repository: repo, reference: 'latest', dest: join(dir, 'pulled'), cache: cache(join(dir, 'c2')), engine, credentials: async () => cred });
  assert.equal(pulled.config.name, 'token-cube');
  assert.equal(pulled.image?.pulled, true);
  client.dispose();
});

test('an identity token (OAuth2 refresh token, as a helper\'s "<token>" user) gets access tokens by POST', async () => {
  // The issuer hands out its refresh token to a password login asking for an offline token, as Docker's login does.
  const res = await fetch(`http://127.0.0.1:5013/token?service=cubelab-test-registry&offline_token=true`, { headers: { authorization: `Basic ${Buffer.from(`${USER}:${tokenPassword()}`).toString('base64')}` } });
  const refresh = ((await res.json()) as { refresh_token: string }).refresh_token;
  const client = clientFor(endpoint('token'), { username: '', identityToken: refresh, source: 'credential helper "test"' });
  await client.tags('cubelab-test/anything');
  assert.ok(issuer.requests.some((r) => r.user === USER && r.scopes.includes('repository:cubelab-test/anything:pull')));
  const bad = clientFor(endpoint('token'), { username: '', identityToken: 'expired', source: 'credential helper "test"' });
  await assert.rejects(bad.tags('cubelab-test/anything'), /refused the credentials of the identity token \(from credential helper "test"\)/);
  client.dispose(); bad.dispose();
});
