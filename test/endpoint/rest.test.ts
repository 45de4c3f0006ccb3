/**
 * The REST side of the MLboard-compatible endpoint with real HTTP clients: Node's fetch (FormData uploads),
 * Python's requests (MLgym's own client library), and raw `http.request` for paths a URL parser would
 * normalise (`..`, `%2e%2e`) before they reach the server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readExperimentFolder } from '../../client/src/events/index';
import { GS, runPython, startTestEndpoint } from './helpers';

function rawRequest(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const putConfig = (base: string, path: string, content: string, format = 'YAML') =>
  fetch(`${base}/grid_searches/${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ file_format: format, content }) });

test('PUT of configs lands in the standard layout, and GET streams them back', async (t) => {
  const { endpoint, root } = await startTestEndpoint(t);
  const gsYaml = 'global_config:\n  storage_connector_path: ./file_storage/\n# verbatim, comments kept\n';
  const runYaml = 'run_configuration:\n  type: train\n';
  assert.equal((await putConfig(endpoint.url, `${GS}/grid_search_config.yml`, gsYaml)).status, 200);
  assert.equal((await putConfig(endpoint.url, `${GS}/run_config.yml`, runYaml)).status, 200);
  const expConfig = JSON.stringify({ optimizer: { config: { params: { lr: 0.01 } } } });
  const sysInfo = JSON.stringify({ platform: 'Linux', 'python-version': '3.11.2', ram: '62.7 GB' });
  assert.equal((await putConfig(endpoint.url, `${GS}/0/experiment_config.json`, expConfig, 'JSON')).status, 200);
  assert.equal((await putConfig(endpoint.url, `${GS}/0/system_info.json`, sysInfo, 'JSON')).status, 200);

  assert.equal(readFileSync(join(root, GS, 'grid_search_config.yml'), 'utf8'), gsYaml);
  assert.equal(readFileSync(join(root, GS, 'run_config.yml'), 'utf8'), runYaml);
  assert.equal(readFileSync(join(root, GS, '0', 'experiment_config.json'), 'utf8'), expConfig);
  // Only the final files: the atomic writes leave no temporary file behind.
  assert.deepEqual(readdirSync(join(root, GS)).sort(), ['0', 'grid_search_config.yml', 'run_config.yml']);
  const folder = await readExperimentFolder(join(root, GS), '0');
  assert.deepEqual(folder.systemInfo, { platform: 'Linux', 'python-version': '3.11.2', ram: '62.7 GB' });

  const gsBack = await fetch(`${endpoint.url}/grid_searches/${GS}/grid_search_config`);
  assert.equal(gsBack.status, 200);
  assert.equal(await gsBack.text(), gsYaml);
  assert.deepEqual(await (await fetch(`${endpoint.url}/grid_searches/${GS}/0/experiment_config`)).json(), JSON.parse(expConfig));
  assert.deepEqual(await (await fetch(`${endpoint.url}/system-info/${GS}/0`)).json(), JSON.parse(sysInfo));

  const bad = await fetch(`${endpoint.url}/grid_searches/${GS}/run_config.yml`, { method: 'PUT', body: '{"file_format": "YAML"}' });
  assert.equal(bad.status, 422);
  assert.equal((await fetch(`${endpoint.url}/grid_searches/${GS}/validation_strategy_config`)).status, 403, 'a missing file: 403, as MLboard answers');
  assert.equal((await fetch(`${endpoint.url}/no_such_route`)).status, 404);
});

test('checkpoints: upload (fetch FormData and Python requests), list, download and delete round-trip the bytes', async (t) => {
  const { endpoint, root, parent } = await startTestEndpoint(t);
  // Bytes that contain what a naive multipart parser would trip on.
  const model = Buffer.concat([randomBytes(200_000), Buffer.from('\r\n--boundary\r\n\r\n'), randomBytes(100_000)]);
  const form = new FormData();
  form.append('checkpoint_file', new Blob([model]), 'model.pickle');
  const up = await fetch(`${endpoint.url}/checkpoints/${GS}/0/10`, { method: 'POST', body: form });
  assert.equal(up.status, 200, await up.text());

  const optimizer = randomBytes(50_000);
  const source = join(parent, 'optimizer.src');
  writeFileSync(source, optimizer);
  const py = await runPython('upload_checkpoint.py', [endpoint.url, GS, '0', '10', 'optimizer.pickle', source]);
  assert.equal(py.stdout.trim(), '200', py.stderr);
  const py2 = await runPython('upload_checkpoint.py', [endpoint.url, GS, '0', '2', 'checkpoint_rank_0.zip', source]);
  assert.equal(py2.stdout.trim(), '200', py2.stderr);
  // Earlier MLboard: resource in the path, base64 bytes in the field `file`.
  const legacy = new FormData();
  legacy.append('file', new Blob([optimizer.toString('base64')]), 'blob');
  assert.equal((await fetch(`${endpoint.url}/checkpoints/${GS}/0/2/lr_scheduler.pickle`, { method: 'POST', body: legacy })).status, 200);

  assert.deepEqual(readFileSync(join(root, GS, '0', '10', 'model.pickle')), model);
  assert.deepEqual(readFileSync(join(root, GS, '0', '2', 'lr_scheduler.pickle')), optimizer);

  // MLboard's order: the paths sorted as strings, in reverse ("2" before "10").
  assert.deepEqual(await (await fetch(`${endpoint.url}/checkpoint_list/${GS}/0`)).json(), [
    { experiment_id: '0', epoch: '2', checkpoints: ['lr_scheduler.pickle', 'checkpoint_rank_0.zip'] },
    { experiment_id: '0', epoch: '10', checkpoints: ['optimizer.pickle', 'model.pickle'] },
  ]);
  assert.deepEqual(await (await fetch(`${endpoint.url}/checkpoint_list/${GS}/0/2`)).json(), [
    { experiment_id: '0', epoch: '2', checkpoints: ['lr_scheduler.pickle', 'checkpoint_rank_0.zip'] },
  ]);
  assert.equal((await fetch(`${endpoint.url}/checkpoint_list/${GS}/1`)).status, 500, 'no checkpoints: 500, as MLboard answers');

  const down = await fetch(`${endpoint.url}/checkpoints/${GS}/0/10/model.pickle`);
  assert.equal(down.status, 200);
  assert.equal(down.headers.get('content-type'), 'application/octet-stream');
  assert.deepEqual(Buffer.from(await down.arrayBuffer()), model);
  assert.equal((await fetch(`${endpoint.url}/checkpoints/${GS}/0/10/stateful_components.pickle`)).status, 403);

  assert.equal((await fetch(`${endpoint.url}/checkpoints/${GS}/0/10/model.pickle`, { method: 'DELETE' })).status, 200);
  assert.deepEqual(readdirSync(join(root, GS, '0', '10')), ['optimizer.pickle']);
  assert.equal((await fetch(`${endpoint.url}/checkpoints/${GS}/0/10/optimizer.pickle`, { method: 'DELETE' })).status, 200);
  assert.equal(existsSync(join(root, GS, '0', '10')), false, 'the emptied epoch folder goes too');
  assert.equal((await fetch(`${endpoint.url}/checkpoints/${GS}/0/2`, { method: 'DELETE' })).status, 200);
  assert.equal(existsSync(join(root, GS, '0', '2')), false);
  assert.equal((await fetch(`${endpoint.url}/checkpoints/${GS}/0/2`, { method: 'DELETE' })).status, 404);
});

test('checkpoint_list in the order of MLboard\'s REST server: paths sorted as strings, in reverse; one entry for a given epoch', async (t) => {
  const { endpoint, root } = await startTestEndpoint(t);
  const files: Record<string, string[]> = {
    '0': ['model.pickle'], '1': ['model.pickle', 'optimizer.pickle'], '9': ['stateful_components.pickle', 'lr_scheduler.pickle', 'model.pickle', 'optimizer.pickle'],
    '10': ['model.pickle', 'checkpoint_rank_1.zip', 'checkpoint_rank_0.zip', 'notes.txt'], '100': ['model.pickle'], '2': ['notes.txt'],
  };
  for (const [epoch, names] of Object.entries(files)) {
    mkdirSync(join(root, GS, '3', epoch), { recursive: true });
    for (const n of names) writeFileSync(join(root, GS, '3', epoch, n), 'x');
  }
  // What MLboard's get_checkpoint_list returns for this folder: sorted(relative paths, reverse=True), grouped by epoch.
  assert.deepEqual(await (await fetch(`${endpoint.url}/checkpoint_list/${GS}/3`)).json(), [
    { experiment_id: '3', epoch: '9', checkpoints: ['stateful_components.pickle', 'optimizer.pickle', 'model.pickle', 'lr_scheduler.pickle'] },
    { experiment_id: '3', epoch: '100', checkpoints: ['model.pickle'] },
    { experiment_id: '3', epoch: '10', checkpoints: ['model.pickle', 'checkpoint_rank_1.zip', 'checkpoint_rank_0.zip'] },
    { experiment_id: '3', epoch: '1', checkpoints: ['optimizer.pickle', 'model.pickle'] },
    { experiment_id: '3', epoch: '0', checkpoints: ['model.pickle'] },
  ]);
  // get_checkpoint_dict_epoch: always one entry, with the epoch as asked.
  assert.deepEqual(await (await fetch(`${endpoint.url}/checkpoint_list/${GS}/3/10`)).json(), [
    { experiment_id: '3', epoch: '10', checkpoints: ['model.pickle', 'checkpoint_rank_1.zip', 'checkpoint_rank_0.zip'] },
  ]);
  assert.deepEqual(await (await fetch(`${endpoint.url}/checkpoint_list/${GS}/3/2`)).json(), [{ experiment_id: '3', epoch: '2', checkpoints: [] }]);
  assert.deepEqual(await (await fetch(`${endpoint.url}/checkpoint_list/${GS}/3/7`)).json(), [{ experiment_id: '3', epoch: '7', checkpoints: [] }]);
});

test('the experiments list of a warm start: ids, last checkpoint epoch (numeric) and configs', async (t) => {
  const { endpoint, root } = await startTestEndpoint(t);
  for (const id of [0, 1, 2, 10]) await putConfig(endpoint.url, `${GS}/${id}/experiment_config.json`, JSON.stringify({ id, lr: id / 10 }), 'JSON');
  for (const epoch of [2, 10, 9]) mkdirSync(join(root, GS, '0', String(epoch)), { recursive: true });
  mkdirSync(join(root, GS, '1', '0'));
  const res = await fetch(`${endpoint.url}/grid_searches/${GS}/experiments`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), [
    { experiment_id: 0, last_checkpoint_id: 10, experiment_config: { id: 0, lr: 0 } },
    { experiment_id: 1, last_checkpoint_id: 0, experiment_config: { id: 1, lr: 0.1 } },
    { experiment_id: 2, last_checkpoint_id: -1, experiment_config: { id: 2, lr: 0.2 } },
    { experiment_id: 10, last_checkpoint_id: -1, experiment_config: { id: 10, lr: 1 } },
  ]);
  // As MLboard: an unreadable experiment_config.json fails the list (500), an unknown grid search has no experiments.
  writeFileSync(join(root, GS, '2', 'experiment_config.json'), '{broken');
  assert.equal((await fetch(`${endpoint.url}/grid_searches/${GS}/experiments`)).status, 500);
  const none = await fetch(`${endpoint.url}/grid_searches/1999-01-01--00-00-00/experiments`);
  assert.equal(none.status, 200);
  assert.deepEqual(await none.json(), []);
});

test('status codes as MLboard\'s REST server answers them: missing files, no checkpoints, unknown grid search, other methods', async (t) => {
  const { endpoint, root } = await startTestEndpoint(t);
  mkdirSync(join(root, GS, '0', '1'), { recursive: true });
  writeFileSync(join(root, GS, '0', 'experiment_config.json'), '{}');
  const codes: [string, string, number][] = [
    // get_grid_config / get_experiment_config / get_checkpoint_resource: InvalidPathError "not found" -> 403.
    ['GET', `/grid_searches/${GS}/run_config`, 403],
    ['GET', `/grid_searches/${GS}/0/experiment_config_missing`, 403],
    ['GET', `/checkpoints/${GS}/0/1/model.pickle`, 403],
    // get_system_info catches only SystemInfoFetchError: the missing file is an unhandled error, 500.
    ['GET', `/system-info/${GS}/0`, 500],
    // get_checkpoint_list reads files[0] of an empty list: 500; one epoch is always one entry.
    ['GET', `/checkpoint_list/${GS}/0`, 500],
    ['GET', `/checkpoint_list/${GS}/0/1`, 200],
    // get_experiment_statuses of a grid search without a folder: nothing globbed, [].
    ['GET', '/grid_searches/1999-01-01--00-00-00/experiments', 200],
    ['GET', `/grid_searches/${GS}/experiments`, 200],
    // Deleting what is not there: FileNotFoundError -> 404.
    ['DELETE', `/checkpoints/${GS}/0/7`, 404],
    ['DELETE', `/checkpoints/${GS}/0/1/model.pickle`, 404],
    // A route's path with another method: 405; no route: 404.
    ['POST', `/grid_searches/${GS}/run_config`, 405],
    ['DELETE', `/checkpoint_list/${GS}/0`, 405],
    ['GET', `/checkpoints/${GS}/0/1`, 405],
    ['PUT', `/model-card/${GS}/0`, 405],
    ['OPTIONS', `/system-info/${GS}/0`, 405],
    ['GET', `/checkpoint_list/${GS}`, 404],
    ['GET', `/system-info/${GS}/0/no_such_route`, 404],
  ];
  for (const [method, path, status] of codes) {
    const res = await rawRequest(endpoint.port, method, path);
    assert.equal(res.status, status, `${method} ${path}: ${res.body}`);
  }
  const put = await rawRequest(endpoint.port, 'POST', `/grid_searches/${GS}/run_config`);
  assert.deepEqual(JSON.parse(put.body), { detail: 'Method Not Allowed' });
});

test('names starting with "." are refused (403): upload file names, config names, path segments', async (t) => {
  const { endpoint, root } = await startTestEndpoint(t);
  mkdirSync(join(root, GS, '0', '1'), { recursive: true });
  writeFileSync(join(root, GS, '0', '1', '.hidden.pickle'), 'x');
  for (const name of ['.bashrc', '.hidden.pickle', '.4242-1.cubelab-tmp']) {
    const form = new FormData();
    form.append('checkpoint_file', new Blob([Buffer.from('pwned')]), name);
    assert.equal((await fetch(`${endpoint.url}/checkpoints/${GS}/0/1`, { method: 'POST', body: form })).status, 403, name);
  }
  assert.equal(readFileSync(join(root, GS, '0', '1', '.hidden.pickle'), 'utf8'), 'x', 'an existing hidden file is not overwritten');
  assert.deepEqual(readdirSync(join(root, GS, '0', '1')), ['.hidden.pickle']);
  const legacy = new FormData();
  legacy.append('file', new Blob([Buffer.from('pwned').toString('base64')]), 'blob');
  assert.equal((await fetch(`${endpoint.url}/checkpoints/${GS}/0/1/.profile`, { method: 'POST', body: legacy })).status, 403);
  const probes: [string, string][] = [
    ['PUT', `/grid_searches/${GS}/.profile`],
    ['PUT', `/grid_searches/.git/config`],
    ['PUT', `/grid_searches/${GS}/.ssh/authorized_keys`],
    ['GET', `/checkpoints/${GS}/0/1/.hidden.pickle`],
    ['DELETE', `/checkpoints/${GS}/0/1/.hidden.pickle`],
    ['GET', `/checkpoint_list/${GS}/.0`],
  ];
  for (const [method, path] of probes) {
    const res = await rawRequest(endpoint.port, method, path, { 'content-type': 'application/json' }, method === 'PUT' ? JSON.stringify({ file_format: 'YAML', content: 'x' }) : undefined);
    assert.equal(res.status, 403, `${method} ${path}: ${res.body}`);
  }
  assert.deepEqual(readdirSync(root), [GS]);
  assert.deepEqual(readdirSync(join(root, GS)), ['0']);
  assert.ok(existsSync(join(root, GS, '0', '1', '.hidden.pickle')));
});

test('paths outside the storage are refused with 403: .., %2e%2e, encoded separators, absolute paths, symlinks', async (t) => {
  const { endpoint, root, parent } = await startTestEndpoint(t);
  writeFileSync(join(parent, 'secret.yml'), 'password: hunter2\n');
  writeFileSync(join(parent, 'secret.json'), '{"password": "hunter2"}');
  mkdirSync(join(root, GS, '0', '1'), { recursive: true });
  symlinkSync(parent, join(root, 'link'));
  const probes: [string, string][] = [
    ['GET', '/grid_searches/../secret'],
    ['GET', '/grid_searches/%2e%2e/secret'],
    ['GET', '/grid_searches/%2E%2E/secret'],
    ['GET', '/grid_searches/..%2f..%2fsecret/x'],
    ['GET', `/grid_searches/${GS}/..%2F..%2Fsecret`],
    ['GET', `/grid_searches/${GS}/%2e%2e/%2e%2e`],
    ['GET', `/checkpoints/${GS}/0/1/%2Fetc%2Fpasswd`],
    ['GET', `/checkpoints/${GS}/0/1/..%5C..%5Csecret.yml`],
    ['GET', '/grid_searches//etc/passwd'],
    ['GET', '/checkpoint_list/%2Ftmp/0'],
    ['GET', '/system-info/../..'],
    ['GET', '/grid_searches/link/secret'],
    ['GET', '/grid_searches/link/experiments'],
    ['GET', '/../../etc/passwd'],
    ['GET', '/grid_searches/%ZZ/secret'],
    ['DELETE', `/checkpoints/${GS}/0/%2e%2e`],
  ];
  for (const [method, path] of probes) {
    const res = await rawRequest(endpoint.port, method, path);
    assert.equal(res.status, 403, `${method} ${path} -> ${res.status} ${res.body}`);
    assert.ok(!res.body.includes('hunter2'), path);
    assert.match(res.body, /"detail":"Provided unsafe path/, path);
  }
  const put = await rawRequest(endpoint.port, 'PUT', '/grid_searches/%2e%2e/pwned.yml', { 'content-type': 'application/json' }, JSON.stringify({ file_format: 'YAML', content: 'x' }));
  assert.equal(put.status, 403);
  const putLink = await rawRequest(endpoint.port, 'PUT', '/grid_searches/link/pwned.yml', { 'content-type': 'application/json' }, JSON.stringify({ file_format: 'YAML', content: 'x' }));
  assert.equal(putLink.status, 403);
  const form = new FormData();
  form.append('checkpoint_file', new Blob([Buffer.from('x')]), '../../pwned.pickle');
  assert.equal((await fetch(`${endpoint.url}/checkpoints/${GS}/0/1`, { method: 'POST', body: form })).status, 403);
  assert.deepEqual(readdirSync(parent).sort(), ['event_storage', 'secret.json', 'secret.yml']);
  assert.deepEqual(readdirSync(join(root, GS, '0', '1')), []);

  // Only local clients: a page of another origin, or another Host name (DNS rebinding), is refused.
  assert.equal((await rawRequest(endpoint.port, 'GET', `/checkpoint_list/${GS}/0`, { origin: 'https://evil.example' })).status, 403);
  assert.equal((await rawRequest(endpoint.port, 'GET', `/checkpoint_list/${GS}/0`, { host: 'evil.example' })).status, 403);
  assert.equal((await rawRequest(endpoint.port, 'GET', `/checkpoint_list/${GS}/0/1`, { origin: `http://localhost:${endpoint.port}` })).status, 200);
  assert.equal((await rawRequest(endpoint.port, 'GET', `/socket.io/?EIO=4&transport=polling`, { origin: 'https://evil.example' })).status, 403);
  assert.equal((await rawRequest(endpoint.port, 'GET', `/socket.io/?EIO=4&transport=polling`)).status, 200);
});
