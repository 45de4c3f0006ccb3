import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempWorkspace, newRunner, shellPlan, CollectingSink, waitFor } from './helpers';

test('stop: SIGTERM first; a task that handles it ends with its own code', async () => {
  const { dir, store } = tempWorkspace('stop-term');
  const runner = newRunner(store, { stopGraceSeconds: 5 });
  const sink = new CollectingSink();
  const h = await runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 'serve', defaultNetwork: 'none',
    plan: shellPlan("trap 'echo got-term; exit 3' TERM; echo ready; while true; do sleep 0.1; done") }, sink);
  await waitFor(() => sink.lines.includes('ready'), 10000, 'the task to start');
  const t0 = Date.now();
  await runner.stop(h.runId);
  const o = await h.done;
  assert.ok(Date.now() - t0 < 4000, 'ended well before the grace period');
  assert.deepEqual([o.status, o.exitCode], ['stopped', 3]);
  assert.equal(o.reason, 'Stopped by the user: ended after SIGTERM (exit code 3).');
  assert.ok(sink.lines.includes('got-term'));
  assert.match(readFileSync(store.logPath(h.runId), 'utf8'), / out got-term\n/);
});

test('stop: a task that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
  const { dir, store } = tempWorkspace('stop-kill');
  const runner = newRunner(store, { stopGraceSeconds: 1 });
  const sink = new CollectingSink();
  const h = await runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 'stubborn', defaultNetwork: 'none',
    plan: shellPlan("trap '' TERM; echo ready; while true; do sleep 0.1; done") }, sink);
  await waitFor(() => sink.lines.includes('ready'), 10000, 'the task to start');
  const t0 = Date.now();
  await runner.stop(h.runId);
  const o = await h.done;
  const took = Date.now() - t0;
  assert.ok(took >= 900, `waited the grace period (${took} ms)`);
  assert.deepEqual([o.status, o.exitCode], ['stopped', 137]);
  assert.equal(o.reason, 'Stopped by the user: killed with SIGKILL after the 1 s grace period.');
  const rec = await store.read(h.runId);
  assert.equal(rec.status, 'stopped');
  assert.equal(rec.stopRequested, true);
});
