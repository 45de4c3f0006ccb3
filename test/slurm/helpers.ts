/**
 * The slurm tier's pieces: the real single-node Slurm test/env/setup-slurm.sh starts (slurmctld, slurmd, munge,
 * slurmdbd with MariaDB), reached on this machine (sbatch on the PATH) or through the real sshd of the remote test
 * host (test/env/setup-remote.sh: its namespace reaches the controller at 10.77.0.1 and shares this machine's
 * files, so jobs of the remote account run here, on the local Docker engine). Plans run busybox scripts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { SlurmBackend, type SlurmEnvironment, type SlurmSettings } from '../../client/src/backends/slurm/slurmBackend';
import { RunStore } from '../../client/src/runs/runStore';
import { Supervisor } from '../../client/src/runs/supervisor';
import type { RunSink } from '../../client/src/runs/backend';
import type { Program } from '../contract/runContract';
import { docker, shellPlan } from '../runner/helpers';
import { ASKPASS, SSH_CONFIG } from '../remote/helpers';

export const repoRoot = join(__dirname, '..', '..');

/** Starts (or reconfigures) the cluster: accounting through slurmdbd (sacct) or none (squeue); MaxArraySize. */
export function startSlurm(opts: { accounting?: 'slurmdbd' | 'none'; maxArray?: number } = {}): void {
  const args = [join(repoRoot, 'test', 'env', 'setup-slurm.sh'), '--accounting', opts.accounting ?? 'slurmdbd', '--max-array', String(opts.maxArray ?? 1001)];
  execFileSync('bash', args, { stdio: 'pipe', timeout: 600_000 });
}

export function startRemote(): void {
  execFileSync('bash', [join(repoRoot, 'test', 'env', 'setup-remote.sh')], { stdio: 'pipe', timeout: 600_000 });
}

export function workspace(name: string): { dir: string; store: RunStore } {
  const base = join(repoRoot, 'test', 'out', 'slurm');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${name}-`));
  return { dir, store: new RunStore(join(dir, '.cubelab', 'runs')) };
}

/** sbatch on this machine. */
export function localSlurm(over: Partial<SlurmSettings> = {}, env: SlurmEnvironment = {}): SlurmBackend {
  const work = join(repoRoot, 'test', 'out', 'slurm', 'work');
  mkdirSync(work, { recursive: true });
  return new SlurmBackend({ name: 'cluster', workDir: work, partition: 'debug', pollSeconds: 2, ...over }, { stopGraceSeconds: 2 }, { minPollMs: 200, ...env });
}

/** The same cluster through the login node of the remote test host (the remote account submits). */
export function sshSlurm(over: Partial<SlurmSettings> = {}, env: SlurmEnvironment = {}): SlurmBackend {
  return new SlurmBackend({ name: 'hpc', host: 'cubelab-remote', workDir: '~/cubelab-slurm-tests', partition: 'debug', pollSeconds: 2, ...over }, { stopGraceSeconds: 2 },
    { configFile: SSH_CONFIG, askpassMain: ASKPASS, minPollMs: 200, ...env });
}

export function supervisorFor(store: RunStore, backend: SlurmBackend, retryMs = 300): Supervisor {
  return new Supervisor({ store, backendFor: (t) => (backend.owns(t) ? backend : undefined), retryMs, stopGraceSeconds: 2 });
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A contract program as a busybox script: its lines, its output file in /mlcube_io0, its exit code. */
export function programScript(p: Program): string {
  const pause = p.lineMs > 0 ? `; sleep ${(p.lineMs / 1000).toFixed(3)}` : '';
  const lines = p.lines.length ? `for l in ${p.lines.map(q).join(' ')}; do echo "$l"${pause}; done` : 'true';
  const out = p.output ? `; printf '%s' ${q(p.output.content)} > /mlcube_io0/${p.output.file}` : '';
  return `${lines}${out}; exit ${p.exitCode}`;
}

export function planFor(p: Program, ws: string) {
  return shellPlan(programScript(p), { mounts: [{ host: `${ws}/out`, container: '/mlcube_io0', mode: '', io: 'output' }], root: ws, workspace: ws, mkdirs: [`${ws}/out`] });
}

/** Containers (any state) of a run's elements still on the engine: `cubelab-<runId>-<i>`. */
export async function containersOf(runId: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { name: [`cubelab-${runId}-`] } });
  return list.map((c) => (c.Names[0] ?? '').replace(/^\//, ''));
}

/** Slurm's own view of a job (scontrol), for assertions. */
export function scontrolJob(id: string): string {
  try { return execFileSync('scontrol', ['show', 'job', id], { encoding: 'utf8' }); } catch (e) { return String((e as { stdout?: string }).stdout ?? ''); }
}

export class Lines implements RunSink {
  lines: string[] = [];
  infos: string[] = [];
  line(text: string): void { this.lines.push(text); }
  info(text: string): void { this.infos.push(text); }
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops slurmctld (its pid file) without touching jobs; `startSlurm` starts it again. */
export function stopController(): void {
  const pidFile = '/run/slurm/slurmctld.pid';
  if (!existsSync(pidFile)) return;
  execFileSync('sh', ['-c', `kill -TERM "$(cat ${pidFile})"; for i in $(seq 1 100); do kill -0 "$(cat ${pidFile} 2>/dev/null)" 2>/dev/null || exit 0; sleep 0.1; done`]);
}

/** Stops slurmdbd too (sacct then fails: the scheduler does not answer at all). */
export function stopAccounting(): void {
  const pidFile = '/run/slurm/slurmdbd.pid';
  if (!existsSync(pidFile)) return;
  execFileSync('sh', ['-c', `kill -TERM "$(cat ${pidFile})"; for i in $(seq 1 100); do kill -0 "$(cat ${pidFile} 2>/dev/null)" 2>/dev/null || exit 0; sleep 0.1; done`]);
}
