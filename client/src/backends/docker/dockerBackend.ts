/**
 * The local Docker engine backend (dockerode; never the `docker` CLI). Executes a task plan as
 * `mlcube run --platform=docker` would: obtains the image, translates the plan into a container, starts it,
 * streams its timestamped log, stops it, finds it again after a reload by the id the record holds (and only if
 * its label names the run). It never writes run records: the supervisor does (client/src/runs/supervisor.ts).
 */
import Dockerode from 'dockerode';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { TaskPlan } from '../../../../shared/lsp-protocol';
import {
  TargetError, type Backend, type BackendEnvironment, type CancelToken, type ImageBuild, type Job, type LogLine, type Prepared,
  type Reporter, type StreamOutput, type TargetInfo, type WorkState,
} from '../../runs/backend';
import type { RunRecord, RunTarget } from '../../runs/record';
import { buildContextFiles } from './buildContext';
import { builderFor, dockerfileBaseImagesOf, runImageBuilder, type ImageBuilders } from './imageBuilders';
import { buildContainerSpec, RUN_ID_LABEL, type ContainerSpec } from '../../../../shared/docker/containerSpec';
import { explainEngineError, explainStartError, isConnectionError, isLocalEngine, selectEngine, type EngineEndpoint } from './engine';
import { LogFrameParser, ResumeFilter, readLogPosition, sinceParam, type LogPosition } from './logFrames';
import { currentHostFacts, splitShellWords, type HostFacts } from '../../../../shared/docker/runArgs';
import { dockerPlatform } from '../../../../shared/docker/platform';

export interface DockerTargetSettings {
  /** The target's name (`local` for the default engine). */
  name?: string;
  /** The `cubelab.docker.host` setting; empty for DOCKER_HOST / context / local socket. */
  host?: string;
  hostFacts?: HostFacts;
  /** `cubelab.docker.imageBuilders`: commands that make a missing image (or a Dockerfile's base) on this machine. */
  imageBuilders?: ImageBuilders;
}

/** The Docker targets (local, or over SSH): both keep the container id. */
type DockerTarget = Extract<RunTarget, { kind: 'docker' | 'docker-ssh' }>;

/** Per container: whether the attach stream still feeds the terminal, and lines shown and stored per stream. */
interface LiveState { attachOpen: boolean; shown: { out: number; err: number }; stored: { out: number; err: number } }

/**
 * Subclasses run the same container lifecycle on another engine (Docker over SSH): they provide the engine,
 * stage the files where the engine runs, and bring outputs back, through the protected hooks below.
 */
export class DockerBackend implements Backend {
  readonly kind: 'docker' | 'docker-ssh' = 'docker';
  readonly name: string;
  readonly endpoint: EngineEndpoint;
  /** The engine's API client; a subclass replaces it when its connection changes. */
  protected docker: Dockerode;
  protected readonly host: HostFacts;
  private readonly live = new Map<string, LiveState>();
  private readonly imageBuilders: ImageBuilders | undefined;

  // The environment is accepted as every backend's is; the stop grace comes with each cancel() call instead.
  constructor(settings: DockerTargetSettings, _env: Partial<BackendEnvironment> = {}, endpoint?: EngineEndpoint) {
    this.name = settings.name ?? 'local';
    this.endpoint = endpoint ?? selectEngine(settings.host);
    this.docker = new Dockerode(this.endpoint.modem);
    this.host = settings.hostFacts ?? currentHostFacts();
    this.imageBuilders = settings.imageBuilders;
  }

  /** The engine's API client, for tests and benchmarks. */
  get engine(): Dockerode { return this.docker; }

  target(): RunTarget { return { kind: 'docker', name: this.name, engine: this.endpoint.host }; }

  owns(target: RunTarget): boolean {
    return target.kind === 'docker' && (target.engine === this.endpoint.host || (target.engine === '' && this.name === 'local'));
  }

  /** Makes the engine reachable (a subclass connects here); the local backend refuses an engine elsewhere. */
  protected async connectEngine(): Promise<void> {
    this.refuseRemote();
  }

  /** Puts the job's files where the engine runs and returns the plan with the paths there. Local: folders made. */
  protected async stage(job: Job, reporter: Reporter): Promise<TaskPlan> {
    for (const d of job.plan.mkdirs) mkdirSync(d, { recursive: true });
    // A custom workspace gets the task's inputs from <root>/workspace first (mlcube's sync_workspace).
    for (const s of job.plan.workspaceSync ?? []) {
      if (existsSync(s.to)) continue;
      mkdirSync(dirname(s.to), { recursive: true });
      cpSync(s.from, s.to, { recursive: s.kind === 'directory' });
      reporter.info(`copied ${s.from} to ${s.to}`);
    }
    return job.plan;
  }

  /** What the container is told about the account it runs as (run as host user). */
  protected async accountFacts(): Promise<HostFacts> { return this.host; }

  /** After the work ended: outputs back where the user reads them (local: they are there already). */
  protected async collectOutputs(_record: RunRecord, _reporter: Reporter): Promise<Partial<Pick<RunRecord, 'outputs'>>> { return {}; }

  protected refuseRemote(): void {
    // The plan's mounts are paths of this machine: an engine elsewhere would bind folders that do not exist there.
    if (!isLocalEngine(this.endpoint)) {
      throw new TargetError(`The Docker engine ${this.endpoint.host} (from ${this.endpoint.source === 'setting' ? 'cubelab.docker.host' : this.endpoint.source === 'context' ? `Docker context "${this.endpoint.contextName}"` : 'DOCKER_HOST'}) runs on another host, where this workspace's folders do not exist. `
        + 'CubeLab runs the local target on a local engine only: for another host, add a target of kind "docker-ssh" to cubelab.targets (its files are synced there), or clear that setting.', 'refused');
    }
  }

  async probe(): Promise<TargetInfo> {
    await this.connectEngine();
    try {
      const v = await this.docker.version();
      return { reachable: true, version: `${v.Version} (API ${v.ApiVersion})` };
    } catch (e) { throw this.explain(e); }
  }

  /** Engine errors as sentences a user can act on (no engine, stopped, permission denied). */
  protected explain(e: unknown): Error {
    return e instanceof TargetError ? e : explainEngineError(e, this.endpoint);
  }

  /** While following a run, any connection failure means the engine went away: the container may still run. */
  protected lost(e: unknown): Error {
    if (e instanceof TargetError && e.code === 'unreachable') return e;
    if (e instanceof TargetError && (e.code === 'missing' || e.code === 'denied' || e.code === 'target')) return new TargetError(e.message, 'unreachable');
    if (isConnectionError(e)) return new TargetError(`The Docker engine at ${this.endpoint.host} is unreachable (${(e as { code?: string }).code}).`, 'unreachable');
    return this.explain(e);
  }

  // ---------------------------------------------------------------- configure

  async configure(image: string, build: ImageBuild | undefined, reporter: Reporter, cancel?: CancelToken): Promise<void> {
    await this.connectEngine();
    // An image a builder makes on this machine (imageBuilders.ts): made instead of pulled or built.
    const own = this.builderFor(image);
    if (own) {
      if (!(await this.hasImage(image)) || build?.strategy === 'always') await this.runBuilder(own, image, reporter, cancel);
      return;
    }
    if (!build || build.strategy === 'pull' || !existsSync(build.file)) {
      if (build && build.strategy !== 'pull') reporter.info(`No ${relative(build.context, build.file) || build.file} in ${build.context}: pulling ${image} instead of building.`);
      else if (build && existsSync(build.file)) reporter.info(`build_strategy is "pull": ignoring ${build.file}; set docker.build_strategy to auto to build it.`);
      await this.pull(image, reporter, cancel);
    } else {
      await this.build(image, build, reporter, cancel);
    }
  }

  private async pull(image: string, reporter: Reporter, cancel: CancelToken | undefined): Promise<void> {
    reporter.info(`Pulling ${image}`);
    let stream: Readable;
    try { stream = await this.docker.pull(image) as Readable; } catch (e) {
      const err = this.explain(e);
      if (err instanceof TargetError) throw err;
      throw new TargetError(`Cannot pull ${image}: ${engineMessage(e)}. If this image is built from a Dockerfile, set docker.build_strategy to auto (or pass -Pdocker.build_strategy=auto).`, 'image');
    }
    const layers = new Map<string, { status: string; current: number; total: number }>();
    await new Promise<void>((resolve, reject) => {
      cancel?.onCancel(() => { stream.destroy(); reject(new TargetError(`Pull of ${image} cancelled.`, 'cancelled')); });
      this.docker.modem.followProgress(stream, (err: Error | null) => {
        if (cancel?.cancelled) return;
        if (err) reject(new TargetError(`Cannot pull ${image}: ${err.message}`, 'image')); else resolve();
      }, (ev: { id?: string; status?: string; error?: string; progressDetail?: { current?: number; total?: number } }) => {
        if (ev.error) return;
        const status = ev.status ?? '';
        // Events without a layer id (and the "Pulling from" line, whose id is the tag) are whole-image status.
        if (!ev.id || /^Pulling from /.test(status)) { if (status) reporter.info(status); return; }
        const prev = layers.get(ev.id);
        const cur = { status, current: ev.progressDetail?.current ?? prev?.current ?? 0, total: ev.progressDetail?.total ?? prev?.total ?? 0 };
        if (/complete|already exists/i.test(status) && cur.total) cur.current = cur.total;
        layers.set(ev.id, cur);
        if (!prev || prev.status !== status) reporter.detail(`${ev.id}: ${status}`);
        let c = 0, t = 0;
        for (const l of layers.values()) { c += l.current; t += l.total; }
        reporter.progress(`Pulling ${image}: ${layers.size} layer(s)`, c, t || undefined);
      });
    });
    reporter.info(`Pulled ${image}`);
  }

  /** The builder for an image, on the local engine only (a builder makes the image where it runs: here). */
  private builderFor(image: string): string[] | undefined {
    return this.kind === 'docker' ? builderFor(image, this.imageBuilders) : undefined;
  }

  private async hasImage(image: string): Promise<boolean> {
    try { await this.docker.getImage(image).inspect(); return true; } catch (e) {
      if (isConnectionError(e)) throw this.explain(e);
      return false;
    }
  }

  private async runBuilder(argv: string[], image: string, reporter: Reporter, cancel: CancelToken | undefined): Promise<void> {
    // The builder talks to the same engine as this backend.
    const env: NodeJS.ProcessEnv = this.endpoint.host.startsWith('unix://') || this.endpoint.host.startsWith('tcp://') ? { DOCKER_HOST: this.endpoint.host } : {};
    await runImageBuilder(argv, image, reporter, { ...(cancel ? { cancel } : {}), env });
    if (!(await this.hasImage(image))) throw new TargetError(`The image builder for ${image} (${argv.join(' ')}) ended without making ${image}.`, 'build');
  }

  /** Base images the Dockerfile names that are missing here and that a builder makes: made first. */
  private async ensureBaseImages(build: ImageBuild, reporter: Reporter, cancel: CancelToken | undefined): Promise<void> {
    for (const base of dockerfileBaseImagesOf(build.file)) {
      const argv = this.builderFor(base);
      if (!argv || await this.hasImage(base)) continue;
      reporter.info(`The Dockerfile's base image ${base} is missing: making it first (cubelab.docker.imageBuilders).`);
      await this.runBuilder(argv, base, reporter, cancel);
    }
  }

  protected async build(image: string, build: ImageBuild, reporter: Reporter, cancel: CancelToken | undefined): Promise<void> {
    const dockerfile = relative(build.context, build.file);
    if (dockerfile.startsWith('..')) throw new TargetError(`The build file ${build.file} is outside the build context ${build.context}.`, 'build');
    await this.ensureBaseImages(build, reporter, cancel);
    const opts: Record<string, unknown> = { t: image, dockerfile: dockerfile.split(sep).join('/'), networkmode: 'none' };
    const args = buildArgs(build.args, this.host);
    if (Object.keys(args.buildargs).length) opts.buildargs = args.buildargs;
    if (args.nocache) opts.nocache = true;
    if (args.pull) opts.pull = true;
    const controller = new AbortController();
    cancel?.onCancel(() => controller.abort());
    opts.abortSignal = controller.signal;
    reporter.info(`Building ${image} from ${build.file}`);
    let stream: Readable;
    try {
      // The context's file list (walked off this thread; .cubelab/ and symlinks leaving it are never sent);
      // dockerode applies .dockerignore to it.
      const files = await buildContextFiles(build.context);
      stream = await this.docker.buildImage({ context: build.context, src: files }, opts) as Readable;
    } catch (e) {
      if (cancel?.cancelled) throw new TargetError(`Build of ${image} cancelled.`, 'cancelled');
      const err = this.explain(e);
      if (err instanceof TargetError) throw err;
      throw new TargetError(`Cannot build ${image}: ${engineMessage(e)}`, 'build');
    }
    let failure: string | undefined;
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null) => {
        if (cancel?.cancelled) reject(new TargetError(`Build of ${image} cancelled.`, 'cancelled'));
        else if (err) reject(new TargetError(`Cannot build ${image}: ${err.message}`, 'build'));
        else resolve();
      }, (ev: { stream?: string; error?: string; status?: string }) => {
        if (ev.error) { failure = ev.error.trim(); return; }
        const text = (ev.stream ?? ev.status ?? '').replace(/\n$/, '');
        if (!text) return;
        for (const t of text.split('\n')) reporter.info(t);
        reporter.progress(`Building ${image}: ${(text.split('\n')[0] ?? '').slice(0, 80)}`);
      });
    });
    if (failure) throw new TargetError(`Building ${image} failed: ${failure}`, 'build');
    reporter.info(`Built ${image}`);
  }

  /** The image check before a run: build/pull when missing, or always for build_strategy `always`. */
  /** The image, built or pulled first when missing (or always, for build_strategy `always`). */
  protected async ensureImage(image: string, build: ImageBuild | undefined, reporter: Reporter, cancel: CancelToken | undefined): Promise<Dockerode.ImageInspectInfo> {
    let info: Dockerode.ImageInspectInfo | undefined;
    try { info = await this.docker.getImage(image).inspect(); } catch (e) {
      if (isConnectionError(e)) throw this.explain(e);
    }
    if (info && build?.strategy !== 'always') return info;
    await this.configure(image, build, reporter, cancel);
    return this.docker.getImage(image).inspect();
  }

  // ---------------------------------------------------------------- prepare, submit

  validate(job: Job): void {
    const spec = buildContainerSpec(job.plan, { runId: job.runId, manifest: job.manifest, task: job.task, asHostUser: job.asHostUser, defaultNetwork: job.defaultNetwork }, this.host);
    if (!spec.ok) throw new TargetError(spec.error, 'bad-flag');
    const build = job.build ?? planBuild(job.plan);
    if (build) buildArgs(build.args, this.host);
  }

  async prepare(job: Job, reporter: Reporter, cancel?: CancelToken): Promise<Prepared> {
    await this.connectEngine();
    const docker = dockerPlatform(job.plan);
    const warnings: string[] = [];
    if (docker.tool && docker.tool !== 'docker') warnings.push(`docker.docker is "${docker.tool}": CubeLab talks to the engine API at ${this.endpoint.host} directly and does not run that command.`);
    if (docker.command) reporter.info(`mlcube would run: ${docker.command}`);
    try {
      // The build and the container use the plan with the paths where the engine runs.
      const plan = await this.stage(job, reporter);
      const spec = buildContainerSpec(plan, { runId: job.runId, manifest: job.manifest, task: job.task, asHostUser: job.asHostUser, defaultNetwork: job.defaultNetwork }, await this.accountFacts());
      if (!spec.ok) throw new TargetError(spec.error, 'bad-flag');
      warnings.unshift(...spec.warnings);
      const build = job.build ?? planBuild(plan);
      const img = await this.ensureImage(plan.image, build, reporter, cancel);
      if (cancel?.cancelled) throw new TargetError('Run cancelled before it started.', 'cancelled');
      return { warnings, image: { id: img.Id, ...(img.RepoDigests?.[0] ? { digest: img.RepoDigests[0] } : {}) }, data: spec.spec };
    } catch (e) {
      throw this.explain(e);
    }
  }

  async submit(job: Job, prepared: Prepared, reporter: Reporter, out: StreamOutput): Promise<RunTarget> {
    let container: Dockerode.Container;
    try { container = await this.docker.createContainer(prepared.data as ContainerSpec as Dockerode.ContainerCreateOptions); } catch (e) { throw this.explain(e); }
    const state: LiveState = { attachOpen: false, shown: { out: 0, err: 0 }, stored: { out: 0, err: 0 } };
    this.live.set(container.id, state);
    // Attached before start, as `docker run` does, so the terminal misses nothing and sees the first line at once.
    const attached = await container.attach({ stream: true, stdout: true, stderr: true }).then((x) => x as unknown as Readable, () => undefined);
    try {
      await container.start();
    } catch (e) {
      attached?.destroy();
      this.live.delete(container.id);
      const err = explainStartError(this.explain(e));
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
    reporter.info(`started container ${container.id.slice(0, 12)} (${job.plan.image})`);
    if (attached) this.feedTerminal(state, attached, out);
    return { ...this.target(), containerId: container.id } as RunTarget;
  }

  /** The attach stream feeds the terminal until it ends (exit, engine restart); then the log stream does. */
  private feedTerminal(state: LiveState, stream: Readable, out: StreamOutput): void {
    state.attachOpen = true;
    const parser = new LogFrameParser(false); // the attach stream has no timestamps
    const give = (lines: LogLine[]) => { for (const l of lines) { state.shown[l.stream]++; out.show(l.text, l.stream); } };
    stream.on('data', (chunk: Buffer) => give(parser.push(chunk)));
    let ended = false;
    const stop = () => { if (ended) return; ended = true; give(parser.end()); state.attachOpen = false; };
    stream.once('end', stop);
    stream.once('close', stop);
    stream.once('error', stop);
  }

  // ---------------------------------------------------------------- stream, poll

  async stream(target: RunTarget, cursor: unknown, out: StreamOutput, signal: AbortSignal): Promise<void> {
    const id = containerIdOf(target);
    try { await this.connectEngine(); } catch (e) { throw this.lost(e); }
    let state = this.live.get(id);
    if (!state) { state = { attachOpen: false, shown: { out: 0, err: 0 }, stored: { out: 0, err: 0 } }; this.live.set(id, state); }
    const st = state;
    const position = isPosition(cursor) ? { ...cursor } : undefined;
    const query: Record<string, unknown> = { follow: true, stdout: true, stderr: true, timestamps: true };
    if (position) query.since = sinceParam(position.ts);
    let stream: Readable;
    try { stream = await this.docker.getContainer(id).logs(query as { follow: true }) as unknown as Readable; } catch (e) { throw this.lost(e); }
    const parser = new LogFrameParser();
    const filter = new ResumeFilter(position);
    let pos: LogPosition | undefined = position;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const done = (err?: unknown) => { if (settled) return; settled = true; signal.removeEventListener('abort', abort); if (err) reject(err); else resolve(); };
      const abort = () => { stream.destroy(); done(); };
      if (signal.aborted) { abort(); return; }
      signal.addEventListener('abort', abort);
      const take = (lines: LogLine[]) => {
        const kept = lines.filter((l) => filter.keep(l));
        if (!kept.length) return;
        for (const l of kept) {
          // Each stream's lines come in the same order on both connections: the terminal gets what the attach
          // stream did not deliver (nothing while it is open; the rest once it has ended).
          const n = ++st.stored[l.stream];
          if (!st.attachOpen && n > st.shown[l.stream]) { st.shown[l.stream] = n; out.show(l.text, l.stream); }
          if (!l.ts) continue;
          if (pos && pos.ts === l.ts) pos = { ts: pos.ts, countAtTs: pos.countAtTs + 1 };
          else pos = { ts: l.ts, countAtTs: 1 };
        }
        const wait = out.store(kept, pos);
        if (wait) { stream.pause(); void wait.then(() => stream.resume()); }
      };
      stream.on('data', (chunk: Buffer) => take(parser.push(chunk)));
      stream.on('end', () => { take(parser.end()); done(); });
      stream.on('close', () => { take(parser.end()); done(); });
      stream.on('error', (e) => done(isConnectionError(e) ? this.lost(e) : e));
    });
  }

  async poll(target: RunTarget): Promise<WorkState> {
    const id = containerIdOf(target);
    try { await this.connectEngine(); } catch (e) { throw this.lost(e); }
    let info: Dockerode.ContainerInspectInfo;
    try { info = await this.docker.getContainer(id).inspect(); } catch (e) {
      if (isConnectionError(e)) throw this.lost(e);
      if ((e as { statusCode?: number }).statusCode === 404) return { state: 'gone', reason: 'The container is gone: it was removed outside CubeLab, or the Docker engine restarted without --live-restore, which removes or stops running containers.' };
      throw this.explain(e);
    }
    const s = info.State;
    if (s.Running || s.Restarting || s.Paused) return { state: 'running' };
    const code = s.ExitCode;
    if (s.OOMKilled) return { state: 'exited', exitCode: code, oom: true, reason: `The container ran out of memory and was killed (exit code ${code}); raise --memory or lower the task's memory use.` };
    // An engine without --live-restore kills its containers first and only then goes away, so a signal death
    // may be the engine shutting down rather than the task.
    if (code >= 128 && await this.engineGoingAway()) {
      return { state: 'exited', exitCode: code, targetLost: true, reason: `The Docker engine went away during the run and the container ended with code ${code} (an engine without --live-restore stops its containers when it stops).` };
    }
    return { state: 'exited', exitCode: code, ...(s.Error && code !== 0 ? { reason: `The task exited with code ${code}. Engine: ${s.Error}` } : {}) };
  }

  /** Whether the engine stops answering within a moment. */
  private async engineGoingAway(): Promise<boolean> {
    for (let i = 0; i < 8; i++) {
      try { await this.docker.ping(); } catch (e) { if (isConnectionError(e)) return true; }
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  }

  // ---------------------------------------------------------------- cancel, locate, collect

  /** Stops the container, after checking that it is the run's (its label names the run). */
  async cancel(target: RunTarget, record: RunRecord, graceSeconds: number): Promise<void> {
    const id = (target as DockerTarget).containerId;
    if (!id) throw new TargetError(`Run ${record.runId} has no container to stop (yet).`, 'not-found');
    await this.connectEngine();
    const c = this.docker.getContainer(id);
    let info: Dockerode.ContainerInspectInfo;
    try { info = await c.inspect(); } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return; // gone already: the follower records it
      throw this.explain(e);
    }
    if (info.Config.Labels?.[RUN_ID_LABEL] !== record.runId) {
      throw new TargetError(`Container ${id.slice(0, 12)} is not the container of run ${record.runId} (its label names ${info.Config.Labels?.[RUN_ID_LABEL] ?? 'no run'}); CubeLab leaves it alone.`, 'refused');
    }
    try {
      // The engine sends the image's stop signal (SIGTERM), waits t seconds, then SIGKILL.
      await c.stop({ t: graceSeconds });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 304) return; // already stopped
      throw this.explain(e);
    }
  }

  async locate(record: RunRecord): Promise<WorkState> {
    try { await this.connectEngine(); } catch (e) { throw this.lost(e); }
    const id = (record.target as DockerTarget).containerId;
    if (!id) {
      return { state: 'gone', reason: 'The run never got a container: the window that started it closed (or the engine failed) before the container was created.' };
    }
    let info: Dockerode.ContainerInspectInfo;
    try { info = await this.docker.getContainer(id).inspect(); } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) {
        return { state: 'gone', reason: 'The container is gone (the Docker engine restarted without --live-restore, or it was removed outside CubeLab).' };
      }
      throw this.lost(e);
    }
    // Only the container the record names, and only while its label names this run: a recycled id is not ours.
    if (info.Config.Labels?.[RUN_ID_LABEL] !== record.runId) {
      return { state: 'gone', reason: `The container ${id.slice(0, 12)} the record names belongs to ${info.Config.Labels?.[RUN_ID_LABEL] ? `run ${info.Config.Labels[RUN_ID_LABEL]}` : 'no CubeLab run'}; this run's container is gone.` };
    }
    return info.State.Running || info.State.Restarting || info.State.Paused ? { state: 'running' } : { state: 'exited', exitCode: info.State.ExitCode };
  }

  async collect(target: RunTarget, record: RunRecord, reporter: Reporter): Promise<Partial<Pick<RunRecord, 'outputs'>>> {
    const id = (target as DockerTarget).containerId;
    const outputs = id ? await this.collectOutputs(record, reporter) : {};
    if (id) {
      this.live.delete(id);
      if (!record.keepContainer) await this.docker.getContainer(id).remove({ force: true }).catch(() => undefined);
    }
    return outputs;
  }

  cursorFromLog(logPath: string): unknown {
    return readLogPosition(logPath);
  }

  async dispose(): Promise<void> {
    this.live.clear();
  }
}

function containerIdOf(target: RunTarget): string {
  const id = (target as DockerTarget).containerId;
  if (!id) throw new TargetError('The run has no container yet.', 'not-found');
  return id;
}

function isPosition(v: unknown): v is LogPosition {
  return !!v && typeof v === 'object' && typeof (v as LogPosition).ts === 'string' && typeof (v as LogPosition).countAtTs === 'number';
}

/** The plan's image build description in the backend's terms. */
export function planBuild(plan: TaskPlan): ImageBuild | undefined {
  const b = dockerPlatform(plan).imageBuild;
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
    const w = words[i] ?? '';
    if (w === '--no-cache') out.nocache = true;
    else if (w === '--pull') out.pull = true;
    else if (w === '--build-arg' || w.startsWith('--build-arg=')) {
      const kv = w === '--build-arg' ? words[++i] : w.slice('--build-arg='.length);
      if (!kv) throw new TargetError('--build-arg needs K=V.', 'bad-flag');
      const eq = kv.indexOf('=');
      if (eq < 0) { const v = host.env[kv]; if (v !== undefined) out.buildargs[kv] = v; } else out.buildargs[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else throw new TargetError(`The build flag "${w}" in docker.build_args cannot be translated to the Docker API by CubeLab.`, 'bad-flag');
  }
  return out;
}
