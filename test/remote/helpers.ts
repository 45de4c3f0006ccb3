/**
 * The remote tier's pieces: the host test/env/setup-remote.sh starts (sshd and a second Docker engine in a
 * namespace of their own, reached over a veth pair), the tests' own SSH config and keys, and ways to take the
 * link away: stop the account's SSH sessions (the server side of a dropped connection) with logins refused for
 * a while, or take the veth down.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { DockerSshBackend, type DockerSshSettings, type SshEnvironment } from '../../client/src/backends/docker-ssh/dockerSshBackend';
import { RunStore } from '../../client/src/runs/runStore';
import { Supervisor } from '../../client/src/runs/supervisor';

export const repoRoot = join(__dirname, '..', '..');
export const CLIENT = '/var/lib/cubelab-remote/client';
export const SSH_CONFIG = join(CLIENT, 'ssh_config');
export const REMOTE_SOCKET = '/run/cubelab-remote/docker.sock';
export const REMOTE_USER = 'cubelab-remote';
export const REMOTE_HOME = '/home/cubelab-remote';
export const ASKPASS = join(repoRoot, 'dist', 'askpass.js');
/** The remote engine, from this machine's side (its socket is visible here; the backend never uses it). */
export const remoteDocker = new Dockerode({ socketPath: REMOTE_SOCKET });

export function startRemote(): void {
  execFileSync('bash', [join(repoRoot, 'test', 'env', 'setup-remote.sh')], { stdio: 'pipe' });
}

export function sshBackend(over: Partial<DockerSshSettings> = {}, env: SshEnvironment = {}): DockerSshBackend {
  return new DockerSshBackend({ name: 'gpu-box', host: 'cubelab-remote', socket: REMOTE_SOCKET, workDir: '~/cubelab-tests', ...over },
    { stopGraceSeconds: 2 }, { configFile: SSH_CONFIG, askpassMain: ASKPASS, ...env });
}

export function workspace(name: string): { dir: string; store: RunStore } {
  const base = join(repoRoot, 'test', 'out', 'remote');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${name}-`));
  return { dir, store: new RunStore(join(dir, '.cubelab', 'runs')) };
}

export function supervisorFor(store: RunStore, backend: DockerSshBackend, retryMs = 250): Supervisor {
  return new Supervisor({ store, backendFor: (t) => (backend.owns(t) ? backend : undefined), retryMs, stopGraceSeconds: 2 });
}

const keys = `/var/lib/cubelab-remote/authorized_keys/${REMOTE_USER}`;

/** The server side of a dropped connection: the account's sessions end, and new logins fail until `allowLogins`. */
export function dropSessions(): void {
  if (existsSync(keys)) renameSync(keys, `${keys}.off`);
  try { execFileSync('pkill', ['-TERM', '-u', REMOTE_USER, '-f', 'sshd:']); } catch { /* no session */ }
}

export function allowLogins(): void {
  if (existsSync(`${keys}.off`)) renameSync(`${keys}.off`, keys);
}

export function linkDown(): void { execFileSync('ip', ['link', 'set', 'clr-host', 'down']); }
export function linkUp(): void { execFileSync('ip', ['link', 'set', 'clr-host', 'up']); }

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
