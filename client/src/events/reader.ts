/**
 * Incremental reader of an MLgym `event_storage.log` (docs/mlgym.md §3.2–3.3), pure Node.
 *
 * - Reads from the last offset in fixed-size chunks, so a 1 GB log needs one chunk of memory plus the
 *   aggregates (the events themselves are not kept).
 * - A partial last line (the writer is mid-line) waits in a small carry buffer until its newline arrives.
 * - Truncation (size below the offset), replacement (another inode) and rewriting in place (the first bytes
 *   changed) are detected: the sink is reset and the file is read again from the start.
 * - Bad lines are counted and the first ones reported (line number, reason); reading goes on.
 * - Both wire formats, line by line (a log may even mix them).
 *
 * Parsing only what is needed: progress lines (`experiment_status`, ~90 % of a log) only matter as the latest
 * one per experiment, so within a read they are grouped by a cheap look at their `experiment_id` and only the
 * last one of each experiment is JSON-parsed when the read ends. Superseded progress lines get a structural
 * check only (JSON object braces, event type, experiment id) and are never even decoded: the chunk is scanned as
 * bytes and only the lines that are parsed become strings. `validate: 'all'` parses every line instead.
 */
import { promises as fsp, watch, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { EventSink } from './aggregate';
import { normalize } from './normalize';
import * as scan from './lineScan';
import { scanEvaluationResult } from './resultScan';
import type { BadLine, WireFormat } from './types';

export interface ReaderOptions {
  /**
   * Bytes per read. Default 1 MiB: measured faster than 8–16 MiB reads (the decoded chunk stays in cache) and
   * it keeps the garbage per chunk, hence the heap's growth, small.
   */
  chunkSize?: number;
  /** A longer line is reported as bad and skipped. Default 64 MiB (a huge experiment_config still fits). */
  maxLineBytes?: number;
  /** `fast` (default): parse only the lines whose content is kept; `all`: JSON.parse every line. */
  validate?: 'fast' | 'all';
  /** How many bad lines are kept with their reason (all are counted). Default 100. */
  maxBadLinesKept?: number;
}

export type RestartReason = 'truncated' | 'replaced' | 'rewritten';

/** A reader's position and counts, saved with the event index. */
export interface ReaderCheckpoint {
  /** Bytes of complete lines read: a reader restored from it goes on from here. */
  offset: number;
  lineNo: number;
  stats: ReaderStats;
  badLines: BadLine[];
}

export interface ReadResult {
  /** Bytes read from the file by this call. */
  bytes: number;
  /** Complete lines consumed by this call. */
  lines: number;
  /** Set when the file had changed under the reader and was read again from the start. */
  restarted?: RestartReason;
  /** The file does not exist (yet). */
  missing?: boolean;
}

export interface ReaderStats {
  lines: number;
  /** Lines that are stored events (each counted once, including superseded progress lines). */
  events: number;
  /** Well-formed events of types MLboard does not store (docs/mlgym.md §3.2), and 2022 TERMINATE job lines. */
  ignored: number;
  badLines: number;
  restarts: number;
  formats: Record<WireFormat, number>;
}

// Covers the first creation_ts (microseconds) of either format, which differs between any two runs.
const FINGERPRINT_BYTES = 256;
const EMPTY = Buffer.alloc(0);
const NEWLINE = Buffer.from('\n');
const NOWHERE = Number.MAX_SAFE_INTEGER;
const KEY_LENGTH = scan.EXPERIMENT_ID_KEY.length;

/** Whether `"experiment_id":` starts at `at` (before `end`). */
function keyAt(buf: Buffer, at: number, end: number): boolean {
  if (at + KEY_LENGTH > end) return false;
  for (let i = 0; i < KEY_LENGTH; i++) if (buf[at + i] !== EXPERIMENT_ID_KEY[i]) return false;
  return true;
}
// Local copies: a module's exports are getters under the test loader (tsx), and these are used once per line.
const { EXPERIMENT_ID_KEY, HEAD_STATUS: STATUS, HEAD_RESULT: RESULT, HEAD_OTHER: OTHER, experimentIdValueBytes, looksCompleteBytes, parseLine, scanHeadBytes } = scan;

export class EventLogReader {
  /** File position up to which bytes have been read (including the carried partial line). */
  offset = 0;
  private lineNo = 0;
  private carry: Buffer = EMPTY;
  /** Inside a line longer than maxLineBytes: drop bytes until its newline. */
  private skipping = false;
  private identity?: { dev: number; ino: number };
  private fingerprint: Buffer = EMPTY;
  private mtimeMs = -1;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly bad: BadLine[] = [];
  /** Latest progress line per experiment within the current chunk: where it is in the chunk (see the file comment). */
  private readonly chunkStatus = new Map<number | string, { start: number; end: number; lineNo: number }>();
  /** Latest progress line per experiment within the current read, parsed when the read ends. */
  private readonly latestStatus = new Map<number | string, { line: string; lineNo: number; offset: number }>();
  /** File offset of the first byte of the buffer being scanned. */
  private bufBase = 0;
  /** Where the next `"experiment_id":` of the chunk being scanned starts (NOWHERE: not in the rest of it). */
  private idAt = -1;
  /** Where `"experiment_id":` was in the last progress line, from its start. */
  private idDelta = 0;
  readonly stats: ReaderStats = { lines: 0, events: 0, ignored: 0, badLines: 0, restarts: 0, formats: { head: 0, legacy2022: 0 } };
  private readonly chunkSize: number;
  private readonly maxLineBytes: number;
  private readonly validateAll: boolean;
  private readonly maxBadKept: number;

  constructor(readonly path: string, readonly sink: EventSink, options: ReaderOptions = {}) {
    this.chunkSize = Math.max(1024, options.chunkSize ?? 1024 * 1024);
    this.maxLineBytes = Math.max(this.chunkSize, options.maxLineBytes ?? 64 * 1024 * 1024);
    this.validateAll = options.validate === 'all';
    this.maxBadKept = options.maxBadLinesKept ?? 100;
  }

  /** The first bad lines, in file order (at most maxBadLinesKept; `stats.badLines` has the count). */
  get badLines(): readonly BadLine[] {
    return this.bad;
  }

  /**
   * Where another reader of the same file may resume (the event index, eventIndex.ts): complete lines only, so a
   * partial last line is read again. Undefined while inside a line longer than maxLineBytes.
   */
  checkpoint(): ReaderCheckpoint | undefined {
    if (this.skipping) return undefined;
    const s = this.stats;
    return {
      offset: this.offset - this.carry.length, lineNo: this.lineNo, badLines: this.bad.map((b) => ({ ...b })),
      stats: { lines: s.lines, events: s.events, ignored: s.ignored, badLines: s.badLines, restarts: s.restarts, formats: { ...s.formats } },
    };
  }

  /**
   * Starts from a checkpoint instead of the file's start, before the first read; the caller has checked that
   * the file still holds what the checkpoint was made from. `head`: the file's first bytes (at least
   * min(offset, 256)), kept to notice a later rewrite.
   */
  restore(cp: ReaderCheckpoint, head: Buffer): void {
    this.offset = cp.offset;
    this.lineNo = cp.lineNo;
    this.carry = EMPTY;
    this.skipping = false;
    this.identity = undefined;
    this.mtimeMs = -1;
    this.fingerprint = Buffer.from(head.subarray(0, Math.min(FINGERPRINT_BYTES, cp.offset, head.length)));
    this.bad.length = 0;
    this.bad.push(...cp.badLines.slice(0, this.maxBadKept));
    const s = this.stats;
    s.lines = cp.stats.lines; s.events = cp.stats.events; s.ignored = cp.stats.ignored; s.badLines = cp.stats.badLines; s.restarts = cp.stats.restarts;
    s.formats = { ...cp.stats.formats };
  }

  /** The file's first bytes as read (up to 256): a rewrite in place changes them. */
  get fingerprintBytes(): Buffer {
    return this.fingerprint;
  }

  /** Bytes of an unfinished last line waiting for its newline. */
  get pendingBytes(): number {
    return this.carry.length;
  }

  /**
   * Reads everything appended since the last call. `final: true` also takes a last line without a newline
   * (use it when the writer is known to be finished). Calls are serialised.
   */
  read(options: { final?: boolean } = {}): Promise<ReadResult> {
    const next = this.queue.then(() => this.readOnce(options.final === true));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readOnce(final: boolean): Promise<ReadResult> {
    let st: Stats;
    try {
      st = await fsp.stat(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { bytes: 0, lines: 0, missing: true };
      throw err;
    }
    const id = this.identity;
    const unchanged = id && id.ino === st.ino && id.dev === st.dev && st.size === this.offset && st.mtimeMs === this.mtimeMs;
    // A poll of an idle log costs one stat.
    if (unchanged && !(final && this.carry.length)) return { bytes: 0, lines: 0 };
    this.mtimeMs = st.mtimeMs;
    const restarted = await this.checkIdentity(st);
    if (restarted) this.restart();
    if (st.size === this.offset && !(final && this.carry.length)) return { bytes: 0, lines: 0, restarted };

    const fh = await fsp.open(this.path, 'r');
    const linesBefore = this.lineNo;
    const offsetBefore = this.offset;
    try {
      await this.consume(fh, st.size);
    } finally {
      await fh.close();
    }
    if (final && this.carry.length && !this.skipping) {
      const last = Buffer.concat([this.carry, NEWLINE]);
      this.bufBase = this.offset - this.carry.length;
      this.carry = EMPTY;
      this.processBytes(last, 0, last.length);
    }
    this.flushStatuses();
    return { bytes: this.offset - offsetBefore, lines: this.lineNo - linesBefore, restarted };
  }

  /** Compares the file with what was read before: another inode, a shorter file, or other first bytes. */
  private async checkIdentity(st: Stats): Promise<RestartReason | undefined> {
    const known = this.identity;
    this.identity = { dev: st.dev, ino: st.ino };
    if (!known) return undefined;
    if (known.ino !== st.ino || known.dev !== st.dev) return 'replaced';
    if (st.size < this.offset) return 'truncated';
    if (this.fingerprint.length && this.offset > 0) {
      const fh = await fsp.open(this.path, 'r');
      try {
        const probe = Buffer.alloc(this.fingerprint.length);
        const { bytesRead } = await fh.read(probe, 0, probe.length, 0);
        if (bytesRead < probe.length || !probe.equals(this.fingerprint)) return 'rewritten';
      } finally {
        await fh.close();
      }
    }
    return undefined;
  }

  private restart(): void {
    this.offset = 0;
    this.lineNo = 0;
    this.carry = EMPTY;
    this.skipping = false;
    this.fingerprint = EMPTY;
    this.latestStatus.clear();
    this.chunkStatus.clear();
    this.bad.length = 0;
    const s = this.stats;
    s.lines = s.events = s.ignored = s.badLines = 0;
    s.formats = { head: 0, legacy2022: 0 };
    s.restarts++;
    this.sink.reset();
  }

  private async consume(fh: fsp.FileHandle, sizeHint: number): Promise<void> {
    // Sized to what is there, so tailing many small appends does not hold a full chunk per log.
    const want = this.carry.length + Math.max(0, sizeHint - this.offset) + 1;
    let size = Math.min(this.chunkSize, Math.max(64 * 1024, want));
    // A long carried line (grown past chunkSize) needs room for itself and what follows.
    if (this.carry.length >= size) size = Math.min(this.maxLineBytes, this.carry.length * 2);
    let buf = Buffer.allocUnsafe(size);
    let fill = this.carry.copy(buf, 0);
    this.carry = EMPTY;
    for (;;) {
      if (fill === buf.length) {
        // A single line fills the buffer: grow up to maxLineBytes, then give up on that line.
        if (buf.length * 2 <= this.maxLineBytes) {
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, fill);
          buf = bigger;
        } else {
          this.reportBad(this.lineNo + 1, `line longer than ${this.maxLineBytes} bytes, skipped`, buf.toString('utf8', 0, 120));
          this.skipping = true;
          fill = 0;
        }
      }
      const { bytesRead } = await fh.read(buf, fill, buf.length - fill, this.offset);
      if (bytesRead === 0) break;
      if (this.offset === 0 && this.fingerprint.length === 0) {
        this.fingerprint = Buffer.from(buf.subarray(0, Math.min(FINGERPRINT_BYTES, bytesRead)));
      } else if (this.fingerprint.length < FINGERPRINT_BYTES && this.offset < FINGERPRINT_BYTES) {
        this.fingerprint = Buffer.concat([this.fingerprint, buf.subarray(fill, fill + Math.min(FINGERPRINT_BYTES - this.offset, bytesRead))]);
      }
      const readStart = fill;
      this.offset += bytesRead;
      fill += bytesRead;
      let start = 0;
      if (this.skipping) {
        const nl = buf.indexOf(10, readStart);
        if (nl < 0 || nl >= fill) { fill = 0; continue; }
        this.skipping = false;
        this.lineNo++;
        this.stats.lines++;
        start = nl + 1;
      }
      const lastNl = buf.lastIndexOf(10, fill - 1);
      if (lastNl < start) {
        if (start > 0) { buf.copyWithin(0, start, fill); fill -= start; }
        continue;
      }
      this.bufBase = this.offset - fill;
      this.processBytes(buf, start, lastNl + 1);
      buf.copyWithin(0, lastNl + 1, fill);
      fill -= lastNl + 1;
    }
    if (!this.skipping && fill > 0) this.carry = Buffer.from(buf.subarray(0, fill));
  }

  /** `buf[start, end)` holds whole lines, each ending with "\n" (the last byte is one). */
  private processBytes(buf: Buffer, start: number, end: number): void {
    this.idAt = -1;
    let pos = start;
    while (pos < end) {
      let nl = buf.indexOf(10, pos);
      if (nl < 0 || nl >= end) nl = end;
      let e = nl;
      if (e > pos && buf[e - 1] === 13) e--;
      this.lineNo++;
      this.stats.lines++;
      if (e > pos) this.processLine(buf, pos, e, this.lineNo);
      pos = nl + 1;
    }
    this.keepStatuses(buf);
  }

  private processLine(buf: Buffer, start: number, end: number, lineNo: number): void {
    if (!this.validateAll && looksCompleteBytes(buf, start, end)) {
      const head = scanHeadBytes(buf, start, end);
      if (head >= 0) {
        const code = head >> 1;
        const format: WireFormat = head & 1 ? 'legacy2022' : 'head';
        if (code === STATUS) {
          // One native search finds the key's next place in the chunk; lines before it do not have it.
          // Lines of one writer share their layout: the key is first looked for where the last progress line had it.
          let at = start + this.idDelta;
          if (!keyAt(buf, at, end)) {
            if (this.idAt < start && this.idAt !== NOWHERE) this.idAt = buf.indexOf(EXPERIMENT_ID_KEY, start);
            if (this.idAt === -1) this.idAt = NOWHERE;
            at = this.idAt;
            if (at < end) this.idDelta = at - start;
          }
          const key = at < end ? experimentIdValueBytes(buf, at, end) : undefined;
          if (key !== undefined) {
            const seen = this.chunkStatus.get(key);
            if (seen) { seen.start = start; seen.end = end; seen.lineNo = lineNo; } else this.chunkStatus.set(key, { start, end, lineNo });
            this.stats.events++;
            this.stats.formats[format]++;
            return;
          }
        } else if (code === RESULT && format === 'head') {
          const ev = scanEvaluationResult(buf, start, end);
          if (ev) {
            this.stats.events++;
            this.stats.formats.head++;
            this.sink.apply(ev, lineNo, this.bufBase + start);
            return;
          }
        } else if (code === OTHER) {
          this.stats.ignored++;
          this.stats.formats[format]++;
          return;
        }
      }
    }
    this.parseAndApply(buf.toString('utf8', start, end), lineNo, true, this.bufBase + start);
  }

  private parseAndApply(line: string, lineNo: number, count: boolean, offset: number): void {
    if (line.trim() === '') return;
    const parsed = parseLine(line);
    if ('error' in parsed) { this.reportBad(lineNo, parsed.error, line); return; }
    const r = normalize(parsed.value);
    if (r.ok === false) { this.reportBad(lineNo, r.reason, line); return; }
    if (count) this.stats.formats[r.format]++;
    if (r.ok === 'ignored') { if (count) this.stats.ignored++; return; }
    if (count) this.stats.events++;
    this.sink.apply(r.event, lineNo, offset);
  }

  /** Before the chunk's bytes are reused: the latest progress line of each experiment, as text, until the read ends. */
  private keepStatuses(buf: Buffer): void {
    if (this.chunkStatus.size === 0) return;
    for (const [key, at] of this.chunkStatus) this.latestStatus.set(key, { line: buf.toString('utf8', at.start, at.end), lineNo: at.lineNo, offset: this.bufBase + at.start });
    this.chunkStatus.clear();
  }

  /** At the end of a read: the latest progress line of each experiment is parsed and applied, in file order. */
  private flushStatuses(): void {
    if (this.latestStatus.size === 0) return;
    const pending = [...this.latestStatus.values()].sort((a, b) => a.lineNo - b.lineNo);
    this.latestStatus.clear();
    for (const p of pending) {
      const before = this.stats.badLines;
      this.parseAndApply(p.line, p.lineNo, false, p.offset);
      // Counted as an event when scanned; a line that turns out bad is moved to the bad count.
      if (this.stats.badLines !== before) this.stats.events--;
    }
  }

  private reportBad(line: number, reason: string, text: string): void {
    this.stats.badLines++;
    if (this.bad.length >= this.maxBadKept) return;
    // Copied so that the excerpt does not keep the whole chunk string alive.
    const excerpt = Buffer.from(text.slice(0, 120), 'utf8').toString('utf8');
    this.bad.push({ line, reason, excerpt });
  }

  /**
   * Follows the file: fs.watch on its folder (which also sees it created or replaced) plus a poll, since
   * watching is unreliable on network and container file systems. `onUpdate` runs after each read that
   * found something.
   */
  tail(options: { pollMs?: number; onUpdate?: (r: ReadResult) => void; onError?: (err: Error) => void } = {}): LogTail {
    return new LogTail(this, options);
  }
}

export class LogTail {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private closed = false;
  /** Resolves after the first read (the catch-up). */
  readonly ready: Promise<void>;

  constructor(
    private readonly reader: EventLogReader,
    private readonly options: { pollMs?: number; onUpdate?: (r: ReadResult) => void; onError?: (err: Error) => void },
  ) {
    this.startWatching();
    this.timer = setInterval(() => {
      if (!this.watcher) this.startWatching(); // the folder may have appeared since
      this.poke();
    }, options.pollMs ?? 500);
    this.ready = this.run();
  }

  private startWatching(): void {
    const name = basename(this.reader.path);
    try {
      this.watcher = watch(dirname(this.reader.path), { persistent: true }, (_event, file) => {
        if (file === null || file === undefined || file.toString() === name) this.poke();
      });
      this.watcher.on('error', () => { this.watcher?.close(); this.watcher = undefined; });
    } catch {
      this.watcher = undefined; // the folder does not exist yet: the poll finds the file and retries
    }
  }

  /** Something may have changed: read, or read again after the read in progress. */
  poke(): void {
    if (this.closed) return;
    if (this.running) { this.again = true; return; }
    void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        try {
          const r = await this.reader.read();
          if (!this.closed && (r.bytes > 0 || r.restarted)) this.options.onUpdate?.(r);
        } catch (err) {
          this.options.onError?.(err as Error);
        }
      } while (this.again && !this.closed);
    } finally {
      this.running = false;
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }
}
