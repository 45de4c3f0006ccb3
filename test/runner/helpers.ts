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
import { makePlan } from '../unit/runners/planFixture';
import { DockerRunner } from '../../client/src/runners/docker/dockerRunner';
import { LogFrameParser } from '../../client/src/runners/docker/logFrames';
import { RunStore } from '../../client/src/runs/runStore';
import type { RunSink } from '../../client/src/runners/runner';

export const repoRoot = join(__dirname, '..', '..');
export const BASE_IMAGE = 'cubelab-test/busybox:1';

export function tempWorkspace(name: string): { dir: string; store: RunStore } {
  const base = join(repoRoot, 'test', 'out', 'runner');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${name}-`));
  return { dir, store: new RunStore(join(dir, '.cubelab', 'runs')) };
}

export function newRunner(store: RunStore, extra: Partial<ConstructorParameters<typeof DockerRunner>[0]> = {}): DockerRunner {
  return new DockerRunner({ store, stopGraceSeconds: 2, engineRetryMs: 250, ...extra });
}

/** A plan running a shell script in the busybox image: Entrypoint sh, Cmd -c SCRIPT task args... */
export function shellPlan(script: string, over: Partial<TaskPlan> = {}): TaskPlan {
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
