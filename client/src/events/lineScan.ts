/**
 * Cheap looks at one log line before (or instead of) JSON.parse. MLgym writes each line with Python's
 * `json.dumps`, so the event type sits at a fixed place: `{"event_type": "…` at HEAD and
 * `{"event_id": n, "data": {"event_type": "…` in 2022 logs. Reading it from the prefix lets the reader skip
 * full parses of lines whose content it does not keep (all but the latest progress line of an experiment).
 * Lines in any other shape (other key order, other whitespace) return undefined and take the full parse path.
 */
import type { WireFormat } from './types';

export interface LineHead {
  format: WireFormat;
  eventType: string;
}

const HEAD_PREFIX = '{"event_type":';
const LEGACY_PREFIX = '{"event_id":';
const TYPE_KEY = '"event_type":';

/** The stored types, matched in place so that the common lines allocate no type string. */
const KNOWN_TYPES = ['experiment_status', 'evaluation_result', 'job_status', 'experiment_config'];

function readQuoted(line: string, at: number): string | undefined {
  let i = at;
  while (line.charCodeAt(i) === 32) i++;
  if (line.charCodeAt(i) !== 34) return undefined;
  for (const known of KNOWN_TYPES) {
    if (line.startsWith(known, i + 1) && line.charCodeAt(i + 1 + known.length) === 34) return known;
  }
  const close = line.indexOf('"', i + 1);
  if (close < 0 || close - i > 64) return undefined;
  const value = line.slice(i + 1, close);
  return value.includes('\\') ? undefined : value;
}

export function scanHead(line: string): LineHead | undefined {
  if (line.startsWith(HEAD_PREFIX)) {
    const eventType = readQuoted(line, HEAD_PREFIX.length);
    return eventType === undefined ? undefined : { format: 'head', eventType };
  }
  if (line.startsWith(LEGACY_PREFIX)) {
    const k = line.indexOf(TYPE_KEY, LEGACY_PREFIX.length);
    if (k < 0 || k > 64) return undefined;
    const eventType = readQuoted(line, k + TYPE_KEY.length);
    return eventType === undefined ? undefined : { format: 'legacy2022', eventType };
  }
  return undefined;
}

/**
 * The value of `"experiment_id": <value>` in a line, used only to group progress lines by experiment before
 * deciding which one to parse: a number for an int id (no string allocated), the raw quoted text for a 2022
 * path id. Undefined when it is not simple.
 */
export function experimentIdToken(line: string): number | string | undefined {
  const k = line.indexOf('"experiment_id":');
  if (k < 0) return undefined;
  let i = k + 16;
  while (line.charCodeAt(i) === 32) i++;
  if (line.charCodeAt(i) === 34) {
    const close = line.indexOf('"', i + 1);
    if (close < 0) return undefined;
    const v = line.slice(i, close + 1);
    return v.includes('\\') ? undefined : v;
  }
  let n = 0;
  let j = i;
  for (; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  if (j === i || j - i > 15) return undefined;
  const after = line.charCodeAt(j);
  return after === 44 || after === 125 || after === 32 ? n : undefined; // , } space
}

/** A JSON object line ends with `}`; a line cut by a crash or a concurrent writer usually does not. */
export function looksComplete(line: string): boolean {
  return line.charCodeAt(0) === 123 && line.charCodeAt(line.length - 1) === 125;
}

/**
 * JSON.parse, plus Python's non-standard `NaN`, `Infinity` and `-Infinity` (json.dumps writes them for a
 * diverged loss): they are turned into strings outside string literals and parsed again.
 */
export function parseLine(line: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(line) };
  } catch (err) {
    if (/NaN|Infinity/.test(line)) {
      try {
        return { value: JSON.parse(quotePythonSpecials(line)) };
      } catch {
        // fall through to the original message
      }
    }
    return { error: `invalid JSON: ${(err as Error).message}` };
  }
}

function quotePythonSpecials(line: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) { inString = true; continue; }
    for (const token of ['-Infinity', 'Infinity', 'NaN']) {
      if (line.startsWith(token, i)) {
        out += line.slice(last, i) + '"' + token + '"';
        i += token.length - 1;
        last = i + 1;
        break;
      }
    }
  }
  return out + line.slice(last);
}

// ---- the same looks, on the bytes of a line ------------------------------------------------------------------
// The reader scans a chunk's bytes and decodes only the lines it parses: decoding every line to a string cost
// more than all the rest of a first read (bench:events).

/** Event type codes of `scanHeadBytes`; the format is in the low bit (1: legacy2022). */
export const HEAD_STATUS = 0;
export const HEAD_RESULT = 1;
export const HEAD_JOB = 2;
export const HEAD_CONFIG = 3;
/** A well-formed type that MLboard does not store. */
export const HEAD_OTHER = 4;

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const HEAD_PREFIX_B = ascii(HEAD_PREFIX);
const LEGACY_PREFIX_B = ascii(LEGACY_PREFIX);
const TYPE_KEY_B = ascii(TYPE_KEY);
const KNOWN_TYPES_B = KNOWN_TYPES.map(ascii);
const KNOWN_CODES = [HEAD_STATUS, HEAD_RESULT, HEAD_JOB, HEAD_CONFIG];

function bytesAt(buf: Uint8Array, at: number, end: number, want: Uint8Array): boolean {
  if (at + want.length > end) return false;
  for (let i = 0; i < want.length; i++) if (buf[at + i] !== want[i]) return false;
  return true;
}

function typeCodeAt(buf: Uint8Array, at: number, end: number): number {
  let i = at;
  while (i < end && buf[i] === 32) i++;
  if (buf[i] !== 34) return -1;
  // An index loop, not entries(): this runs once per line of the log. KNOWN_CODES has one code per known type.
  for (let k = 0; k < KNOWN_TYPES_B.length; k++) {
    const t = KNOWN_TYPES_B[k]!;
    if (bytesAt(buf, i + 1, end, t) && buf[i + 1 + t.length] === 34) return KNOWN_CODES[k]!;
  }
  for (let j = i + 1; j < end && j - i <= 64; j++) {
    if (buf[j] === 92) return -1;
    if (buf[j] === 34) return HEAD_OTHER;
  }
  return -1;
}

/**
 * `scanHead` on the bytes [start, end) of one line: `(code << 1) | legacy`, code one of HEAD_*; -1 when the line
 * is in no shape this recognises (it then takes the full parse).
 */
const STATUS_HEAD_B = ascii(`${HEAD_PREFIX} "experiment_status"`);

export function scanHeadBytes(buf: Uint8Array, start: number, end: number): number {
  // Nine lines in ten are HEAD progress lines written by json.dumps: one comparison settles them.
  if (start + STATUS_HEAD_B.length < end) {
    let i = 0;
    const n = STATUS_HEAD_B.length;
    while (i < n && buf[start + i] === STATUS_HEAD_B[i]) i++;
    if (i === n) return HEAD_STATUS << 1;
  }
  if (bytesAt(buf, start, end, HEAD_PREFIX_B)) {
    const code = typeCodeAt(buf, start + HEAD_PREFIX_B.length, end);
    return code < 0 ? -1 : code << 1;
  }
  if (bytesAt(buf, start, end, LEGACY_PREFIX_B)) {
    const limit = Math.min(end, start + LEGACY_PREFIX_B.length + 64 + TYPE_KEY_B.length);
    for (let k = start + LEGACY_PREFIX_B.length; k < limit; k++) {
      if (buf[k] === 34 && bytesAt(buf, k, end, TYPE_KEY_B)) {
        const code = typeCodeAt(buf, k + TYPE_KEY_B.length, end);
        return code < 0 ? -1 : (code << 1) | 1;
      }
    }
  }
  return -1;
}

/** `looksComplete` on bytes: `{` … `}`. */
export function looksCompleteBytes(buf: Uint8Array, start: number, end: number): boolean {
  return end > start && buf[start] === 123 && buf[end - 1] === 125;
}

/** The key every progress line carries; the reader finds it with one native search per chunk region. */
export const EXPERIMENT_ID_KEY = Buffer.from('"experiment_id":', 'latin1');

/**
 * `experimentIdToken` on bytes, given where the key `"experiment_id":` starts (`at`, found by the caller): the
 * id as a number, or the raw quoted text (read as latin1: only a grouping key); undefined when it is not simple.
 */
export function experimentIdValueBytes(buf: Uint8Array, at: number, end: number): number | string | undefined {
  let i = at + EXPERIMENT_ID_KEY.length;
  while (i < end && buf[i] === 32) i++;
  if (buf[i] === 34) {
    for (let j = i + 1; j < end; j++) {
      if (buf[j] === 92) return undefined;
      if (buf[j] === 34) return Buffer.from(buf.buffer, buf.byteOffset + i, j + 1 - i).toString('latin1');
    }
    return undefined;
  }
  let n = 0;
  let j = i;
  for (; j < end; j++) {
    const c = buf[j];
    if (c === undefined || c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  if (j === i || j - i > 15) return undefined;
  const after = buf[j];
  return after === 44 || after === 125 || after === 32 ? n : undefined;
}
