/**
 * The additional files as one tarball: packed reproducibly (sorted entries, fixed times, owner 0, modes 0644 or
 * 0755) so the same folder gives the same digest, and extracted defensively (the tar is untrusted even after
 * its digest matched: a publisher may be hostile): regular files and folders only, no absolute or `..` paths,
 * no links or devices, no entry written twice, a bound on entries.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type Dirent } from 'node:fs';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { createReadStream } from 'node:fs';
import * as tar from 'tar-stream';
import { RegistryError } from './errors';
import type { Sink } from './cache';

export const MAX_ENTRIES = 100_000;
const EPOCH = new Date(0);

export interface PackedTar { digest: string; size: number; files: number; skipped: string[] }

/** Every regular file and folder under `dir`, sorted, as POSIX paths relative to it; symlinks skipped. */
async function walk(dir: string): Promise<{ entries: { rel: string; abs: string; dir: boolean; mode: number; size: number }[]; skipped: string[] }> {
  const entries: { rel: string; abs: string; dir: boolean; mode: number; size: number }[] = [];
  const skipped: string[] = [];
  const visit = async (abs: string, rel: string): Promise<void> => {
    const list: Dirent[] = (await readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of list) {
      const a = join(abs, d.name);
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) { entries.push({ rel: r, abs: a, dir: true, mode: 0o755, size: 0 }); await visit(a, r); }
      else if (d.isFile()) { const st = await lstat(a); entries.push({ rel: r, abs: a, dir: false, mode: st.mode & 0o111 ? 0o755 : 0o644, size: st.size }); }
      else skipped.push(r);
      if (entries.length > MAX_ENTRIES) throw new RegistryError(`${dir} holds more than ${MAX_ENTRIES} files.`, 'refused');
    }
  };
  await visit(dir, '');
  return { entries, skipped };
}

/** Packs `dir` into `outFile` (uncompressed tar), hashing as it writes. */
export async function packFolder(dir: string, outFile: string): Promise<PackedTar> {
  const { entries, skipped } = await walk(dir);
  const pack = tar.pack();
  const hash = createHash('sha256');
  let size = 0;
  const out = createWriteStream(outFile, { highWaterMark: 1 << 20 });
  const written = new Promise<void>((resolve, reject) => { out.once('close', resolve); out.once('error', reject); pack.once('error', reject); });
  pack.on('data', (c: Buffer) => { hash.update(c); size += c.length; if (!out.write(c)) { pack.pause(); out.once('drain', () => pack.resume()); } });
  pack.on('end', () => out.end());
  let files = 0;
  for (const e of entries) {
    const header = { name: e.rel, mode: e.mode, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' };
    if (e.dir) { await new Promise<void>((resolve, reject) => pack.entry({ ...header, type: 'directory' }, (err) => (err ? reject(err) : resolve()))); continue; }
    files++;
    await new Promise<void>((resolve, reject) => {
      const w = pack.entry({ ...header, type: 'file', size: e.size }, (err) => (err ? reject(err) : resolve()));
      const r = createReadStream(e.abs, { highWaterMark: 1 << 20 });
      r.once('error', reject);
      r.pipe(w);
    });
  }
  pack.finalize();
  await written;
  return { digest: `sha256:${hash.digest('hex')}`, size, files, skipped };
}

/** A safe relative path of a tar entry, or a refusal naming it. */
export function entryPath(name: string): string {
  const n = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (!n || n === '.') return '';
  if (n.includes('\0') || n.includes('\\') || n.startsWith('/') || /^[A-Za-z]:/.test(n)) throw new RegistryError(`The additional files hold an entry with an unsafe path ("${n.slice(0, 120)}"): refused.`, 'refused');
  const parts = n.split('/');
  if (parts.some((p) => p === '..' || p === '' || p === '.')) throw new RegistryError(`The additional files hold an entry with an unsafe path ("${n.slice(0, 120)}"): refused.`, 'refused');
  return posix.normalize(n);
}

/** A sink that extracts a tar stream into `target` (a fresh folder): resolves with the files written. */
export function extractSink(target: string): Sink & { files: string[] } {
  const ex = tar.extract();
  const files: string[] = [];
  const made = new Set<string>();
  let count = 0;
  const ensureDir = async (d: string): Promise<void> => { if (!made.has(d)) { await mkdir(d, { recursive: true }); made.add(d); } };
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const fail = (e: unknown): void => { stream.resume(); ex.destroy(e as Error); };
      void (async () => {
        if (++count > MAX_ENTRIES) throw new RegistryError(`The additional files hold more than ${MAX_ENTRIES} entries: refused.`, 'refused');
        const rel = entryPath(header.name);
        const abs = rel ? join(target, ...rel.split('/')) : target;
        if (header.type === 'directory') { await ensureDir(abs); stream.resume(); stream.once('end', () => next()); return; }
        if (header.type !== 'file' && header.type !== 'contiguous-file') {
          throw new RegistryError(`The additional files hold "${rel.slice(0, 120)}" of type ${header.type}: only files and folders are extracted; refused.`, 'refused');
        }
        if (!rel) throw new RegistryError('The additional files hold a file without a name: refused.', 'refused');
        await ensureDir(join(abs, '..'));
        const w = createWriteStream(abs, { flags: 'wx', mode: (header.mode ?? 0o644) & 0o111 ? 0o755 : 0o644, highWaterMark: 1 << 20 });
        w.once('error', fail);
        w.once('close', () => { files.push(rel.split('/').join(sep)); next(); });
        stream.pipe(w);
      })().catch(fail);
    });
    ex.once('finish', () => resolve());
    ex.once('error', (e) => reject(e));
  });
  done.catch(() => undefined);
  return { stream: ex, done, files };
}
