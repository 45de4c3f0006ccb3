/**
 * The local Docker engine runner (dockerode; never the `docker` CLI). Executes a task plan as
 * `mlcube run --platform=docker` would, records the run in the run store, streams its output to the run's
 * log and to a sink, and survives reloads (re-attach by label) and engine restarts (re-attach on return).
 */
import Dockerode from 'dockerode';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { TaskPlan } from '../../../../shared/lsp-protocol';
import { RunStore, FINAL_STATUSES, type RunRecord, type RunLogWriter } from '../../runs/runStore';
import { gitState } from '../../runs/gitInfo';
import { RunnerError, type CancelToken, type ImageBuild, type Runner, type RunHandle, type RunOutcome, type RunRequest, type RunSink } from '../runner';
import { buildContainerSpec, RUN_ID_LABEL } from './containerSpec';
import { explainEngineError, explainStartError, isConnectionError, selectEngine, type EngineEndpoint } from './engine';
import { LogFrameParser, ResumeFilter, sinceParam } from './logFrames';
import { currentHostFacts, splitShellWords, type HostFacts } from './runArgs';

export interface DockerRunnerOptions {
  store: RunStore;
  /** The `cubelab.docker.host` setting; empty for DOCKER_HOST / context / local socket. */
  hostSetting?: string;
  /** Seconds between SIGTERM and SIGKILL on stop. */
  stopGraceSeconds?: number;
  /** How often to look for an engine that went away (ms). */
  engineRetryMs?: number;
  hostFacts?: HostFacts;
}

interface ActiveRun {
  record: RunRecord;
  log: RunLogWriter;
  sink: RunSink;
  container: Dockerode.Container;
  done: Promise<RunOutcome>;
  /** Aborts the current log stream (used by stop/dispose). */
  abortStream?: () => void;
  /**
   * The sink is fed by an attach stream opened before the container started (first lines arrive without the
   * log file's follow delay); the log file is always written from the engine's timestamped log.
   */
  liveSink?: boolean;
  /** Lines per stream the sink got, and lines per stream the log stream delivered, in this process. */
  sinkCount: { out: number; err: number };
  logCount: { out: number; err: number };
}

const silentSink: RunSink = { line: () => undefined, info: () => undefined };

export class DockerRunner implements Runner {
  readonly endpoint: EngineEndpoint;
  readonly docker: Dockerode;
  private readonly store: RunStore;
  private readonly grace: number;
  private readonly retryMs: number;
  private readonly host: HostFacts;
  private readonly active = new Map<string, ActiveRun>();
  private disposed = false;

  constructor(opts: DockerRunnerOptions) {
    this.store = opts.store;
    this.endpoint = selectEngine(opts.hostSetting);
    this.docker = new Dockerode(this.endpoint.modem);
    this.grace = opts.stopGraceSeconds ?? 10;
    this.retryMs = opts.engineRetryMs ?? 1000;
    this.host = opts.hostFacts ?? currentHostFacts();
  }

  /** Fails with a sentence the user can act on when the engine is absent or stopped. */
  async ping(): Promise<void> {
    try { await this.docker.ping(); } catch (e) { throw explainEngineError(e, this.endpoint); }
  }

  // ---------------------------------------------------------------- configure

  async configure(image: string, build: ImageBuild | undefined, sink: RunSink, cancel?: CancelToken, log?: RunLogWriter): Promise<void> {
    const say = (t: string) => { sink.info(t); log?.info(t); };
    if (!build || build.strategy === 'pull' || !existsSync(build.file)) {
      if (build && build.strategy !== 'pull') say(`No ${relative(build.context, build.file) || build.file} in ${build.context}: pulling ${image} instead of building.`);
      else if (build && existsSync(build.file)) say(`build_strategy is "pull": ignoring ${build.file}; set docker.build_strategy to auto to build it.`);
      await this.pull(image, sink, cancel, log);
    } else {
      await this.build(image, build, sink, cancel, log);
    }
  }

  private async pull(image: string, sink: RunSink, cancel: CancelToken | undefined, log: RunLogWriter | undefined): Promise<void> {
    const say = (t: string) => { sink.info(t); log?.info(t); };
    say(`Pulling ${image}`);
    let stream: Readable;
    try { stream = await this.docker.pull(image) as Readable; } catch (e) {
      const err = explainEngineError(e, this.endpoint);
      if (err instanceof RunnerError) throw err;
      throw new RunnerError(`Cannot pull ${image}: ${engineMessage(e)}. If this image is built from a Dockerfile, set docker.build_strategy to auto (or pass -Pdocker.build_strategy=auto).`, 'image');
    }
    const layers = new Map<string, { status: string; current: number; total: number }>();
    await new Promise<void>((resolve, reject) => {
      cancel?.onCancel(() => { stream.destroy(); reject(new RunnerError(`Pull of ${image} cancelled.`, 'cancelled')); });
      this.docker.modem.followProgress(stream, (err: Error | null) => {
        if (cancel?.cancelled) return;
        if (err) reject(new RunnerError(`Cannot pull ${image}: ${err.message}`, 'image')); else resolve();
      }, (ev: { id?: string; status?: string; error?: string; progressDetail?: { current?: number; total?: number } }) => {
        if (ev.error) return;
        const status = ev.status ?? '';
        // Events without a layer id (and the "Pulling from" line, whose id is the tag) are whole-image status.
        if (!ev.id || /^Pulling from /.test(status)) { if (status) say(status); return; }
        const prev = layers.get(ev.id);
        const cur = { status, current: ev.progressDetail?.current ?? prev?.current ?? 0, total: ev.progressDetail?.total ?? prev?.total ?? 0 };
        if (/complete|already exists/i.test(status) && cur.total) cur.current = cur.total;
        layers.set(ev.id, cur);
        if (!prev || prev.status !== status) log?.info(`${ev.id}: ${status}`);
        let c = 0, t = 0;
        for (const l of layers.values()) { c += l.current; t += l.total; }
        sink.progress?.(`Pulling ${image}: ${layers.size} layer(s)`, c, t || undefined);
      });
    });
    say(`Pulled ${image}`);
  }

  private async build(image: string, build: ImageBuild, sink: RunSink, cancel: CancelToken | undefined, log: RunLogWriter | undefined): Promise<void> {
    const say = (t: string) => { sink.info(t); log?.info(t); };
    const dockerfile = relative(build.context, build.file);
    if (dockerfile.startsWith('..')) throw new RunnerError(`The build file ${build.file} is outside the build context ${build.context}.`, 'build');
    const opts: Record<string, unknown> = { t: image, dockerfile: dockerfile.split(sep).join('/'), networkmode: 'none' };
    const args = buildArgs(build.args, this.host);
    if (Object.keys(args.buildargs).length) opts.buildargs = args.buildargs;
    if (args.nocache) opts.nocache = true;
    if (args.pull) opts.pull = true;
    const controller = new AbortController();
    cancel?.onCancel(() => controller.abort());
    opts.abortSignal = controller.signal;
    say(`Building ${image} from ${build.file}`);
    let stream: Readable;
    try {
      // Dockerode honours .dockerignore when it is given the context folder and its file list.
      stream = await this.docker.buildImage({ context: build.context, src: listFiles(build.context) }, opts) as Readable;
    } catch (e) {
      if (cancel?.cancelled) throw new RunnerError(`Build of ${image} cancelled.`, 'cancelled');
      const err = explainEngineError(e, this.endpoint);
      if (err instanceof RunnerError) throw err;
      throw new RunnerError(`Cannot build ${image}: ${engineMessage(e)}`, 'build');
    }
    let failure: string | undefined;
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null) => {
        if (cancel?.cancelled) reject(new RunnerError(`Build of ${image} cancelled.`, 'cancelled'));
        else if (err) reject(new RunnerError(`Cannot build ${image}: ${err.message}`, 'build'));
        else resolve();
      }, (ev: { stream?: string; error?: string; status?: string }) => {
        if (ev.error) { failure = ev.error.trim(); return; }
        const text = (ev.stream ?? ev.status ?? '').replace(/\n$/, '');
        if (!text) return;
        for (const t of text.split('\n')) { log?.info(t); sink.info(t); }
        sink.progress?.(`Building ${image}: ${text.split('\n')[0].slice(0, 80)}`);
      });
    });
    if (failure) throw new RunnerError(`Building ${image} failed: ${failure}`, 'build');
    say(`Built ${image}`);
  }

  /** The image check before a run: build/pull when missing, or always for build_strategy `always`. */
  private async ensureImage(image: string, build: ImageBuild | undefined, sink: RunSink, cancel: CancelToken | undefined, log: RunLogWriter): Promise<void> {
    let present = true;
    try { await this.docker.getImage(image).inspect(); } catch (e) {
      if (isConnectionError(e)) throw explainEngineError(e, this.endpoint);
      present = false;
    }
    if (!present || build?.strategy === 'always') await this.configure(image, build, sink, cancel, log);
  }

  // ---------------------------------------------------------------- run

  async run(request: RunRequest, sink: RunSink = silentSink, cancel?: CancelToken): Promise<RunHandle> {
    const runId = this.store.newRunId(request.task);
    // Every flag is translated before anything is created, so a bad flag starts nothing.
    const spec = buildContainerSpec(request.plan, { runId, manifest: request.manifest, task: request.task, asHostUser: request.asHostUser, defaultNetwork: request.defaultNetwork }, this.host);
    if (!spec.ok) throw new RunnerError(spec.error, 'bad-flag');
    const build = request.build ?? planBuild(request.plan);
    if (build) buildArgs(build.args, this.host);
    const tool = request.plan.docker;
    if (tool && tool !== 'docker') spec.warnings.push(`docker.docker is "${tool}": CubeLab talks to the engine API at ${this.endpoint.host} directly and does not run that command.`);
    // git answers while the engine works (it takes tens of ms in a large working tree).
    const git = gitState(dirname(request.manifest));
    await this.ping();

    const record: RunRecord = {
      version: 1, runId, manifest: request.manifest, task: request.task, target: 'docker', plan: request.plan,
      overrides: request.overrides ?? [], image: { name: request.plan.image }, engine: { host: this.endpoint.host },
      keepContainer: request.keepContainer ?? false, status: 'configuring', startedAt: new Date().toISOString(),
      exitCode: null, git: null, warnings: spec.warnings,
    };
    await this.store.create(record);
    const log = this.store.openLog(runId);
    for (const w of spec.warnings) { log.info(`warning: ${w}`); sink.info(`warning: ${w}`); }

    const fail = async (err: unknown): Promise<never> => {
      const e = err instanceof Error ? err : new Error(String(err));
      log.info(`error: ${e.message}`);
      const status = err instanceof RunnerError && err.code === 'cancelled' ? 'stopped' : 'failed';
      await this.store.write({ ...record, status, reason: e.message, endedAt: new Date().toISOString() });
      await log.close();
      throw e;
    };

    let container: Dockerode.Container;
    try {
      if (request.plan.command) log.info(`mlcube would run: ${request.plan.command}`);
      await this.ensureImage(request.plan.image, build, sink, cancel, log);
      if (cancel?.cancelled) throw new RunnerError('Run cancelled before it started.', 'cancelled');
      for (const d of request.plan.mkdirs) mkdirSync(d, { recursive: true });
      // A custom workspace gets the task's inputs from <root>/workspace first (mlcube's sync_workspace).
      for (const s of request.plan.workspaceSync ?? []) {
        if (existsSync(s.to)) continue;
        mkdirSync(dirname(s.to), { recursive: true });
        cpSync(s.from, s.to, { recursive: s.kind === 'directory' });
        log.info(`copied ${s.from} to ${s.to}`);
      }
      const [img, created, gitNow] = await Promise.all([
        this.docker.getImage(request.plan.image).inspect(),
        this.docker.createContainer(spec.spec as Dockerode.ContainerCreateOptions),
        git,
      ]);
      container = created;
      record.image = { name: request.plan.image, id: img.Id, ...(img.RepoDigests?.[0] ? { digest: img.RepoDigests[0] } : {}) };
      record.git = gitNow;
      record.containerId = container.id;
      record.status = 'running';
      await this.store.write(record);
    } catch (e) {
      return fail(explainEngineError(e, this.endpoint));
    }
    // Attached before start, as `docker run` does, so the sink misses nothing and sees the first line at once.
    const live = await container.attach({ stream: true, stdout: true, stderr: true }).then((x) => x as unknown as Readable, () => undefined);
    try {
      await container.start();
    } catch (e) {
      live?.destroy();
      const err = explainStartError(explainEngineError(e, this.endpoint));
      await container.remove({ force: true }).catch(() => undefined);
      return fail(err);
    }
    log.info(`started container ${container.id.slice(0, 12)} (${request.plan.image})`);
    const active: ActiveRun = { record, log, sink, container, done: Promise.resolve(null as unknown as RunOutcome), liveSink: !!live, sinkCount: { out: 0, err: 0 }, logCount: { out: 0, err: 0 } };
    if (live) this.feedSink(active, live);
    active.done = this.follow(active);
    this.active.set(runId, active);
    return { runId, containerId: container.id, done: active.done };
  }

  /** Streams the container's log until it exits (riding out engine restarts), then finalizes the record. */
  private async follow(run: ActiveRun): Promise<RunOutcome> {
    let sawEngineLoss = false;
    try {
      for (;;) {
        if (this.disposed) return { runId: run.record.runId, status: run.record.status, exitCode: null };
        let streamError: unknown;
        try { await this.streamLogs(run); } catch (e) { streamError = e; }
        let state: Dockerode.ContainerInspectInfo['State'] | undefined;
        try { state = (await run.container.inspect()).State; } catch (e) {
          if (isConnectionError(e)) {
            sawEngineLoss = true;
            await this.waitForEngine(run);
            continue;
          }
          if ((e as { statusCode?: number }).statusCode === 404) {
            return await this.finish(run, 'failed', null, sawEngineLoss
              ? 'The container is gone: the Docker engine restarted during the run without --live-restore, which removes or stops running containers.'
              : 'The container was removed outside CubeLab while it ran.');
          }
          throw e;
        }
        if (state.Running || state.Restarting || state.Paused) {
          // The stream ended while the container lives: the engine hiccuped or dropped the connection.
          if (streamError && this.disposed) return { runId: run.record.runId, status: run.record.status, exitCode: null };
          continue;
        }
        // The engine may end a follow stream before it has sent the last lines of a container that just exited
        // (seen with a chatty one: a third of 100,000 lines). Read on from the file's last position, streamed
        // (the container has exited, so each read ends), until a read brings nothing new.
        for (let pass = 0; pass < 5; pass++) {
          const before = run.logCount.out + run.logCount.err;
          try { await this.streamLogs(run); } catch { break; /* the log is gone with the container: keep what we have */ }
          if (run.logCount.out + run.logCount.err === before) break;
        }
        const code = state.ExitCode;
        // A stop may come from another window (or before this run was registered): the record on disk says so.
        const onDisk = await this.store.read(run.record.runId).catch(() => undefined);
        if (onDisk?.stopRequested) run.record = { ...run.record, stopRequested: true };
        if (run.record.stopRequested) {
          const how = code === 137 ? `killed with SIGKILL after the ${this.grace} s grace period` : `ended after SIGTERM (exit code ${code})`;
          return await this.finish(run, 'stopped', code, `Stopped by the user: ${how}.`);
        }
        if (code === 0) return await this.finish(run, 'succeeded', 0);
        let reason = `The task exited with code ${code}.`;
        if (state.OOMKilled) reason = `The container ran out of memory and was killed (exit code ${code}); raise --memory or lower the task's memory use.`;
        else if (sawEngineLoss || (code >= 128 && await this.engineGoingAway())) {
          reason = `The Docker engine went away during the run and the container ended with code ${code} (an engine without --live-restore stops its containers when it stops).`;
        }
        else if (state.Error) reason += ` Engine: ${state.Error}`;
        return await this.finish(run, 'failed', code, reason);
      }
    } catch (e) {
      const err = explainEngineError(e, this.endpoint);
      return this.finish(run, 'failed', null, `CubeLab lost track of the run: ${err.message}`);
    }
  }

  private async streamLogs(run: ActiveRun): Promise<void> {
    const position = run.log.position;
    const query: Record<string, unknown> = { follow: true, stdout: true, stderr: true, timestamps: true };
    if (position) query.since = sinceParam(position.ts);
    const stream = await run.container.logs(query as { follow: true }) as unknown as Readable;
    const parser = new LogFrameParser();
    const filter = new ResumeFilter(position);
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const done = (err?: unknown) => { if (settled) return; settled = true; run.abortStream = undefined; if (err) reject(err); else resolve(); };
      run.abortStream = () => { stream.destroy(); done(); };
      const take = (lines: ReturnType<LogFrameParser['push']>) => {
        const kept = lines.filter((l) => filter.keep(l));
        if (!kept.length) return;
        for (const l of kept) {
          // Each stream's lines come in the same order on both connections: the sink gets what the attach
          // stream did not deliver (nothing while it is open; the rest once it has ended).
          const n = ++run.logCount[l.stream];
          if (!run.liveSink && n > run.sinkCount[l.stream]) { run.sinkCount[l.stream] = n; run.sink.line(l.text, l.stream); }
        }
        if (!run.log.writeContainerLines(kept)) {
          stream.pause();
          void run.log.drain().then(() => stream.resume());
        }
      };
      stream.on('data', (chunk: Buffer) => take(parser.push(chunk)));
      stream.on('end', () => { take(parser.end()); done(); });
      stream.on('close', () => { take(parser.end()); done(); });
      stream.on('error', (e) => done(e));
    });
  }

  /**
   * Whether the engine stops answering within a moment. An engine without --live-restore kills its containers
   * first and only then goes away, so a signal death may be the engine shutting down rather than the task.
   */
  private async engineGoingAway(): Promise<boolean> {
    for (let i = 0; i < 8; i++) {
      try { await this.docker.ping(); } catch (e) { if (isConnectionError(e)) return true; }
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  }

  private feedSink(run: ActiveRun, live: Readable): void {
    const parser = new LogFrameParser();
    const give = (lines: ReturnType<LogFrameParser['push']>) => { for (const l of lines) { run.sinkCount[l.stream]++; run.sink.line(l.text, l.stream); } };
    live.on('data', (chunk: Buffer) => give(parser.push(chunk)));
    // When the attach stream ends (container exit, engine restart), the log stream feeds the sink again.
    let ended = false;
    const stop = () => { if (ended) return; ended = true; give(parser.end()); run.liveSink = false; };
    live.once('end', stop);
    live.once('close', stop);
    live.once('error', stop);
  }

  private async waitForEngine(run: ActiveRun): Promise<void> {
    if (run.record.status !== 'engine-unreachable') {
      const msg = `The Docker engine at ${this.endpoint.host} is unreachable; the run will be re-attached when it returns.`;
      run.log.info(msg);
      run.sink.info(msg);
      run.record = { ...run.record, status: 'engine-unreachable', reason: msg };
      await this.store.write(run.record);
    }
    for (;;) {
      if (this.disposed) return;
      await new Promise((r) => setTimeout(r, this.retryMs));
      try { await this.docker.ping(); break; } catch { /* still away */ }
    }
    run.log.info('The Docker engine is back: re-attaching.');
    run.sink.info('The Docker engine is back: re-attaching.');
    run.record = { ...run.record, status: 'running', reason: undefined };
    await this.store.write(run.record);
  }

  private async finish(run: ActiveRun, status: RunRecord['status'], exitCode: number | null, reason?: string): Promise<RunOutcome> {
    run.log.info(reason ? `${status}: ${reason}` : `${status} (exit code ${exitCode})`);
    await run.log.close();
    run.record = { ...run.record, status, exitCode, endedAt: new Date().toISOString(), ...(reason ? { reason } : { reason: undefined }) };
    await this.store.write(run.record);
    run.sink.info(reason ?? `Run ${status} (exit code ${exitCode}).`);
    this.active.delete(run.record.runId);
    if (!run.record.keepContainer) await run.container.remove({ force: true }).catch(() => undefined);
    return { runId: run.record.runId, status, exitCode, ...(reason ? { reason } : {}) };
  }

  // ---------------------------------------------------------------- attach, stop, logs

  /** Resumes every unfinished run of the store whose container this engine has (running or exited since). */
  async attach(sinkFor: (runId: string) => RunSink = () => silentSink): Promise<RunHandle[]> {
    await this.ping();
    const containers = await this.docker.listContainers({ all: true, filters: { label: [RUN_ID_LABEL] } });
    const byRun = new Map(containers.map((c) => [c.Labels[RUN_ID_LABEL], c]));
    const handles: RunHandle[] = [];
    const { runs } = await this.store.list();
    for (const record of runs) {
      if (FINAL_STATUSES.includes(record.status) || this.active.has(record.runId) || record.engine.host !== this.endpoint.host) continue;
      const info = byRun.get(record.runId);
      if (!info) {
        if (!record.containerId) continue; // still configuring in another window, or never started
        const reason = 'The container is gone (the Docker engine restarted without --live-restore, or it was removed outside CubeLab).';
        await this.store.write({ ...record, status: 'failed', reason, endedAt: new Date().toISOString() });
        continue;
      }
      const log = this.store.openLog(record.runId);
      const sink = sinkFor(record.runId);
      const container = this.docker.getContainer(info.Id);
      const run: ActiveRun = { record: { ...record, status: 'running', reason: undefined }, log, sink, container, done: Promise.resolve(null as unknown as RunOutcome), sinkCount: { out: 0, err: 0 }, logCount: { out: 0, err: 0 } };
      await this.store.write(run.record);
      log.info('re-attached');
      run.done = this.follow(run);
      this.active.set(record.runId, run);
      handles.push({ runId: record.runId, containerId: info.Id, done: run.done });
    }
    return handles;
  }

  async stop(runId: string, graceSeconds = this.grace): Promise<void> {
    const run = this.active.get(runId);
    let record = run?.record ?? await this.store.read(runId);
    record = { ...record, stopRequested: true };
    if (run) run.record = record;
    await this.store.write(record);
    const id = record.containerId;
    if (!id) throw new RunnerError(`Run ${runId} has no container to stop.`, 'not-found');
    run?.log.info(`stop requested: SIGTERM, then SIGKILL after ${graceSeconds} s`);
    run?.sink.info(`Stopping: SIGTERM, then SIGKILL after ${graceSeconds} s.`);
    try {
      // The engine sends the image's stop signal (SIGTERM), waits t seconds, then SIGKILL.
      await this.docker.getContainer(id).stop({ t: graceSeconds });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 304) return; // already stopped
      throw explainEngineError(e, this.endpoint);
    }
  }

  async logs(runId: string): Promise<string> {
    return this.store.readLog(runId);
  }

  /** Runs this runner follows right now. */
  activeRuns(): string[] { return [...this.active.keys()]; }

  /** Stops following (the containers keep running; a later `attach` resumes them). */
  async dispose(): Promise<void> {
    this.disposed = true;
    const runs = [...this.active.values()];
    for (const r of runs) r.abortStream?.();
    await Promise.all(runs.map((r) => r.done.catch(() => undefined)));
    for (const r of runs) await r.log.close();
    this.active.clear();
  }
}

/** The plan's image build description in the runner's terms. */
export function planBuild(plan: TaskPlan): ImageBuild | undefined {
  const b = plan.imageBuild;
  if (!b) return undefined;
  return { strategy: b.strategy, context: b.context, file: b.file, args: b.buildArgs };
}

function engineMessage(e: unknown): string {
  const j = (e as { json?: { message?: unknown } })?.json?.message;
  return typeof j === 'string' ? j : (e as Error)?.message ?? String(e);
}

/** `build_args`: a dict, or mlcube's verbatim string (`--build-arg K=V`, `--no-cache`, `--pull`). */
export function buildArgs(args: Record<string, string> | string, host: HostFacts): { buildargs: Record<string, string>; nocache: boolean; pull: boolean } {
  const out = { buildargs: {} as Record<string, string>, nocache: false, pull: false };
  if (typeof args !== 'string') { out.buildargs = { ...args }; return out; }
  const words = splitShellWords(args, host);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--no-cache') out.nocache = true;
    else if (w === '--pull') out.pull = true;
    else if (w === '--build-arg' || w.startsWith('--build-arg=')) {
      const kv = w === '--build-arg' ? words[++i] : w.slice('--build-arg='.length);
      if (!kv) throw new RunnerError('--build-arg needs K=V.', 'bad-flag');
      const eq = kv.indexOf('=');
      if (eq < 0) { const v = host.env[kv]; if (v !== undefined) out.buildargs[kv] = v; } else out.buildargs[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else throw new RunnerError(`The build flag "${w}" in docker.build_args cannot be translated to the Docker API by CubeLab.`, 'bad-flag');
  }
  return out;
}

/** Files of a build context, relative, with `/` separators (dockerode applies .dockerignore to this list). */
function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const abs = `${dir}/${name}`;
      const r = rel ? `${rel}/${name}` : name;
      const st = statSync(abs);
      if (st.isDirectory()) walk(abs, r); else out.push(r);
    }
  };
  walk(root, '');
  return out;
}
