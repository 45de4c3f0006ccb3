/**
 * The registry behind TLS with htpasswd auth (docker-registry on 127.0.0.1:5011, a CA of the test's own made by
 * test/env/setup-registry.sh with Debian's openssl): an untrusted certificate and a wrong password are refused
 * with clear messages; credentials come from Docker's config (auths, a credential helper of the test's own
 * speaking the helper protocol, credsStore) or VS Code's secret storage; a cube is published (its image pushed
 * by the engine with those credentials) and pulled back.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { setupRegistries, endpoint, clientFor, tlsPassword, uniqueRepo, tempDir, cache, engine, writeCube, planCube, configure, removeImageEverywhere, USER } from './helpers';
import { parseRegistrySetting } from '../../client/src/registry/names';
import { RegistryError } from '../../client/src/registry/errors';
import { credentialProvider, findCredentials, helperErase, helperStore, storeSecret, type SecretStore } from '../../client/src/registry/credentials';
import { cubeContents, publishCube } from '../../client/src/registry/publish';
import { pullCube } from '../../client/src/registry/pull';
import { RegistryClient } from '../../client/src/registry/client';

before(() => setupRegistries());
const HOST = '127.0.0.1:5011';
const fixtures = join(__dirname, 'fixtures');
const helperEnv = (store: string): NodeJS.ProcessEnv => ({ ...process.env, PATH: [fixtures, dirname(process.execPath), process.env.PATH ?? ''].join(delimiter), CUBELAB_TEST_HELPER_STORE: store });

class MapSecrets implements SecretStore {
  readonly map = new Map<string, string>();
  async get(k: string) { return this.map.get(k); }
  async store(k: string, v: string) { this.map.set(k, v); }
  async delete(k: string) { this.map.delete(k); }
}

test('an untrusted certificate is refused with a message that says what to do', async () => {
  const reg = parseRegistrySetting({ name: 'tls', url: `https://${HOST}` }); // no caFile: the test CA is not in the system store
  const client = clientFor(reg, { username: USER, password: tlsPassword(), source: 'test' });
  await assert.rejects(client.ping(), (e: unknown) => {
    assert.ok(e instanceof RegistryError);
    assert.equal(e.code, 'tls');
    assert.match(e.message, /^The TLS certificate of https:\/\/127\.0\.0\.1:5011 is not trusted \((self[- ]signed|unable to verify|unable to get).*\)\. If the registry uses a private CA, set "caFile" for it in cubelab\.registries/);
    return true;
  });
  client.dispose();
});

test('a wrong password is refused with a message naming the user and where the credentials came from (never the password)', async () => {
  const client = clientFor(endpoint('tls'), { username: USER, password: 'not-the-password', source: 'Docker config (auths)' });
  await assert.rejects(client.ping(), (e: unknown) => {
    assert.ok(e instanceof RegistryError);
    assert.equal(e.code, 'auth');
    assert.match(e.message, /^127\.0\.0\.1:5011 refused the credentials of user "cubelab" \(from Docker config \(auths\)\): wrong user name or password/);
    assert.ok(!e.message.includes('not-the-password'));
    return true;
  });
  const none = clientFor(endpoint('tls'));
  await assert.rejects(none.ping(), /127\.0\.0\.1:5011 needs credentials, and CubeLab found none for it/);
  client.dispose(); none.dispose();
});

test('credentials from Docker config: auths, a credential helper (credHelpers), credsStore; and from secret storage', async () => {
  const dir = tempDir('creds');
  const password = tlsPassword();
  // auths (base64 user:password)
  const authsDir = join(dir, 'auths');
  mkdirSync(authsDir);
  writeFileSync(join(authsDir, 'config.json'), JSON.stringify({ auths: { [HOST]: { auth: Buffer.from(`${USER}:${password}`).toString('base64') } } }));
  const fromAuths = await findCredentials(HOST, { dockerConfigDir: authsDir });
  assert.deepEqual(fromAuths, { username: USER, password, source: 'Docker config (auths)' });
  const c1 = new RegistryClient({ registry: endpoint('tls'), credentials: credentialProvider(HOST, { dockerConfigDir: authsDir }) });
  await c1.ping();
  assert.ok((await c1.catalog(10)).repositories !== undefined);
  c1.dispose();

  // credHelpers: the helper of the test's own, through the helper protocol (store, get, erase).
  const store = join(dir, 'helper-store.json');
  const env = helperEnv(store);
  await helperStore('cubelab-test', HOST, USER, password, env);
  const helperDir = join(dir, 'helpers');
  mkdirSync(helperDir);
  writeFileSync(join(helperDir, 'config.json'), JSON.stringify({ auths: { [HOST]: {} }, credHelpers: { [HOST]: 'cubelab-test' } }));
  const viaHelper = await findCredentials(HOST, { dockerConfigDir: helperDir, env });
  assert.deepEqual(viaHelper, { username: USER, password, source: 'credential helper "cubelab-test"' });
  const c2 = new RegistryClient({ registry: endpoint('tls'), credentials: credentialProvider(HOST, { dockerConfigDir: helperDir, env }) });
  await c2.ping();
  c2.dispose();
  assert.match(readFileSync(`${store}.log`, 'utf8'), /^store 127\.0\.0\.1:5011\nget 127\.0\.0\.1:5011\n/);

  // credsStore: the same helper as the default store; a host it does not know falls through to nothing.
  const storeDir = join(dir, 'store');
  mkdirSync(storeDir);
  writeFileSync(join(storeDir, 'config.json'), JSON.stringify({ credsStore: 'cubelab-test' }));
  assert.equal((await findCredentials(HOST, { dockerConfigDir: storeDir, env }))?.source, 'credential helper "cubelab-test"');
  assert.equal(await findCredentials('127.0.0.1:5999', { dockerConfigDir: storeDir, env }), undefined);
  await helperErase('cubelab-test', HOST, env);
  assert.equal(await findCredentials(HOST, { dockerConfigDir: storeDir, env }), undefined);

  // A helper named in the config but missing from the PATH: said so.
  writeFileSync(join(storeDir, 'config.json'), JSON.stringify({ credHelpers: { [HOST]: 'no-such-helper' } }));
  await assert.rejects(findCredentials(HOST, { dockerConfigDir: storeDir, env }), /docker-credential-no-such-helper \(named in Docker's config\) is not on the PATH/);

  // Secret storage comes first; mode "docker" ignores it, "none" uses nothing.
  const secrets = new MapSecrets();
  await storeSecret(secrets, HOST, USER, password);
  assert.deepEqual(await findCredentials(HOST, { secrets, dockerConfigDir: authsDir }), { username: USER, password, source: 'VS Code secret storage' });
  assert.equal((await findCredentials(HOST, { secrets, dockerConfigDir: authsDir, mode: 'docker' }))?.source, 'Docker config (auths)');
  assert.equal(await findCredentials(HOST, { secrets, dockerConfigDir: authsDir, mode: 'none' }), undefined);
  const c3 = new RegistryClient({ registry: endpoint('tls'), credentials: credentialProvider(HOST, { secrets }) });
  await c3.ping();
  c3.dispose();
});

test('publish to and pull from the TLS + htpasswd registry (the engine pushes and pulls the image with the same credentials)', { timeout: 180_000 }, async () => {
  const dir = tempDir('tls');
  const cube = writeCube(join(dir, 'cube'));
  const { errors, plans } = await planCube(cube.manifest);
  await configure(plans[0]!);
  const cred = { username: USER, password: tlsPassword(), source: 'test' };
  const client = clientFor(endpoint('tls'), cred);
  const repo = uniqueRepo('tls');
  const contents = await cubeContents(cube.manifest, readFileSync(cube.manifest, 'utf8'), plans);
  const result = await publishCube({ client, repository: repo, version: '0.1', contents, problems: errors, engine, credentials: async () => cred, cache: cache(dir) });
  assert.equal(result.referrers, 'tag');
  await removeImageEverywhere(cube.image);
  const pulled = await pullCube({ client, repository: repo, reference: '0.1', dest: join(dir, 'pulled'), cache: cache(join(dir, 'other')), engine, credentials: async () => cred });
  assert.equal(pulled.image?.digest, result.image.digest);
  assert.equal(readFileSync(pulled.manifest, 'utf8'), readFileSync(cube.manifest, 'utf8'));
  client.dispose();
});
