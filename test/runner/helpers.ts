/**
 * Shared pieces of the runner tier: a temporary workspace with a run store, task plans built by hand
 * (the runner executes plans; it never reads a manifest), and the container's own log for comparisons.
 * These tests drive the REAL Docker engine started by test/env/setup-docker.sh.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import type { TaskPlan } from '../../shared/lsp-protocol';
import { makePlan, type PlanOverrides } from '../unit/backends/planFixture';
import { DockerBackend } from '../../client/src/backends/docker/dockerBackend';
import { LogFrameParser } from '../../client/src/backends/docker/logFrames';
import { RunStore } from '../../client/src/runs/runStore';
import { Supervisor, type RunHandle, type StartRequest } from '../../client/src/runs/supervisor';
import type { CancelToken, ImageBuild, Reporter, RunSink } from '../../client/src/runs/backend';
import type { RunRecord } from '../../client/src/runs/record';

export const repoRoot = join(__dirname, '..', '..');
export const BASE_IMAGE = 'cubelab-test/busybox:1';

export function tempWorkspace(name: string): { dir: string; store: RunStore } {
  const base = join(repoRoot, 'test', 'out', 'runner');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${name}-`));
  return { dir, store: new RunStore(join(dir, '.cubelab', 'runs')) };
}

/** A run as the runner tests start it: the supervisor's request without the backend. */
export type TestRunRequest = Omit<StartRequest, 'backend'>;
export interface TestHandle { runId: string; containerId: string; done: RunHandle['done'] }

/**
 * The run supervisor with the local Docker backend, as one object (what a window holds): runs, re-attach, stop,
 * configure. Each instance is a window; `dispose()` is its reload.
 */
export class DockerTestRunner {
  readonly backend: DockerBackend;
  readonly supervisor: Supervisor;
  constructor(readonly store: RunStore, opts: { stopGraceSeconds?: number; engineRetryMs?: number; hostSetting?: string } = {}) {
    this.backend = new DockerBackend({ name: 'local', host: opts.hostSetting }, { stopGraceSeconds: opts.stopGraceSeconds ?? 2 });
    this.supervisor = new Supervisor({ store, backendFor: (t) => (this.backend.owns(t) ? this.backend : undefined), stopGraceSeconds: opts.stopGraceSeconds ?? 2, retryMs: opts.engineRetryMs ?? 250 });
  }
  get endpoint() { return this.backend.endpoint; }
  async run(req: TestRunRequest, sink?: RunSink): Promise<TestHandle> {
    return handleOf(await this.supervisor.start({ ...req, backend: this.backend }, sink));
  }
  async attach(sinkFor?: (record: RunRecord) => RunSink): Promise<TestHandle[]> {
    return (await this.supervisor.attach(sinkFor)).map(handleOf);
  }
  stop(runId: string, graceSeconds?: number): Promise<void> { return this.supervisor.stop(runId, graceSeconds); }
  configure(image: string, build: ImageBuild | undefined, sink: RunSink, cancel?: CancelToken): Promise<void> {
    return this.backend.configure(image, build, reporterOf(sink), cancel);
  }
  activeRuns(): string[] { return this.supervisor.activeRuns(); }
  async dispose(): Promise<void> { await this.supervisor.dispose(); await this.backend.dispose(); }
}

function handleOf(h: RunHandle): TestHandle {
  return { runId: h.runId, containerId: h.target.kind === 'docker' ? h.target.containerId ?? '' : '', done: h.done };
}

export function reporterOf(sink: RunSink): Reporter {
  return { info: (t) => sink.info(t), detail: () => undefined, warn: (t) => sink.info(`warning: ${t}`), progress: (m, c, t) => sink.progress?.(m, c, t) };
}

export function newRunner(store: RunStore, extra: { stopGraceSeconds?: number; engineRetryMs?: number; hostSetting?: string } = {}): DockerTestRunner {
  return new DockerTestRunner(store, { stopGraceSeconds: 2, engineRetryMs: 250, ...extra });
}

/** A plan running a shell script in the busybox image: Entrypoint sh, Cmd -c SCRIPT task args... */
export function shellPlan(script: string, over: PlanOverrides = {}): TaskPlan {
  return makePlan({ image: BASE_IMAGE, entrypoint: ['/bin/sh', '-c', script], args: ['task'], ...over });
}

export const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });

/** The container's full log from the engine, as `<ts> <out|err> <text>` lines. */
export async function containerLog(id: string): Promise<string[]> {
  const buf = await docker.getContainer(id).logs({ follow: false, stdout: true, stderr: true, timestamps: true }) as unknown as Buffer;
  const p = new LogFrameParser();
  return [...p.push(buf), ...p.end()].map((l) => `${l.ts} ${l.stream} ${l.text}`);
}

/** Only the container lines of a stored run.log (CubeLab's own `sys` lines left out). */
export function storedContainerLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => / (out|err) /.test(l.slice(0, 40)) && /^\S+ (out|err) /.test(l));
}

export class CollectingSink implements RunSink {
  lines: string[] = [];
  infos: string[] = [];
  line(text: string): void { this.lines.push(text); }
  info(text: string): void { this.infos.push(text); }
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

export async function removeContainer(id: string | undefined): Promise<void> {
  if (id) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
}

export async function removeImage(name: string): Promise<void> {
  await docker.getImage(name).remove({ force: true }).catch(() => undefined);
}

/** The dockerd the setup script started (pid file), for the engine-restart test. */
export function dockerdPid(): number {
  return Number(readFileSync('/var/run/docker.pid', 'utf8').trim());
}

export function startEngine(): void {
  execFileSync('bash', [join(repoRoot, 'test', 'env', 'setup-docker.sh')], { stdio: 'pipe' });
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
