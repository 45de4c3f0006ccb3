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
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { bodyText, restInPage, socketInPage, startPageHarness, type PageHarness, type RestResult } from './browser';

let harness: PageHarness | undefined;
async function pages(): Promise<PageHarness> {
  harness ??= await startPageHarness();
  return harness;
}
test.after(async () => {
  await harness?.close();
});

const GS_CONFIG = 'model_info:\n  model_description: a small net\n  model_version: 1.0.0\n  source_repo: https://example.org/repo\n';
const RUN_CONFIG = 'run_configuration:\n  type: train\n  config:\n    num_epochs: 2\n';
const EXP_CONFIG = { optimizer: { component_type_key: 'OPTIMIZER', variant_key: 'DEFAULT', config: { optimizer_key: 'ADAM', params: { lr: 0.1 } } } };

/** What an MLgym run leaves: events, the stored configs and a checkpoint, through the endpoint itself. */
async function seedRun(url: string): Promise<{ model: Buffer }> {
  lastJson(await runPython('publish_run.py', [url, GS, '2', '2']));
  const put = async (path: string, content: string, format: string) => {
    const res = await fetch(`${url}/grid_searches/${GS}/${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ file_format: format, content }) });
    assert.equal(res.status, 200, path);
  };
  await put('grid_search_config.yml', GS_CONFIG, 'YAML');
  await put('run_config.yml', RUN_CONFIG, 'YAML');
  await put('0/experiment_config.json', JSON.stringify(EXP_CONFIG), 'JSON');
  await put('0/system_info.json', JSON.stringify({ platform: 'Linux', 'python-version': '3.11.2' }), 'JSON');
  const model = randomBytes(300_000);
  const form = new FormData();
  form.append('checkpoint_file', new Blob([model]), 'model.pickle');
  assert.equal((await fetch(`${url}/checkpoints/${GS}/0/1`, { method: 'POST', body: form })).status, 200);
  return { model };
}

/** The REST calls of MLboard's frontend (src/app/ApiMaster.ts and the components using it), for experiment 0. */
const FRONTEND_ROUTES = [
  `/grid_searches/${GS}/grid_search_config`, // settings page
  `/grid_searches/${GS}/run_config`, // settings page
  `/grid_searches/${GS}/0/experiment_config`, // experiment page
  `/checkpoint_list/${GS}/0`, // experiment page: checkpoints
  `/checkpoints/${GS}/0/1/model.pickle`, // experiment page: download of a checkpoint file
  `/model-card/${GS}/0`, // experiment page (environment) and model card page
];

function byPath(results: RestResult[]): Map<string, RestResult> {
  return new Map(results.map((r) => [r.path, r]));
}

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

test('REST from an allowed page origin: every route MLboard\'s frontend calls, cross-origin, and a preflighted PUT', async (t) => {
  const h = await pages();
  const { endpoint, root } = await startTestEndpoint(t, { allowedOrigins: [h.origin] });
  const { model } = await seedRun(endpoint.url);
  const { page, errors } = await h.open(h.origin);
  t.after(() => page.close());

  const got = byPath(await restInPage(page, endpoint.url, FRONTEND_ROUTES.map((path) => ({ path }))));
  for (const path of FRONTEND_ROUTES) assert.equal(got.get(path)?.status, 200, `${path}: ${JSON.stringify(got.get(path))}`);
  assert.equal(bodyText(got.get(FRONTEND_ROUTES[0])!), GS_CONFIG);
  assert.equal(bodyText(got.get(FRONTEND_ROUTES[1])!), RUN_CONFIG);
  assert.deepEqual(JSON.parse(bodyText(got.get(FRONTEND_ROUTES[2])!)), EXP_CONFIG);
  assert.deepEqual(JSON.parse(bodyText(got.get(FRONTEND_ROUTES[3])!)), [{ experiment_id: '0', epoch: '1', checkpoints: ['model.pickle'] }]);
  assert.deepEqual(Buffer.from(got.get(FRONTEND_ROUTES[4])!.base64!, 'base64'), model);
  // What ModelCard.tsx and EnvironmentDetails.tsx read from the card.
  const card = JSON.parse(bodyText(got.get(FRONTEND_ROUTES[5])!)) as {
    model_details: Record<string, unknown>; training_details: Record<string, unknown>; eval_details: unknown; dataset_details: unknown;
    pipeline_details: Record<string, unknown>; experiment_environment: { system_env: Record<string, unknown>; carbon_footprint: unknown; entry_point_cmd: unknown };
  };
  assert.equal(card.model_details.model_description, 'a small net');
  assert.equal(card.model_details.grid_search_id, GS);
  assert.deepEqual(card.training_details, { hyperparams: { optimizer: { lr: 0.1 } }, loss_func: null, optimizer: 'ADAM' });
  assert.equal(card.experiment_environment.system_env.platform, 'Linux');
  assert.deepEqual(Object.keys(card.pipeline_details), ['optimizer']);

  // Errors are readable too (the frontend shows "No checkpoints available" on a failed status).
  const [missing] = await restInPage(page, endpoint.url, [{ path: `/grid_searches/${GS}/9/experiment_config` }]);
  assert.equal(missing.error, undefined, JSON.stringify(missing));
  assert.ok(missing.status !== undefined && missing.status >= 400);

  // A PUT with a JSON body is preflighted (OPTIONS); the page then writes a config.
  const [put] = await restInPage(page, endpoint.url, [{
    path: `/grid_searches/${GS}/1/experiment_config.json`, method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
    body: JSON.stringify({ file_format: 'JSON', content: '{"lr": 0.5}' }),
  }]);
  assert.equal(put.status, 200, JSON.stringify(put));
  assert.equal(readFileSync(join(root, GS, '1', 'experiment_config.json'), 'utf8'), '{"lr": 0.5}');
  assert.deepEqual(errors, []);
});

test('REST from a page origin that is not allowed: nothing readable, nothing written, preflight refused', async (t) => {
  const h = await pages();
  const { endpoint, root } = await startTestEndpoint(t, { allowedOrigins: [h.origin] });
  await seedRun(endpoint.url);
  const { page } = await h.open(h.otherOrigin);
  t.after(() => page.close());

  for (const r of await restInPage(page, endpoint.url, FRONTEND_ROUTES.map((path) => ({ path })))) {
    assert.ok(r.error, `${r.path} must not be readable: ${JSON.stringify(r)}`);
  }
  // A form upload is a "simple" request: the browser sends it without a preflight, so the server must refuse it.
  const upload = await page.evaluate(`(async () => {
    const form = new FormData();
    form.append('checkpoint_file', new Blob(['pwned']), 'model.pickle');
    try { await fetch(${JSON.stringify(`${endpoint.url}/checkpoints/${GS}/0/7`)}, { method: 'POST', body: form, mode: 'no-cors' }); } catch (e) {}
    return 'sent';
  })()`);
  assert.equal(upload, 'sent');
  assert.equal(existsSync(join(root, GS, '0', '7')), false, 'the simple cross-origin POST wrote nothing');
  const [put] = await restInPage(page, endpoint.url, [{
    path: `/grid_searches/${GS}/1/experiment_config.json`, method: 'PUT', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ file_format: 'JSON', content: '{}' }),
  }]);
  assert.ok(put.error);
  assert.equal(existsSync(join(root, GS, '1', 'experiment_config.json')), false);

  // What the browser saw, from the server side: no CORS headers for that origin, 403.
  const pre = await fetch(`${endpoint.url}/grid_searches/${GS}/run_config`, { method: 'OPTIONS', headers: { origin: h.otherOrigin, 'access-control-request-method': 'GET' } });
  assert.equal(pre.status, 403);
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
  const ok = await fetch(`${endpoint.url}/grid_searches/${GS}/run_config`, { method: 'OPTIONS', headers: { origin: h.origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' } });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), h.origin);
  assert.match(ok.headers.get('access-control-allow-methods') ?? '', /PUT/);
  assert.equal(ok.headers.get('access-control-allow-headers'), 'content-type');
});
