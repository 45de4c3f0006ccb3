/**
 * Reads the Engine API's multiplexed log stream (non-TTY containers): frames of an 8-byte header
 * (stream type, 3 zero bytes, big-endian payload length) and a payload. With `timestamps=true` every log
 * entry starts with an RFC 3339 timestamp of fixed width (nanoseconds) and a space. Pure and incremental:
 * chunks may split frames and lines anywhere.
 */

export interface LogLine {
  /** Docker's timestamp, e.g. 2026-11-23T08:45:00.123456789Z (fixed width, so strings compare in time order). */
  ts: string;
  stream: 'out' | 'err';
  text: string;
}

export class LogFrameParser {
  private pending: Buffer = Buffer.alloc(0);
  private readonly partial: Record<'out' | 'err', string> = { out: '', err: '' };
  private readonly decoders = { out: new TextDecoder('utf-8'), err: new TextDecoder('utf-8') };

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
      if (this.partial[s]) { lines.push(splitTimestamp(this.partial[s], s)); this.partial[s] = ''; }
    }
    return lines;
  }

  private take(stream: 'out' | 'err', text: string, lines: LogLine[]): void {
    let buf = this.partial[stream] + text;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(splitTimestamp(buf.slice(0, nl), stream));
      buf = buf.slice(nl + 1);
    }
    this.partial[stream] = buf;
  }
}

function splitTimestamp(raw: string, stream: 'out' | 'err'): LogLine {
  const sp = raw.indexOf(' ');
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (sp > 0 && /^\d{4}-\d\d-\d\dT/.test(raw)) return { ts: line.slice(0, sp), stream, text: line.slice(sp + 1) };
  return { ts: '', stream, text: line };
}

/** Docker's `since` query value for a log timestamp: `seconds.nanoseconds`. Inclusive on the engine side. */
export function sinceParam(ts: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) throw new Error(`not a Docker log timestamp: ${ts}`);
  const secs = Math.floor(Date.parse(m[1] + m[3]) / 1000);
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
