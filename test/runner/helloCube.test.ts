/**
 * The demo cube (examples/hello-cube) runs end to end as a newcomer would run it: its image builds offline from
 * busybox-static (build_strategy auto), the plan comes from the built language server, and the task writes its
 * model and an MLgym event log (docs/mlgym.md §3.2–3.3) into the workspace while it runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempWorkspace, newRunner, CollectingSink, repoRoot } from './helpers';
import { LspClient } from '../helpers/lspClient';
import type { TaskPlanResult } from '../../shared/lsp-protocol';

test('the demo cube builds offline, runs, and writes its model and MLgym events', { timeout: 120_000 }, async () => {
  const { dir, store } = tempWorkspace('hello-cube');
  const cube = join(dir, 'hello-cube');
  const source = join(repoRoot, 'examples', 'hello-cube');
  cpSync(source, cube, { recursive: true, filter: (p) => !/\/workspace\/(model|event_storage)$/.test(p) });
  // What npm start does before the first run: the build context gets Debian's busybox-static binary.
  copyFileSync('/bin/busybox', join(cube, 'busybox'));
  writeFileSync(join(cube, 'workspace', 'hello.yaml'), 'epochs: 2\ndelay_seconds: 0.2\n');
  const manifest = readFileSync(join(cube, 'mlcube.yaml'), 'utf8');

  const lsp = await LspClient.start({ rootPath: cube });
  let result: TaskPlanResult;
  try {
    const uri = lsp.open(join(cube, 'mlcube.yaml'), manifest);
    assert.deepEqual(await lsp.diagnosticsFor(uri), [], 'the demo manifest is clean');
    result = await lsp.request<TaskPlanResult>('cubelab/taskPlan', { uri, task: 'train' });
  } finally {
    await lsp.stop();
  }
  if (!result.ok) return assert.fail(`the server could not plan the demo cube: ${result.error}`);
  const plan = result.plan;
  assert.deepEqual(plan.args, ['train', '--config=/mlcube_io0/hello.yaml', '--model_dir=/mlcube_io1', '--event_storage=/mlcube_io2']);
  assert.equal(plan.platforms.docker.imageBuild.strategy, 'auto');
  assert.equal(plan.platforms.docker.imageBuild.fileExists, true, JSON.stringify(plan.platforms.docker.imageBuild));

  const sink = new CollectingSink();
  const h = await newRunner(store).run({ manifest: join(cube, 'mlcube.yaml'), task: 'train', plan }, sink);
  const o = await h.done;
  assert.deepEqual([o.status, o.exitCode], ['succeeded', 0], `${o.reason ?? ''}\n${sink.lines.join('\n')}\n${sink.infos.join('\n')}`);
  assert.match(sink.lines[0], /^hello-cube: training for 2 epochs; events in \/mlcube_io2\/\d{4}-\d\d-\d\d--\d\d-\d\d-\d\d\/event_storage\.log$/);
  assert.deepEqual(sink.lines.slice(1), [
    'epoch 1/2: val F1_SCORE_macro 0.72, cross_entropy_loss 1.50',
    'epoch 2/2: val F1_SCORE_macro 0.95, cross_entropy_loss 1.10',
    'hello-cube: done; model in /mlcube_io1/model.txt',
  ]);

  const ws = join(cube, 'workspace');
  assert.equal(readFileSync(join(ws, 'model', 'model.txt'), 'utf8'), 'hello-cube model, trained for 2 epochs (final F1 0.95)\n');
  const [gsid, ...others] = readdirSync(join(ws, 'event_storage'));
  assert.deepEqual(others, []);
  const lines = readFileSync(join(ws, 'event_storage', gsid, 'event_storage.log'), 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'the log ends with a newline');
  const events = lines.map((l) => JSON.parse(l) as { event_type: string; creation_ts: number; payload: Record<string, unknown> });
  assert.deepEqual(events.map((e) => e.event_type), [
    'experiment_config',
    'experiment_status', 'experiment_status', 'experiment_status', 'evaluation_result',
    'experiment_status', 'experiment_status', 'experiment_status', 'evaluation_result',
  ]);
  for (const e of events) {
    assert.deepEqual(Object.keys(e), ['event_type', 'creation_ts', 'payload']);
    assert.match(String(e.creation_ts), /^\d{16}$/, 'creation_ts is in microseconds');
    assert.equal(e.payload.grid_search_id, gsid);
    assert.equal(e.payload.experiment_id, 0);
  }
  assert.ok(events.every((e, i) => i === 0 || e.creation_ts > events[i - 1].creation_ts), 'timestamps increase');
  assert.deepEqual(events[3].payload, {
    grid_search_id: gsid, experiment_id: 0, status: 'evaluation', num_epochs: 2, current_epoch: 0,
    splits: ['val'], current_split: 'val', num_batches: 10, current_batch: 10,
  });
  assert.deepEqual(events[8].payload, {
    grid_search_id: gsid, experiment_id: 0, epoch: 1,
    metric_scores: [{ metric: 'F1_SCORE_macro', split: 'val', score: 0.95 }],
    loss_scores: [{ loss: 'cross_entropy_loss', split: 'val', score: 1.1 }],
  });
  const record = await store.read(h.runId);
  assert.equal(record.status, 'succeeded');
});
