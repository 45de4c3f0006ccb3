/**
 * Volumes and `--param=...` arguments of one task, as mlcube HEAD's `Shell.generate_mounts_and_args` computes
 * them (docs/mlcube.md §1.7, §2.3): inputs first then outputs, in YAML order; a directory mounts itself, a
 * file mounts its parent; each host folder is mounted once as `/mlcube_ioN`; `opts` become `:ro`/`:rw`.
 * Pure: the file system is read through `FileAccess`, and folders mlcube would create are only recorded.
 */
import type { FileAccess } from '../service/languageService';
import type { TaskPlanMount } from '../../../shared/lsp-protocol';
import { pyStr } from './interpolation';

/** A normalised parameter definition (after config.py `check_parameters` and OmegaConf resolution). */
export interface ParamDef {
  /** `file`, `directory`, `unknown` (no type and no trailing slash), or whatever the manifest says. */
  type: unknown;
  /** The path as written (resolved), before `~`/`$VAR` expansion. */
  default: string;
  opts?: unknown;
}

export interface MountsInput {
  task: string;
  inputs: [string, ParamDef][];
  outputs: [string, ParamDef][];
  /** Absolute workspace folder (`runtime.workspace`). */
  workspace: string;
  /** `runner["--mount_opts"]` (`--mount=ro|rw`): overrides `opts` of every input. */
  mountOpts: unknown;
  env: Record<string, string | undefined>;
  fs: FileAccess;
  /** Folders that exist by the time mounts are computed although the file system may not show them yet. */
  existingDirs?: string[];
  /** Files that exist by then (copied in by the workspace sync). */
  existingFiles?: string[];
}

export interface MountsResult {
  mounts: TaskPlanMount[];
  /** `--name=/mlcube_ioN[/file]`, in order (without the task name). */
  paramArgs: string[];
  /** Folders `os.makedirs` creates, in order. */
  mkdirs: string[];
  warnings: string[];
}

export type MountsOutcome = { ok: true; value: MountsResult } | { ok: false; error: string };

// ---- Python path semantics (posixpath) ----

/** `os.path.expanduser`: `~` and `~/...` use $HOME; `~user` is left alone unless it is the current user. */
export function expandUser(p: string, env: Record<string, string | undefined>): string {
  if (!p.startsWith('~')) return p;
  const slash = p.indexOf('/', 1);
  const user = p.slice(1, slash < 0 ? undefined : slash);
  const home = user === '' ? env.HOME : user === env.USER ? env.HOME : undefined;
  if (home === undefined) return p;
  const rest = slash < 0 ? '' : p.slice(slash);
  return home.replace(/\/+$/, '') + rest || '/';
}

/** `os.path.expandvars` (posix): `$name` and `${name}` of set variables are replaced, others kept verbatim. */
export function expandVars(p: string, env: Record<string, string | undefined>): string {
  if (!p.includes('$')) return p;
  return p.replace(/\$(\w+|\{[^}]*\})/g, (m, name: string) => {
    const key = name.startsWith('{') ? name.slice(1, -1) : name;
    const v = env[key];
    return v === undefined ? m : v;
  });
}

/** `pathlib.PurePosixPath(p).as_posix()`: repeated slashes and `.` parts dropped, no trailing slash. */
export function normalizePosix(p: string): string {
  if (p === '') return '.';
  const lead = p.startsWith('//') && !p.startsWith('///') ? '//' : p.startsWith('/') ? '/' : '';
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  const body = parts.join('/');
  return lead + body || (lead ? lead : '.');
}

export function isAbsolute(p: string): boolean { return p.startsWith('/'); }

/** `Path(a) / b`, normalised. */
export function joinPosix(a: string, b: string): string {
  return normalizePosix(isAbsolute(b) ? b : `${a}/${b}`);
}

/** `os.path.split`. */
export function splitPosix(p: string): [string, string] {
  const i = p.lastIndexOf('/') + 1;
  let head = p.slice(0, i);
  const tail = p.slice(i);
  if (head && head !== '/'.repeat(head.length)) head = head.replace(/\/+$/, '');
  return [head, tail];
}

/** `Shell.get_host_path`: `expandvars(expanduser(path))`, relative paths joined to the workspace. */
export function hostPath(workspace: string, pathFromConfig: string, env: Record<string, string | undefined>): string {
  const p = normalizePosix(expandVars(expandUser(pathFromConfig, env), env));
  return isAbsolute(p) ? p : joinPosix(workspace, p);
}

// ---- The generator ----

/** Tracks what exists, including folders mlcube has already created for earlier parameters of this task. */
class Disk {
  private readonly made = new Set<string>();
  private readonly files: Set<string>;
  readonly order: string[] = [];
  constructor(private readonly fs: FileAccess, existing: string[], files: string[]) {
    for (const d of existing) this.addDir(d, false);
    this.files = new Set(files);
    for (const f of files) { const parent = splitPosix(f)[0]; if (parent) this.addDir(parent, false); }
  }
  private addDir(d: string, record: boolean): void {
    for (let cur = d; cur && cur !== '/' && cur !== '.'; cur = splitPosix(cur)[0]) {
      if (this.made.has(cur)) break;
      this.made.add(cur);
    }
    if (record && !this.order.includes(d)) this.order.push(d);
  }
  isDir(p: string): boolean { return this.made.has(p) || this.fs.isDirectory(p); }
  isFile(p: string): boolean { return this.files.has(p) || (!this.made.has(p) && this.fs.exists(p) && !this.fs.isDirectory(p)); }
  /** `os.makedirs(p, exist_ok=True)`; fails like Python when a file is in the way. */
  makedirs(p: string): string | undefined {
    for (let cur = p; cur && cur !== '/' && cur !== '.'; cur = splitPosix(cur)[0]) {
      if (this.isFile(cur)) return `FileExistsError: [Errno 17] File exists: '${cur}'`;
      if (this.isDir(cur)) break;
    }
    if (!this.isDir(p)) this.addDir(p, true);
    return undefined;
  }
}

export function generateMountsAndArgs(input: MountsInput): MountsOutcome {
  const { task, workspace, env } = input;
  const mounts = new Map<string, string>(); // host → /mlcube_ioN, in insertion order
  const mountModes = new Map<string, string>();
  const paramArgs: string[] = [];
  const warnings: string[] = [];
  const disk = new Disk(input.fs, [workspace, ...(input.existingDirs ?? [])], input.existingFiles ?? []);

  const globalOpts = input.mountOpts;
  if (globalOpts !== null && globalOpts !== undefined && globalOpts !== '' && globalOpts !== 'ro' && globalOpts !== 'rw') {
    return { ok: false, error: `ConfigurationError: Shell.generate_mounts_and_args invalid global mount options: --mount_opts=${pyStr(globalOpts)}.` };
  }

  /** Whether each host folder receives inputs, outputs or both (remote targets sync inputs up and outputs back). */
  const ioOf = new Map<string, 'input' | 'output' | 'both'>();
  const generate = (params: [string, ParamDef][], io: 'input' | 'output'): string | undefined => {
    for (const [name, def] of params) {
      let type = def.type;
      if (type !== 'file' && type !== 'directory' && type !== 'unknown') {
        return `ConfigurationError: Invalid task: task=${task}, param=${name}, type=${pyStr(type)}. Type is invalid.`;
      }
      let host = hostPath(workspace, def.default, env);
      if (type === 'unknown') {
        if (io === 'output') {
          return `ConfigurationError: Invalid task: task=${task}, param=${name}, type=unknown. Type cannot be unknown for output parameters.`;
        }
        if (disk.isDir(host)) type = 'directory';
        else if (disk.isFile(host)) type = 'file';
        else return `ConfigurationError: Invalid task: task=${task}, param=${name}, type=unknown. Type is unknown and unable to identify it (${host}).`;
      }
      if (type === 'directory') {
        const e = disk.makedirs(host);
        if (e) return e;
        if (!mounts.has(host)) mounts.set(host, `/mlcube_io${mounts.size}`);
        paramArgs.push(`--${name}=${mounts.get(host)}`);
      } else {
        const [parent, file] = splitPosix(host);
        host = parent;
        const e = disk.makedirs(host);
        if (e) return e;
        if (!mounts.has(host)) mounts.set(host, `/mlcube_io${mounts.size}`);
        paramArgs.push(`--${name}=${mounts.get(host)}/${file}`);
      }

      ioOf.set(host, ioOf.has(host) && ioOf.get(host) !== io ? 'both' : io);
      let mode: unknown = def.opts ?? null;
      if (io === 'input' && globalOpts) mode = globalOpts;
      if (mode !== null && mode !== undefined && mode !== '' && mode !== false && mode !== 0) {
        if (mode !== 'ro' && mode !== 'rw') return `ConfigurationError: Invalid mount options: task=${task}, param=${name}, opts=${pyStr(mode)}.`;
        if (mode === 'ro' && io === 'output') warnings.push(`Task's (${task}) parameter (${name}) is OUTPUT and requested to mount as RO.`);
        const prev = mountModes.get(host);
        if (prev !== undefined && prev !== mode) {
          warnings.push(`Conflicting mount options found. Host path (${host}) has already been requested to mount as '${prev}', but new parameter (${name}) requests to mount as '${mode}'. Mounting it as 'rw'.`);
          mode = 'rw';
        }
        mountModes.set(host, mode as string);
      }
    }
    return undefined;
  };

  const err = generate(input.inputs, 'input') ?? generate(input.outputs, 'output');
  if (err) return { ok: false, error: err };
  const list: TaskPlanMount[] = [...mounts].map(([host, container]) => ({ host, container, mode: (mountModes.get(host) ?? '') as TaskPlanMount['mode'], io: ioOf.get(host) ?? 'input' }));
  return { ok: true, value: { mounts: list, paramArgs, mkdirs: disk.order, warnings } };
}

/** `os.path.normpath` (posix): also folds `..` lexically. */
export function normpathPosix(p: string): string {
  if (p === '') return '.';
  const lead = p.startsWith('//') && !p.startsWith('///') ? '//' : p.startsWith('/') ? '/' : '';
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      // Above the root `..` vanishes; in a relative path it is kept when there is nothing to fold.
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!lead) out.push('..');
      continue;
    }
    out.push(part);
  }
  return lead + out.join('/') || lead || '.';
}

/** `os.path.abspath(os.path.join(base, p))` for an absolute `base`. */
export function absJoin(base: string, p: string): string {
  return normpathPosix(isAbsolute(p) ? p : `${base}/${p}`);
}
