/**
 * The content-addressed blob cache (`<root>/sha256/<hex>`). A blob enters it only after its digest was
 * verified, and is verified again every time it is used: a cached file that changed since is refused (the
 * message names the file and both digests) and dropped from the cache, so that the next pull fetches it anew.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { DigestMismatchError, RegistryError } from './errors';
import { isDigest } from './names';

/** Where ingested bytes go besides the cache: a writable, and when it is completely done. */
export interface Sink { stream: Writable; done: Promise<unknown> }

export async function hashFile(path: string): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) { h.update(chunk as Buffer); size += (chunk as Buffer).length; }
  return { digest: `sha256:${h.digest('hex')}`, size };
}

const drained = (w: Writable): Promise<void> => new Promise((resolve, reject) => {
  const ok = (): void => { w.off('error', bad); resolve(); };
  const bad = (e: Error): void => { w.off('drain', ok); reject(e); };
  w.once('drain', ok);
  w.once('error', bad);
});

function finished(w: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => { w.once('close', resolve); w.once('error', reject); });
}

export class BlobCache {
  constructor(readonly root: string) {}

  path(digest: string): string {
    if (!isDigest(digest)) throw new RegistryError(`"${digest}" is not a sha256 digest.`, 'protocol');
    return join(this.root, 'sha256', digest.slice('sha256:'.length));
  }

  private async exists(path: string): Promise<boolean> {
    try { return (await stat(path)).isFile(); } catch { return false; }
  }

  /**
   * The cached file for `digest`, verified now; undefined when it is not cached. A mismatch is refused:
   * the entry is removed and the error names `file`, the cached path and both digests.
   */
  async verified(digest: string, file: string): Promise<string | undefined> {
    const p = this.path(digest);
    if (!(await this.exists(p))) return undefined;
    const got = await hashFile(p);
    if (got.digest !== digest) {
      await rm(p, { force: true });
      throw new DigestMismatchError(file, digest, got.digest, `the cached copy (${p}, now removed from the cache; pull again to fetch it from the registry)`);
    }
    return p;
  }

  private async tempPath(): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, `${Date.now()}-${randomBytes(6).toString('hex')}`);
  }

  /**
   * Reads `source` once: hashes it, writes it to a temporary file of the cache and to each sink. When the digest
   * and size match, the file becomes the cache entry; otherwise it is removed and a DigestMismatchError thrown.
   * The sinks are ended either way; their `done` is awaited (and their failure reported) before the verdict.
   */
  async ingest(source: Readable, digest: string, size: number, file: string, where: string, sinks: Sink[] = [], onBytes?: (n: number) => void): Promise<string> {
    const final = this.path(digest);
    const temp = await this.tempPath();
    const out = createWriteStream(temp, { highWaterMark: 1 << 20 });
    const outDone = finished(out);
    const hash = createHash('sha256');
    let received = 0;
    let failure: unknown;
    const failed = new Promise<never>((_, reject) => {
      const fail = (e: unknown): void => { failure ??= e; reject(e); };
      out.once('error', fail);
      for (const s of sinks) { s.stream.once('error', fail); s.done.catch(fail); }
      source.once('error', fail);
    });
    failed.catch(() => undefined);
    try {
      const pump = (async () => {
        for await (const c of source) {
          const chunk = c as Buffer;
          received += chunk.length;
          if (received > size) throw new RegistryError(`${file}: ${where} is larger than the ${size} bytes the cube declares.`, 'digest');
          hash.update(chunk);
          let waits: Promise<void>[] | undefined;
          if (!out.write(chunk)) (waits ??= []).push(drained(out));
          for (const s of sinks) if (!s.stream.write(chunk)) (waits ??= []).push(drained(s.stream));
          if (waits) await Promise.all(waits);
          onBytes?.(chunk.length);
        }
      })();
      pump.catch(() => undefined);
      await Promise.race([pump, failed]);
      out.end();
      for (const s of sinks) s.stream.end();
      await Promise.race([Promise.all([outDone, ...sinks.map((s) => s.done)]), failed]);
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest) throw new DigestMismatchError(file, digest, actual, where);
      if (received !== size) throw new RegistryError(`${file}: ${where} has ${received} bytes, the cube declares ${size}.`, 'digest');
      await mkdir(join(this.root, 'sha256'), { recursive: true });
      await rename(temp, final);
      return final;
    } catch (e) {
      source.destroy();
      out.destroy();
      for (const s of sinks) s.stream.destroy();
      await rm(temp, { force: true });
      throw failure instanceof DigestMismatchError ? failure : e;
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
