/**
 * Sweeps in the supervisor, against the in-memory backend (a test stand-in): elements run a bounded number at
 * a time, each with its own log, exit code and state file; the sweep's record keeps the counts; one element or
 * the whole sweep can be stopped; a reload mid-sweep re-attaches the started elements and starts the others.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../client/src/runs/runStore';
import { Supervisor } from '../../../client/src/runs/supervisor';
import { MemoryBackend, MemoryWorld, memoryPlan, type MemoryProgram } from '../../helpers/memoryBackend';

const world = new MemoryWorld();
after(() => world.dispose());

function setup(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `cubelab-sweep-${name}-`));
  const store = new RunStore(join(dir, '.cubelab', 'runs'));
  const backend = new MemoryBackend(world);
  const sup = new Supervisor({ store, backendFor: (t) => (backend.owns(t) ? backend : undefined), retryMs: 20 });
  const elements = (programs: MemoryProgram[]) => programs.map((p, i) => ({ overrides: [`lr=0.${i + 1}`], plan: memoryPlan(p) }));
  const sweep = (programs: MemoryProgram[], parallelism: number, s = sup, b = backend) =>
    s.startSweep({ backend: b, manifest: join(dir, 'mlcube.yaml'), task: 'train', elements: elements(programs), parallelism, source: 'lr=0.1,0.2' });
  return { dir, store, backend, sup, sweep };
}

const lines = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `${tag} ${i + 1}`);
const elementLog = (store: RunStore, runId: string, i: number): string[] =>
  readFileSync(join(store.elementDir(runId, i), 'run.log'), 'utf8').split('\n').map((l) => /^\S+ (out|err) ([^\n]*)$/.exec(l)?.[2]).filter((x): x is string => x !== undefined);

test('a sweep runs its elements a bounded number at a time; each has its log, exit code and file; the record counts them', async () => {
  const s = setup('basic');
  let most = 0;
  const watch = setInterval(() => { most = Math.max(most, [...world.works.values()].filter((w) => w.state === 'running').length); }, 2);
  const programs = Array.from({ length: 6 }, (_, i) => ({ lines: lines(5, `e${i}`), lineMs: 15, exitCode: i === 4 ? 3 : 0 }));
  const h = await s.sweep(programs, 2);
  const o = await h.done;
  clearInterval(watch);
  assert.deepEqual([o.status, o.reason], ['failed', '5 of 6 element(s) succeeded, 1 failed.']);
  assert.ok(most <= 2 && most >= 1, `at most 2 at once (saw ${most})`);
  const r = await s.store.read(h.runId);
  assert.deepEqual(r.sweep?.counts, { succeeded: 5, failed: 1 });
  assert.deepEqual([r.sweep?.count, r.sweep?.parallelism, r.sweep?.source], [6, 2, 'lr=0.1,0.2']);
  const els = await s.store.readElements(h.runId, 6);
  assert.deepEqual(els.map((e) => [e.index, e.status, e.exitCode, e.overrides[0]]), programs.map((_, i) => [i, i === 4 ? 'failed' : 'succeeded', i === 4 ? 3 : 0, `lr=0.${i + 1}`]));
  for (let i = 0; i < 6; i++) assert.deepEqual(elementLog(s.store, h.runId, i), lines(5, `e${i}`));
  assert.match(els[4]!.reason ?? '', /exited with code 3/);
  assert.equal(existsSync(s.store.lockPath(h.runId)), false, 'the lock is released');
});

test('stopping one element stops only it; stopping the sweep stops the running ones and starts no other', async () => {
  const s = setup('stop');
  const h = await s.sweep(Array.from({ length: 3 }, (_, i) => ({ lines: lines(i === 1 ? 400 : 5, `e${i}`), lineMs: 10 })), 3);
  await new Promise((r) => setTimeout(r, 120));
  await s.sup.stopElement(h.runId, 1);
  const o = await h.done;
  assert.equal(o.status, 'stopped');
  const els = await s.store.readElements(h.runId, 3);
  assert.deepEqual(els.map((e) => e.status), ['succeeded', 'stopped', 'succeeded']);
  assert.match(els[1]!.reason ?? '', /Stopped by the user/);

  const t = setup('stopall');
  const h2 = await t.sweep(Array.from({ length: 5 }, (_, i) => ({ lines: lines(300, `e${i}`), lineMs: 10 })), 2);
  await new Promise((r) => setTimeout(r, 120));
  await t.sup.stop(h2.runId);
  const o2 = await h2.done;
  assert.equal(o2.status, 'stopped');
  const els2 = await t.store.readElements(h2.runId, 5);
  assert.deepEqual(els2.map((e) => e.status), ['stopped', 'stopped', 'stopped', 'stopped', 'stopped']);
  assert.deepEqual(els2.slice(2).map((e) => e.reason), Array(3).fill('Not run: the sweep was stopped.'));
  assert.ok(els2.slice(2).every((e) => !e.target?.kind || !(e.target as { workId?: string }).workId), 'the pending elements never ran');
});

test('a reload mid-sweep: the started elements are re-attached (every line once), the pending ones start', async () => {
  const s = setup('reload');
  const programs = Array.from({ length: 4 }, (_, i) => ({ lines: lines(40, `e${i}`), lineMs: 10 }));
  const h = await s.sweep(programs, 2);
  await new Promise((r) => setTimeout(r, 150));
  await s.sup.dispose();
  const b2 = new MemoryBackend(world);
  const sup2 = new Supervisor({ store: new RunStore(s.store.root), backendFor: (t) => (b2.owns(t) ? b2 : undefined), retryMs: 20 });
  const handles = await sup2.attach();
  assert.deepEqual(handles.map((x) => x.runId), [h.runId]);
  const o = await handles[0]!.done;
  assert.equal(o.status, 'succeeded');
  for (let i = 0; i < 4; i++) assert.deepEqual(elementLog(s.store, h.runId, i), lines(40, `e${i}`), `element ${i}`);
  assert.deepEqual((await s.store.read(h.runId)).sweep?.counts, { succeeded: 4 });
  await sup2.dispose();
});
