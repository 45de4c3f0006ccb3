/**
 * The optional token (`cubelab.endpoint.requireToken`, off by default; the endpoint gets it as an option):
 * with it, REST and socket.io answer only clients that send it, and an unmodified MLgym publisher cannot
 * connect; without it, nothing is asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GS, runPython, startTestEndpoint } from './helpers';

const TOKEN = 'k3Xq-test-token_0123456789abcdefghijklmnopqrstu';

test('with a token, REST and socket.io need it (Bearer header or socket.io auth); an unmodified MLgym publisher is refused', async (t) => {
  const origin = 'http://127.0.0.1:3000';
  const { endpoint, root, logs } = await startTestEndpoint(t, { token: TOKEN, allowedOrigins: [origin] });
  const put = (headers: Record<string, string>) => fetch(`${endpoint.url}/grid_searches/${GS}/run_config.yml`, {
    method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ file_format: 'YAML', content: 'a: 1\n' }),
  });
  const anonymous = await put({});
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal((await put({ authorization: `Bearer ${TOKEN}x` })).status, 401);
  assert.equal((await put({ authorization: TOKEN })).status, 401);
  assert.equal(existsSync(join(root, GS, 'run_config.yml')), false);
  assert.equal((await fetch(`${endpoint.url}/checkpoint_list/${GS}/0/1`)).status, 401, 'reads need it too');
  assert.equal((await put({ authorization: `Bearer ${TOKEN}` })).status, 200);
  assert.equal(readFileSync(join(root, GS, 'run_config.yml'), 'utf8'), 'a: 1\n');
  // A browser's preflight carries no credential: it is answered, the request itself then needs the token.
  const pre = await fetch(`${endpoint.url}/grid_searches/${GS}/run_config`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-headers'), 'authorization');

  // MLgym's publisher (publish_run.py connects exactly as ml_gym.io.websocket_client does) cannot connect.
  // (Refused, python-socketio waits out its 20 s connect timeout; unrefused, the script ends within a second.)
  const mlgym = await runPython('publish_run.py', [endpoint.url, GS, '1', '1'], undefined, 8_000);
  assert.notEqual(mlgym.code, 0, 'an unmodified MLgym run is refused');
  assert.equal((await runPython('publish_with_token.py', [endpoint.url, GS, 'none'])).stdout.trim().slice(0, 8), 'refused:');
  assert.equal((await runPython('publish_with_token.py', [endpoint.url, GS, 'auth', 'wrong'])).stdout.trim().slice(0, 8), 'refused:');
  assert.equal(existsSync(join(root, GS, 'event_storage.log')), false, 'nothing was stored');
  assert.ok(logs.some((l) => l.includes('Refused a socket.io connection without the endpoint\'s token')), logs.join('\n'));

  assert.equal((await runPython('publish_with_token.py', [endpoint.url, GS, 'auth', TOKEN])).stdout.trim(), 'stored');
  assert.equal((await runPython('publish_with_token.py', [endpoint.url, GS, 'header', TOKEN])).stdout.trim(), 'stored');
  const lines = readFileSync(join(root, GS, 'event_storage.log'), 'utf8').trim().split('\n');
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as { payload: { mode: string } }).payload.mode), ['auth', 'header']);
});

test('without a token (the default) nothing is asked: MLgym connects as it is', async (t) => {
  const { endpoint, root } = await startTestEndpoint(t);
  assert.equal((await runPython('publish_with_token.py', [endpoint.url, GS, 'none'])).stdout.trim(), 'stored');
  assert.equal((await fetch(`${endpoint.url}/checkpoint_list/${GS}/0/1`)).status, 200);
  assert.ok(existsSync(join(root, GS, 'event_storage.log')));
});
