/**
 * A pod's log as the API server serves it with `timestamps=true`: `<RFC 3339 timestamp> <text>` lines, stdout
 * and stderr merged (Kubernetes keeps no stream per line). Resuming after a dropped follow asks for `sinceTime`,
 * which the API reads to the second: the lines already stored are skipped by their exact timestamp and, for
 * lines sharing it, by their count (the same rule as the Docker backend's). Pure.
 */

/** Where a pod's stored log stopped: the pod, its last line's timestamp (normalised) and how many lines carry it. */
export interface KubeCursor { pod: string; ts: string; countAtTs: number }

export function isKubeCursor(v: unknown): v is KubeCursor {
  return !!v && typeof v === 'object' && typeof (v as KubeCursor).pod === 'string' && typeof (v as KubeCursor).ts === 'string' && typeof (v as KubeCursor).countAtTs === 'number';
}

/**
 * A timestamp with nine fraction digits in UTC (`2024-05-01T10:00:00.120000000Z`), so that strings compare as
 * times: the kubelet writes RFC 3339 with trailing zeros trimmed (`…00.12Z`), which does not.
 */
export function normalizeTs(ts: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return undefined;
  let base = m[1]!;
  if (m[3] !== 'Z') {
    const t = Date.parse(`${m[1]}${m[3]}`);
    if (Number.isNaN(t)) return undefined;
    base = new Date(t).toISOString().slice(0, 19);
  }
  return `${base}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/** The second a cursor's line belongs to, as `sinceTime` (the API reads it to the second). */
export function sinceTimeOf(ts: string): string { return `${ts.slice(0, 19)}Z`; }

export interface PodLine { ts: string; text: string }

/** Splits the log's bytes into lines (a line may arrive in pieces; carriage returns are kept). */
export class PodLogParser {
  private rest = '';
  private readonly decoder = new TextDecoder('utf-8');

  push(chunk: Uint8Array): PodLine[] {
    const text = this.rest + this.decoder.decode(chunk, { stream: true });
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    return parts.map(parseLine).filter((l): l is PodLine => !!l);
  }

  /** The last line, when the log ended without a newline. */
  end(): PodLine[] {
    const last = this.rest + this.decoder.decode();
    this.rest = '';
    const l = last ? parseLine(last) : undefined;
    return l ? [l] : [];
  }
}

function parseLine(line: string): PodLine | undefined {
  const sp = line.indexOf(' ');
  const ts = normalizeTs(sp < 0 ? line : line.slice(0, sp));
  // A line without a timestamp is not the task's (the API server always prefixes one when asked).
  if (!ts) return undefined;
  return { ts, text: sp < 0 ? '' : line.slice(sp + 1) };
}

/** Skips what the log already holds when a follow resumes from `cursor`'s second. */
export class ResumeSkip {
  private skipAtTs: number;
  constructor(private readonly cursor: KubeCursor | undefined) { this.skipAtTs = cursor?.countAtTs ?? 0; }
  keep(l: PodLine): boolean {
    if (!this.cursor) return true;
    if (l.ts < this.cursor.ts) return false;
    if (l.ts === this.cursor.ts && this.skipAtTs > 0) { this.skipAtTs--; return false; }
    return true;
  }
}

/** The cursor after `line` given the one before it. */
export function advance(cursor: KubeCursor | undefined, pod: string, line: PodLine): KubeCursor {
  if (cursor && cursor.pod === pod && cursor.ts === line.ts) return { pod, ts: line.ts, countAtTs: cursor.countAtTs + 1 };
  return { pod, ts: line.ts, countAtTs: 1 };
}
