/**
 * The additional files as one tarball, packed reproducibly (sorted entries, fixed times, owner 0, modes 0644 or
 * 0755) so the same folder gives the same digest. Extraction (defensive: the tar is untrusted even after its
 * digest matched) is tarExtract.ts, run by the ingest worker.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { RegistryError } from './errors';

import { MAX_ENTRIES } from './tarExtract';
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

export { entryPath, MAX_ENTRIES } from './tarExtract';
