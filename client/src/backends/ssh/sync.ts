/**
 * Files to and from a remote host over an SSH connection, only what changed: rsync over the same connection
 * where both ends have it, otherwise a transfer of CubeLab's own (a listing of the remote side by size and
 * modification time, then a gzipped tar of the changed files, both ways). What goes up follows `.cubelabignore`
 * if the folder has one, else `.dockerignore`; `.cubelab/` (run records) never goes. A remote disk that is full
 * or a folder without permission is a message naming the path. Pure Node.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createGunzip, createGzip, gunzipSync } from 'node:zlib';
import dockerignore from '@balena/dockerignore';
import * as tar from 'tar-stream';
import { TargetError } from '../../runs/backend';
import type { SshConnection } from './connection';
import { shq } from './sshHost';

export type SyncMethod = 'rsync' | 'builtin';

export interface FileEntry { rel: string; size: number; mtimeMs: number }

export interface SyncResult {
  method: SyncMethod;
  /** Files sent or received (changed ones only). */
  files: string[];
  /** Bytes of file content moved (before compression). */
  bytes: number;
  ms: number;
}

export const MAX_FILES = 200_000;

/** The ignore rules of a folder: `.cubelabignore`, else `.dockerignore`; `.cubelab/` always. */
export function ignoreRules(root: string): (rel: string) => boolean {
  const ig = dockerignore({ ignorecase: false });
  for (const name of ['.cubelabignore', '.dockerignore']) {
    const f = join(root, name);
    if (existsSync(f)) { ig.add(readFileSync(f, 'utf8')); break; }
  }
  return (rel) => rel === '.cubelab' || rel.startsWith('.cubelab/') || ig.ignores(rel);
}

/** The files of a local folder that go up, relative with `/`; symbolic links are not followed. */
export async function listLocal(root: string, ignored: (rel: string) => boolean = ignoreRules(root)): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  const pending: string[] = [''];
  while (pending.length) {
    const rel = pending.pop() as string;
    let entries;
    try { entries = await readdir(join(root, rel), { withFileTypes: true }); } catch (e) {
      if (rel === '') return out; // nothing there yet
      throw new TargetError(`Cannot read ${join(root, rel)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, 'staging');
    }
    const files: string[] = [];
    for (const d of entries) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (ignored(r)) continue;
      if (d.isDirectory()) pending.push(r);
      else if (d.isFile()) files.push(r); // links, sockets: not sent
    }
    // A folder's files are looked at together (the thread pool does them side by side).
    const stats = await Promise.all(files.map((r) => lstat(join(root, r))));
    files.forEach((r, i) => { const st = stats[i]!; out.push({ rel: r, size: st.size, mtimeMs: st.mtimeMs }); });
    if (out.length > MAX_FILES) throw new TargetError(`${root} holds more than ${MAX_FILES} files to sync; add a .cubelabignore.`, 'staging');
  }
  return out.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

/** The files under a remote folder, by size and modification time (GNU find; created when missing). */
export async function listRemote(conn: SshConnection, root: string, mkdirs: string[] = []): Promise<Map<string, FileEntry>> {
  // Whole seconds (the quick check's granularity), gzipped: a listing costs about what rsync's file list does.
  const r = await conn.exec(`mkdir -p ${[root, ...mkdirs].map(shq).join(' ')} && cd ${shq(root)} && find . -type f -printf '%P\\t%s\\t%Ts\\n' | gzip -c`);
  if (r.code !== 0) throw remoteError(conn.host.spec, root, r.stderr);
  let text = '';
  try { text = gunzipSync(r.stdout).toString('utf8'); } catch (e) { throw remoteError(conn.host.spec, root, `${r.stderr}\n${(e as Error).message}`); }
  const map = new Map<string, FileEntry>();
  for (const line of text.split('\n')) {
    const [rel, size, mtime] = line.split('\t');
    if (!rel || size === undefined || mtime === undefined) continue;
    map.set(rel, { rel, size: Number(size), mtimeMs: Number(mtime) * 1000 });
  }
  return map;
}

/** rsync's quick check: another size, or another modification time in whole seconds. */
function differs(a: FileEntry, b: FileEntry | undefined): boolean {
  return !b || a.size !== b.size || Math.floor(a.mtimeMs / 1000) !== Math.floor(b.mtimeMs / 1000);
}

/** Turns what a remote command said about a path into a sentence: a full disk, a permission, or as it stands. */
export function remoteError(host: string, path: string, stderr: string): TargetError {
  const e = stderr.trim();
  const named = /(?:'|")?(\/[^'":\n]+)(?:'|")?:?\s*(?:No space left on device|Permission denied|Disk quota exceeded)/.exec(e)?.[1] ?? path;
  if (/No space left on device|Disk quota exceeded/i.test(e)) return new TargetError(`The disk of ${host} is full while writing ${named}: free space there (or change the target's work folder) and run again.`, 'staging');
  if (/Permission denied|Operation not permitted/i.test(e)) return new TargetError(`${host} refuses to write ${named} (permission denied): the remote account needs write access there (or change the target's work folder).`, 'staging');
  return new TargetError(`Copying files with ${host} failed at ${path}: ${e.split('\n').slice(-3).join(' ') || 'no message'}.`, 'staging');
}

/** Whether the remote host has rsync (and this machine too). */
let localRsync: Promise<boolean> | undefined;

/** Whether this machine has rsync (asked once). */
export function rsyncHere(): Promise<boolean> {
  localRsync ??= new Promise<boolean>((resolve) => {
    const p = spawn('rsync', ['--version'], { stdio: 'ignore' });
    p.once('exit', (c) => resolve(c === 0));
    p.once('error', () => resolve(false));
  });
  return localRsync;
}

/** Whether the remote host has rsync (and this machine too). */
export async function rsyncAvailable(conn: SshConnection): Promise<boolean> {
  if (!(await rsyncHere())) return false;
  const r = await conn.exec('command -v rsync >/dev/null 2>&1');
  return r.code === 0;
}

function runRsync(conn: SshConnection, args: string[], list: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const e = conn.muxCommand().map(shq).join(' ');
    const p = spawn('rsync', ['-e', e, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.setEncoding('utf8'); p.stderr.setEncoding('utf8');
    p.stdout.on('data', (d: string) => { out += d; });
    p.stderr.on('data', (d: string) => { if (err.length < 65536) err += d; });
    p.once('error', (x) => resolve({ code: -1, stderr: x.message, stdout: out }));
    p.once('close', (code) => resolve({ code, stderr: err, stdout: out }));
    p.stdin.on('error', () => undefined);
    p.stdin.end(list.join('\n') + (list.length ? '\n' : ''));
  });
}

/**
 * Sends the changed files of `local` (the given entries) to the remote folder `remote`, which is created with
 * `mkdirs` in the same round trip. rsync does its own quick check (size and time) over the given list; the own
 * transfer lists the remote folder first. `progress` gets the count of files sent so far.
 */
export async function push(conn: SshConnection, local: string, remote: string, entries: FileEntry[], method: SyncMethod,
  progress?: (done: number, total: number) => void, mkdirs: string[] = []): Promise<SyncResult> {
  const t0 = Date.now();
  if (method === 'rsync') {
    progress?.(0, entries.length);
    const mk = `mkdir -p ${[remote, ...mkdirs].map(shq).join(' ')} && rsync`;
    // The list is computed here (ignore rules), so both methods consider the same files; %n names each one sent.
    const r = await runRsync(conn, ['-az', '--times', '--files-from=-', '--out-format=%n', `--rsync-path=${mk}`, `${local}/`, `${conn.host.destination}:${remote}/`], entries.map((f) => f.rel));
    if (r.code !== 0) throw remoteError(conn.host.spec, remote, r.stderr);
    const size = new Map(entries.map((f) => [f.rel, f.size]));
    const sent = r.stdout.split('\n').map((l) => l.trim()).filter((l) => size.has(l));
    progress?.(entries.length, entries.length);
    return { method, files: sent, bytes: sent.reduce((n, f) => n + (size.get(f) ?? 0), 0), ms: Date.now() - t0 };
  }
  const theirs = await listRemote(conn, remote, mkdirs);
  const changed = entries.filter((f) => differs(f, theirs.get(f.rel)));
  const bytes = changed.reduce((n, f) => n + f.size, 0);
  progress?.(0, changed.length);
  if (!changed.length) return { method, files: [], bytes: 0, ms: Date.now() - t0 };
  {
    const proc = await conn.spawn(`tar -xzf - -C ${shq(remote)}`, 'pipe');
    let err = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => { if (err.length < 65536) err += d; });
    const closed = new Promise<number | null>((resolve) => proc.once('close', (c) => resolve(c)));
    const pack = tar.pack();
    const gz = createGzip({ level: 6 });
    const sent = pipeline(pack, gz, proc.stdin as NodeJS.WritableStream).catch(() => undefined);
    let done = 0;
    for (const f of changed) {
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name: f.rel, size: f.size, mtime: new Date(f.mtimeMs), mode: 0o644 }, (e) => (e ? reject(e) : resolve()));
        const rs = createReadStream(join(local, f.rel));
        rs.on('error', reject);
        rs.pipe(entry);
      });
      progress?.(++done, changed.length);
    }
    pack.finalize();
    await sent;
    const code = await closed;
    if (code !== 0) throw remoteError(conn.host.spec, remote, err);
  }
  progress?.(changed.length, changed.length);
  return { method, files: changed.map((f) => f.rel), bytes, ms: Date.now() - t0 };
}

/** Local files under `local` (to compare with what comes back). */
async function localMap(local: string): Promise<Map<string, FileEntry>> {
  const entries = existsSync(local) ? await listLocal(local, () => false) : [];
  return new Map(entries.map((e) => [e.rel, e]));
}

export interface PullOptions {
  method: SyncMethod;
  /**
   * What the last sync of this folder left, per file: its modification time then. A local file whose time
   * differs now was changed by the user since.
   */
  synced?: Record<string, number>;
  /** Asked before overwriting local files changed since the last sync; false keeps them (and skips those files). */
  confirmOverwrite?: (files: string[]) => Promise<boolean>;
  progress?: (done: number, total: number) => void;
}

/** Brings the changed files of the remote folder `remote` into `local`. */
export async function pull(conn: SshConnection, remote: string, local: string, opts: PullOptions): Promise<SyncResult & { kept: string[]; synced: Record<string, number> }> {
  const t0 = Date.now();
  const theirs = await listRemote(conn, remote);
  const mine = await localMap(local);
  let changed = [...theirs.values()].filter((f) => differs(f, mine.get(f.rel)));
  // A local file modified since the last sync would be lost: ask first.
  const touched = changed.filter((f) => {
    const m = mine.get(f.rel);
    const before = opts.synced?.[f.rel];
    return m !== undefined && before !== undefined && Math.abs(m.mtimeMs - before) >= 1000;
  }).map((f) => f.rel);
  let kept: string[] = [];
  if (touched.length) {
    const overwrite = opts.confirmOverwrite ? await opts.confirmOverwrite(touched) : false;
    if (!overwrite) { kept = touched; changed = changed.filter((f) => !touched.includes(f.rel)); }
  }
  const bytes = changed.reduce((n, f) => n + f.size, 0);
  opts.progress?.(0, changed.length);
  // What this sync leaves: every remote file's time, as the local copies carry it (files kept: their old entry).
  const synced: Record<string, number> = { ...opts.synced };
  for (const f of theirs.values()) if (!kept.includes(f.rel)) synced[f.rel] = f.mtimeMs;
  if (!changed.length) return { method: opts.method, files: [], bytes: 0, ms: Date.now() - t0, kept, synced };
  mkdirSync(local, { recursive: true });
  if (opts.method === 'rsync') {
    const r = await runRsync(conn, ['-az', '--times', '--files-from=-', `${conn.host.destination}:${remote}/`, `${local}/`], changed.map((f) => f.rel));
    if (r.code !== 0) throw localOrRemote(conn, local, remote, r.stderr);
  } else {
    const proc = await conn.spawn(`cd ${shq(remote)} && tar -czf - -T -`, 'pipe');
    let err = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => { if (err.length < 65536) err += d; });
    const closed = new Promise<number | null>((resolve) => proc.once('close', (c) => resolve(c)));
    proc.stdin?.end(changed.map((f) => f.rel).join('\n') + '\n');
    const extract = tar.extract();
    let done = 0;
    const wanted = new Set(changed.map((f) => f.rel));
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '');
      // Only the files asked for, never outside the folder.
      if (header.type !== 'file' || !wanted.has(name) || name.split('/').includes('..')) { stream.resume(); stream.on('end', next); return; }
      const target = join(local, name);
      mkdirSync(dirname(target), { recursive: true });
      const ws = createWriteStream(target);
      stream.pipe(ws);
      ws.on('finish', () => {
        if (header.mtime) utimesSync(target, header.mtime, header.mtime);
        opts.progress?.(++done, changed.length);
        next();
      });
      ws.on('error', (e) => next(e));
    });
    await pipeline(proc.stdout as Readable, createGunzip(), extract).catch((e: Error) => { throw localOrRemote(conn, local, remote, `${err}\n${e.message}`); });
    const code = await closed;
    if (code !== 0) throw remoteError(conn.host.spec, remote, err);
  }
  opts.progress?.(changed.length, changed.length);
  return { method: opts.method, files: changed.map((f) => f.rel), bytes, ms: Date.now() - t0, kept, synced };
}

function localOrRemote(conn: SshConnection, local: string, remote: string, stderr: string): TargetError {
  if (/No space left on device|ENOSPC/.test(stderr) && stderr.includes(local)) return new TargetError(`This machine's disk is full while writing ${local}.`, 'staging');
  return remoteError(conn.host.spec, remote, stderr);
}
