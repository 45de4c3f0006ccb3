/**
 * Two ingest workers (ingestWorker.ts), started when a large blob is first ingested and kept while they have
 * work (unreferenced when idle, so they never keep a process alive). A tarball is hashed by one and extracted
 * by the other, both reading the cache file as the download writes it, so neither falls behind the download.
 * Built as dist/registryWorker.js; run from the TypeScript source (tests) through tsx.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { JobStart, WorkerIn, WorkerOut } from './ingestWorker';

export interface JobResult { digest: string; size: number; files: string[]; /** A refused archive entry (checked after the digest). */ unsafe?: string }
export class WorkerJobError extends Error { constructor(message: string, readonly unsafe: boolean) { super(message); } }

interface Slot { worker?: Worker; pending: Map<number, { resolve: (r: JobResult) => void; reject: (e: Error) => void }> }
const slots: Slot[] = [{ pending: new Map() }, { pending: new Map() }];
let nextId = 1;

function start(slot: Slot): Worker {
  if (slot.worker) return slot.worker;
  const dist = join(__dirname, 'registryWorker.js');
  let w: Worker;
  if (__filename.endsWith('.ts') || !existsSync(dist)) {
    // From the sources (the tests run them through tsx): load tsx's CommonJS hook in the worker first.
    const src = join(__dirname, 'ingestWorker.ts');
    w = new Worker(`require(${JSON.stringify(createRequire(__filename).resolve('tsx/cjs'))}); require(${JSON.stringify(src)});`, { eval: true });
  } else {
    w = new Worker(dist);
  }
  const failAll = (e: Error): void => { for (const p of slot.pending.values()) p.reject(e); slot.pending.clear(); delete slot.worker; };
  w.on('message', (m: WorkerOut) => {
    const p = slot.pending.get(m.id);
    if (!p) return;
    slot.pending.delete(m.id);
    if (!slot.pending.size) w.unref();
    if (m.ok) p.resolve({ digest: m.digest, size: m.size, files: m.files, ...(m.unsafe ? { unsafe: m.unsafe } : {}) }); else p.reject(new WorkerJobError(m.error, m.unsafe));
  });
  w.on('error', failAll);
  w.on('exit', () => failAll(new Error('the ingest worker stopped')));
  w.unref();
  slot.worker = w;
  return w;
}

export interface WorkerJob {
  /** Tells the worker(s) how many bytes of the file are written (and, with `done`, that it is complete). */
  written(bytes: number, done?: boolean): void;
  abort(): void;
  result: Promise<JobResult>;
}

function single(slot: Slot, file: string, mode: JobStart['mode'], target: string | undefined, hash: boolean): WorkerJob {
  const w = start(slot);
  const id = nextId++;
  w.ref();
  const result = new Promise<JobResult>((resolve, reject) => slot.pending.set(id, { resolve, reject }));
  result.catch(() => undefined);
  const post = (m: WorkerIn): void => w.postMessage(m);
  post({ type: 'start', id, file, mode, hash, ...(target ? { target } : {}) });
  return {
    written: (bytes, done) => post({ type: 'written', id, bytes, ...(done ? { done: true } : {}) }),
    abort: () => {
      post({ type: 'abort', id });
      const p = slot.pending.get(id);
      slot.pending.delete(id);
      if (!slot.pending.size) w.unref();
      p?.reject(new Error('aborted'));
    },
    result,
  };
}

export function startJob(file: string, mode: JobStart['mode'], target?: string): WorkerJob {
  const [a, b] = slots as [Slot, Slot];
  if (mode !== 'extract') return single(a, file, mode, target, true);
  const hashing = single(a, file, 'none', undefined, true);
  const extracting = single(b, file, 'extract', target, false);
  const result = Promise.all([hashing.result, extracting.result]).then(([h, x]) => ({ digest: h.digest, size: h.size, files: x.files, ...(x.unsafe ? { unsafe: x.unsafe } : {}) }));
  result.catch(() => undefined);
  return {
    written: (bytes, done) => { hashing.written(bytes, done); extracting.written(bytes, done); },
    abort: () => { hashing.abort(); extracting.abort(); },
    result,
  };
}
