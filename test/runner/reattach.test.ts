import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempWorkspace, newRunner, shellPlan, CollectingSink, waitFor, containerLog, storedContainerLines, removeContainer, docker } from './helpers';
import { RunStore } from '../../client/src/runs/runStore';

const TALKER = 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo "line $i"; if [ $((i % 3)) = 0 ]; then echo "err $i" >&2; fi; sleep 0.01; done';

test('re-attach after a reload resumes the log exactly where the file stopped', async () => {
  const { dir, store } = tempWorkspace('reattach');
  const first = newRunner(store);
  const sink = new CollectingSink();
  const h = await first.run({ manifest: join(dir, 'mlcube.yaml'), task: 'talk', defaultNetwork: 'none', keepContainer: true, plan: shellPlan(TALKER) }, sink);
  try {
    await waitFor(() => sink.lines.length >= 60, 20000, '60 lines');
    await first.dispose(); // the window reloads: nobody follows the container for a while
    const atReload = storedContainerLines(store.logPath(h.runId)).length;
    await new Promise((r) => setTimeout(r, 700));

    // A half-written record and a run whose container vanished must not break the list or the re-attach.
    mkdirSync(join(store.root, 'half-written'));
    writeFileSync(join(store.root, 'half-written', 'run.json'), '{"version":1,"runId":"half-wr');
    const base = await store.read(h.runId);
    const ghost = { ...base, runId: 'ghost-run', target: { kind: 'docker' as const, name: 'local', engine: 'unix:///var/run/docker.sock', containerId: 'f'.repeat(64) }, status: 'running' as const };
    await store.create(ghost);

    const reloaded = new RunStore(store.root);
    const second = newRunner(reloaded);
    const handles = await second.attach();
    assert.deepEqual(handles.map((x) => x.runId), [h.runId]);
    const o = await handles[0].done;
    assert.deepEqual([o.status, o.exitCode], ['succeeded', 0]);

    const stored = storedContainerLines(reloaded.logPath(h.runId));
    const full = await containerLog(h.containerId);
    assert.equal(full.length, 400);
    assert.ok(atReload < stored.length, `the reload happened mid-run (${atReload} of ${stored.length} lines)`);
    assert.deepEqual(stored, full, 'the stored log is the container log: nothing duplicated, nothing missing');

    const { runs, problems } = await reloaded.list();
    assert.deepEqual(problems.map((p) => p.runId), ['half-written']);
    const g = runs.find((r) => r.runId === 'ghost-run')!;
    assert.equal(g.status, 'failed');
    assert.match(g.reason ?? '', /The container is gone/);
  } finally {
    await removeContainer(h.containerId);
  }
});

test('identity: re-attach adopts only the container the record names, and only while its label names the run; Stop checks the label too', async () => {
  const { dir, store } = tempWorkspace('identity');
  const runner = newRunner(store);
  const sink = new CollectingSink();
  const h = await runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 'talk', defaultNetwork: 'none', keepContainer: true, plan: shellPlan('sleep 30') }, sink);
  try {
    await runner.dispose();
    // A forged record pointing at that container (say, copied from another workspace): same id, another run.
    const real = await store.read(h.runId);
    await store.create({ ...real, runId: 'forged-run', status: 'running' });
    const other = newRunner(new RunStore(store.root));
    // Stop of the forged run: the label names the real run, so the container is left alone.
    await assert.rejects(other.stop('forged-run'), /is not the container of run forged-run .*CubeLab leaves it alone/);
    assert.equal((await docker.getContainer(h.containerId).inspect()).State.Running, true, 'the container still runs');
    const handles = await other.attach();
    assert.deepEqual(handles.map((x) => x.runId), [h.runId], 'only the real run is adopted');
    const forged = await store.read('forged-run');
    assert.equal(forged.status, 'failed');
    assert.match(forged.reason ?? '', /belongs to run .*this run's container is gone/);
    await other.stop(h.runId);
    assert.equal((await handles[0]!.done).status, 'stopped');
    await other.dispose();
  } finally {
    await removeContainer(h.containerId);
  }
});
