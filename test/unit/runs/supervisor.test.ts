/**
 * The supervisor's status transitions and its bookkeeping, against the in-memory backend (a test stand-in):
 * queued → running → final, a refused submission, a target that cannot be reached at the start, secrets kept
 * out of the record and the log, a full disk, a record that is unreadable or lost its work, older records.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../client/src/runs/runStore';
import { Supervisor } from '../../../client/src/runs/supervisor';
import type { RunRecord, RunStatus } from '../../../client/src/runs/record';
import { sha256 } from '../../../client/src/runs/secrets';
import { MemoryBackend, MemoryWorld, memoryPlan, type MemoryProgram } from '../../helpers/memoryBackend';
import { storedText } from '../../contract/runContract';

const world = new MemoryWorld();
after(() => world.dispose());

function setup(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `cubelab-sup-${name}-`));
  const store = new RunStore(join(dir, '.cubelab', 'runs'));
  const backend = new MemoryBackend(world);
  const seen: RunStatus[] = [];
  const sup = new Supervisor({ store, backendFor: (t) => (backend.owns(t) ? backend : undefined), retryMs: 20, onRecord: (r) => { if (seen[seen.length - 1] !== r.status) seen.push(r.status); } });
  const start = (program: MemoryProgram, extra: Partial<Parameters<Supervisor['start']>[0]> = {}) =>
    sup.start({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'train', plan: memoryPlan(program), ...extra });
  return { dir, store, backend, sup, seen, start };
}

test('queued with the scheduler\'s reason, then running, then succeeded: each change is in the record', async () => {
  const s = setup('queued');
  const h = await s.start({ lines: ['a', 'b'], queuedMs: 300, queuedReason: 'Resources', lineMs: 10 });
  // The record says why the work waits while it waits.
  for (let i = 0; i < 100 && (await s.store.read(h.runId)).status !== 'queued'; i++) await new Promise((r) => setTimeout(r, 10));
  const queued = await s.store.read(h.runId);
  assert.deepEqual([queued.status, queued.reason], ['queued', 'Resources']);
  const o = await h.done;
  assert.equal(o.status, 'succeeded');
  assert.deepEqual(s.seen, ['configuring', 'queued', 'running', 'succeeded']);
  const r = await s.store.read(h.runId);
  assert.equal(r.reason, undefined, 'the queue reason is gone once it runs');
  assert.equal(r.target.kind === 'memory' && r.target.workId?.startsWith('work-'), true);
});

test('a submission the target refuses: the record is failed with the target\'s words, and start throws them', async () => {
  const s = setup('refused');
  await assert.rejects(s.start({ refuse: 'quota exceeded for project x' }), /quota exceeded for project x/);
  const { runs } = await s.store.list();
  assert.equal(runs.length, 1);
  assert.deepEqual([runs[0]!.status, runs[0]!.reason], ['failed', 'quota exceeded for project x']);
  assert.equal(existsSync(s.store.lockPath(runs[0]!.runId)), false, 'the lock is released');
});

test('a target that cannot be reached at the start: a clear error, and no record', async () => {
  const s = setup('down');
  world.reachable = false;
  try {
    await assert.rejects(s.start({ lines: ['x'] }), /unreachable/);
  } finally { world.reachable = true; }
  assert.deepEqual((await s.store.list()).runs, []);
});

test('secrets: environment values and ${oc.env} resolutions never reach the record or the log; their hashes do', async () => {
  const s = setup('secrets');
  const token = 'hf_Secr3tT0kenValue';
  const plan = memoryPlan({ lines: [`using token ${token}`, 'done'] }, {
    env: { HF_TOKEN: token, MODE: 'fast' }, envRefs: [{ name: 'HF_TOKEN', value: token }],
    paramArgs: [`--token=${token}`],
  });
  plan.platforms.docker.runArgs = `--shm-size=1g -e API_KEY=${token}x`;
  const h = await s.sup.start({ backend: s.backend, manifest: join(s.dir, 'mlcube.yaml'), task: 'train', plan, overrides: [`token=${token}`] });
  await h.done;
  const text = readFileSync(s.store.recordPath(h.runId), 'utf8');
  assert.equal(text.includes(token), false, 'the record holds no secret value');
  assert.equal(readFileSync(s.store.logPath(h.runId), 'utf8').includes(token), false, 'the log holds no secret value');
  const r = await s.store.read(h.runId);
  assert.deepEqual(r.secrets?.find((d) => d.name === 'env:HF_TOKEN'), { name: 'env:HF_TOKEN', sha256: sha256(token) });
  assert.deepEqual(r.secrets?.find((d) => d.name === 'env:API_KEY'), { name: 'env:API_KEY', sha256: sha256(`${token}x`) });
  assert.equal((r.plan.env as Record<string, string>).MODE, '<secret env:MODE>');
  assert.match(r.plan.platforms.docker.runArgs, /^--shm-size=1g -e API_KEY=<secret env:API_KEY>$/);
  assert.deepEqual(storedText(s.store, h.runId), ['using token <secret env:HF_TOKEN>', 'done']);
});

test('re-attach: an unreadable record, a record whose work is gone, and a record without any work do not stop the others', async () => {
  const s = setup('mixed');
  const h = await s.start({ lines: Array.from({ length: 30 }, (_, i) => `l${i}`), lineMs: 20 });
  await s.sup.dispose();
  // An unreadable record, a run whose work vanished, and a run whose window died before it submitted.
  mkdirSync(join(s.store.root, 'half-written'));
  writeFileSync(join(s.store.root, 'half-written', 'run.json'), '{"version":2,"runId":"half-wr');
  const base = await s.store.read(h.runId);
  await s.store.create({ ...base, runId: 'ghost-run', target: { kind: 'memory', name: 'memory', workId: 'work-does-not-exist' }, status: 'running' });
  await s.store.create({ ...base, runId: 'never-submitted', target: { kind: 'memory', name: 'memory' }, status: 'configuring' });
  // A v1 record of the Docker runner, whose target this window does not have: left alone.
  const v1 = { version: 1, runId: 'old-docker', manifest: base.manifest, task: 't', target: 'docker', plan: base.plan, overrides: [], image: { name: 'i' }, engine: { host: 'unix:///var/run/docker.sock' }, containerId: 'c'.repeat(64), status: 'engine-unreachable', startedAt: '2026-11-01T00:00:00.000Z', exitCode: null, git: null, warnings: [] };
  mkdirSync(join(s.store.root, 'old-docker'));
  writeFileSync(join(s.store.root, 'old-docker', 'run.json'), JSON.stringify(v1));
  const backend = new MemoryBackend(world);
  const sup2 = new Supervisor({ store: new RunStore(s.store.root), backendFor: (t) => (backend.owns(t) ? backend : undefined), retryMs: 20 });
  const handles = await sup2.attach();
  assert.deepEqual(handles.map((x) => x.runId), [h.runId]);
  assert.equal((await handles[0]!.done).status, 'succeeded');
  const { runs, problems } = await s.store.list();
  const by = (id: string): RunRecord => runs.find((r) => r.runId === id)!;
  assert.deepEqual(problems.map((p) => p.runId), ['half-written']);
  assert.deepEqual([by('ghost-run').status, by('ghost-run').reason], ['failed', 'The in-memory work is gone.']);
  assert.equal(by('never-submitted').status, 'failed');
  // The old record reads as version 2, its status renamed, its engine and container in the target.
  assert.deepEqual([by('old-docker').status, by('old-docker').target], ['target-unreachable', { kind: 'docker', name: 'local', engine: 'unix:///var/run/docker.sock', containerId: 'c'.repeat(64) }]);
  await sup2.dispose();
});

test('the record is written durably: no temporary file stays, and concurrent updates all land', async () => {
  const s = setup('durable');
  const h = await s.start({ lines: ['x'] });
  await h.done;
  await Promise.all([1, 2, 3, 4].map((n) => s.store.update(h.runId, (r) => ({ warnings: [...r.warnings, `w${n}`] }))));
  assert.deepEqual((await s.store.read(h.runId)).warnings, ['w1', 'w2', 'w3', 'w4']);
  assert.deepEqual(readdirSync(s.store.dir(h.runId)).sort(), ['run.cursor.json', 'run.json', 'run.log']);
});

test('a log that cannot be written (a full disk) is a message and a reason in the record; the run still ends', async () => {
  const s = setup('full');
  const h = await s.start({ lines: Array.from({ length: 20 }, (_, i) => `l${i}`), lineMs: 15 });
  // Make the log unwritable mid-run by replacing its folder entry with a directory of the same name is not
  // possible while open; instead inject the stream error the disk would raise.
  await new Promise((r) => setTimeout(r, 60));
  const internals = (s.sup as unknown as { active: Map<string, { log: { stream: NodeJS.WritableStream } }> }).active.get(h.runId)!;
  const err = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  (internals.log.stream as unknown as { emit(e: string, x: unknown): void }).emit('error', err);
  const o = await h.done;
  assert.equal(o.status, 'succeeded');
  const r = await s.store.read(h.runId);
  assert.match(r.reason ?? '', /cannot write the run's log .*ENOSPC: no space left on the disk/);
});

test('a log cut by a crash mid-line, with a saved cursor: cut back to the cursor, sys lines kept, nothing lost', async () => {
  const s = setup('crash');
  const h = await s.start({ lines: Array.from({ length: 40 }, (_, i) => `l${i}`), lineMs: 25 });
  await new Promise((r) => setTimeout(r, 500));
  await s.sup.dispose(); // saves the cursor
  // After the saved point: more output lines (a crash before the next save) and a note of CubeLab's own.
  const log = s.store.logPath(h.runId);
  writeFileSync(log, readFileSync(log, 'utf8') + '2026-12-03T00:00:00.000Z out l-duplicate\n2026-12-03T00:00:00.001Z sys a note\n2026-12-03T00:00:00.002Z out hal', { flag: 'w' });
  const backend = new MemoryBackend(world);
  const sup2 = new Supervisor({ store: s.store, backendFor: (t) => (backend.owns(t) ? backend : undefined), retryMs: 20 });
  const [again] = await sup2.attach();
  await again!.done;
  assert.deepEqual(storedText(s.store, h.runId), Array.from({ length: 40 }, (_, i) => `l${i}`));
  assert.match(readFileSync(log, 'utf8'), / sys a note\n/);
});

test('stop from a window that does not have the run\'s target configured: a clear error, the request is still recorded', async () => {
  const s = setup('notarget');
  const h = await s.start({ lines: Array.from({ length: 50 }, (_, i) => `l${i}`), lineMs: 20 });
  const other = new Supervisor({ store: new RunStore(s.store.root), backendFor: () => undefined });
  await assert.rejects(other.stop(h.runId), /not configured in this window/);
  assert.equal((await s.store.read(h.runId)).stopRequested, true);
  await s.sup.stop(h.runId);
  assert.equal((await h.done).status, 'stopped');
});

test('what a plan grants the container on the host must be confirmed: refused (nothing recorded) until it is, then recorded', async () => {
  const s = setup('grants');
  const plan = memoryPlan({ lines: ['x'] }, { mounts: [{ host: '/etc', container: '/mlcube_io0', mode: 'ro' }] });
  plan.platforms.docker.runArgs = '--privileged --network=host';
  await assert.rejects(s.sup.start({ backend: s.backend, manifest: join(s.dir, 'mlcube.yaml'), task: 'train', plan }),
    (e: Error) => /would give the container access to the host: mounts \/etc \(the host's \/etc\), read-only; runs privileged .*; shares the host's network namespace\. It starts only once that is confirmed\./.test(e.message));
  assert.deepEqual((await s.store.list()).runs, [], 'nothing recorded');
  const { planGrants } = await import('../../../shared/docker/hostGrants');
  const { currentHostFacts } = await import('../../../shared/docker/runArgs');
  const { set } = planGrants(plan, currentHostFacts());
  assert.deepEqual(set.items, ['bind:/etc:ro', 'network=host', 'privileged']);
  // Another set (one more grant) is not the one confirmed.
  const other = { ...plan, platforms: { ...plan.platforms, docker: { ...plan.platforms.docker, runArgs: '--privileged --network=host --pid=host' } } };
  await assert.rejects(s.sup.start({ backend: s.backend, manifest: join(s.dir, 'mlcube.yaml'), task: 'train', plan: other, grants: set }), /shares the host's processes namespace/);
  const h = await s.sup.start({ backend: s.backend, manifest: join(s.dir, 'mlcube.yaml'), task: 'train', plan, grants: set });
  assert.equal((await h.done).status, 'succeeded');
  assert.deepEqual((await s.store.read(h.runId)).grants, set);
});
