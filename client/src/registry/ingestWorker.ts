/**
 * The ingest worker (dist/registryWorker.js): while the main thread writes a large blob into the cache, this
 * thread reads what has been written (from the page cache), hashes it, and extracts it (the additional files'
 * tar) or copies it to its place, so that hashing and the second write run beside the download instead of
 * after it. Also verifies a cached blob and extracts it in one pass. One message in per progress step; one
 * result per job: the digest and the files written, or an error message.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { TarExtractor, UnsafeTarError } from './tarExtract';

export interface JobStart { type: 'start'; id: number; file: string; mode: 'none' | 'extract' | 'copy'; target?: string; /** false: place only (another worker hashes). */ hash?: boolean }
export interface JobProgress { type: 'written'; id: number; bytes: number; done?: boolean }
export interface JobAbort { type: 'abort'; id: number }
export type WorkerIn = JobStart | JobProgress | JobAbort;
/** A refused entry does not stop the hashing: the digest's verdict comes first, then the refusal (`unsafe`). */
export type WorkerOut = { id: number; ok: true; digest: string; size: number; files: string[]; unsafe?: string } | { id: number; ok: false; error: string; unsafe: boolean };

interface Job { fd: number; pos: number; hash?: Hash; tar?: TarExtractor; out?: { fd: number }; failed?: boolean; unsafe?: string }

const jobs = new Map<number, Job>();
const buf = Buffer.allocUnsafe(4 << 20);

function close(job: Job): void {
  try { closeSync(job.fd); } catch { /* closed */ }
  if (job.out) { try { closeSync(job.out.fd); } catch { /* closed */ } }
  job.tar?.abort();
}

function fail(id: number, job: Job | undefined, e: unknown): void {
  if (job) { job.failed = true; close(job); }
  jobs.delete(id);
  parentPort?.postMessage({ id, ok: false, error: (e as Error)?.message ?? String(e), unsafe: e instanceof UnsafeTarError } satisfies WorkerOut);
}

/** An archive CubeLab refuses: extraction stops, hashing goes on (a tampered blob is reported as such). */
function stopExtracting(job: Job, e: unknown): void {
  if (!(e instanceof UnsafeTarError)) throw e;
  job.unsafe = e.message;
  job.tar?.abort();
  delete job.tar;
}

function advance(id: number, job: Job, upTo: number): void {
  while (job.pos < upTo) {
    const n = readSync(job.fd, buf, 0, Math.min(buf.length, upTo - job.pos), job.pos);
    if (n <= 0) throw new Error('the cached file is shorter than written');
    const chunk = buf.subarray(0, n);
    job.hash?.update(chunk);
    if (job.tar) {
      try { job.tar.push(chunk); } catch (e) { stopExtracting(job, e); }
    }
    if (job.out) { let w = 0; while (w < n) w += writeSync(job.out.fd, chunk, w, n - w, job.pos + w); }
    job.pos += n;
  }
  void id;
}

parentPort?.on('message', (m: WorkerIn) => {
  const job = jobs.get(m.id);
  try {
    if (m.type === 'start') {
      const j: Job = { fd: openSync(m.file, 'r'), pos: 0, ...(m.hash === false ? {} : { hash: createHash('sha256') }) };
      jobs.set(m.id, j);
      if (m.mode === 'extract' && m.target) j.tar = new TarExtractor(m.target);
      if (m.mode === 'copy' && m.target) j.out = { fd: openSync(m.target, 'wx', 0o644) };
      return;
    }
    if (!job) return;
    if (m.type === 'abort') { close(job); jobs.delete(m.id); return; }
    advance(m.id, job, m.bytes);
    if (m.done) {
      const files = job.tar?.files ?? [];
      if (job.tar) { try { job.tar.end(); } catch (e) { stopExtracting(job, e); } }
      close(job);
      jobs.delete(m.id);
      parentPort?.postMessage({ id: m.id, ok: true, digest: job.hash ? `sha256:${job.hash.digest('hex')}` : '', size: job.pos, files, ...(job.unsafe ? { unsafe: job.unsafe } : {}) } satisfies WorkerOut);
    }
  } catch (e) {
    fail(m.id, job, e);
  }
});
