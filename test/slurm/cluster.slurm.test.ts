/**
 * The cluster's other faces, on the real Slurm: podman on the node; the scheduler commands wrapped on the PATH by
 * a logging shim (one status query per poll, whatever the number of jobs; one sbatch for the sweep);
 * MaxArraySize=10 with 20 elements (two arrays); accounting off (squeue only). The modes are switched here, in
 * order, and the default (slurmdbd, 1001) restored at the end.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { elementLogText } from '../contract/elementLog';
import type { SweepElementRequest } from '../../client/src/runs/sweep';
import { containersOf, Lines, localSlurm, planFor, startSlurm, supervisorFor, workspace } from './helpers';

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

function podmanContainers(prefix: string): string[] {
  const out = execFileSync('podman', ['ps', '-a', '--format', '{{.Names}}', '--filter', `name=${prefix}`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

test('podman on the node runs a sweep: outputs, exit codes, logs; no container left', async () => {
  const { dir, store } = workspace('podman');
  const backend = localSlurm({ runtime: 'podman' });
  const sup = supervisorFor(store, backend);
  const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'podman', elements: elements(dir, 3, (i) => ({ lines: lines(3, `p${i}`), lineMs: 20, exitCode: i === 2 ? 5 : 0 })), parallelism: 3, defaultNetwork: 'none' }, new Lines());
  try {
    const o = await h.done;
    assert.equal(o.status, 'failed');
    const els = await store.readElements(h.runId, 3);
    assert.deepEqual(els.map((e) => [e.status, e.exitCode]), [['succeeded', 0], ['succeeded', 0], ['failed', 5]]);
    for (const e of els) {
      assert.deepEqual(elementLogText(store, h.runId, e.index), lines(3, `p${e.index}`));
      assert.equal(readFileSync(join(dir, `el${e.index}`, 'out', 'result.txt'), 'utf8'), `element ${e.index}`);
    }
    assert.deepEqual(podmanContainers(`cubelab-${h.runId}-`), []);
  } finally { await sup.dispose(); await backend.dispose(); }
});

test('the scheduler commands behind a logging shim: one sbatch for the sweep, one status query per poll', async () => {
  const { dir, store } = workspace('shim');
  const shim = join(dir, 'shim');
  const log = join(dir, 'calls.log');
  mkdirSync(shim);
  for (const cmd of ['sbatch', 'squeue', 'sacct', 'scancel', 'scontrol', 'sinfo', 'srun']) {
    writeFileSync(join(shim, cmd), `#!/bin/sh\nprintf '%s %s\\n' "$(date +%s.%N)" "${cmd} $*" >> '${log}'\nexec /usr/bin/${cmd} "$@"\n`);
    chmodSync(join(shim, cmd), 0o755);
  }
  const backend = localSlurm({}, { localEnv: { PATH: `${shim}:${process.env.PATH}` } });
  const sup = supervisorFor(store, backend);
  const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'shim', elements: elements(dir, 12, (i) => ({ lines: lines(10, `s${i}`), lineMs: 100, exitCode: 0 })), parallelism: 3, defaultNetwork: 'none' }, new Lines());
  try {
    const o = await h.done;
    assert.equal(o.status, 'succeeded', o.reason);
    const raw = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(1));
    const calls = raw.map((w) => w[0]);
    const count = (c: string) => calls.filter((x) => x === c).length;
    assert.equal(raw.filter((w) => w[0] === 'sbatch' && w.includes('--parsable')).length, 1, 'the sweep is one submission');
    const polls = backend.watch.stats.polls;
    assert.equal(count('squeue'), polls, `${count('squeue')} squeue calls in ${polls} polls for 12 jobs`);
    assert.ok(count('sacct') <= polls, `${count('sacct')} sacct calls (only for jobs the controller forgot)`);
    assert.ok(polls < 12 * 10, `${polls} polls: never one per job`);
    for (let i = 0; i < 12; i++) assert.deepEqual(elementLogText(store, h.runId, i), lines(10, `s${i}`));
  } finally { await sup.dispose(); await backend.dispose(); }
});

test('MaxArraySize=10: a 20-element sweep is two arrays, every element runs once', { timeout: 600_000 }, async () => {
  startSlurm({ maxArray: 10 });
  const { dir, store } = workspace('chunks');
  const backend = localSlurm();
  const sup = supervisorFor(store, backend);
  const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'chunks', elements: elements(dir, 20, (i) => ({ lines: [`c${i}`], lineMs: 0, exitCode: 0 })), parallelism: 5, defaultNetwork: 'none' }, new Lines());
  try {
    const o = await h.done;
    assert.equal(o.status, 'succeeded', o.reason);
    const els = await store.readElements(h.runId, 20);
    const arrays = new Set(els.map((e) => (e.target?.kind === 'slurm' ? e.target.jobId?.split('_')[0] : '')));
    assert.equal(arrays.size, 2, `two array jobs: ${[...arrays].join(', ')}`);
    const keys = els.map((e) => (e.target?.kind === 'slurm' ? e.target.jobId?.split('_')[1] : ''));
    assert.deepEqual(keys, [...Array.from({ length: 10 }, (_, i) => String(i)), ...Array.from({ length: 10 }, (_, i) => String(i))], 'task ids stay below MaxArraySize');
    for (const e of els) assert.deepEqual(elementLogText(store, h.runId, e.index), [`c${e.index}`]);
    assert.deepEqual(await containersOf(h.runId), []);
  } finally { await sup.dispose(); await backend.dispose(); }
});

test('accounting off: squeue alone follows a sweep to its end (and a stop)', { timeout: 600_000 }, async () => {
  startSlurm({ accounting: 'none' });
  const { dir, store } = workspace('squeue');
  const backend = localSlurm();
  assert.match((await backend.probe()).detail ?? '', /no accounting/);
  const sup = supervisorFor(store, backend);
  const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'squeue', elements: elements(dir, 4, (i) => ({ lines: lines(4, `q${i}`), lineMs: 50, exitCode: i === 1 ? 2 : 0 })), parallelism: 2, defaultNetwork: 'none' }, new Lines());
  try {
    const o = await h.done;
    assert.equal(o.status, 'failed');
    const els = await store.readElements(h.runId, 4);
    assert.deepEqual(els.map((e) => e.exitCode), [0, 2, 0, 0]);
    assert.equal(backend.watch.stats.historyCalls, 0, 'no sacct without accounting');
    for (const e of els) assert.deepEqual(elementLogText(store, h.runId, e.index), lines(4, `q${e.index}`));
  } finally { await sup.dispose(); await backend.dispose(); }
});
