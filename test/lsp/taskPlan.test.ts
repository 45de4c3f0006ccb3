import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LspClient } from '../helpers/lspClient';
import type { TaskPlanResult } from '../../shared/lsp-protocol';

let lsp: LspClient;
let dir: string;
before(async () => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cubelab-taskplan-')));
  fs.mkdirSync(path.join(dir, 'workspace', 'data'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'workspace', 'parameters.yaml'), 'lr: 0.1\n');
  lsp = await LspClient.start({ rootPath: dir, settings: { validation: { debounceMs: 0 } } });
});
after(async () => {
  // LspClient.stop() does not await the `exit` write and kills the server at once, which can leave an
  // ERR_STREAM_DESTROYED rejection behind; shut down in order here instead.
  await lsp.request('shutdown', null);
  await lsp.connection.sendNotification('exit');
  await new Promise<void>((resolve) => { if (!lsp.alive) resolve(); else { lsp.process.once('exit', () => resolve()); setTimeout(resolve, 2000); } });
  lsp.connection.dispose();
  if (lsp.alive) lsp.process.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

const MANIFEST = `name: demo
platform:
  accelerator_count: 1
docker:
  image: mlcommons/\${name}:0.1
  gpu_args: "--shm-size=1g"
  env_args: {MODE: fast}
tasks:
  train:
    entrypoint: "python3 /w/train.py -v"
    parameters:
      inputs: {parameters_file: parameters.yaml, data_dir: {type: directory, default: data, opts: ro}}
      outputs: {model_dir: model/}
  check:
    entrypoint: ./check.sh
    parameters:
      outputs: {log_dir: logs/}
`;

test('cubelab/taskPlan returns the docker plan of a task of an open manifest', async () => {
  const uri = lsp.open(path.join(dir, 'mlcube.yaml'), MANIFEST);
  const r = await lsp.request<TaskPlanResult>('cubelab/taskPlan', { uri, task: 'train' });
  assert.ok(r.ok, JSON.stringify(r));
  const p = r.plan;
  const ws = path.join(dir, 'workspace');
  assert.equal(p.taskName, 'train');
  assert.equal(p.image, 'mlcommons/demo:0.1');
  assert.deepEqual(p.entrypoint, ['python3', '/w/train.py', '-v']);
  assert.deepEqual(p.args, ['--parameters_file=/mlcube_io0/parameters.yaml', '--data_dir=/mlcube_io1', '--model_dir=/mlcube_io2']);
  assert.deepEqual(p.mounts, [
    { host: ws, container: '/mlcube_io0', mode: '', io: 'input' },
    { host: path.join(ws, 'data'), container: '/mlcube_io1', mode: 'ro', io: 'input' },
    { host: path.join(ws, 'model'), container: '/mlcube_io2', mode: '', io: 'output' },
  ]);
  assert.deepEqual(p.mkdirs, [path.join(ws, 'model')]);
  assert.equal(p.gpus, '1');
  assert.equal(p.platforms.docker.runArgs, '--shm-size=1g');
  assert.deepEqual(p.env, { MODE: 'fast' });
  assert.equal(p.platforms.docker.imageBuild.strategy, 'pull');
  assert.equal(p.platforms.docker.command, `docker run --shm-size=1g --gpus=1 --entrypoint=python3 -e MODE=fast --volume ${ws}:/mlcube_io0 --volume ${ws}/data:/mlcube_io1:ro --volume ${ws}/model:/mlcube_io2 mlcommons/demo:0.1 /w/train.py -v --parameters_file=/mlcube_io0/parameters.yaml --data_dir=/mlcube_io1 --model_dir=/mlcube_io2`);
});

test('cubelab/taskPlan applies overrides and reports mlcube errors', async () => {
  const uri = lsp.open(path.join(dir, 'sub', 'mlcube.yaml'), MANIFEST);
  // No workspace next to this copy: the untyped input cannot be typed.
  const missing = await lsp.request<TaskPlanResult>('cubelab/taskPlan', { uri, task: 'train' });
  assert.ok(!missing.ok);
  assert.equal(missing.code, 'mounts');
  assert.equal(missing.error, `ConfigurationError: Invalid task: task=train, param=parameters_file, type=unknown. Type is unknown and unable to identify it (${path.join(dir, 'sub', 'workspace', 'parameters.yaml')}).`);
  const r = await lsp.request<TaskPlanResult>('cubelab/taskPlan', {
    uri, task: 'train', workspace: path.join(dir, 'workspace'),
    overrides: [`parameters_file=${path.join(dir, 'workspace', 'parameters.yaml')}`, '-Pplatform.accelerator_count=0', '--network=host'],
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.plan.mounts[0].host, path.join(dir, 'workspace'));
  assert.equal(r.plan.args[0], '--parameters_file=/mlcube_io0/parameters.yaml');
  assert.equal(r.plan.gpus, null);
  assert.equal(r.plan.platforms.docker.runArgs, ' --network=host');
  const single = await lsp.request<TaskPlanResult>('cubelab/taskPlan', { uri, task: 'check' });
  assert.ok(single.ok);
  assert.deepEqual(single.plan.args, []);
  assert.match(single.plan.warnings.join('\n'), /single token \(\.\/check\.sh\)/);
  const unknown = await lsp.request<TaskPlanResult>('cubelab/taskPlan', { uri, task: 'nope' });
  assert.ok(!unknown.ok);
  assert.equal(unknown.code, 'task');
  const notOpen = await lsp.request<TaskPlanResult>('cubelab/taskPlan', { uri: 'file:///nowhere/mlcube.yaml', task: 'train' });
  assert.ok(!notOpen.ok);
  assert.match(notOpen.error, /is not an open MLCube manifest/);
  assert.ok(lsp.alive);
});
