/**
 * Reads the Engine API's multiplexed log stream (non-TTY containers): frames of an 8-byte header
 * (stream type, 3 zero bytes, big-endian payload length) and a payload. With `timestamps=true` every log
 * entry starts with an RFC 3339 timestamp of fixed width (nanoseconds) and a space. Pure and incremental:
 * chunks may split frames and lines anywhere.
 */

import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import type { LogLine } from '../../runs/backend';

export type { LogLine };

/** Above this, a line without its newline yet is handed on in pieces (a progress bar that only ever writes `\r`). */
export const MAX_LINE = 1 << 20;

const TIMESTAMP = /^\d{4}-\d\d-\d\dT[^ ]* /;

export class LogFrameParser {
  private pending: Buffer = Buffer.alloc(0);
  private readonly partial: Record<'out' | 'err', string> = { out: '', err: '' };
  private readonly decoders = { out: new TextDecoder('utf-8'), err: new TextDecoder('utf-8') };

  /**
   * `timestamps`: the stream is the engine's log with `timestamps=true`, where every message (and every 16 KB
   * piece of a longer line: the engine's log driver splits those) starts with its timestamp.
   */
  constructor(private readonly timestamps = true) {}

  /** Feeds a chunk; returns the complete lines it finished. */
  push(chunk: Buffer): LogLine[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const lines: LogLine[] = [];
    let off = 0;
    while (this.pending.length - off >= 8) {
      const type = this.pending[off];
      const size = this.pending.readUInt32BE(off + 4);
      if (this.pending.length - off - 8 < size) break;
      const payload = this.pending.subarray(off + 8, off + 8 + size);
      off += 8 + size;
      const stream = type === 2 ? 'err' : 'out';
      this.take(stream, this.decoders[stream].decode(payload, { stream: true }), lines);
    }
    this.pending = off === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(off);
    return lines;
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): LogLine[] {
    const lines: LogLine[] = [];
    for (const s of ['out', 'err'] as const) {
      if (this.partial[s]) { lines.push(splitTimestamp(this.partial[s], s, true)); this.partial[s] = ''; }
    }
    return lines;
  }

  private take(stream: 'out' | 'err', text: string, lines: LogLine[]): void {
    let t = text;
    // A message that continues a line (the one before it had no newline) carries a timestamp of its own: the
    // line keeps the first one, so that its content is what the task printed.
    if (this.timestamps && this.partial[stream] !== '') {
      const m = TIMESTAMP.exec(t);
      if (m) t = t.slice(m[0].length);
    }
    const buf = this.partial[stream] + t;
    let start = 0;
    let nl: number;
    while ((nl = buf.indexOf('\n', start)) >= 0) {
      lines.push(splitTimestamp(buf.slice(start, nl), stream));
      start = nl + 1;
    }
    let rest = buf.slice(start);
    // Bounded: a line longer than MAX_LINE is handed on in pieces of that size, each with the line's timestamp.
    while (rest.length > MAX_LINE) {
      const piece = splitTimestamp(rest.slice(0, MAX_LINE), stream, true);
      lines.push(piece);
      rest = this.timestamps && piece.ts ? `${piece.ts} ${rest.slice(MAX_LINE)}` : rest.slice(MAX_LINE);
    }
    this.partial[stream] = rest;
  }
}

/** A line's timestamp and text; a whole line loses the `\r` of a CRLF ending, a piece of one keeps it. */
function splitTimestamp(raw: string, stream: 'out' | 'err', piece = false): LogLine {
  const sp = raw.indexOf(' ');
  const line = !piece && raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (sp > 0 && /^\d{4}-\d\d-\d\dT/.test(raw)) return { ts: line.slice(0, sp), stream, text: line.slice(sp + 1) };
  return { ts: '', stream, text: line };
}

/** Docker's `since` query value for a log timestamp: `seconds.nanoseconds`. Inclusive on the engine side. */
export function sinceParam(ts: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) throw new Error(`not a Docker log timestamp: ${ts}`);
  const [, whole = '', , zone = ''] = m; // groups 1 and 3 are not optional in the pattern
  const secs = Math.floor(Date.parse(whole + zone) / 1000);
  return `${secs}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}`;
}

/** Where a stored log stopped: the last container line's timestamp and how many lines carry it. */
export interface LogPosition { ts: string; countAtTs: number }

/**
 * Skips what the log file already holds when streaming resumes with `since=position.ts`: every line older
 * than the position, and the first `countAtTs` lines that share its timestamp.
 */
export class ResumeFilter {
  private skipAtTs: number;
  constructor(private readonly position: LogPosition | undefined) { this.skipAtTs = position?.countAtTs ?? 0; }
  keep(line: LogLine): boolean {
    if (!this.position || !line.ts) return true;
    if (line.ts < this.position.ts) return false;
    if (line.ts === this.position.ts && this.skipAtTs > 0) { this.skipAtTs--; return false; }
    return true;
  }
}

/**
 * The position of the last output line in a stored log (`<ts> <out|err|sys> <text>` lines), read from its tail:
 * the cursor of logs written before the supervisor saved cursors (run records of version 1). A last line cut
 * short by a crash is removed first, so that resuming fetches it again whole.
 */
export function readLogPosition(path: string): LogPosition | undefined {
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, 'r+');
  try {
    let size = fstatSync(fd).size;
    if (size === 0) return undefined;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] !== 0x0a) {
      let cut = size - 1;
      const b = Buffer.alloc(Math.min(size, 1 << 16));
      while (cut > 0) {
        const from = Math.max(0, cut - b.length);
        const n = readSync(fd, b, 0, cut - from, from);
        const i = b.subarray(0, n).lastIndexOf(0x0a);
        if (i >= 0) { cut = from + i + 1; break; }
        cut = from;
      }
      ftruncateSync(fd, cut);
      size = cut;
    }
    for (let window = 1 << 16; ; window *= 4) {
      const from = Math.max(0, size - window);
      const buf = Buffer.alloc(size - from);
      readSync(fd, buf, 0, buf.length, from);
      const lines = buf.toString('utf8').split('\n');
      lines.pop(); // after the final newline
      if (from > 0) lines.shift(); // may be cut at the window's start
      let ts: string | undefined;
      let count = 0;
      let sawOlder = false;
      for (let i = lines.length - 1; i >= 0; i--) {
        const m = /^(\S+) (out|err) /.exec(lines[i] ?? '');
        if (!m) continue;
        if (ts === undefined) { ts = m[1]; count = 1; } else if (m[1] === ts) count++; else { sawOlder = true; break; }
      }
      if (ts !== undefined && (sawOlder || from === 0)) return { ts, countAtTs: count };
      if (from === 0) return undefined;
    }
  } finally {
    closeSync(fd);
  }
}
