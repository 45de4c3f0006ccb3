/**
 * What a container may do to the host it runs on, read off the final container spec (whatever field of the
 * manifest it came from: `cpu_args`/`gpu_args`, `env_args` given as a string, a parameter default of `/` or
 * `/etc`, a `-v /:/host` flag): host folders that hold the system, credentials or the container engine's own
 * socket, privileged mode, the host's network, process, IPC or UTS namespace, added capabilities, a seccomp,
 * AppArmor or SELinux profile turned off, host devices. A repository can ship a manifest (or a stored plan)
 * that asks for any of these; the editor says so in a diagnostic and asks before the first run, remembering the
 * answer per hash of the granted set. Pure: shared by the server and the client.
 */
import { createHash } from 'node:crypto';
import type { TaskPlan } from '../lsp-protocol';
import { buildContainerSpec, type ContainerSpec } from './containerSpec';
import type { HostFacts, TranslatedHostConfig } from './runArgs';

export interface Grant {
  /** A stable token (`privileged`, `network=host`, `bind:/etc:rw`): what is hashed and remembered. */
  id: string;
  /** The same for a person. */
  text: string;
}

export interface GrantSet { items: string[]; sha256: string }

/** Folders of the system (a bind of one of them, or of a folder holding one, reaches the host). */
const SYSTEM = ['/etc', '/proc', '/sys', '/boot', '/root', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/var/lib/docker', '/var/lib/containerd', '/var/run', '/run', '/dev'];
/** Folders under a home that hold credentials. */
const SECRETS = ['.ssh', '.aws', '.docker', '.kube', '.gnupg', '.config/gcloud', '.azure', '.netrc', '.git-credentials'];
/** Devices a container may use without reaching the host. */
const HARMLESS_DEV = ['/dev/shm', '/dev/null', '/dev/zero', '/dev/random', '/dev/urandom', '/dev/fuse'];

const norm = (p: string): string => {
  const parts: string[] = [];
  for (const x of p.split('/')) {
    if (x === '' || x === '.') continue;
    if (x === '..') parts.pop(); else parts.push(x);
  }
  return `/${parts.join('/')}`;
};
const within = (p: string, dir: string): boolean => p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);

/** Why a host path is sensitive to mount, or undefined when it is not. */
export function sensitiveHostPath(raw: string, home?: string): string | undefined {
  if (!raw.startsWith('/')) return undefined;
  const p = norm(raw);
  if (p === '/') return 'the whole host file system';
  if (/\.sock$/.test(p) || /(^|\/)(docker|containerd|podman|crio)\.sock/.test(p)) return 'a socket on the host (the container engine\'s own, when it is docker.sock: full control of the host)';
  if (HARMLESS_DEV.some((d) => within(p, d))) return undefined;
  for (const s of SYSTEM) {
    if (within(p, s)) return `the host's ${s}`;
    if (within(s, p)) return `a folder holding the host's ${s}`;
  }
  if (p === '/home' || p === '/Users') return 'every user\'s home folder';
  if (home) {
    const h = norm(home);
    if (within(h, p)) return p === h ? 'your home folder' : 'a folder holding your home folder';
    for (const s of SECRETS) if (within(p, `${h}/${s}`)) return `your credentials (${s})`;
  }
  if (/^\/home\/[^/]+$/.test(p) || /^\/home\/[^/]+\/\.(ssh|aws|docker|kube|gnupg)(\/|$)/.test(p)) return 'a user\'s home folder or credentials';
  return undefined;
}

/** The grants of a container spec (the host config and the binds it mounts). */
export function specGrants(host: TranslatedHostConfig & { Binds?: string[] }, home?: string): Grant[] {
  const out: Grant[] = [];
  const add = (id: string, text: string) => { if (!out.some((g) => g.id === id)) out.push({ id, text }); };
  for (const b of host.Binds ?? []) {
    const [src = '', , mode = ''] = b.split(':');
    const why = sensitiveHostPath(src, home);
    if (why) add(`bind:${norm(src)}:${/(^|,)ro(,|$)/.test(mode) ? 'ro' : 'rw'}`, `mounts ${norm(src)} (${why})${/(^|,)ro(,|$)/.test(mode) ? ', read-only' : ', writable'}`);
  }
  if (host.Privileged) add('privileged', 'runs privileged (every device and capability of the host)');
  for (const [key, name] of [['NetworkMode', 'network'], ['PidMode', 'pid'], ['IpcMode', 'ipc'], ['UTSMode', 'uts']] as const) {
    if (host[key] === 'host') add(`${name}=host`, `shares the host's ${name === 'pid' ? 'processes' : name === 'uts' ? 'host name' : name} namespace`);
  }
  for (const c of host.CapAdd ?? []) add(`cap-add=${c.toUpperCase()}`, `adds the capability ${c.toUpperCase()}`);
  for (const o of host.SecurityOpt ?? []) {
    if (/^(seccomp|apparmor)[=:]unconfined$/i.test(o) || /^label[=:]disable$/i.test(o)) add(`security-opt=${o}`, `turns off a confinement (--security-opt ${o})`);
  }
  for (const d of host.Devices ?? []) add(`device=${d.PathOnHost}`, `uses the host device ${d.PathOnHost}`);
  return out;
}

export function grantSet(grants: Grant[]): GrantSet {
  const items = grants.map((g) => g.id).sort();
  return { items, sha256: createHash('sha256').update(items.join('\n')).digest('hex') };
}

/**
 * What running `plan` grants the container, from the container spec the Docker backends would create.
 * A plan whose flags cannot be translated grants nothing here (it does not start either).
 */
export function planGrants(plan: TaskPlan, facts: HostFacts): { grants: Grant[]; set: GrantSet } {
  const r = buildContainerSpec(plan, { runId: 'grants', manifest: '', task: plan.taskName }, facts);
  const grants = r.ok ? specGrants((r.spec as ContainerSpec).HostConfig, facts.home) : [];
  return { grants, set: grantSet(grants) };
}
