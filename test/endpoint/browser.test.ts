/**
 * The endpoint as MLboard's frontend uses it: from a page of another loopback origin, in Debian's headless
 * Chromium (test/endpoint/browser.ts). The page connects with socket.io's browser client as MLboard's
 * WorkerSocket does (polling first, then the websocket upgrade) and calls the REST routes MLboard's
 * frontend calls; a page of an origin that is not allowed gets nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GS, lastJson, runPython, startTestEndpoint } from './helpers';
import { socketInPage, startPageHarness, type PageHarness } from './browser';

let harness: PageHarness | undefined;
async function pages(): Promise<PageHarness> {
  harness ??= await startPageHarness();
  return harness;
}
test.after(async () => {
  await harness?.close();
});

function logLines(root: string): number {
  return readFileSync(join(root, GS, 'event_storage.log'), 'utf8').split('\n').filter(Boolean).length;
}

test('socket.io from an allowed page origin: polling handshake (CORS), join, history, pong, websocket upgrade', async (t) => {
  const h = await pages();
  const { endpoint, root } = await startTestEndpoint(t, { allowedOrigins: [h.origin] });
  lastJson(await runPython('publish_run.py', [endpoint.url, GS, '2', '2']));
  const stored = logLines(root);

  const { page, errors } = await h.open(h.origin);
  t.after(() => page.close());
  const run = await socketInPage(page, endpoint.url, GS);
  assert.equal(run.error, undefined, JSON.stringify(run));
  assert.equal(run.firstTransport, 'polling', 'MLboard\'s client starts with polling: the cross-origin XHR needs CORS');
  assert.equal(run.upgradedTo, 'websocket');
  assert.ok(run.pong);
  assert.deepEqual(run.eventIds, [...Array(stored).keys()], 'the whole history, as MLboard unwraps batched_events');
  assert.ok(run.logs.some((l) => l === `Client <unknown> joined rooms: ${GS}`), run.logs.join('\n'));
  assert.deepEqual(errors, []);
});

test('socket.io from a page origin that is not allowed is refused, polling and websocket alike', async (t) => {
  const h = await pages();
  const { endpoint, root, logs } = await startTestEndpoint(t, { allowedOrigins: [h.origin] });
  lastJson(await runPython('publish_run.py', [endpoint.url, GS, '1', '1']));
  const joinsBefore = endpoint.stats.joins;

  const { page } = await h.open(h.otherOrigin);
  t.after(() => page.close());
  const polling = await socketInPage(page, endpoint.url, GS);
  assert.ok(polling.error, 'the handshake fails');
  assert.deepEqual(polling.eventIds, []);
  const websocket = await socketInPage(page, endpoint.url, GS, { transports: ['websocket'] });
  assert.ok(websocket.error, 'the websocket handshake fails');
  assert.deepEqual(websocket.eventIds, []);
  assert.equal(endpoint.stats.joins, joinsBefore, 'no join reached the protocol');
  assert.ok(logs.some((l) => l.includes(`Refused a socket.io handshake: origin ${h.otherOrigin} is not allowed`)), logs.join('\n'));
  assert.ok(logLines(root) > 0);

  // The default list holds MLboard's usual origins, not this one.
  const defaults = await startTestEndpoint(t);
  const refused = await socketInPage(page, defaults.endpoint.url, GS, { transports: ['websocket'] });
  assert.ok(refused.error);
});
