/**
 * The run supervisor: the one writer of run records and logs, for every target. It creates the record,
 * opens the log, asks a backend to prepare and submit the work, follows it (riding out a target that goes
 * away), records every status change through `store.update()` (so a stop request written by another window is
 * never lost), finishes the record, and re-attaches unfinished runs after a reload. Backends only report.
 * Pure Node: no `vscode` import (the editor side is client/src/runs/editor/).
 */
import { dirname } from 'node:path';
import type { TaskPlan } from '../../../shared/lsp-protocol';
import { TargetError, type ArraySubmission, type Backend, type CancelToken, type ImageBuild, type Job, type LogLine, type Reporter, type RunSink, type StreamOutput, type WorkState } from './backend';
import { gitState } from './gitInfo';
import { describeTarget, isFinal, RECORD_VERSION, type RunRecord, type RunStatus, type RunTarget, type SweepElement } from './record';
import type { RunLock } from './runLock';
import type { RunLog } from './runLog';
import type { RunStore } from './runStore';
import { digests, maskText, planSecrets, redactPlan, type Secret } from './secrets';
import { SweepState, type SweepElementRequest } from './sweep';
import { grantSet, planGrants } from '../../../shared/docker/hostGrants';
import { currentHostFacts } from '../../../shared/docker/runArgs';

export interface RunOutcome {
  runId: string;
  status: RunStatus;
  exitCode: number | null;
  reason?: string;
}

/** A run that has been started (or re-attached); `done` settles when its record is final (or it is detached). */
export interface RunHandle {
  runId: string;
  /** The target with its handle on the work (container id, job id). */
  target: RunTarget;
  done: Promise<RunOutcome>;
}

export interface StartRequest {
  backend: Backend;
  manifest: string;
  task: string;
  plan: TaskPlan;
  overrides?: string[];
  build?: ImageBuild;
  asHostUser?: boolean;
  defaultNetwork?: string;
  keepContainer?: boolean;
  /** What the user confirmed the run may grant the container on the host (issue: what a manifest may grant). */
  grants?: RunRecord['grants'];
}

/** A sweep: one task over several override sets, each element with its own plan. */
export interface SweepRequest extends Omit<StartRequest, 'plan' | 'overrides'> {
  elements: SweepElementRequest[];
  /** How many elements run at once (a scheduler's array limit, or containers side by side). */
  parallelism: number;
  /** Where the override sets came from, for the record (`lr=0.1,0.01 batch=32,64`, a file, a grid search). */
  source?: string;
  /** The run id, when the caller chose it first (element workspaces are inside the run's folder). */
  runId?: string;
}

export interface SupervisorOptions {
  store: RunStore;
  /** The backend that runs a record's target, if that target is configured here. */
  backendFor: (target: RunTarget) => Backend | undefined;
  /** Seconds between SIGTERM and SIGKILL on stop. */
  stopGraceSeconds?: number;
  /** How often to look for a target that went away (ms). */
  retryMs?: number;
  /** Called after every record change this supervisor makes (views refresh, announcements). */
  onRecord?: (record: RunRecord) => void;
}

interface Active {
  /** `runId`, or `runId#index` for an element of a sweep. */
  key: string;
  /** The run's record; for a sweep element, a view of it with the element's own state. */
  record: RunRecord;
  /** Saves a change of state: the run's record, or the sweep element's file. */
  persist: (patch: Partial<RunRecord>) => Promise<RunRecord>;
  /** Whether a stop was asked (another window may have asked, in the files). */
  stopAsked: () => Promise<boolean>;
  /** A sweep element: its sweep is told when it ends (the sweep holds the lock). */
  onEnd?: (outcome: RunOutcome) => Promise<void>;
  backend: Backend;
  log: RunLog;
  lock: RunLock;
  sink: RunSink;
  secrets: Secret[];
  cursor: unknown;
  /** Output lines stored in this process (the catch-up after exit reads until this stops growing). */
  stored: number;
  out: StreamOutput;
  abort?: () => void;
  lostTarget: boolean;
  done: Promise<RunOutcome>;
}

const silentSink: RunSink = { line: () => undefined, info: () => undefined };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Supervisor {
  readonly store: RunStore;
  private readonly backendFor: SupervisorOptions['backendFor'];
  private readonly grace: number;
  private readonly retryMs: number;
  private readonly onRecord: (record: RunRecord) => void;
  private readonly active = new Map<string, Active>();
  private readonly sweeps = new Map<string, SweepState>();
  private disposed = false;

  constructor(opts: SupervisorOptions) {
    this.store = opts.store;
    this.backendFor = opts.backendFor;
    this.grace = opts.stopGraceSeconds ?? 10;
    this.retryMs = opts.retryMs ?? 1000;
    this.onRecord = opts.onRecord ?? (() => undefined);
  }

  // ---------------------------------------------------------------- start

  async start(req: StartRequest, sink: RunSink = silentSink, cancel?: CancelToken): Promise<RunHandle> {
    const backend = req.backend;
    const runId = this.store.newRunId(req.task);
    const secrets = planSecrets(req.plan);
    // git answers while the target works (tens of ms in a large working tree).
    // What the container may do to the host must have been confirmed (the editor asks; the CLI takes a flag):
    // a repository can ship a manifest, or a stored plan, that asks for the host.
    const granted = planGrants(req.plan, currentHostFacts());
    if (granted.set.items.length && req.grants?.sha256 !== granted.set.sha256) {
      throw new TargetError(`This run would give the container access to the host: ${granted.grants.map((g) => g.text).join('; ')}. It starts only once that is confirmed.`, 'refused');
    }
    // A job the backend cannot translate, or a target that cannot be reached, starts nothing and records nothing.
    backend.validate?.({ runId, manifest: req.manifest, task: req.task, plan: req.plan, build: req.build, asHostUser: req.asHostUser, defaultNetwork: req.defaultNetwork, keepContainer: req.keepContainer });
    const git = gitState(dirname(req.manifest));
    await backend.probe();

    const record: RunRecord = {
      version: RECORD_VERSION, runId, manifest: req.manifest, task: req.task, target: backend.target(),
      plan: redactPlan(req.plan, secrets), overrides: (req.overrides ?? []).map((o) => maskText(o, secrets)),
      image: { name: req.plan.image }, keepContainer: req.keepContainer ?? false, status: 'configuring',
      startedAt: new Date().toISOString(), exitCode: null, git: null, warnings: [],
      ...(secrets.length ? { secrets: digests(secrets) } : {}), ...(granted.set.items.length ? { grants: granted.set } : {}),
    };
    await this.store.create(record);
    this.onRecord(record);
    const lock = await this.store.tryLock(runId);
    if (!lock) throw new TargetError(`Run ${runId} is already followed by another window.`, 'target');
    const run = this.newActive(record, backend, lock, sink, secrets);
    await run.log.open();
    this.active.set(run.key, run);
    const job: Job = {
      runId, manifest: req.manifest, task: req.task, plan: req.plan, build: req.build, asHostUser: req.asHostUser,
      defaultNetwork: req.defaultNetwork, keepContainer: req.keepContainer,
    };
    const reporter = this.reporter(run);
    try {
      const prepared = await backend.prepare(job, reporter, cancel);
      if (cancel?.cancelled) throw new TargetError('Run cancelled before it started.', 'cancelled');
      for (const w of prepared.warnings) reporter.warn(w);
      const target = await backend.submit(job, prepared, reporter, run.out);
      // One write for what preparing learned and the handle on the work (a scheduler's work waits in its queue
      // first; the follow loop records when it runs).
      await this.patch(run, {
        target, status: backend.queues ? 'queued' : 'running', image: { name: req.plan.image, ...prepared.image }, git: await git,
        warnings: prepared.warnings.map((w) => maskText(w, secrets)),
      });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const status: RunStatus = e instanceof TargetError && e.code === 'cancelled' ? 'stopped' : 'failed';
      await this.end(run, status, null, maskText(err.message, secrets));
      throw e instanceof TargetError ? new TargetError(maskText(err.message, secrets), e.code) : new Error(maskText(err.message, secrets));
    }
    run.done = this.follow(run);
    return { runId, target: run.record.target, done: run.done };
  }

  /** A run (or, with `unit`, one element of a sweep) being followed. */
  newActive(record: RunRecord, backend: Backend, lock: RunLock, sink: RunSink, secrets: Secret[], unit?: {
    key: string; persist: Active['persist']; stopAsked: Active['stopAsked']; onEnd: NonNullable<Active['onEnd']>; parentId: string; index: number;
  }): Active {
    const run: Active = {
      key: unit?.key ?? record.runId,
      persist: unit?.persist ?? ((p) => this.store.update(record.runId, p)),
      stopAsked: unit?.stopAsked ?? (async () => (await this.store.read(record.runId).catch(() => undefined))?.stopRequested === true),
      ...(unit ? { onEnd: unit.onEnd } : {}),
      record, backend, lock, sink, secrets, cursor: undefined, stored: 0, lostTarget: false,
      done: Promise.resolve({ runId: record.runId, status: record.status, exitCode: null }),
      log: unit ? this.store.openElementLog(unit.parentId, unit.index, (e) => { void this.logFailed(run, e); })
        : this.store.openLog(record.runId, (e) => { void this.logFailed(run, e); }),
      out: {
        store: (lines: LogLine[], cursor: unknown) => {
          const masked = secrets.length ? lines.map((l) => ({ ...l, text: maskText(l.text, secrets) })) : lines;
          run.stored += lines.length;
          run.cursor = cursor;
          // Output means the work runs, whatever the last poll said.
          if (run.record.status === 'queued' && lines.length) void this.patch(run, { status: 'running', reason: undefined }).catch(() => undefined);
          if (!run.log.append(masked, cursor)) return run.log.drain();
          return undefined;
        },
        show: (text: string, stream: 'out' | 'err') => run.sink.line(secrets.length ? maskText(text, secrets) : text, stream),
      },
    };
    return run;
  }

  private reporter(run: Active): Reporter {
    const say = (t: string) => { const m = maskText(t, run.secrets); run.log.info(m); run.sink.info(m); };
    return {
      info: say,
      detail: (t) => { run.log.info(maskText(t, run.secrets)); },
      warn: (t) => say(`warning: ${t}`),
      progress: (message, current, total) => run.sink.progress?.(maskText(message, run.secrets), current, total),
    };
  }

  /** A write error on the log (a full disk): the run goes on, the record and the user are told. */
  private async logFailed(run: Active, e: Error): Promise<void> {
    run.sink.info(e.message);
    await this.patch(run, { reason: e.message }).catch(() => undefined);
  }

  private async patch(run: Active, patch: Partial<RunRecord>): Promise<void> {
    run.record = await run.persist(patch);
    if (!run.onEnd) this.onRecord(run.record);
  }

  // ---------------------------------------------------------------- follow

  /** Follows the work until it ends (riding out a lost target), then finishes the record. */
  private async follow(run: Active): Promise<RunOutcome> {
    const b = run.backend;
    try {
      for (;;) {
        if (this.disposed) return this.detached(run);
        const began = Date.now();
        const storedBefore = run.stored;
        let streamError: unknown;
        const ac = new AbortController();
        run.abort = () => ac.abort();
        try { await b.stream(run.record.target, run.cursor, run.out, ac.signal); } catch (e) { streamError = e; }
        run.abort = undefined;
        if (this.disposed) return this.detached(run);
        let st: WorkState;
        try { st = await b.poll(run.record.target, run.record); } catch (e) {
          if (e instanceof TargetError && e.code === 'unreachable') { run.lostTarget = true; await this.waitForTarget(run, e); continue; }
          throw e;
        }
        if (st.state === 'gone') return await this.end(run, 'failed', null, st.reason);
        if (st.state === 'queued' || st.state === 'running') {
          const status: RunStatus = st.state === 'queued' ? 'queued' : 'running';
          const reason = st.state === 'queued' ? st.reason : undefined;
          if (run.record.status !== status || run.record.reason !== reason) await this.patch(run, { status, reason });
          // A stream that ends at once while the work runs (a file not written yet) is retried after a pause.
          if (run.stored === storedBefore && Date.now() - began < 200) await sleep(b.repollMs ?? 250);
          void streamError;
          continue;
        }
        // The target may end a follow stream before it has sent the last lines of work that just exited (seen with
        // Docker: a third of 100,000 lines). Read on from the cursor until a read brings nothing new.
        for (let pass = 0; pass < 5; pass++) {
          const before = run.stored;
          try { await b.stream(run.record.target, run.cursor, run.out, new AbortController().signal); } catch { break; }
          if (run.stored === before) break;
        }
        // A stop may come from another window (or before this one saw it): the files say so.
        const code = st.exitCode;
        if (run.record.stopRequested || await run.stopAsked()) {
          const how = st.reason ?? (code === 137 ? `killed with SIGKILL after the ${this.grace} s grace period` : `ended after SIGTERM (exit code ${code})`);
          return await this.end(run, 'stopped', code, `Stopped by the user: ${how}.`);
        }
        if (code === 0) return await this.end(run, 'succeeded', 0);
        let reason = st.reason ?? `The task exited with code ${code}.`;
        if (!st.reason && (st.targetLost || run.lostTarget) && code !== null && code >= 128) {
          reason = `The target (${describeTarget(run.record.target)}) went away during the run and the work ended with code ${code}.`;
        }
        return await this.end(run, 'failed', code, reason);
      }
    } catch (e) {
      return this.end(run, 'failed', null, `CubeLab lost track of the run: ${maskText((e as Error).message ?? String(e), run.secrets)}`);
    }
  }

  private async waitForTarget(run: Active, e: TargetError): Promise<void> {
    if (run.record.status !== 'target-unreachable') {
      const msg = `${e.message} The run will be re-attached when the target answers again.`;
      run.log.info(msg);
      run.sink.info(msg);
      await this.patch(run, { status: 'target-unreachable', reason: msg });
    }
    for (;;) {
      if (this.disposed) return;
      await sleep(this.retryMs);
      try { await run.backend.probe(); break; } catch { /* still away */ }
    }
    const back = `${describeTarget(run.record.target)} answers again: re-attaching.`;
    run.log.info(back);
    run.sink.info(back);
    await this.patch(run, { status: 'running', reason: undefined });
  }

  private detached(run: Active): RunOutcome {
    return { runId: run.record.runId, status: run.record.status, exitCode: null };
  }

  /** Final record, log closed, lock released, target cleaned up. */
  private async end(run: Active, status: RunStatus, exitCode: number | null, reason?: string): Promise<RunOutcome> {
    const runId = run.record.runId;
    run.log.info(reason ? `${status}: ${reason}` : `${status} (exit code ${exitCode})`);
    let collected: Partial<Pick<RunRecord, 'outputs'>> = {};
    try { collected = await run.backend.collect(run.record.target, run.record, this.reporter(run)); } catch (e) {
      run.log.info(`warning: ${maskText((e as Error).message, run.secrets)}`);
    }
    await run.log.close();
    const finalReason = run.log.failed ? [reason, run.log.failed.message].filter(Boolean).join(' ') : reason;
    try {
      await this.patch(run, { status, exitCode, endedAt: new Date().toISOString(), reason: finalReason, ...collected });
    } catch (e) {
      run.sink.info(`CubeLab could not record the end of run ${runId}: ${(e as Error).message}`);
    }
    run.sink.info(finalReason ?? `Run ${status} (exit code ${exitCode}).`);
    this.active.delete(run.key);
    const outcome: RunOutcome = { runId, status, exitCode, ...(finalReason ? { reason: finalReason } : {}) };
    if (run.onEnd) await run.onEnd(outcome); else await run.lock.release();
    return outcome;
  }

  // ---------------------------------------------------------------- sweeps

  /**
   * Starts a sweep: one record for the whole (its elements in `elements/<i>/`), the elements run on the target
   * `parallelism` at a time, each with its own log, exit code and outputs; the sweep ends when they all have.
   */
  async startSweep(req: SweepRequest, sink: RunSink = silentSink): Promise<RunHandle> {
    const backend = req.backend;
    if (!req.elements.length) throw new TargetError('A sweep needs at least one element.', 'refused');
    const runId = req.runId ?? this.store.newRunId(req.task);
    const first = req.elements[0]!.plan;
    // Every element's grants must be among those confirmed (one set for the sweep: their union).
    const union = new Map<string, string>();
    for (const el of req.elements) for (const g of planGrants(el.plan, currentHostFacts()).grants) union.set(g.id, g.text);
    const granted = grantSet([...union].map(([id, text]) => ({ id, text })));
    if (granted.items.length && req.grants?.sha256 !== granted.sha256) {
      throw new TargetError(`This sweep would give its containers access to the host: ${[...union.values()].join('; ')}. It starts only once that is confirmed.`, 'refused');
    }
    req.elements.forEach((el, i) => backend.validate?.({ runId: `${runId}#${i}`, manifest: req.manifest, task: req.task, plan: el.plan, build: req.build, asHostUser: req.asHostUser, defaultNetwork: req.defaultNetwork, keepContainer: req.keepContainer }));
    const git = gitState(dirname(req.manifest));
    await backend.probe();
    const secrets: Secret[] = [];
    for (const el of req.elements) for (const sec of planSecrets(el.plan)) if (!secrets.some((x) => x.name === sec.name && x.value === sec.value)) secrets.push(sec);
    const parallelism = Math.max(1, Math.floor(req.parallelism));
    const record: RunRecord = {
      version: RECORD_VERSION, runId, manifest: req.manifest, task: req.task, target: backend.target(),
      plan: redactPlan(first, secrets), overrides: [], image: { name: first.image }, keepContainer: req.keepContainer ?? false,
      status: 'queued', startedAt: new Date().toISOString(), exitCode: null, git: await git, warnings: [],
      sweep: { count: req.elements.length, parallelism, counts: { queued: req.elements.length }, ...(req.source ? { source: maskText(req.source, secrets) } : {}) },
      ...(secrets.length ? { secrets: digests(secrets) } : {}), ...(granted.items.length ? { grants: granted } : {}),
    };
    await this.store.create(record);
    this.onRecord(record);
    const lock = await this.store.tryLock(runId);
    if (!lock) throw new TargetError(`Run ${runId} is already followed by another window.`, 'target');
    const log = this.store.openLog(runId);
    await log.open();
    const elements: SweepElement[] = req.elements.map((el, index) => ({
      index, overrides: el.overrides.map((o) => maskText(o, secrets)), plan: redactPlan(el.plan, secrets), status: 'queued', exitCode: null,
      reason: `Waiting for its turn (${parallelism} at a time).`,
    }));
    for (const e of elements) await this.store.writeElement(runId, e);
    log.info(`sweep of ${elements.length} element(s), ${parallelism} at a time, on ${describeTarget(record.target)}`);
    const st = new SweepState(runId, this.store, backend, lock, log, secrets, elements, (r) => this.onRecord(r));
    this.sweeps.set(runId, st);
    st.pending.push(...elements.map((e) => e.index));
    const plans = new Map(req.elements.map((el, i) => [i, el.plan]));
    // A scheduler takes the whole sweep as one array; elsewhere the elements run `parallelism` at a time.
    const done = backend.submitArray ? this.runArraySweep(st, sink, req, plans) : this.runSweep(st, sink, req, plans);
    return { runId, target: record.target, done };
  }

  /** A scheduler's sweep: one submission for every element, then each element followed by its own handle. */
  private async runArraySweep(st: SweepState, sink: RunSink, req: Omit<SweepRequest, 'elements'>, plans: Map<number, TaskPlan>): Promise<RunOutcome> {
    const indexes = st.pending.splice(0);
    const say = (t: string): void => { const m = maskText(t, st.secrets); st.log.info(m); sink.info(m); };
    const reporter: Reporter = { info: say, detail: (t) => { st.log.info(maskText(t, st.secrets)); }, warn: (t) => say(`warning: ${t}`), progress: (m, c, t) => sink.progress?.(maskText(m, st.secrets), c, t) };
    const record = await this.store.read(st.runId);
    let sub: ArraySubmission;
    try {
      sub = await st.backend.submitArray!({
        runId: st.runId, manifest: req.manifest, task: req.task, elements: indexes.map((index) => ({ index, plan: plans.get(index)! })),
        parallelism: record.sweep?.parallelism ?? 1, build: req.build, asHostUser: req.asHostUser, defaultNetwork: req.defaultNetwork, keepContainer: req.keepContainer,
      }, reporter);
    } catch (e) {
      const msg = maskText((e as Error).message ?? String(e), st.secrets);
      for (const i of indexes) await this.endUnstarted(st, i, 'failed', msg);
      return this.finishSweep(st, sink);
    }
    await st.writeSummary({ image: { name: record.image.name, ...sub.image }, warnings: sub.warnings.map((w) => maskText(w, st.secrets)) });
    for (const i of indexes) {
      const target = sub.targets.get(i);
      if (!target) { await this.endUnstarted(st, i, 'failed', 'The scheduler gave this element no job.'); continue; }
      const el = st.elements[i]!;
      const view: RunRecord = { ...record, runId: `${st.runId}#${i}`, plan: el.plan, overrides: el.overrides, target, status: 'queued', exitCode: null, startedAt: new Date().toISOString(), stopRequested: undefined, reason: undefined, sweep: undefined };
      const run = this.elementActive(st, i, view, sink);
      st.started();
      await run.log.open();
      this.active.set(run.key, run);
      await this.patch(run, { target, status: 'queued', reason: undefined });
      run.done = this.follow(run);
    }
    return this.finishSweep(st, sink);
  }

  /** An element that ends without having run (its submission failed, a stop came first). */
  private async endUnstarted(st: SweepState, index: number, status: RunStatus, reason: string): Promise<void> {
    const e = st.elements[index]!;
    st.elements[index] = { ...e, status, reason, endedAt: new Date().toISOString() };
    await this.store.writeElement(st.runId, st.elements[index]!);
    st.set(index, status);
  }

  /** Runs the pending elements `parallelism` at a time and ends the sweep when every element has. */
  private async runSweep(st: SweepState, sink: RunSink, req: Omit<SweepRequest, 'elements'>, plans: Map<number, TaskPlan>): Promise<RunOutcome> {
    const record = await this.store.read(st.runId);
    const parallelism = record.sweep?.parallelism ?? 1;
    const worker = async (): Promise<void> => {
      for (;;) {
        if (this.disposed || st.stopAll) return;
        const i = st.pending.shift();
        if (i === undefined) return;
        if (await this.elementStopAsked(st.runId, i)) { await this.skipElement(st, i, 'Not run: the user stopped it before it started.'); continue; }
        const plan = plans.get(i);
        if (!plan) { await this.skipElement(st, i, 'Not run: its plan (secret values are not stored) is not known to this window; re-run the sweep.'); continue; }
        await this.runElement(st, i, plan, sink, req);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallelism, st.count) }, () => worker()));
    return this.finishSweep(st, sink);
  }

  /** Waits for the sweep's last element, then writes its outcome and lets it go. */
  private async finishSweep(st: SweepState, sink: RunSink): Promise<RunOutcome> {
    st.check();
    await st.finished;
    if (this.disposed) return { runId: st.runId, status: 'running', exitCode: null };
    // Elements a stop kept from starting.
    for (const i of st.pending.splice(0)) await this.skipElement(st, i, 'Not run: the sweep was stopped.');
    const current = await this.store.read(st.runId).catch(() => undefined);
    const o = st.outcome(current?.stopRequested === true);
    st.log.info(`${o.status}: ${o.reason}`);
    await st.log.close();
    st.dispose();
    await st.writeSummary({ status: o.status, reason: o.reason, exitCode: o.exitCode, endedAt: new Date().toISOString() });
    sink.info(`Sweep ${o.status}: ${o.reason}`);
    this.sweeps.delete(st.runId);
    await st.lock.release();
    return { runId: st.runId, status: o.status, exitCode: o.exitCode, reason: o.reason };
  }

  private async elementStopAsked(runId: string, index: number): Promise<boolean> {
    const r = await this.store.read(runId).catch(() => undefined);
    return r?.stopRequested === true || (r?.sweep?.stopElements ?? []).includes(index);
  }

  private skipElement(st: SweepState, index: number, reason: string): Promise<void> {
    return this.endUnstarted(st, index, 'stopped', reason);
  }

  /** The supervisor's view of one element: a record with the element's own state, saved to its file. */
  private elementActive(st: SweepState, index: number, view: RunRecord, sink: RunSink): Active {
    const key = `${st.runId}#${index}`;
    const prefix = (t: string) => `[${index}] ${t}`;
    const elSink: RunSink = { line: (t, s) => sink.line(prefix(t), s), info: (t) => sink.info(prefix(t)), ...(sink.progress ? { progress: (m, c, t) => sink.progress?.(prefix(m), c, t) } : {}) };
    return this.newActive(view, st.backend, st.lock, elSink, st.secrets, {
      key, parentId: st.runId, index,
      persist: async (p) => {
        const next = { ...view, ...p };
        Object.assign(view, p);
        const e = st.elements[index]!;
        st.elements[index] = {
          ...e, status: next.status, exitCode: next.exitCode, target: next.target, ...(next.reason !== undefined ? { reason: next.reason } : { reason: undefined }),
          ...(next.endedAt ? { endedAt: next.endedAt } : {}), startedAt: e.startedAt ?? next.startedAt,
        };
        await this.store.writeElement(st.runId, st.elements[index]!);
        st.set(index, next.status);
        return next;
      },
      stopAsked: () => this.elementStopAsked(st.runId, index),
      onEnd: async () => { st.done(); },
    });
  }

  private async runElement(st: SweepState, index: number, plan: TaskPlan, sink: RunSink, req: Omit<SweepRequest, 'elements'>): Promise<void> {
    const parent = await this.store.read(st.runId);
    const el = st.elements[index]!;
    const view: RunRecord = { ...parent, runId: `${st.runId}#${index}`, plan: el.plan, overrides: el.overrides, target: st.backend.target(), status: 'configuring', exitCode: null, startedAt: new Date().toISOString(), stopRequested: undefined, reason: undefined, sweep: undefined };
    const run = this.elementActive(st, index, view, sink);
    st.started();
    await run.log.open();
    this.active.set(run.key, run);
    await this.patch(run, { status: 'configuring', reason: undefined });
    const job: Job = { runId: run.key, manifest: req.manifest, task: req.task, plan, build: req.build, asHostUser: req.asHostUser, defaultNetwork: req.defaultNetwork, keepContainer: req.keepContainer };
    const reporter = this.reporter(run);
    try {
      const prepared = await st.backend.prepare(job, reporter);
      for (const w of prepared.warnings) run.log.info(`warning: ${maskText(w, st.secrets)}`);
      const target = await st.backend.submit(job, prepared, reporter, run.out);
      await this.patch(run, { target, status: st.backend.queues ? 'queued' : 'running' });
    } catch (e) {
      const status: RunStatus = e instanceof TargetError && e.code === 'cancelled' ? 'stopped' : 'failed';
      await this.end(run, status, null, maskText((e as Error).message ?? String(e), st.secrets));
      return;
    }
    run.done = this.follow(run);
    await run.done;
  }

  /**
   * After a reload: a sweep's started elements are found again on the target and followed; those not started
   * yet start as slots free up (their plans are the stored ones when they hold no secret; otherwise they are
   * reported as not run, since secret values are never stored).
   */
  private async attachSweep(record: RunRecord, backend: Backend, lock: RunLock, sink: RunSink): Promise<RunHandle> {
    const count = record.sweep?.count ?? 0;
    const stored = await this.store.readElements(record.runId, count);
    const elements: SweepElement[] = Array.from({ length: count }, (_, i) => stored.find((e) => e.index === i)
      ?? { index: i, overrides: [], plan: record.plan, status: 'failed', exitCode: null, reason: 'Its element file is missing.' });
    const log = this.store.openLog(record.runId);
    await log.open();
    log.info('re-attached');
    const st = new SweepState(record.runId, this.store, backend, lock, log, [], elements, (r) => this.onRecord(r));
    this.sweeps.set(record.runId, st);
    const plans = new Map<number, TaskPlan>();
    for (const e of elements) {
      if (isFinal(e.status)) continue;
      if (!hasHandle(e.target)) {
        st.pending.push(e.index);
        if (!record.secrets?.length) plans.set(e.index, e.plan);
        continue;
      }
      const view: RunRecord = { ...record, runId: `${record.runId}#${e.index}`, plan: e.plan, overrides: e.overrides, target: e.target!, status: e.status, exitCode: e.exitCode, startedAt: e.startedAt ?? record.startedAt, stopRequested: undefined, sweep: undefined, ...(e.reason ? { reason: e.reason } : {}) };
      const run = this.elementActive(st, e.index, view, sink);
      st.started();
      const { cursor } = await run.log.open(backend.cursorFromLog?.bind(backend));
      run.cursor = cursor;
      this.active.set(run.key, run);
      let where: WorkState;
      try { where = await backend.locate(view); } catch (err) {
        if (!(err instanceof TargetError && err.code === 'unreachable')) { await this.end(run, 'failed', null, (err as Error).message); continue; }
        where = { state: 'running' };
      }
      if (where.state === 'gone') { await this.end(run, 'failed', null, where.reason); continue; }
      run.log.info('re-attached');
      run.done = this.follow(run);
    }
    const done = this.runSweep(st, sink, { backend, manifest: record.manifest, task: record.task, parallelism: record.sweep?.parallelism ?? 1, ...(record.keepContainer !== undefined ? { keepContainer: record.keepContainer } : {}) }, plans);
    return { runId: record.runId, target: record.target, done };
  }

  /** Stops one element of a sweep (any window may ask): it ends `stopped`, the others go on. */
  async stopElement(runId: string, index: number, graceSeconds = this.grace): Promise<void> {
    const record = await this.store.update(runId, (r) => ({ ...(r.sweep ? { sweep: { ...r.sweep, stopElements: [...new Set([...(r.sweep.stopElements ?? []), index])] } } : {}) }));
    this.onRecord(record);
    const run = this.active.get(`${runId}#${index}`);
    if (run) {
      run.record = { ...run.record, stopRequested: true };
      run.log.info(`stop requested: SIGTERM, then SIGKILL after ${graceSeconds} s`);
      await run.backend.cancel(run.record.target, run.record, graceSeconds);
      return;
    }
    const e = await this.store.readElement(runId, index);
    if (!e || isFinal(e.status) || !e.target) return; // not started: it will not be
    const backend = this.backendFor(record.target);
    if (!backend) throw new TargetError(`Run ${runId} runs on ${describeTarget(record.target)}, which is not configured in this window.`, 'not-found');
    await backend.cancel(e.target, { ...record, runId: `${runId}#${index}`, target: e.target }, graceSeconds);
  }

  // ---------------------------------------------------------------- re-attach, stop

  /**
   * Follows again every unfinished run of the store that no other window follows and whose target is
   * configured here. A record that cannot be read, or whose target is unknown, never stops the others.
   */
  async attach(sinkFor: (record: RunRecord) => RunSink = () => silentSink): Promise<RunHandle[]> {
    const handles: RunHandle[] = [];
    const { runs } = await this.store.list();
    for (const record of runs) {
      if (isFinal(record.status) || this.active.has(record.runId) || this.sweeps.has(record.runId)) continue;
      try {
        const h = await this.attachOne(record, sinkFor);
        if (h) handles.push(h);
      } catch (e) {
        sinkFor(record).info(`CubeLab could not re-attach run ${record.runId}: ${(e as Error).message}`);
      }
    }
    return handles;
  }

  private async attachOne(record: RunRecord, sinkFor: (record: RunRecord) => RunSink): Promise<RunHandle | undefined> {
    const backend = this.backendFor(record.target);
    if (!backend) return undefined; // its target is not configured in this window
    const lock = await this.store.tryLock(record.runId);
    if (!lock) return undefined; // another window follows it
    const current = await this.store.read(record.runId);
    if (isFinal(current.status)) { await lock.release(); return undefined; }
    if (current.sweep) return this.attachSweep(current, backend, lock, sinkFor(current));
    const sink = sinkFor(current);
    const run = this.newActive(current, backend, lock, sink, []);
    const { cursor } = await run.log.open(backend.cursorFromLog?.bind(backend));
    run.cursor = cursor;
    this.active.set(record.runId, run);
    let where: WorkState;
    try { where = await backend.locate(current); } catch (e) {
      if (!(e instanceof TargetError && e.code === 'unreachable')) { await this.dropActive(run); throw e; }
      where = { state: 'running' }; // the follow loop waits for the target
    }
    if (where.state === 'gone') {
      await this.end(run, 'failed', null, where.reason);
      return undefined;
    }
    run.log.info('re-attached');
    if (current.status !== 'target-unreachable' && current.status !== (where.state === 'queued' ? 'queued' : 'running') && where.state !== 'exited') {
      await this.patch(run, { status: where.state === 'queued' ? 'queued' : 'running', reason: undefined });
    } else if (current.status === 'target-unreachable') {
      await this.patch(run, { status: 'running', reason: undefined });
    }
    run.done = this.follow(run);
    return { runId: current.runId, target: current.target, done: run.done };
  }

  private async dropActive(run: Active): Promise<void> {
    this.active.delete(run.record.runId);
    await run.log.close();
    await run.lock.release();
  }

  /** Records the stop request (any window may ask), then asks the target to stop the work. */
  async stop(runId: string, graceSeconds = this.grace): Promise<void> {
    const run = this.active.get(runId);
    const record = await this.store.update(runId, { stopRequested: true });
    if (record.sweep) { await this.stopSweep(record, graceSeconds); return; }
    if (run) { run.record = record; this.onRecord(record); }
    if (isFinal(record.status)) return;
    const backend = run?.backend ?? this.backendFor(record.target);
    if (!backend) throw new TargetError(`Run ${runId} runs on ${describeTarget(record.target)}, which is not configured in this window.`, 'not-found');
    run?.log.info(`stop requested: SIGTERM, then SIGKILL after ${graceSeconds} s`);
    run?.sink.info(`Stopping: SIGTERM, then SIGKILL after ${graceSeconds} s.`);
    await backend.cancel(record.target, record, graceSeconds);
  }

  /** A sweep's stop: no element starts any more; the running ones are cancelled on the target. */
  private async stopSweep(record: RunRecord, graceSeconds: number): Promise<void> {
    this.onRecord(record);
    const st = this.sweeps.get(record.runId);
    if (st) { st.stopAll = true; st.log.info('stop requested for the whole sweep'); st.check(); }
    if (isFinal(record.status)) return;
    const backend = st?.backend ?? this.backendFor(record.target);
    if (!backend) throw new TargetError(`Run ${record.runId} runs on ${describeTarget(record.target)}, which is not configured in this window.`, 'not-found');
    const elements = await this.store.readElements(record.runId, record.sweep?.count ?? 0);
    const live = elements.filter((e) => !isFinal(e.status) && hasHandle(e.target));
    for (const e of live) { const run = this.active.get(`${record.runId}#${e.index}`); if (run) run.record = { ...run.record, stopRequested: true }; }
    // A scheduler cancels the whole array in one call.
    if (backend.cancelMany && live.length) { await backend.cancelMany(live.map((e) => e.target!), record, graceSeconds); return; }
    await Promise.all(elements.filter((e) => !isFinal(e.status) && e.target).map(async (e) => {
      const run = this.active.get(`${record.runId}#${e.index}`);
      if (run) run.record = { ...run.record, stopRequested: true };
      await backend.cancel(e.target!, { ...record, runId: `${record.runId}#${e.index}`, target: e.target! }, graceSeconds).catch(() => undefined);
    }));
  }

  /** Brings a run's outputs back now (a remote target), and records where they live and when. */
  async syncOutputs(runId: string, sink: RunSink = silentSink): Promise<RunRecord> {
    const record = await this.store.read(runId);
    const backend = this.active.get(runId)?.backend ?? this.backendFor(record.target);
    if (!backend) throw new TargetError(`Run ${runId} runs on ${describeTarget(record.target)}, which is not configured in this window.`, 'not-found');
    if (!backend.syncOutputs) throw new TargetError(`The outputs of run ${runId} are on this machine already.`, 'not-found');
    const outputs = await backend.syncOutputs(record, { info: (t) => sink.info(t), detail: () => undefined, warn: (t) => sink.info(`warning: ${t}`), progress: (m, c, t) => sink.progress?.(m, c, t) });
    const next = await this.store.update(runId, { outputs });
    const run = this.active.get(runId);
    if (run) run.record = next;
    this.onRecord(next);
    return next;
  }

  async logs(runId: string): Promise<string> {
    return this.store.readLog(runId);
  }

  /** Runs this supervisor follows right now. */
  activeRuns(): string[] { return [...this.active.keys()]; }

  /** Stops following (the work keeps running; a later `attach` resumes it). */
  async dispose(): Promise<void> {
    this.disposed = true;
    const runs = [...this.active.values()];
    for (const r of runs) r.abort?.();
    await Promise.all(runs.map((r) => r.done.catch(() => undefined)));
    for (const r of runs) { await r.log.close(); await r.lock.release(); }
    for (const st of this.sweeps.values()) { st.dispose(); await st.log.close(); await st.lock.release(); }
    this.sweeps.clear();
    this.active.clear();
  }
}

/** Whether a target names the work it runs (a container, a job), i.e. the work was submitted. */
function hasHandle(t: RunTarget | undefined): boolean {
  if (!t) return false;
  switch (t.kind) {
    case 'docker': case 'docker-ssh': return !!t.containerId;
    case 'slurm': return !!t.jobId;
    case 'kubernetes': return !!t.job;
    case 'memory': return !!t.workId;
  }
}
