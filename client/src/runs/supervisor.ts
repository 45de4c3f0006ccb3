/**
 * The run supervisor: the one writer of run records and logs, for every target. It creates the record,
 * opens the log, asks a backend to prepare and submit the work, follows it (riding out a target that goes
 * away), records every status change through `store.update()` (so a stop request written by another window is
 * never lost), finishes the record, and re-attaches unfinished runs after a reload. Backends only report.
 * Pure Node: no `vscode` import (the editor side is client/src/runs/editor/).
 */
import { dirname } from 'node:path';
import type { TaskPlan } from '../../../shared/lsp-protocol';
import { TargetError, type Backend, type CancelToken, type ImageBuild, type Job, type LogLine, type Reporter, type RunSink, type StreamOutput, type WorkState } from './backend';
import { gitState } from './gitInfo';
import { describeTarget, isFinal, RECORD_VERSION, type RunRecord, type RunStatus, type RunTarget } from './record';
import type { RunLock } from './runLock';
import type { RunLog } from './runLog';
import type { RunStore } from './runStore';
import { digests, maskText, planSecrets, redactPlan, type Secret } from './secrets';
import { planGrants } from '../../../shared/docker/hostGrants';
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
  record: RunRecord;
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
    this.active.set(runId, run);
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

  private newActive(record: RunRecord, backend: Backend, lock: RunLock, sink: RunSink, secrets: Secret[]): Active {
    const run: Active = {
      record, backend, lock, sink, secrets, cursor: undefined, stored: 0, lostTarget: false,
      done: Promise.resolve({ runId: record.runId, status: record.status, exitCode: null }),
      log: this.store.openLog(record.runId, (e) => { void this.logFailed(run, e); }),
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
    run.record = await this.store.update(run.record.runId, patch);
    this.onRecord(run.record);
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
        // A stop may come from another window (or before this one saw it): the record on disk says so.
        const onDisk = await this.store.read(run.record.runId).catch(() => undefined);
        const code = st.exitCode;
        if (onDisk?.stopRequested || run.record.stopRequested) {
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
    this.active.delete(runId);
    await run.lock.release();
    return { runId, status, exitCode, ...(finalReason ? { reason: finalReason } : {}) };
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
      if (isFinal(record.status) || this.active.has(record.runId)) continue;
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
    if (run) { run.record = record; this.onRecord(record); }
    if (isFinal(record.status)) return;
    const backend = run?.backend ?? this.backendFor(record.target);
    if (!backend) throw new TargetError(`Run ${runId} runs on ${describeTarget(record.target)}, which is not configured in this window.`, 'not-found');
    run?.log.info(`stop requested: SIGTERM, then SIGKILL after ${graceSeconds} s`);
    run?.sink.info(`Stopping: SIGTERM, then SIGKILL after ${graceSeconds} s.`);
    await backend.cancel(record.target, record, graceSeconds);
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
    this.active.clear();
  }
}
