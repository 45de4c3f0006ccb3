/**
 * The endpoint as the extension loads it: from dist/endpoint.js (built by `node scripts/build.mjs`, which
 * test/run-all.mjs runs first), with socket.io bundled in it and nowhere in the activation bundle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as EndpointModule from '../../client/src/endpoint/index';
import { GS, lastJson, runPython } from './helpers';

const dist = join(__dirname, '..', '..', 'dist');

test('activation does not load socket.io: it is in dist/endpoint.js, not in dist/client.js', () => {
  // Strings that survive minification (run-all.mjs packages with --production after the development build):
  // socket.io's default path and engine.io's transport names.
  const endpoint = readFileSync(join(dist, 'endpoint.js'), 'utf8');
  const client = readFileSync(join(dist, 'client.js'), 'utf8');
  assert.match(endpoint, /"\/socket\.io"/);
  assert.match(endpoint, /websocket/);
  assert.doesNotMatch(client, /"\/socket\.io"|node_modules\/(socket|engine)\.io/);
  assert.match(client, /dist.{0,20}endpoint\.js/, 'the client requires the endpoint bundle at run time');
});

test('the bundled endpoint serves a python-socketio publisher and REST', async (t) => {
  const mod = createRequire(__filename)(join(dist, 'endpoint.js')) as typeof EndpointModule;
  const root = mkdtempSync(join(tmpdir(), 'cubelab-endpoint-bundle-'));
  const endpoint = await mod.startEndpoint({ storagePath: root, port: 0 });
  t.after(async () => {
    await endpoint.close();
    rmSync(root, { recursive: true, force: true });
  });
  const pub = lastJson<{ sent: number }>(await runPython('publish_run.py', [endpoint.url, GS, '1', '1']));
  assert.equal(pub.sent, 1 + 1 + 1 + 1 + (2 + 3 + 3) + 1);
  const lines = readFileSync(join(root, GS, 'event_storage.log'), 'utf8').trim().split('\n');
  assert.equal(lines.length, pub.sent - 1);
  assert.equal(endpoint.stats.stored, pub.sent - 1);
  const res = await fetch(`${endpoint.url}/grid_searches/${GS}/experiments`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), []);
});
