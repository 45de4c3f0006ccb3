/**
 * The run layer's contract: the same cases, word for word, for every backend (the in-memory one in the unit
 * tier, the local Docker engine in the runner tier, and each later target in its own tier). A backend that
 * cannot support a case lists it in `unsupported` with its reason (the README repeats the list).
 *
 * Each case describes the work as a small program (lines to print, a file to write into the output mount, an
 * exit code); the target's adapter turns it into a plan for that backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskPlan } from '../../shared/lsp-protocol';
import type { Backend, RunSink } from '../../client/src/runs/backend';
import { RunStore } from '../../client/src/runs/runStore';
import { Supervisor } from '../../client/src/runs/supervisor';
import type { RunRecord } from '../../client/src/runs/record';
import { elementLogText } from './elementLog';

export interface Program {
  lines: string[];
  /** Pause between lines (ms). */
  lineMs: number;
  /** A file written into the output mount after the lines. */
  output?: { file: string; content: string };
  exitCode: number;
}

export type ContractCase = 'run' | 'exit-code' | 'stop' | 'reload' | 'target-lost' | 'two-windows' | 'sweep';

export interface ContractTarget {
  name: string;
  /** A backend for a new window (each call is a fresh instance on the same target). */
  makeBackend(): Backend;
  /** A plan running `program`, with its output mount at `<workspace>/out` (container side: the backend's choice). */
  planFor(program: Program, workspace: string): TaskPlan;
  /** Takes the target away without stopping the work there, and brings it back. */
  loseTarget(): Promise<void>;
  restoreTarget(): Promise<void>;
  /** Whether the work of a record still exists on the target (a container, a job). */
  workExists(record: RunRecord): Promise<boolean>;
  /** Cases this target cannot support, each with its reason. */
  unsupported?: Partial<Record<ContractCase, string>>;
  /** Extra options of the supervisor (faster retries in tests). */
  retryMs?: number;
  stopGraceSeconds?: number;
  /** Cleans up after a case (containers kept for inspection). */
  cleanup?(record: RunRecord): Promise<void>;
  timeoutMs?: number;
  /**
   * Pause between lines in the "target lost" case (default 20 ms: 150 lines in 3 s). A target whose work keeps
   * running while the target is away sets it so the work outlives the time the target takes to come back.
   */
  lostLineMs?: number;
}

class Lines implements RunSink {
  lines: string[] = [];
  infos: string[] = [];
  line(text: string): void { this.lines.push(text); }
  info(text: string): void { this.infos.push(text); }
}

function workspace(name: string): { dir: string; store: RunStore } {
  const dir = mkdtempSync(join(tmpdir(), `cubelab-contract-${name}-`));
  mkdirSync(join(dir, 'out'), { recursive: true });
  return { dir, store: new RunStore(join(dir, '.cubelab', 'runs')) };
}

/** The task's output lines as stored in run.log (CubeLab's own `sys` lines left out). */
export function storedText(store: RunStore, runId: string): string[] {
  const log = join(store.root, runId, 'run.log');
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').split('\n').map((l) => /^\S+ (out|err) ([^\n]*)$/.exec(l)).filter((m): m is RegExpExecArray => !!m).map((m) => m[2] ?? '');
}

const numbered = (n: number, prefix = 'line'): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function runContract(t: ContractTarget): void {
  const timeout = t.timeoutMs ?? 60_000;
  const supervisor = (store: RunStore, backend: Backend) => new Supervisor({
    store, backendFor: (target) => (backend.owns(target) ? backend : undefined), retryMs: t.retryMs ?? 200, stopGraceSeconds: t.stopGraceSeconds ?? 2,
  });
  const start = (sup: Supervisor, backend: Backend, dir: string, program: Program, sink: RunSink) =>
    sup.start({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'contract', plan: t.planFor(program, dir), defaultNetwork: 'none' }, sink);
  const skip = (c: ContractCase): string | undefined => t.unsupported?.[c];

  test(`[${t.name}] contract: a run stores every line in order, writes its output, succeeds`, { timeout, skip: skip('run') }, async () => {
    const { dir, store } = workspace('run');
    const backend = t.makeBackend();
    const sup = supervisor(store, backend);
    const sink = new Lines();
    const h = await start(sup, backend, dir, { lines: numbered(50), lineMs: 0, output: { file: 'result.txt', content: 'accuracy=0.93' }, exitCode: 0 }, sink);
    const o = await h.done;
    const r = await store.read(h.runId);
    try {
      assert.deepEqual([o.status, o.exitCode], ['succeeded', 0]);
      assert.deepEqual([r.status, r.exitCode, r.target.kind], ['succeeded', 0, backend.kind]);
      assert.ok(r.endedAt && r.endedAt >= r.startedAt);
      assert.deepEqual(storedText(store, h.runId), numbered(50));
      assert.deepEqual(sink.lines, numbered(50), 'the terminal showed every line once, in order');
      assert.equal(readFileSync(join(dir, 'out', 'result.txt'), 'utf8'), 'accuracy=0.93');
    } finally { await t.cleanup?.(r); await sup.dispose(); await backend.dispose(); }
  });

  test(`[${t.name}] contract: a failing task's exit code is recorded with the reason`, { timeout, skip: skip('exit-code') }, async () => {
    const { dir, store } = workspace('exit');
    const backend = t.makeBackend();
    const sup = supervisor(store, backend);
    const h = await start(sup, backend, dir, { lines: ['about to fail'], lineMs: 0, exitCode: 3 }, new Lines());
    const o = await h.done;
    const r = await store.read(h.runId);
    try {
      assert.deepEqual([o.status, o.exitCode, r.status, r.exitCode], ['failed', 3, 'failed', 3]);
      assert.match(r.reason ?? '', /exited with code 3/);
      assert.deepEqual(storedText(store, h.runId), ['about to fail']);
    } finally { await t.cleanup?.(r); await sup.dispose(); await backend.dispose(); }
  });

  test(`[${t.name}] contract: stop ends the work on the target and records "stopped"`, { timeout, skip: skip('stop') }, async () => {
    const { dir, store } = workspace('stop');
    const backend = t.makeBackend();
    const sup = supervisor(store, backend);
    const sink = new Lines();
    const h = await start(sup, backend, dir, { lines: numbered(600), lineMs: 100, exitCode: 0 }, sink);
    await until(() => sink.lines.length >= 3, timeout / 2, 'the first lines');
    await sup.stop(h.runId);
    const o = await h.done;
    const r = await store.read(h.runId);
    try {
      assert.equal(o.status, 'stopped');
      assert.deepEqual([r.status, r.stopRequested], ['stopped', true]);
      assert.match(r.reason ?? '', /Stopped by the user/);
      const stored = storedText(store, h.runId);
      assert.ok(stored.length >= 3 && stored.length < 600, `${stored.length} lines stored before the stop`);
      assert.deepEqual(stored, numbered(stored.length));
      assert.equal(await t.workExists(r), false, 'nothing of the work is left on the target');
    } finally { await t.cleanup?.(r); await sup.dispose(); await backend.dispose(); }
  });

  test(`[${t.name}] contract: a reload mid-run re-attaches; every line is stored once, in order`, { timeout, skip: skip('reload') }, async () => {
    const { dir, store } = workspace('reload');
    const first = t.makeBackend();
    const supA = supervisor(store, first);
    const sink = new Lines();
    const h = await start(supA, first, dir, { lines: numbered(200), lineMs: 15, exitCode: 0 }, sink);
    await until(() => sink.lines.length >= 40, timeout / 2, '40 lines');
    await supA.dispose(); // the window reloads: nobody follows the work for a while
    await first.dispose();
    const atReload = storedText(store, h.runId).length;
    await new Promise((r) => setTimeout(r, 500));
    const second = t.makeBackend();
    const supB = supervisor(new RunStore(store.root), second);
    const handles = await supB.attach();
    try {
      assert.deepEqual(handles.map((x) => x.runId), [h.runId]);
      const o = await handles[0]!.done;
      assert.deepEqual([o.status, o.exitCode], ['succeeded', 0]);
      const stored = storedText(store, h.runId);
      assert.ok(atReload < 200, `the reload happened mid-run (${atReload} lines stored)`);
      assert.deepEqual(stored, numbered(200), 'nothing duplicated, nothing missing');
    } finally { await t.cleanup?.(await store.read(h.runId)); await supB.dispose(); await second.dispose(); }
  });

  test(`[${t.name}] contract: the target lost and back: "target-unreachable", then the run completes with every line`, { timeout, skip: skip('target-lost') }, async () => {
    const { dir, store } = workspace('lost');
    const backend = t.makeBackend();
    const sup = supervisor(store, backend);
    const sink = new Lines();
    const h = await start(sup, backend, dir, { lines: numbered(150), lineMs: t.lostLineMs ?? 20, exitCode: 0 }, sink);
    let restored = false;
    try {
      await until(() => sink.lines.length >= 20, timeout / 2, '20 lines');
      await t.loseTarget();
      await until(async () => (await store.read(h.runId)).status === 'target-unreachable', timeout / 2, 'the record to say target-unreachable');
      await t.restoreTarget();
      restored = true;
      const o = await h.done;
      assert.deepEqual([o.status, o.exitCode], ['succeeded', 0]);
      assert.deepEqual(storedText(store, h.runId), numbered(150));
    } finally {
      if (!restored) await t.restoreTarget();
      await t.cleanup?.(await store.read(h.runId)); await sup.dispose(); await backend.dispose();
    }
  });

  test(`[${t.name}] contract: two windows: one follows and writes the log, the other's stop is honoured`, { timeout, skip: skip('two-windows') }, async () => {
    const { dir, store } = workspace('two');
    const a = t.makeBackend();
    const supA = supervisor(store, a);
    const sink = new Lines();
    const h = await start(supA, a, dir, { lines: numbered(100), lineMs: 10, exitCode: 0 }, sink);
    // Window B opens the same workspace: the run is followed by A, so B does not re-attach it.
    const b = t.makeBackend();
    const supB = supervisor(new RunStore(store.root), b);
    assert.deepEqual((await supB.attach()).map((x) => x.runId), []);
    const o = await h.done;
    assert.deepEqual([o.status, o.exitCode], ['succeeded', 0]);
    assert.deepEqual(storedText(store, h.runId), numbered(100), 'the log was written once');
    // A second run, stopped from window B while A follows it: A records "stopped".
    const sink2 = new Lines();
    const h2 = await start(supA, a, dir, { lines: numbered(600), lineMs: 100, exitCode: 0 }, sink2);
    try {
      await until(() => sink2.lines.length >= 2, timeout / 2, 'the first lines');
      await supB.stop(h2.runId);
      const o2 = await h2.done;
      assert.equal(o2.status, 'stopped');
      assert.equal((await store.read(h2.runId)).status, 'stopped');
    } finally {
      await t.cleanup?.(await store.read(h.runId)); await t.cleanup?.(await store.read(h2.runId));
      await supA.dispose(); await supB.dispose(); await a.dispose(); await b.dispose();
    }
  });

  test(`[${t.name}] contract: a sweep runs every element (its own log, output and exit code); stopping one element stops only it`, { timeout: timeout * 2, skip: skip('sweep') }, async () => {
    const { dir, store } = workspace('sweep');
    const backend = t.makeBackend();
    const sup = supervisor(store, backend);
    const sink = new Lines();
    // Five elements, two at a time: element 2 fails with code 3, element 4 runs long and is stopped alone.
    const programs: Program[] = [0, 1, 2, 3, 4].map((i) => (i === 4
      ? { lines: numbered(600, `e${i}`), lineMs: 100, exitCode: 0 }
      : { lines: numbered(5, `e${i}`), lineMs: 20, output: { file: `result-${i}.txt`, content: `element ${i}\n` }, exitCode: i === 2 ? 3 : 0 }));
    const elements = programs.map((p, i) => {
      const ws = join(dir, `el${i}`);
      mkdirSync(join(ws, 'out'), { recursive: true });
      return { overrides: [`i=${i}`], plan: t.planFor(p, ws) };
    });
    const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'contract', elements, parallelism: 2, defaultNetwork: 'none', source: 'i=0,1,2,3,4' }, sink);
    try {
      await until(async () => (await store.readElement(h.runId, 4))?.status === 'running' && elementLogText(store, h.runId, 4).length >= 2, timeout, 'element 4 running with its first lines');
      await sup.stopElement(h.runId, 4);
      const o = await h.done;
      const r = await store.read(h.runId);
      assert.equal(o.status, 'failed', o.reason);
      assert.deepEqual(r.sweep?.counts, { succeeded: 3, failed: 1, stopped: 1 });
      const els = await store.readElements(h.runId, 5);
      assert.deepEqual(els.map((e) => [e.index, e.status, e.exitCode]), [[0, 'succeeded', 0], [1, 'succeeded', 0], [2, 'failed', 3], [3, 'succeeded', 0], [4, 'stopped', els[4]?.exitCode ?? null]]);
      assert.deepEqual(els.map((e) => e.overrides), [['i=0'], ['i=1'], ['i=2'], ['i=3'], ['i=4']]);
      for (const i of [0, 1, 2, 3]) {
        assert.deepEqual(elementLogText(store, h.runId, i), numbered(5, `e${i}`), `element ${i}'s log`);
        assert.equal(readFileSync(join(dir, `el${i}`, 'out', `result-${i}.txt`), 'utf8'), `element ${i}\n`, `element ${i}'s output`);
      }
      const long = elementLogText(store, h.runId, 4);
      assert.ok(long.length >= 2 && long.length < 600, `${long.length} lines of element 4 before its stop`);
      assert.deepEqual(long, numbered(long.length, 'e4'));
      for (const e of els) assert.equal(await t.workExists({ ...r, runId: `${h.runId}#${e.index}`, target: e.target ?? r.target }), false, `nothing of element ${e.index} is left on the target`);
    } finally {
      for (const e of await store.readElements(h.runId, 5)) await t.cleanup?.({ ...(await store.read(h.runId)), runId: `${h.runId}#${e.index}`, target: e.target ?? (await store.read(h.runId)).target });
      await sup.dispose(); await backend.dispose();
    }
  });
}
