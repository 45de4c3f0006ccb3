/**
 * Translates the free-form `docker run` flags of an MLCube task plan (`cpu_args`/`gpu_args`, runner keys,
 * a string `env_args`, `--gpus`) into Docker Engine API fields. mlcube hands these strings to a shell
 * (`os.system`), so they are split with shell quoting rules here. Pure: no I/O, no Docker.
 * A flag this module cannot translate is an error naming it, so nothing starts half-configured.
 */
import { homedir } from 'node:os';

/** The subset of the Engine API's HostConfig the translation fills. */
export interface TranslatedHostConfig {
  Binds?: string[];
  NetworkMode?: string;
  IpcMode?: string;
  PidMode?: string;
  UTSMode?: string;
  ShmSize?: number;
  Runtime?: string;
  Memory?: number;
  NanoCpus?: number;
  CpusetCpus?: string;
  SecurityOpt?: string[];
  Privileged?: boolean;
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  DeviceRequests?: { Driver: string; Count: number; DeviceIDs?: string[]; Capabilities: string[][] }[];
  CapAdd?: string[];
  CapDrop?: string[];
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
}

export interface TranslatedRunArgs {
  hostConfig: TranslatedHostConfig;
  /** `K=V` entries for the container's Env. */
  env: string[];
  user?: string;
  workingDir?: string;
  hostname?: string;
  warnings: string[];
}

export type RunArgsResult = { ok: true; value: TranslatedRunArgs } | { ok: false; flag: string; error: string };

/** What the host gives the translation (injected so the function stays pure and testable). */
export interface HostFacts {
  env: Record<string, string | undefined>;
  home: string;
  uid?: number;
  gid?: number;
}

export function currentHostFacts(): HostFacts {
  return {
    env: process.env,
    home: homedir(),
    uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
    gid: typeof process.getgid === 'function' ? process.getgid() : undefined,
  };
}

export class ShellSplitError extends Error {}

/**
 * Splits a command-line fragment as a POSIX shell would for the cases found in manifests: quotes,
 * backslashes, `~` at a word start, `$VAR`/`${VAR}`, and `$(id -u)`/`$(id -g)` (the documented way to run as
 * the host user). Any other command substitution is refused: CubeLab runs no shell.
 */
export function splitShellWords(text: string, host: HostFacts): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const expandVar = (): string => {
    // at text[i] === '$'
    const rest = text.slice(i + 1);
    const sub = /^\(\s*id\s+-([ug])\s*\)/.exec(rest);
    if (sub) {
      i += 1 + sub[0].length;
      const v = sub[1] === 'u' ? host.uid : host.gid;
      if (v === undefined) throw new ShellSplitError(`$(id -${sub[1]}) has no value on this platform`);
      return String(v);
    }
    if (rest.startsWith('(')) throw new ShellSplitError(`command substitution "${text.slice(i, i + 20)}..." is not supported (CubeLab runs no shell); write the value itself`);
    const braced = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rest);
    const plain = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    const m = braced ?? plain;
    if (!m) { i += 1; return '$'; }
    i += 1 + m[0].length;
    return host.env[m[1]!] ?? ''; // group 1 is not optional in either pattern
  };
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      if (inWord) { words.push(cur); cur = ''; inWord = false; }
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShellSplitError(`unterminated ' quote in "${text}"`);
      cur += text.slice(i + 1, end); inWord = true; i = end + 1;
    } else if (c === '"') {
      inWord = true; i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '$`"\\\n'.includes(text.charAt(i + 1))) { cur += text.charAt(i + 1); i += 2; }
        else if (text[i] === '$') cur += expandVar();
        else cur += text.charAt(i++);
      }
      if (i >= text.length) throw new ShellSplitError(`unterminated " quote in "${text}"`);
      i++;
    } else if (c === '\\') {
      cur += text.charAt(i + 1); // '' past the end
      inWord = true; i += 2;
    } else if (c === '$') {
      cur += expandVar(); inWord = true;
    } else if (c === '~' && !inWord && (i + 1 === text.length || text[i + 1] === '/' || /\s/.test(text.charAt(i + 1)))) {
      cur += host.home; inWord = true; i++;
    } else if ('|&;<>`'.includes(c)) {
      throw new ShellSplitError(`shell operator "${c}" in "${text}" is not supported (CubeLab runs no shell)`);
    } else {
      cur += c; inWord = true; i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Docker's RAMInBytes: `512m`, `1g`, `2gb`, `12G`, `1024` (bytes); binary units. */
export function parseBytes(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(value.trim());
  if (!m) return undefined;
  const [, amount = '', unit = ''] = m; // both groups always match (the unit possibly empty)
  return Math.round(parseFloat(amount) * (UNITS[unit.toLowerCase()] ?? 1));
}

/** `--gpus` spec (mlcube's and Docker's forms) to a DeviceRequest; undefined when it asks for no GPU. */
export function gpuDeviceRequest(spec: string): TranslatedHostConfig['DeviceRequests'] | 'invalid' {
  let s = spec.trim();
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) s = s.slice(1, -1);
  if (s === '' || s === '0') return undefined;
  const cap = [['gpu']];
  if (s === 'all') return [{ Driver: '', Count: -1, Capabilities: cap }];
  if (/^\d+$/.test(s)) return [{ Driver: '', Count: Number(s), Capabilities: cap }];
  // device=0,2 or "device=GPU-uuid"; also Docker's csv form count=N / device=... / driver=...
  const req: { Driver: string; Count: number; DeviceIDs?: string[]; Capabilities: string[][] } = { Driver: '', Count: 0, Capabilities: cap };
  const dev = /^device=(.+)$/.exec(s);
  if (dev?.[1]) { req.DeviceIDs = dev[1].split(',').map((x) => x.trim()).filter(Boolean); return req.DeviceIDs.length ? [req] : 'invalid'; }
  for (const part of s.split(',')) {
    const [k, v] = part.split('=');
    if (k === 'count' && v !== undefined) { if (v === 'all') req.Count = -1; else if (/^\d+$/.test(v)) req.Count = Number(v); else return 'invalid'; }
    else if (k === 'driver' && v !== undefined) req.Driver = v;
    else return 'invalid';
  }
  return [req];
}

function parseUlimit(value: string): { Name: string; Soft: number; Hard: number } | undefined {
  const m = /^([a-z_]+)=(-?\d+)(?::(-?\d+))?$/.exec(value);
  if (!m) return undefined;
  const [, name = '', softText = '', hardText] = m; // groups 1 and 2 are not optional in the pattern
  const soft = Number(softText);
  return { Name: name, Soft: soft, Hard: hardText !== undefined ? Number(hardText) : soft };
}

/** Flags that take a value, by every spelling, mapped to their canonical long name. */
const VALUE_FLAGS: Record<string, string> = {
  '--shm-size': '--shm-size', '--ipc': '--ipc', '--network': '--network', '--net': '--network',
  '--runtime': '--runtime', '--gpus': '--gpus', '-v': '--volume', '--volume': '--volume', '-e': '--env',
  '--env': '--env', '--ulimit': '--ulimit', '-u': '--user', '--user': '--user', '-m': '--memory',
  '--memory': '--memory', '--cpuset-cpus': '--cpuset-cpus', '--security-opt': '--security-opt',
  '--pid': '--pid', '--uts': '--uts', '--cpus': '--cpus', '--cap-add': '--cap-add', '--cap-drop': '--cap-drop',
  '--device': '--device', '--mount': '--mount', '-w': '--workdir', '--workdir': '--workdir', '-h': '--hostname', '--hostname': '--hostname',
};
/** Flags without a value (`--privileged` also takes `=true|false`). */
const BOOL_FLAGS = new Set(['--privileged', '--rm', '-i', '-t', '-it', '-ti', '--interactive', '--tty', '-d', '--detach', '--init']);

/**
 * Translates docker-run flag strings (in order; later values win as with the CLI, list flags accumulate).
 * `sources` are the plan's runArgs, a string env_args, and so on; `gpus` is the plan's `--gpus` spec.
 */
export function translateRunArgs(sources: string[], gpus: string | null, host: HostFacts): RunArgsResult {
  const out: TranslatedRunArgs = { hostConfig: {}, env: [], warnings: [] };
  const hc = out.hostConfig;
  const fail = (flag: string, error: string): RunArgsResult => ({ ok: false, flag, error });
  const tokens: string[] = [];
  for (const s of sources) {
    try { tokens.push(...splitShellWords(s, host)); } catch (e) {
      return fail(s, `Cannot read the docker flags "${s}": ${(e as Error).message}.`);
    }
  }
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!; // i < tokens.length
    const eq = tok.startsWith('--') ? tok.indexOf('=') : -1;
    const name = eq > 0 ? tok.slice(0, eq) : tok;
    if (BOOL_FLAGS.has(name)) {
      const v = eq > 0 ? tok.slice(eq + 1) : 'true';
      if (v !== 'true' && v !== 'false') return fail(name, `${name}=${v}: expected true or false.`);
      if (name === '--privileged') {
        hc.Privileged = v === 'true';
        if (hc.Privileged) out.warnings.push('--privileged: the container gets full access to the host devices and kernel capabilities.');
      } else if (name === '--init') {
        out.warnings.push(`${name} is ignored.`);
      } else {
        out.warnings.push(`${name} is ignored: CubeLab manages the container's lifetime and output itself.`);
      }
      continue;
    }
    const canonical = VALUE_FLAGS[name];
    if (!canonical) {
      if (tok.startsWith('-')) return fail(name, `The docker flag "${name}" cannot be translated to the Docker API by CubeLab; remove it from cpu_args/gpu_args (or env_args), or run this cube with the mlcube CLI.`);
      return fail(tok, `Unexpected word "${tok}" in the docker flags: only flags (--name=value or --name value) can appear there.`);
    }
    let value: string;
    if (eq > 0) value = tok.slice(eq + 1);
    else {
      if (i + 1 >= tokens.length) return fail(name, `The docker flag "${name}" needs a value.`);
      value = tokens[++i]!; // checked just above: i + 1 < tokens.length
    }
    switch (canonical) {
      case '--shm-size': {
        const n = parseBytes(value);
        if (n === undefined) return fail(name, `${name}=${value}: not a size (e.g. 1g, 512m).`);
        hc.ShmSize = n; break;
      }
      case '--memory': {
        const n = parseBytes(value);
        if (n === undefined) return fail(name, `${name}=${value}: not a size (e.g. 8g, 512m).`);
        hc.Memory = n; break;
      }
      case '--cpus': {
        const n = Number(value);
        if (!Number.isFinite(n) || n <= 0) return fail(name, `${name}=${value}: not a number of CPUs.`);
        hc.NanoCpus = Math.round(n * 1e9); break;
      }
      case '--ipc': hc.IpcMode = value; break;
      case '--network': hc.NetworkMode = value; break;
      case '--pid': hc.PidMode = value; break;
      case '--uts': hc.UTSMode = value; break;
      case '--runtime': hc.Runtime = value; break;
      case '--cpuset-cpus': hc.CpusetCpus = value; break;
      case '--user': out.user = value; break;
      case '--workdir': out.workingDir = value; break;
      case '--hostname': out.hostname = value; break;
      case '--security-opt': (hc.SecurityOpt ??= []).push(value); break;
      case '--cap-add': (hc.CapAdd ??= []).push(value); break;
      case '--cap-drop': (hc.CapDrop ??= []).push(value); break;
      case '--gpus': {
        const r = gpuDeviceRequest(value);
        if (r === 'invalid') return fail(name, `${name}=${value}: expected all, a number, or device=ID[,ID].`);
        if (r) hc.DeviceRequests = r; else delete hc.DeviceRequests;
        break;
      }
      case '--volume': {
        const parts = value.split(':');
        if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) return fail(name, `${name} ${value}: expected HOST:CONTAINER[:ro|rw].`);
        (hc.Binds ??= []).push(value); break;
      }
      case '--mount': {
        // `type=bind,source=H,target=C[,readonly]`: a bind like -v; other mount types are not translated.
        const kv = new Map(value.split(',').map((p) => { const i = p.indexOf('='); return i < 0 ? [p.trim(), 'true'] as const : [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const; }));
        const type = kv.get('type') ?? 'volume';
        const src = kv.get('source') ?? kv.get('src');
        const dst = kv.get('target') ?? kv.get('destination') ?? kv.get('dst');
        if (type !== 'bind' || !src || !dst) return fail(name, `${name} ${value}: CubeLab translates bind mounts only (type=bind,source=HOST,target=CONTAINER[,readonly]).`);
        const ro = kv.has('readonly') || kv.has('ro') ? ':ro' : '';
        (hc.Binds ??= []).push(`${src}:${dst}${ro}`); break;
      }
      case '--env': {
        if (value.includes('=')) out.env.push(value);
        else if (host.env[value] !== undefined) out.env.push(`${value}=${host.env[value]}`);
        // `-e NAME` with NAME unset on the host sets nothing, as with the docker CLI.
        break;
      }
      case '--ulimit': {
        const u = parseUlimit(value);
        if (!u) return fail(name, `${name}=${value}: expected name=soft[:hard].`);
        hc.Ulimits = [...(hc.Ulimits ?? []).filter((x) => x.Name !== u.Name), u]; break;
      }
      case '--device': {
        const [src = '', dst, perm] = value.split(':'); // split always yields a first part
        (hc.Devices ??= []).push({ PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: perm || 'rwm' }); break;
      }
    }
  }
  if (gpus !== null) {
    const r = gpuDeviceRequest(gpus);
    if (r === 'invalid') return fail('--gpus', `--gpus=${gpus}: expected all, a number, or device=ID[,ID].`);
    if (r) hc.DeviceRequests = r;
  }
  return { ok: true, value: out };
}
