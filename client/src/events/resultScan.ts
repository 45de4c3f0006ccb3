/**
 * A fast path for the one line kind whose every occurrence the reader must parse: HEAD `evaluation_result`
 * lines as MLgym writes them (Python's `json.dumps`, default separators, ASCII):
 *
 *   {"event_type": "evaluation_result", "creation_ts": 1707945347835012, "payload": {"grid_search_id": "…",
 *    "experiment_id": 3, "epoch": 0, "metric_scores": [{"metric": "F1", "split": "train", "score": 0.1}, …],
 *    "loss_scores": [{"loss": "cross_entropy_loss", "split": "train", "score": 2.3}]}}
 *
 * read straight from the bytes into the event `normalize(JSON.parse(line))` would give, without building the
 * parsed objects (a JSON.parse of these lines was a third of a first read). Anything else — another key or key
 * order, an escape, a bare NaN, a list of scores, odd whitespace, a malformed number — returns undefined and the
 * line takes the general path, which also reports the errors. test/unit/events/resultScan.test.ts holds the two
 * paths to the same result.
 */
import type { EvaluationResultEvent, Score } from './types';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const PREFIX = ascii('{"event_type": "evaluation_result", "creation_ts": ');
const PAYLOAD = ascii(', "payload": {');
const METRIC_ITEM = ascii('{"metric": ');
const LOSS_ITEM = ascii('{"loss": ');
const SPLIT = ascii(', "split": ');
const SCORE = ascii(', "score": ');

const enum Key { GridSearch, Experiment, Epoch, Metrics, Losses }
const KEYS: [Uint8Array, Key][] = [
  [ascii('"grid_search_id": '), Key.GridSearch],
  [ascii('"experiment_id": '), Key.Experiment],
  [ascii('"epoch": '), Key.Epoch],
  [ascii('"metric_scores": '), Key.Metrics],
  [ascii('"loss_scores": '), Key.Losses],
];

/** Where the scan is; `at` < 0 once something did not match. */
interface Cursor { buf: Buffer; at: number; end: number }

function expect(c: Cursor, want: Uint8Array): boolean {
  const { buf, at } = c;
  if (at < 0 || at + want.length > c.end) { c.at = -1; return false; }
  for (let i = 0; i < want.length; i++) if (buf[at + i] !== want[i]) { c.at = -1; return false; }
  c.at = at + want.length;
  return true;
}

function peek(c: Cursor, want: Uint8Array): boolean {
  if (c.at < 0 || c.at + want.length > c.end) return false;
  for (let i = 0; i < want.length; i++) if (c.buf[c.at + i] !== want[i]) return false;
  return true;
}

/** A JSON string of printable ASCII without escapes (json.dumps' ensure_ascii writes anything else escaped). */
function readString(c: Cursor): string | undefined {
  const { buf, end } = c;
  let i = c.at;
  if (i < 0 || buf[i] !== 34) { c.at = -1; return undefined; }
  const from = ++i;
  for (; i < end; i++) {
    const b = buf[i];
    if (b === 34) break;
    if (b === undefined || b === 92 || b < 32 || b > 126) { c.at = -1; return undefined; }
  }
  if (i >= end) { c.at = -1; return undefined; }
  c.at = i + 1;
  return intern(buf, from, i);
}

/**
 * The names of metrics, losses and splits repeat on every line: each is made into a string once (checked byte by
 * byte on every use, so a hash collision can only cost a new string).
 */
const interned = new Map<number, { bytes: Buffer; text: string }>();
/** An ASCII digit (undefined: past the end of the buffer). */
const isDigit = (b: number | undefined): b is number => b !== undefined && b >= 48 && b <= 57;

function intern(buf: Buffer, from: number, to: number): string {
  let h = to - from;
  for (let i = from; i < to; i++) h = (Math.imul(h, 31) + buf[i]!) | 0; // from <= i < to <= buf.length
  const hit = interned.get(h);
  if (hit && hit.bytes.length === to - from) {
    let same = true;
    for (let i = 0; i < to - from; i++) if (hit.bytes[i] !== buf[from + i]) { same = false; break; }
    if (same) return hit.text;
  }
  const text = buf.toString('latin1', from, to);
  // Bounded: names come from the log.
  if (interned.size < 1024 && to - from <= 128) interned.set(h, { bytes: Buffer.from(buf.subarray(from, to)), text });
  return text;
}

/** A non-negative JSON integer, exact (a value past 2^53 is read as JSON.parse reads it). */
function readUint(c: Cursor): number | undefined {
  const { buf, end } = c;
  const from = c.at;
  if (from < 0) return undefined;
  let i = from;
  let n = 0;
  for (let b = buf[i]; i < end && isDigit(b); b = buf[++i]) n = n * 10 + (b - 48);
  // JSON: no leading zeros; an int only (a fraction or exponent takes the general path).
  if (i === from || (buf[from] === 48 && i - from > 1) || buf[i] === 46 || buf[i] === 101 || buf[i] === 69) { c.at = -1; return undefined; }
  c.at = i;
  return n <= Number.MAX_SAFE_INTEGER ? n : Number(buf.toString('latin1', from, i));
}

/** A JSON number token, checked against JSON's grammar, read as JSON.parse reads it. */
function readNumber(c: Cursor): number | undefined {
  const { buf, end } = c;
  const from = c.at;
  if (from < 0) return undefined;
  let i = from;
  if (buf[i] === 45) i++;
  const intFrom = i;
  while (i < end && isDigit(buf[i])) i++;
  if (i === intFrom || (buf[intFrom] === 48 && i - intFrom > 1)) { c.at = -1; return undefined; }
  if (buf[i] === 46) {
    const f = ++i;
    while (i < end && isDigit(buf[i])) i++;
    if (i === f) { c.at = -1; return undefined; }
  }
  if (buf[i] === 101 || buf[i] === 69) {
    i++;
    if (buf[i] === 43 || buf[i] === 45) i++;
    const e = i;
    while (i < end && isDigit(buf[i])) i++;
    if (i === e) { c.at = -1; return undefined; }
  }
  c.at = i;
  return Number(buf.toString('latin1', from, i));
}

/** `[{"metric": "…", "split": "…", "score": <number>}, …]` (or with "loss"); undefined on anything else. */
function readScores(c: Cursor, kind: 'metric' | 'loss'): Score[] | undefined {
  const item = kind === 'metric' ? METRIC_ITEM : LOSS_ITEM;
  const out: Score[] = [];
  if (c.buf[c.at] !== 91) { c.at = -1; return undefined; }
  c.at++;
  if (c.buf[c.at] === 93) { c.at++; return out; }
  for (;;) {
    if (!expect(c, item)) return undefined;
    const tag = readString(c);
    if (tag === undefined || !expect(c, SPLIT)) return undefined;
    const split = readString(c);
    if (split === undefined || !expect(c, SCORE)) return undefined;
    const score = readNumber(c);
    if (score === undefined || c.buf[c.at] !== 125) { c.at = -1; return undefined; }
    c.at++;
    out.push({ split, tag, kind, score });
    if (c.buf[c.at] === 93) { c.at++; return out; }
    if (c.buf[c.at] !== 44 || c.buf[c.at + 1] !== 32) { c.at = -1; return undefined; }
    c.at += 2;
  }
}

/**
 * The event of a HEAD `evaluation_result` line in bytes [start, end), as normalize(JSON.parse(line)) gives it;
 * undefined when the line is in any other shape (it then takes the general path).
 */
export function scanEvaluationResult(buf: Buffer, start: number, end: number): EvaluationResultEvent | undefined {
  const c: Cursor = { buf, at: start, end };
  if (!expect(c, PREFIX)) return undefined;
  const ts = readUint(c);
  if (ts === undefined || !expect(c, PAYLOAD)) return undefined;
  let gridSearchId: string | undefined;
  let experimentId: string | undefined;
  let epoch: number | undefined;
  let metrics: Score[] | undefined;
  let losses: Score[] | undefined;
  for (;;) {
    let key = -1;
    for (const [bytes, k] of KEYS) if (peek(c, bytes)) { c.at += bytes.length; key = k; break; }
    switch (key) {
      case Key.GridSearch: gridSearchId = readString(c); break;
      case Key.Experiment: { const n = readUint(c); experimentId = n === undefined ? undefined : String(n); break; }
      case Key.Epoch: epoch = readUint(c); break;
      case Key.Metrics: metrics = readScores(c, 'metric'); break;
      case Key.Losses: losses = readScores(c, 'loss'); break;
      default: return undefined;
    }
    if (c.at < 0) return undefined;
    if (buf[c.at] === 44 && buf[c.at + 1] === 32) { c.at += 2; continue; }
    if (buf[c.at] === 125 && buf[c.at + 1] === 125 && c.at + 2 === end) break;
    return undefined;
  }
  if (experimentId === undefined || epoch === undefined) return undefined;
  return {
    type: 'evaluation_result', experimentId, gridSearchId, ts, epoch,
    scores: metrics ? (losses ? metrics.concat(losses) : metrics) : losses ?? [],
  };
}
