import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectEngine, explainEngineError, explainStartError, modemOptionsFor } from '../../../client/src/backends/docker/engine';
import { TargetError } from '../../../client/src/runs/backend';

test('engine selection: setting, then DOCKER_HOST, then the active context, then the local socket', () => {
  const cfg = mkdtempSync(join(tmpdir(), 'cubelab-dockercfg-'));
  assert.equal(selectEngine(undefined, {}, cfg).host, 'unix:///var/run/docker.sock');
  writeFileSync(join(cfg, 'config.json'), JSON.stringify({ currentContext: 'remote' }));
  const meta = join(cfg, 'contexts', 'meta', createHash('sha256').update('remote').digest('hex'));
  mkdirSync(meta, { recursive: true });
  writeFileSync(join(meta, 'meta.json'), JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'ssh://me@box:2222' } } }));
  const ctx = selectEngine(undefined, {}, cfg);
  assert.deepEqual([ctx.source, ctx.contextName, ctx.modem], ['context', 'remote', { host: 'box', port: 2222, protocol: 'ssh', username: 'me' }]);
  assert.equal(selectEngine(undefined, { DOCKER_CONTEXT: 'default' }, cfg).source, 'default');
  assert.equal(selectEngine(undefined, { DOCKER_HOST: 'tcp://h:2375' }, cfg).source, 'DOCKER_HOST');
  assert.deepEqual(selectEngine('unix:///tmp/d.sock', { DOCKER_HOST: 'tcp://h:2375' }, cfg).modem, { socketPath: '/tmp/d.sock' });
  assert.throws(() => selectEngine(undefined, { DOCKER_CONTEXT: 'ghost' }, cfg), /context "ghost" has no metadata/);
  assert.deepEqual(modemOptionsFor('tcp://10.0.0.1:2375'), { host: '10.0.0.1', port: 2375, protocol: 'http' });
});

test('connection failures become actionable sentences', () => {
  const ep = selectEngine('unix:///nowhere.sock', {}, '/nonexistent');
  const missing = explainEngineError(Object.assign(new Error('connect ENOENT /nowhere.sock'), { code: 'ENOENT' }), ep);
  assert.ok(missing instanceof TargetError);
  assert.equal((missing as TargetError).code, 'missing');
  assert.match(missing.message, /^No Docker engine at unix:\/\/\/nowhere.sock \(from cubelab.docker.host\): the socket does not exist\..*dockerd/);
  assert.match(explainEngineError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), ep).message, /is not running \(connection refused\)/);
  assert.match(explainEngineError(Object.assign(new Error('x'), { code: 'EACCES' }), ep).message, /docker" group/);
  const gpu = explainStartError({ json: { message: 'could not select device driver "" with capabilities: [[gpu]]' } });
  assert.match(gpu.message, /requests GPUs, but the Docker engine has no GPU runtime/);
});

test('a remote engine is refused for the local target, with a sentence saying why; loopback TCP is local', async () => {
  const { DockerBackend } = await import('../../../client/src/backends/docker/dockerBackend');
  const remote = new DockerBackend({ host: 'ssh://builder@gpu-box.example' });
  await assert.rejects(remote.probe(), (e: Error) => e instanceof TargetError && e.code === 'refused'
    && /runs on another host, where this workspace's folders do not exist/.test(e.message) && /docker-ssh/.test(e.message));
  const tcp = new DockerBackend({ host: 'tcp://10.1.2.3:2375' });
  await assert.rejects(tcp.prepare({ runId: 'r', manifest: '/w/mlcube.yaml', task: 't', plan: (await import('./planFixture')).makePlan() }, { info: () => undefined, detail: () => undefined, warn: () => undefined, progress: () => undefined }),
    (e: Error) => e instanceof TargetError && e.code === 'refused');
  const { isLocalEngine, selectEngine: sel } = await import('../../../client/src/backends/docker/engine');
  assert.equal(isLocalEngine(sel('tcp://127.0.0.1:2375', {}, '/nonexistent')), true);
  assert.equal(isLocalEngine(sel('unix:///var/run/docker.sock', {}, '/nonexistent')), true);
  assert.equal(isLocalEngine(sel('tcp://10.1.2.3:2375', {}, '/nonexistent')), false);
});
