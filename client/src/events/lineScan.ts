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
