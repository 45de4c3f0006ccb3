import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempWorkspace, newRunner, shellPlan, CollectingSink, waitFor, containerLog, storedContainerLines, removeContainer, dockerdPid, startEngine } from './helpers';

const SLOW = 'i=0; while [ $i -lt 120 ]; do i=$((i+1)); echo "tick $i"; sleep 0.05; done';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('the engine restarting mid-run (--live-restore): the run shows "engine unreachable", then is re-attached and completes', async () => {
  const { dir, store } = tempWorkspace('engine-restart');
  const runner = newRunner(store);
  const sink = new CollectingSink();
  const h = await runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 'slow', defaultNetwork: 'none', keepContainer: true, plan: shellPlan(SLOW) }, sink);
  try {
    await waitFor(() => sink.lines.length >= 20, 20000, '20 lines');
    // The engine this tier's setup started (test/env/setup-docker.sh) goes away, and comes back.
    const pid = dockerdPid();
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !alive(pid), 30000, 'dockerd to exit');
    await waitFor(async () => (await store.read(h.runId)).status === 'target-unreachable', 10000, 'the record to say "target-unreachable"');
    assert.match((await store.read(h.runId)).reason ?? '', /The Docker engine at unix:\/\/\/var\/run\/docker\.sock is unreachable \(\w+\)\. The run will be re-attached when the target answers again\./);
    startEngine();
    const o = await h.done;
    assert.deepEqual([o.status, o.exitCode], ['succeeded', 0], o.reason);
    const stored = storedContainerLines(store.logPath(h.runId));
    const full = await containerLog(h.containerId);
    assert.equal(full.length, 120);
    assert.deepEqual(stored, full, 'nothing lost or repeated across the engine restart');
    const log = readFileSync(store.logPath(h.runId), 'utf8');
    assert.match(log, / sys local Docker engine \(unix:\/\/\/var\/run\/docker\.sock\) answers again: re-attaching\.\n/);
  } finally {
    if (!existsSync('/var/run/docker.pid') || !alive(dockerdPid())) startEngine();
    await removeContainer(h.containerId);
  }
});
