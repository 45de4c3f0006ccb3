/**
 * The event index: what reading an `event_storage.log` produced (the reader's position and counts, and per
 * experiment its state and, per metric, the aggregated series with the byte offsets of its lines), saved in the
 * extension's storage so that a log opened before is ready without reading it again. Pure Node, no `vscode`.
 *
 * An index is used only for the file it was made from: it is checked against the log's size (a shorter log was
 * truncated), a hash of its head and of the bytes just before where the index ends (a log written anew, even to
 * the same size, has another head: MLgym stamps every line with microseconds), and its modification time (the
 * same size and time: nothing to read). A log that grew is read from where the index ends; one that was
 * truncated or rewritten is read again from the start. The store keeps a file per log, under a size cap: the
 * least recently used are removed first.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { EpochSeries, ExperimentAggregate, type JobInfo, type Progress, type RunAggregator } from './aggregate';
import type { EventLogReader, ReaderCheckpoint } from './reader';

/** Bumped whenever the layout or the meaning of the saved aggregates changes: an older index is not used. */
export const INDEX_FORMAT = 1;
const MAGIC = Buffer.from('CUBELABX', 'latin1');
/** Bytes of the log's head that are hashed (they hold the first lines' creation_ts, in microseconds). */
export const HEAD_HASH_BYTES = 64 * 1024;
/** Bytes before the index's end that are hashed: catches a log rewritten past its head. */
export const TAIL_HASH_BYTES = 4 * 1024;
const SUFFIX = '.cubelab-index';

interface SeriesHeader { key: string; n: number; edits: number; lastOffset: number }

interface ExperimentHeader {
  id: string;
  gridSearchId?: string;
  config?: Record<string, unknown>;
  job?: JobInfo;
  progress?: Progress;
  /** null for "none yet" (Infinity has no JSON). */
  firstTs: number | null;
  lastTs: number;
  trainingFirstTs: number;
  trainingLastTs: number;
  firstOffset: number;
  lastOffset: number;
  lastEpoch: number;
  events: number;
  series: SeriesHeader[];
}

export interface IndexHeader {
  format: number;
  logPath: string;
  /** The log's size and modification time when saved; mtimeMs is -1 when the index ends before the log does. */
  size: number;
  mtimeMs: number;
  headHash: string;
  tailHash: string;
  reader: ReaderCheckpoint;
  counts: RunAggregator['counts'];
  experiments: ExperimentHeader[];
  savedAt: number;
}

/** How an open went: `unchanged`/`grown` used the index, the others read the log from the start. */
export type IndexOutcome = 'unchanged' | 'grown' | 'none' | 'truncated' | 'rewritten' | 'unreadable' | 'missing-log';

export interface IndexOpen {
  outcome: IndexOutcome;
  /** Where reading goes on (0: from the start). */
  fromOffset: number;
  /** Time spent loading and checking the index, ms. */
  ms: number;
}

// ---------------------------------------------------------------- encoding

export function encodeIndex(header: Omit<IndexHeader, 'experiments' | 'counts' | 'format'>, agg: RunAggregator): Buffer {
  const experiments: ExperimentHeader[] = [];
  let floats = 0;
  for (const e of agg.experiments.values()) {
    const series: SeriesHeader[] = [];
    for (const [key, s] of e.series) { series.push({ key, n: s.length, edits: s.edits, lastOffset: s.lastOffset }); floats += 2 * s.length; }
    experiments.push({
      id: e.id, gridSearchId: e.gridSearchId, config: e.config, job: e.job, progress: e.progress,
      firstTs: Number.isFinite(e.firstTs) ? e.firstTs : null, lastTs: e.lastTs, trainingFirstTs: e.trainingFirstTs, trainingLastTs: e.trainingLastTs,
      firstOffset: e.firstOffset, lastOffset: e.lastOffset, lastEpoch: e.lastEpoch, events: e.events, series,
    });
  }
  const full: IndexHeader = { ...header, format: INDEX_FORMAT, counts: { ...agg.counts }, experiments };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const dataStart = align8(MAGIC.length + 8 + json.length);
  const out = Buffer.alloc(dataStart + floats * 8);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(INDEX_FORMAT, MAGIC.length);
  out.writeUInt32LE(json.length, MAGIC.length + 4);
  json.copy(out, MAGIC.length + 8);
  const data = new Float64Array(out.buffer, out.byteOffset + dataStart, floats);
  let at = 0;
  for (const e of agg.experiments.values()) {
    for (const s of e.series.values()) {
      data.set(s.epochs, at); at += s.length;
      data.set(s.values, at); at += s.length;
    }
  }
  return out;
}

const align8 = (n: number) => (n + 7) & ~7;

/** The header and the aggregates of an index file; undefined when it is not one of this format (or is damaged). */
export function decodeIndex(buf: Buffer): { header: IndexHeader; experiments: ExperimentAggregate[] } | undefined {
  if (buf.length < MAGIC.length + 8 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (buf.readUInt32LE(MAGIC.length) !== INDEX_FORMAT) return undefined;
  const jsonLength = buf.readUInt32LE(MAGIC.length + 4);
  const dataStart = align8(MAGIC.length + 8 + jsonLength);
  if (dataStart > buf.length) return undefined;
  let header: IndexHeader;
  try { header = JSON.parse(buf.toString('utf8', MAGIC.length + 8, MAGIC.length + 8 + jsonLength)) as IndexHeader; } catch { return undefined; }
  if (header.format !== INDEX_FORMAT || !Array.isArray(header.experiments)) return undefined;
  const floats = (buf.length - dataStart) / 8;
  // A Buffer read from a file may start anywhere in its ArrayBuffer: copy when the floats are not aligned.
  const data = (buf.byteOffset + dataStart) % 8 === 0
    ? new Float64Array(buf.buffer, buf.byteOffset + dataStart, floats)
    : new Float64Array(Uint8Array.prototype.slice.call(buf, dataStart).buffer);
  let at = 0;
  const experiments: ExperimentAggregate[] = [];
  for (const h of header.experiments) {
    const e = new ExperimentAggregate(h.id);
    e.gridSearchId = h.gridSearchId;
    e.config = h.config;
    e.job = h.job;
    e.progress = h.progress;
    e.firstTs = h.firstTs ?? Number.POSITIVE_INFINITY;
    e.lastTs = h.lastTs;
    e.trainingFirstTs = h.trainingFirstTs;
    e.trainingLastTs = h.trainingLastTs;
    e.firstOffset = h.firstOffset;
    e.lastOffset = h.lastOffset;
    e.lastEpoch = h.lastEpoch;
    e.events = h.events;
    for (const sh of h.series) {
      if (at + 2 * sh.n > floats) return undefined;
      const s = new EpochSeries(toArray(data, at, sh.n), toArray(data, at + sh.n, sh.n));
      at += 2 * sh.n;
      s.edits = sh.edits;
      s.lastOffset = sh.lastOffset;
      e.series.set(sh.key, s);
    }
    experiments.push(e);
  }
  return at === floats ? { header, experiments } : undefined;
}

function toArray(data: Float64Array, at: number, n: number): number[] {
  return Array.from(data.subarray(at, at + n));
}

// ---------------------------------------------------------------- hashing the log

async function hashRange(fh: fsp.FileHandle, from: number, to: number): Promise<{ hash: string; bytes: Buffer }> {
  const bytes = Buffer.alloc(Math.max(0, to - from));
  let got = 0;
  while (got < bytes.length) {
    const { bytesRead } = await fh.read(bytes, got, bytes.length - got, from + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  const used = bytes.subarray(0, got);
  return { hash: createHash('sha256').update(used).digest('hex'), bytes: used };
}

/** The head and tail hashes of a log for an index ending at `offset`. */
async function logHashes(fh: fsp.FileHandle, offset: number): Promise<{ headHash: string; tailHash: string; head: Buffer }> {
  const head = await hashRange(fh, 0, Math.min(offset, HEAD_HASH_BYTES));
  const tail = await hashRange(fh, Math.max(0, offset - TAIL_HASH_BYTES), offset);
  return { headHash: head.hash, tailHash: tail.hash, head: head.bytes };
}

// ---------------------------------------------------------------- the store

export interface IndexStoreStats { files: number; bytes: number }

/**
 * A folder of index files (in the extension's global storage), one per log, named by a hash of the log's path,
 * and a cap on their total size: after each save the least recently used (oldest modification time: a file is
 * touched when it is used) are removed until the rest fits.
 */
export class EventIndexStore {
  constructor(readonly dir: string, public maxBytes: number) {}

  fileFor(logPath: string): string {
    return join(this.dir, createHash('sha256').update(logPath).digest('hex').slice(0, 40) + SUFFIX);
  }

  /** The index file of a log, marked as used; undefined when there is none (or it cannot be read). */
  async read(logPath: string): Promise<Buffer | undefined> {
    const file = this.fileFor(logPath);
    let buf: Buffer;
    try { buf = await fsp.readFile(file); } catch { return undefined; }
    const now = new Date();
    await fsp.utimes(file, now, now).catch(() => undefined);
    return buf;
  }

  /** Writes a log's index (whole or not at all: a temporary file renamed over it), then keeps the store under its cap. */
  async write(logPath: string, data: Buffer): Promise<void> {
    if (data.length > this.maxBytes) { await this.remove(logPath); return; }
    await fsp.mkdir(this.dir, { recursive: true });
    const file = this.fileFor(logPath);
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await fsp.writeFile(tmp, data);
      await fsp.rename(tmp, file);
    } catch (err) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw err;
    }
    await this.evict(file);
  }

  async remove(logPath: string): Promise<void> {
    await fsp.unlink(this.fileFor(logPath)).catch(() => undefined);
  }

  /** Removes the least recently used index files until the total fits the cap; `keep` goes last. */
  async evict(keep?: string): Promise<string[]> {
    let names: string[];
    try { names = await fsp.readdir(this.dir); } catch { return []; }
    const files: { path: string; size: number; used: number }[] = [];
    for (const name of names) {
      if (!name.endsWith(SUFFIX)) continue;
      const path = join(this.dir, name);
      try { const st = await fsp.stat(path); files.push({ path, size: st.size, used: path === keep ? Number.POSITIVE_INFINITY : st.mtimeMs }); } catch { /* removed meanwhile */ }
    }
    let total = files.reduce((n, f) => n + f.size, 0);
    const removed: string[] = [];
    for (const f of files.sort((a, b) => a.used - b.used)) {
      if (total <= this.maxBytes) break;
      await fsp.unlink(f.path).catch(() => undefined);
      total -= f.size;
      removed.push(f.path);
    }
    return removed;
  }

  async stats(): Promise<IndexStoreStats> {
    let names: string[];
    try { names = await fsp.readdir(this.dir); } catch { return { files: 0, bytes: 0 }; }
    let files = 0, bytes = 0;
    for (const name of names) {
      if (!name.endsWith(SUFFIX)) continue;
      try { bytes += (await fsp.stat(join(this.dir, name))).size; files++; } catch { /* removed meanwhile */ }
    }
    return { files, bytes };
  }
}

// ---------------------------------------------------------------- using it with a reader

/**
 * Before a reader's first read: restores it and the aggregator from the log's index when the index still
 * describes the log (see the file comment); otherwise leaves both at the start (and drops a stale index).
 */
export async function openFromIndex(store: EventIndexStore, reader: EventLogReader, agg: RunAggregator): Promise<IndexOpen> {
  const t0 = performance.now();
  const done = (outcome: IndexOutcome, fromOffset = 0): IndexOpen => ({ outcome, fromOffset, ms: performance.now() - t0 });
  const buf = await store.read(reader.path);
  if (!buf) return done('none');
  const decoded = decodeIndex(buf);
  if (!decoded || decoded.header.logPath !== reader.path) { await store.remove(reader.path); return done('unreadable'); }
  const h = decoded.header;
  let fh: fsp.FileHandle;
  try { fh = await fsp.open(reader.path, 'r'); } catch { return done('missing-log'); }
  try {
    const st = await fh.stat();
    if (st.size < h.reader.offset) { await store.remove(reader.path); return done('truncated'); }
    const now = await logHashes(fh, h.reader.offset);
    if (now.headHash !== h.headHash || now.tailHash !== h.tailHash) { await store.remove(reader.path); return done('rewritten'); }
    reader.restore(h.reader, now.head);
    agg.load(decoded.experiments, h.counts);
    const unchanged = st.size === h.reader.offset && st.mtimeMs === h.mtimeMs;
    return done(unchanged ? 'unchanged' : 'grown', h.reader.offset);
  } finally {
    await fh.close();
  }
}

/** Saves where a reader is and what its aggregator holds; false when there is nothing consistent to save now. */
export async function saveToIndex(store: EventIndexStore, reader: EventLogReader, agg: RunAggregator): Promise<boolean> {
  const cp = reader.checkpoint();
  if (!cp || cp.offset === 0) return false;
  let fh: fsp.FileHandle;
  try { fh = await fsp.open(reader.path, 'r'); } catch { return false; }
  let header: Omit<IndexHeader, 'experiments' | 'counts' | 'format'>;
  try {
    const st = await fh.stat();
    if (st.size < cp.offset) return false;
    const hashes = await logHashes(fh, cp.offset);
    // The file must still start as it did when it was read (it may have been rewritten since).
    const fp = reader.fingerprintBytes;
    if (!hashes.head.subarray(0, fp.length).equals(fp)) return false;
    header = {
      logPath: reader.path, size: st.size, mtimeMs: st.size === cp.offset ? st.mtimeMs : -1,
      headHash: hashes.headHash, tailHash: hashes.tailHash, reader: cp, savedAt: Date.now(),
    };
  } finally {
    await fh.close();
  }
  await store.write(reader.path, encodeIndex(header, agg));
  return true;
}
