/**
 * Sweeps on the real Slurm cluster (sbatch on this machine, docker on the node): one job array for the whole
 * sweep, every element's output, exit code and log; a failing element and one over its time limit; scancel of one
 * element and of the array; a job pending on resources with Slurm's reason; slurmctld restarted mid-run; a reload
 * mid-sweep; after each, no container of the element is left on the engine.
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { elementLogText } from '../contract/elementLog';
import type { SweepElementRequest } from '../../client/src/runs/sweep';
import { RunStore } from '../../client/src/runs/runStore';
import { containersOf, Lines, localSlurm, planFor, startSlurm, stopController, supervisorFor, waitFor, workspace } from './helpers';

before(() => startSlurm());
after(() => startSlurm());

const lines = (n: number, p: string): string[] => Array.from({ length: n }, (_, i) => `${p} ${i + 1}`);

function elements(dir: string, n: number, f: (i: number) => { lines: string[]; lineMs: number; exitCode: number }): SweepElementRequest[] {
  return Array.from({ length: n }, (_, i) => {
    const ws = join(dir, `el${i}`);
    mkdirSync(join(ws, 'out'), { recursive: true });
    return { overrides: [`i=${i}`], plan: planFor({ ...f(i), output: { file: 'result.txt', content: `element ${i}` } }, ws) };
  });
}

// Started first and checked last: Slurm enforces time limits in whole minutes, so this element takes a minute or two.
let timeLimited: Promise<{ runId: string; store: RunStore; status: string }> | undefined;

test('an element over its time limit and a failing one: each ends with its reason, no container left', async () => {
  const { dir, store } = workspace('limits');
  const backend = localSlurm({ timeLimit: '1', partition: 'tiny' });
  const sup = supervisorFor(store, backend);
  const els = elements(dir, 2, (i) => (i === 0 ? { lines: ['failing'], lineMs: 0, exitCode: 3 } : { lines: lines(400, 'slow'), lineMs: 1000, exitCode: 0 }));
  const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'limits', elements: els, parallelism: 2, defaultNetwork: 'none' }, new Lines());
  timeLimited = h.done.then(async (o) => { await sup.dispose(); await backend.dispose(); return { runId: h.runId, store, status: o.status }; });
  await waitFor(async () => (await store.readElement(h.runId, 0))?.status === 'failed', 120_000, 'the failing element to end');
  const e0 = await store.readElement(h.runId, 0);
  assert.deepEqual([e0?.status, e0?.exitCode], ['failed', 3]);
  assert.deepEqual(elementLogText(store, h.runId, 0), ['failing']);
  assert.deepEqual(await containersOf(`${h.runId}`).then((c) => c.filter((n) => n.endsWith('-0'))), [], 'the failed element\'s container is gone');
});

test('a 20-element sweep is one job array: every element\'s output, exit code and log', async () => {
  const { dir, store } = workspace('array20');
  const backend = localSlurm();
  const sup = supervisorFor(store, backend);
  const els = elements(dir, 20, (i) => ({ lines: lines(3, `e${i}`), lineMs: 50, exitCode: i === 13 ? 4 : 0 }));
  const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'array', elements: els, parallelism: 4, defaultNetwork: 'none' }, new Lines());
  try {
    const o = await h.done;
    assert.equal(o.status, 'failed', 'one element failed');
    const r = await store.read(h.runId);
    assert.deepEqual(r.sweep?.counts, { succeeded: 19, failed: 1 });
    const got = await store.readElements(h.runId, 20);
    const jobs = new Set(got.map((e) => (e.target?.kind === 'slurm' ? e.target.jobId?.split('_')[0] : undefined)));
    assert.equal(jobs.size, 1, `one array job for all elements: ${[...jobs].join(', ')}`);
    const arrayId = [...jobs][0]!;
    assert.match(arrayId, /^\d+$/);
    assert.match(readFileSync(join(got[0]!.target!.kind === 'slurm' ? got[0]!.target!.runDir! : '', 'batch.sh'), 'utf8'), /#SBATCH --array=0-19%4/);
    for (const e of got) {
      assert.equal(e.exitCode, e.index === 13 ? 4 : 0, `element ${e.index}'s exit code`);
      assert.deepEqual(elementLogText(store, h.runId, e.index), lines(3, `e${e.index}`), `element ${e.index}'s log`);
      assert.equal(readFileSync(join(dir, `el${e.index}`, 'out', 'result.txt'), 'utf8'), `element ${e.index}`);
    }
    assert.deepEqual(await containersOf(h.runId), [], 'no container left');
  } finally { await sup.dispose(); await backend.dispose(); }
});

test('scancel: one element stops alone, then the whole array in one call; nothing is left running', async () => {
  const { dir, store } = workspace('cancel');
  const backend = localSlurm();
  const sup = supervisorFor(store, backend);
  const els = elements(dir, 6, () => ({ lines: lines(300, 'tick'), lineMs: 200, exitCode: 0 }));
  const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'cancel', elements: els, parallelism: 2, defaultNetwork: 'none' }, new Lines());
  try {
    await waitFor(async () => (await store.readElement(h.runId, 0))?.status === 'running' && elementLogText(store, h.runId, 0).length >= 2, 120_000, 'element 0 running');
    await sup.stopElement(h.runId, 0);
    await waitFor(async () => (await store.readElement(h.runId, 0))?.status === 'stopped', 60_000, 'element 0 stopped');
    assert.equal((await store.readElement(h.runId, 1))?.status === 'stopped', false, 'element 1 goes on');
    await waitFor(async () => !(await containersOf(h.runId)).includes(`cubelab-${h.runId}-0`), 30_000, 'element 0\'s container to go');
    await waitFor(async () => (await store.readElement(h.runId, 2))?.status === 'running', 120_000, 'element 2 to take the free slot');
    await sup.stop(h.runId);
    const o = await h.done;
    assert.equal(o.status, 'stopped');
    const got = await store.readElements(h.runId, 6);
    assert.ok(got.every((e) => e.status === 'stopped'), got.map((e) => `${e.index}:${e.status}`).join(' '));
    assert.match(got[5]?.reason ?? '', /cancel|Stopped/i);
    await waitFor(async () => (await containersOf(h.runId)).length === 0, 30_000, 'every container to go');
  } finally { await sup.dispose(); await backend.dispose(); }
});

test('a job pending on resources shows Slurm\'s reason', async () => {
  const { dir, store } = workspace('pending');
  const backend = localSlurm({ cpus: 2 });
  const sup = supervisorFor(store, backend);
  // Each element holds the node's two CPUs for 60 s: long enough for a scheduler pass to give the waiting one its
  // reason (it can stay "None" until the main or backfill scheduler looks at it; 20 s was once too short under load).
  const els = elements(dir, 2, () => ({ lines: lines(300, 'busy'), lineMs: 200, exitCode: 0 }));
  const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'pending', elements: els, parallelism: 2, defaultNetwork: 'none' }, new Lines());
  try {
    await waitFor(async () => {
      const got = await store.readElements(h.runId, 2);
      return got.some((e) => e.status === 'running') && got.some((e) => e.status === 'queued' && /Resources/.test(e.reason ?? ''));
    }, 120_000, 'one element running and the other pending on Resources');
    const waiting = (await store.readElements(h.runId, 2)).find((e) => e.status === 'queued');
    assert.equal(waiting?.reason, 'Resources (waiting for resources)');
    await sup.stop(h.runId);
    assert.equal((await h.done).status, 'stopped');
  } finally { await sup.dispose(); await backend.dispose(); }
});

test('slurmctld restarted mid-run, then a window reload mid-sweep: no run and no line lost', async () => {
  const { dir, store } = workspace('restart');
  const first = localSlurm();
  const supA = supervisorFor(store, first);
  const els = elements(dir, 4, (i) => ({ lines: lines(60, `r${i}`), lineMs: 150, exitCode: 0 }));
  const h = await supA.startSweep({ backend: first, manifest: join(dir, 'mlcube.yaml'), task: 'restart', elements: els, parallelism: 4, defaultNetwork: 'none' }, new Lines());
  await waitFor(async () => elementLogText(store, h.runId, 0).length >= 5, 120_000, 'the first lines');
  stopController();
  await new Promise((r) => setTimeout(r, 3000));
  startSlurm();
  // The window reloads while the elements run.
  await waitFor(async () => elementLogText(store, h.runId, 1).length >= 20, 120_000, 'more lines after the restart');
  await supA.dispose();
  await first.dispose();
  const second = localSlurm();
  const supB = supervisorFor(new RunStore(store.root), second);
  try {
    const handles = await supB.attach();
    assert.deepEqual(handles.map((x) => x.runId), [h.runId]);
    const o = await handles[0]!.done;
    assert.equal(o.status, 'succeeded', o.reason);
    for (let i = 0; i < 4; i++) assert.deepEqual(elementLogText(store, h.runId, i), lines(60, `r${i}`), `element ${i}: every line once`);
  } finally { await supB.dispose(); await second.dispose(); }
});

test('the time-limited element (started first) ended "failed: exceeded its time limit", its container gone', { timeout: 300_000 }, async () => {
  assert.ok(timeLimited, 'the first test started it');
  const { runId, store, status } = await timeLimited!;
  assert.equal(status, 'failed');
  const e1 = await store.readElement(runId, 1);
  assert.equal(e1?.status, 'failed');
  assert.match(e1?.reason ?? '', /exceeded its time limit/);
  assert.ok(elementLogText(store, runId, 1).length >= 10, 'it ran for a while');
  await waitFor(async () => (await containersOf(runId)).length === 0, 30_000, 'no container left');
  assert.ok(!existsSync(join(e1?.target?.kind === 'slurm' ? e1.target.runDir ?? '' : '', 'elements', '1', 'env')), 'no secret file left');
});
