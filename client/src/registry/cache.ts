/**
 * The content-addressed blob cache (`<root>/sha256/<hex>`). A blob enters it only after its digest was
 * verified, and is verified again every time it is used: a cached file that changed since is refused (the
 * message names the file and both digests) and dropped from the cache, so that the next pull fetches it anew.
 *
 * Large blobs (and every tarball) go through the ingest worker: the main thread writes what arrives into the
 * cache, the worker reads it back from the page cache, hashes it and extracts (or copies) it in step, so the
 * download, the hash and the second write overlap. A cached blob is verified and placed in one pass as well.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DigestMismatchError, RegistryError } from './errors';
import { isDigest } from './names';
import { startJob, WorkerJobError, type JobResult } from './workerPool';

/** Where a blob goes besides the cache: nowhere, a copy at `target`, or extracted (a tar) into folder `target`. */
export type Placement = { mode: 'none' } | { mode: 'copy'; target: string } | { mode: 'extract'; target: string };

/** Blobs at least this large (and every tar) are hashed and placed by the ingest worker. */
export const WORKER_THRESHOLD = 4 << 20;

export async function hashFile(path: string): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) { h.update(chunk as Buffer); size += (chunk as Buffer).length; }
  return { digest: `sha256:${h.digest('hex')}`, size };
}

function workerError(e: unknown): Error {
  if (e instanceof WorkerJobError && e.unsafe) return new RegistryError(e.message, 'refused');
  return e as Error;
}

export class BlobCache {
  constructor(readonly root: string) {}

  path(digest: string): string {
    if (!isDigest(digest)) throw new RegistryError(`"${digest}" is not a sha256 digest.`, 'protocol');
    return join(this.root, 'sha256', digest.slice('sha256:'.length));
  }

  private async size(path: string): Promise<number | undefined> {
    try { const s = await stat(path); return s.isFile() ? s.size : undefined; } catch { return undefined; }
  }

  private async dropBad(digest: string, file: string, actual: string): Promise<never> {
    const p = this.path(digest);
    await rm(p, { force: true });
    throw new DigestMismatchError(file, digest, actual, `the cached copy (${p}, now removed from the cache; pull again to fetch it from the registry)`);
  }

  /** The cached file for `digest`, verified now; undefined when it is not cached (a mismatch is refused). */
  async verified(digest: string, file: string): Promise<string | undefined> {
    const p = this.path(digest);
    if ((await this.size(p)) === undefined) return undefined;
    const got = await hashFile(p);
    if (got.digest !== digest) await this.dropBad(digest, file, got.digest);
    return p;
  }

  /**
   * Uses a cached blob: verifies it and places it (copy or extraction) in one pass. Undefined when it is not
   * cached. On a mismatch the entry is removed and a DigestMismatchError thrown (what was placed is the
   * caller's to remove: it writes into a staging folder).
   */
  async useCached(digest: string, file: string, place: Placement): Promise<{ path: string; files: string[] } | undefined> {
    const p = this.path(digest);
    const size = await this.size(p);
    if (size === undefined) return undefined;
    if (place.mode !== 'extract' && size < WORKER_THRESHOLD) {
      const data = await readFile(p);
      const actual = `sha256:${createHash('sha256').update(data).digest('hex')}`;
      if (actual !== digest) await this.dropBad(digest, file, actual);
      if (place.mode === 'copy') await copyFile(p, place.target);
      return { path: p, files: [] };
    }
    const job = startJob(p, place.mode, place.mode === 'none' ? undefined : place.target);
    job.written(size, true);
    let r: JobResult;
    try { r = await job.result; } catch (e) { throw workerError(e); }
    if (r.digest !== digest) await this.dropBad(digest, file, r.digest);
    if (r.unsafe) throw new RegistryError(r.unsafe, 'refused');
    return { path: p, files: r.files };
  }

  private async tempPath(): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, `${Date.now()}-${randomBytes(6).toString('hex')}`);
  }

  /**
   * Receives a blob once into the cache and places it. `fetch` hands every chunk to the sink it is given, as it
   * arrives (the chunk is written into the cache at once, with a synchronous write: the chunk's buffer is
   * reused after the call); large blobs and tarballs are hashed and placed by the ingest worker, which reads
   * the cache file as it grows. When the digest and size match, the file becomes the cache entry; otherwise it
   * is removed and a DigestMismatchError thrown (naming `file`, `where` and both digests). A blob larger than
   * declared is cut off and refused.
   */
  async ingest(fetch: (sink: (chunk: Buffer) => void) => Promise<void>, digest: string, size: number, file: string, where: string, place: Placement, onBytes?: (n: number) => void): Promise<{ path: string; files: string[] }> {
    const final = this.path(digest);
    const temp = await this.tempPath();
    const useWorker = place.mode === 'extract' || size >= WORKER_THRESHOLD;
    const fd = openSync(temp, 'w');
    let copyFd: number | undefined;
    let job: ReturnType<typeof startJob> | undefined;
    const hash = useWorker ? undefined : createHash('sha256');
    let received = 0;
    let posted = 0;
    try {
      if (!useWorker && place.mode === 'copy') copyFd = openSync(place.target, 'wx', 0o644);
      if (useWorker) job = startJob(temp, place.mode, place.mode === 'none' ? undefined : place.target);
      await fetch((chunk) => {
        if (received + chunk.length > size) throw new RegistryError(`${file}: ${where} is larger than the ${size} bytes the cube declares: refused.`, 'digest');
        for (let w = 0; w < chunk.length; ) w += writeSync(fd, chunk, w, chunk.length - w, received + w);
        if (copyFd !== undefined) for (let w = 0; w < chunk.length; ) w += writeSync(copyFd, chunk, w, chunk.length - w, received + w);
        hash?.update(chunk);
        received += chunk.length;
        if (job && received - posted >= 1 << 20) { posted = received; job.written(received); }
        onBytes?.(chunk.length);
      });
      closeSync(fd);
      if (copyFd !== undefined) { closeSync(copyFd); copyFd = undefined; }
      let actual: string;
      let files: string[] = [];
      if (job) {
        job.written(received, true);
        let r: JobResult;
        try { r = await job.result; } catch (e) { throw workerError(e); }
        job = undefined;
        actual = r.digest;
        files = r.files;
        if (r.unsafe && actual === digest && received === size) throw new RegistryError(r.unsafe, 'refused');
      } else {
        actual = `sha256:${(hash as ReturnType<typeof createHash>).digest('hex')}`;
      }
      if (actual !== digest) throw new DigestMismatchError(file, digest, actual, where);
      if (received !== size) throw new RegistryError(`${file}: ${where} has ${received} bytes, the cube declares ${size}: refused.`, 'digest');
      await mkdir(join(this.root, 'sha256'), { recursive: true });
      await rename(temp, final);
      return { path: final, files };
    } catch (e) {
      try { closeSync(fd); } catch { /* closed */ }
      if (copyFd !== undefined) { try { closeSync(copyFd); } catch { /* closed */ } }
      job?.abort();
      await rm(temp, { force: true });
      throw e;
    }
  }

  /** Adds a file whose digest the caller just computed (publish): moved into the cache. */
  async adopt(path: string, digest: string): Promise<string> {
    const final = this.path(digest);
    await mkdir(join(this.root, 'sha256'), { recursive: true });
    await rename(path, final);
    return final;
  }

  /** A temporary file path inside the cache (same file system as the entries, so `adopt` is a rename). */
  temp(): Promise<string> { return this.tempPath(); }
}
