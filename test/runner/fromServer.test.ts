import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempWorkspace, newRunner, CollectingSink, writeFiles, removeImage } from './helpers';
import { LspClient } from '../helpers/lspClient';
import type { TaskPlanResult } from '../../shared/lsp-protocol';

const IMAGE = 'cubelab-test/cube-from-server:1';
after(() => removeImage(IMAGE));

const MANIFEST = `name: from-server
docker:
  image: ${IMAGE}
  build_strategy: auto
  cpu_args: --shm-size=64m --network=none
tasks:
  train:
    parameters:
      inputs:
        data: {type: directory, default: data}
        config: {type: file, default: conf/config.yaml, opts: ro}
      outputs:
        model: {type: directory, default: model}
        log: {type: file, default: logs/train.log}
`;

test('a plan from the built language server runs as mlcube would run it: mounts, args, build', async () => {
  const { dir, store } = tempWorkspace('from-server');
  const cube = join(dir, 'cube');
  writeFiles(cube, {
    'mlcube.yaml': MANIFEST,
    'Dockerfile': 'FROM cubelab-test/busybox:1\nCOPY task.sh /task.sh\nENTRYPOINT ["/bin/sh", "/task.sh"]\n',
    'task.sh': [
      'echo "argv: $*"',
      'for a in "$@"; do case "$a" in --model=*) model="${a#--model=}";; --config=*) config="${a#--config=}";; --log=*) log="${a#--log=}";; esac; done',
      'cp "$config" "$model/config-seen.yaml"',
      'if touch "$(dirname "$config")/probe" 2>/dev/null; then echo config-writable; else echo config-readonly; fi',
      'echo "trained on $1" > "$log"',
    ].join('\n') + '\n',
    'workspace/conf/config.yaml': 'lr: 0.1\n',
  });
  const lsp = await LspClient.start({ rootPath: cube });
  let result: TaskPlanResult;
  try {
    const uri = lsp.open(join(cube, 'mlcube.yaml'), MANIFEST);
    await lsp.diagnosticsFor(uri);
    result = await lsp.request<TaskPlanResult>('cubelab/taskPlan', { uri, task: 'train' });
  } finally {
    // In order (LspClient.stop() can leave an ERR_STREAM_DESTROYED rejection behind).
    await lsp.request('shutdown', null);
    await lsp.connection.sendNotification('exit');
    await new Promise<void>((resolve) => { if (!lsp.alive) resolve(); else { lsp.process.once('exit', () => resolve()); setTimeout(resolve, 2000); } });
    lsp.connection.dispose();
    if (lsp.alive) lsp.process.kill();
  }
  if (!result.ok) return assert.fail(`the server could not plan: ${result.error}`);
  const plan = result.plan;
  assert.deepEqual(plan.args, ['train', '--data=/mlcube_io0', '--config=/mlcube_io1/config.yaml', '--model=/mlcube_io2', '--log=/mlcube_io3/train.log']);
  assert.equal(plan.platforms.docker.imageBuild.action, 'build');

  const sink = new CollectingSink();
  const runner = newRunner(store);
  const h = await runner.run({ manifest: join(cube, 'mlcube.yaml'), task: 'train', plan }, sink);
  const o = await h.done;
  assert.deepEqual([o.status, o.exitCode], ['succeeded', 0], o.reason);
  assert.deepEqual(sink.lines, ['argv: train --data=/mlcube_io0 --config=/mlcube_io1/config.yaml --model=/mlcube_io2 --log=/mlcube_io3/train.log', 'config-readonly']);
  const ws = join(cube, 'workspace');
  assert.ok(existsSync(join(ws, 'data')), 'the input folder was created first, as mlcube does');
  assert.equal(readFileSync(join(ws, 'model', 'config-seen.yaml'), 'utf8'), 'lr: 0.1\n');
  assert.equal(readFileSync(join(ws, 'logs', 'train.log'), 'utf8'), 'trained on train\n');
  const rec = await store.read(h.runId);
  assert.deepEqual(rec.plan, plan, 'the record holds the plan as executed');
  assert.match(readFileSync(store.logPath(h.runId), 'utf8'), / sys mlcube would run: docker run /);
});
