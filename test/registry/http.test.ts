/**
 * The HTTP layer: 429 and 5xx retried with backoff (a STAND-IN registry that answers 503/429 first), HTTPS
 * through an HTTP proxy (a STAND-IN CONNECT proxy in front of the TLS registry) unless the host is in the
 * no-proxy list, plain HTTP only for loopback addresses, registry settings, and the challenge parser.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { setupRegistries, endpoint, clientFor, tlsPassword, USER } from './helpers';
import { startConnectProxy, startFlakyRegistry } from './standIns';
import { parseRegistrySetting, isLoopback, repositoryFor, isRepositoryName, checkVersionTag } from '../../client/src/registry/names';
import { parseChallenge } from '../../client/src/registry/http';
import { RegistryClient, nextLast } from '../../client/src/registry/client';
import { RegistryError, untrusted } from '../../client/src/registry/errors';

before(() => setupRegistries());

test('429 (Retry-After) and 503 are retried with backoff; a registry that keeps failing is reported after the last attempt', async () => {
  const flaky = await startFlakyRegistry([503, 429, 502]);
  const client = new RegistryClient({ registry: parseRegistrySetting({ url: `http://127.0.0.1:${flaky.port}` }), retry: { attempts: 4, baseMs: 20 } });
  await client.ping();
  assert.equal(flaky.seen, 4);
  assert.equal(client.http.stats.retries, 3);
  client.dispose();
  await flaky.close();

  const down = await startFlakyRegistry([503, 503, 503, 503, 503]);
  const c2 = new RegistryClient({ registry: parseRegistrySetting({ url: `http://127.0.0.1:${down.port}` }), retry: { attempts: 3, baseMs: 10 } });
  await assert.rejects(c2.ping(), /answered HTTP 503 \(UNAVAILABLE status 503\)/);
  assert.equal(down.seen, 3);
  c2.dispose();
  await down.close();
});

test('HTTPS goes through the proxy (a CONNECT tunnel) unless the host is in the no-proxy list', async () => {
  const proxy = await startConnectProxy();
  const cred = { username: USER, password: tlsPassword(), source: 'test' };
  const via = clientFor(endpoint('tls'), cred, { proxy: { url: `http://127.0.0.1:${proxy.port}` }, env: {} });
  await via.ping();
  await via.catalog(5);
  assert.deepEqual([...new Set(proxy.tunnels)], ['127.0.0.1:5011']);
  assert.equal(proxy.tunnels.length, 1, 'the tunnel is kept alive for later requests');
  via.dispose();
  const direct = clientFor(endpoint('tls'), cred, { proxy: { url: `http://127.0.0.1:${proxy.port}`, noProxy: ['127.0.0.1'] }, env: {} });
  await direct.ping();
  assert.equal(proxy.tunnels.length, 1, 'no tunnel for a no-proxy host');
  direct.dispose();
  const env = clientFor(endpoint('tls'), cred, { env: { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` } });
  await env.ping();
  assert.equal(proxy.tunnels.length, 2, 'HTTPS_PROXY is honoured');
  env.dispose();
  await proxy.close();
  // Plain-HTTP (loopback) registries never go through a proxy.
  const plain = clientFor(endpoint('plain'), undefined, { proxy: { url: 'http://127.0.0.1:9' }, env: {} });
  await plain.ping();
  plain.dispose();
});

test('plain HTTP only for loopback; settings never carry credentials; URLs and names are checked', () => {
  assert.throws(() => parseRegistrySetting({ url: 'http://registry.example.com' }), /plain HTTP is allowed for loopback addresses only/);
  assert.throws(() => parseRegistrySetting({ url: 'https://user:pw@ghcr.io' }), /holds credentials: CubeLab never reads them from settings/);
  assert.throws(() => parseRegistrySetting({ url: 'https://ghcr.io/v2/' }), /has a path/);
  assert.throws(() => parseRegistrySetting({ url: 'ftp://x' }), /is not http or https/);
  const gh = parseRegistrySetting({ url: 'ghcr.io', namespace: 'team', repositories: ['team/a', 'Bad Name'] });
  assert.deepEqual([gh.scheme, gh.host, gh.base, gh.repositories, gh.catalog, gh.namespace], ['https', 'ghcr.io', 'https://ghcr.io/', ['team/a'], true, 'team']);
  assert.equal(parseRegistrySetting({ url: 'docker.io' }).host, 'registry-1.docker.io');
  const local = parseRegistrySetting({ url: 'http://[::1]:5000', catalog: false });
  assert.deepEqual([local.scheme, local.hostname, local.catalog], ['http', '::1', false]);
  for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]']) assert.ok(isLoopback(h), h);
  for (const h of ['10.0.0.1', '128.0.0.1', 'example.com', '::2']) assert.ok(!isLoopback(h), h);
  assert.equal(repositoryFor('My Cube!', 'team'), 'team/my-cube');
  assert.ok(isRepositoryName('a/b-c/d_e.f') && !isRepositoryName('A/b') && !isRepositoryName('a//b'));
  assert.throws(() => checkVersionTag('sha256-abc'), /reserved for the referrers fallback index/);
  assert.throws(() => checkVersionTag('image-1'), /hold the cubes' images/);
  assert.throws(() => checkVersionTag('-x'), /is not a valid version/);
});

test('challenges, Link headers and untrusted text', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), {
    scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
  });
  assert.deepEqual(parseChallenge('Basic realm="x"'), { scheme: 'basic', params: { realm: 'x' } });
  assert.equal(parseChallenge('Negotiate'), undefined);
  assert.equal(nextLast('</v2/_catalog?last=b%2Fc&n=100>; rel="next"'), 'b/c');
  assert.equal(nextLast(undefined), undefined);
  assert.equal(untrusted('a\u001b[31mred\u202e\n'.repeat(1), 200), 'a [31mred');
  assert.equal(untrusted('x'.repeat(300), 10), `${'x'.repeat(10)}…`);
  assert.ok(new RegistryError('m', 'tls') instanceof Error);
});

test('a connection refused is reported as unreachable', async () => {
  const c = new RegistryClient({ registry: parseRegistrySetting({ url: 'http://127.0.0.1:9' }), retry: { attempts: 2, baseMs: 10 } });
  await assert.rejects(c.ping(), /^RegistryError: Cannot reach the registry at 127\.0\.0\.1:9 \(connection refused\)\.$/);
  c.dispose();
});
