/**
 * Glob patterns from settings, matched in bounded time. A workspace can set CubeLab's glob settings, and a
 * regular-expression translation of a glob (what minimatch does) backtracks exponentially on patterns such
 * as `**\/?*?*?*?*...b`, while brace expansion (`{a,b}{a,b}...`) multiplies patterns: one crafted pattern
 * kept the language server busy for half a minute per YAML file. Here:
 *
 * - a pattern longer than MAX_GLOB_LENGTH, or whose braces expand to more than MAX_GLOB_ALTERNATIVES
 *   patterns, is refused (it matches nothing, and `compileGlob` says why);
 * - a pattern is compiled once, and matched without regular expressions: `*` within a path segment and `**`
 *   across segments by the classic two-pointer wildcard algorithm (one backtracking point), so matching costs
 *   at most (path length × pattern length) steps, never an exponential number.
 *
 * The syntax is minimatch's with `dot: true` (the options CubeLab always used), without extglobs: `*`, `?`,
 * `**` as a whole segment, `[...]` classes (`!`/`^` negation, ranges), `{a,b}` and `{1..3}` braces, `\` escapes,
 * a leading `!` negating, a leading `#` making a comment. Paths are expected normalised (no `.` or `..` segments).
 */

/** Longest pattern accepted, in characters. */
export const MAX_GLOB_LENGTH = 1000;
/** Most patterns one pattern's braces may expand to. */
export const MAX_GLOB_ALTERNATIVES = 256;

export interface GlobOptions {
  /** Case-insensitive matching (file kinds are decided case-insensitively, like file systems on macOS and Windows). */
  nocase?: boolean;
}

export type CompiledGlob = { ok: true; match: (path: string) => boolean } | { ok: false; reason: string };

const STAR = 0;
const ANY = 1;
type Token = typeof STAR | typeof ANY | string | CharClass;
interface CharClass { negated: boolean; chars: string; ranges: [number, number][] }

/** One path segment's pattern; GLOBSTAR (`**`) matches any number of segments, ANY_SEGMENT exactly one. */
const GLOBSTAR = 'globstar' as const;
const ANY_SEGMENT = 'anysegment' as const;
type SegmentPattern = Token[] | typeof GLOBSTAR | typeof ANY_SEGMENT;

class TooMany extends Error {}

// ------------------------------------------------------------------------------------------------
// Braces
// ------------------------------------------------------------------------------------------------

/** Index of the `}` closing the `{` at `open`, or -1; `\` escapes. */
function closeBrace(p: string, open: number): number {
  let depth = 0;
  for (let i = open; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') { i++; continue; }
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** The comma-separated parts of a brace body (top-level commas only). */
function splitTop(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') { i++; continue; }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) { parts.push(body.slice(start, i)); start = i + 1; }
  }
  parts.push(body.slice(start));
  return parts;
}

/** `{1..5}`, `{a..e}`, `{10..0..2}`: the sequence, or undefined when the body is no range. */
function range(body: string, max: number): string[] | undefined {
  const num = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(body);
  const chr = num ? null : /^([A-Za-z])\.\.([A-Za-z])(?:\.\.(-?\d+))?$/.exec(body);
  const m = num ?? chr;
  if (!m) return undefined;
  const [, first = '', last = ''] = m; // groups 1 and 2 are not optional in either pattern
  const a = num ? Number(first) : first.charCodeAt(0);
  const b = num ? Number(last) : last.charCodeAt(0);
  const step = Math.abs(Number(m[3] ?? 1)) || 1;
  const count = Math.floor(Math.abs(b - a) / step) + 1;
  if (count > max) throw new TooMany();
  const out: string[] = [];
  for (let k = 0, v = a; k < count; k++, v += a <= b ? step : -step) out.push(num ? String(v) : String.fromCharCode(v));
  return out;
}

/** All patterns a pattern's braces stand for, in order; throws TooMany past `max`. */
function expandBraces(p: string, max: number): string[] {
  // The first brace group that expands: one with a top-level comma, or a range. `{a}` stays as written.
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\') { i++; continue; }
    if (p[i] !== '{') continue;
    const close = closeBrace(p, i);
    if (close < 0) return [p];
    const body = p.slice(i + 1, close);
    const parts = splitTop(body);
    const seq = parts.length > 1 ? undefined : range(body, max);
    if (parts.length === 1 && !seq) continue;
    const pre = p.slice(0, i);
    const alternatives: string[] = [];
    for (const part of seq ?? parts) {
      for (const x of seq ? [part] : expandBraces(part, max)) {
        alternatives.push(x);
        if (alternatives.length > max) throw new TooMany();
      }
    }
    const posts = expandBraces(p.slice(close + 1), max);
    if (alternatives.length * posts.length > max) throw new TooMany();
    const out: string[] = [];
    for (const a of alternatives) for (const post of posts) out.push(pre + a + post);
    return out;
  }
  return [p];
}

// ------------------------------------------------------------------------------------------------
// Segments
// ------------------------------------------------------------------------------------------------

function parseClass(s: string, open: number, fold: (c: string) => string): { cls: CharClass; end: number } | undefined {
  let i = open + 1;
  let negated = false;
  if (s[i] === '!' || s[i] === '^') { negated = true; i++; }
  let chars = '';
  const ranges: [number, number][] = [];
  const first = i;
  for (; i < s.length; i++) {
    let c = s.charAt(i);
    if (c === ']' && i > first) return { cls: { negated, chars, ranges }, end: i + 1 };
    if (c === '\\' && i + 1 < s.length) c = s.charAt(++i);
    if (s[i + 1] === '-' && i + 2 < s.length && s[i + 2] !== ']') {
      let d = s.charAt(i + 2);
      i += 2;
      if (d === '\\' && i + 1 < s.length) d = s.charAt(++i);
      ranges.push([c.charCodeAt(0), d.charCodeAt(0)]);
      continue;
    }
    chars += fold(c);
  }
  return undefined; // no closing `]`: the `[` is a literal
}

function parseSegment(s: string, fold: (c: string) => string): SegmentPattern {
  if (s === '**') return GLOBSTAR;
  const tokens: Token[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '*') { if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR); continue; }
    if (c === '?') { tokens.push(ANY); continue; }
    if (c === '\\' && i + 1 < s.length) { tokens.push(fold(s.charAt(++i))); continue; }
    if (c === '[') {
      const cls = parseClass(s, i, fold);
      if (cls) { tokens.push(cls.cls); i = cls.end - 1; continue; }
    }
    tokens.push(fold(c));
  }
  return tokens;
}

function classHas(cls: CharClass, c: string, nocase: boolean): boolean {
  const test = (x: string): boolean => {
    if (cls.chars.includes(x)) return true;
    const code = x.charCodeAt(0);
    return cls.ranges.some(([a, b]) => code >= a && code <= b);
  };
  const hit = test(c) || (nocase && (test(c.toUpperCase()) || test(c.toLowerCase())));
  return hit !== cls.negated;
}

/** One pattern segment against one path segment (already case-folded when nocase): O(|s| × |tokens|). */
function matchSegment(tokens: Token[], s: string, nocase: boolean): boolean {
  // A segment with wildcards never matches an empty segment, nor `.` and `..`.
  if ((s === '' || s === '.' || s === '..') && tokens.some((t) => typeof t !== 'string')) return false;
  let ti = 0, si = 0, starTi = -1, starSi = 0;
  while (si < s.length) {
    const t = tokens[ti]; // undefined past the last token
    if (t !== undefined && t !== STAR && (t === ANY || (typeof t === 'string' ? t === s[si] : classHas(t, s.charAt(si), nocase)))) { ti++; si++; continue; }
    if (t === STAR) { starTi = ti++; starSi = si; continue; }
    if (starTi < 0) return false;
    ti = starTi + 1;
    si = ++starSi;
  }
  while (tokens[ti] === STAR) ti++;
  return ti === tokens.length;
}

/** Pattern segments against path segments, `**` as the star of the same algorithm: O(|path| × |pattern|) segment matches. */
function matchSegments(pattern: SegmentPattern[], path: string[], nocase: boolean): boolean {
  const one = (p: SegmentPattern, s: string): boolean => p === ANY_SEGMENT || p !== GLOBSTAR && matchSegment(p, s, nocase);
  let pi = 0, si = 0, starPi = -1, starSi = 0;
  while (si < path.length) {
    const p = pattern[pi]; // undefined past the last segment
    if (p !== undefined && p !== GLOBSTAR && one(p, path[si]!)) { pi++; si++; continue; } // si < path.length
    if (p === GLOBSTAR) { starPi = pi++; starSi = si; continue; }
    if (starPi < 0) return false;
    pi = starPi + 1;
    si = ++starSi;
  }
  while (pattern[pi] === GLOBSTAR) pi++;
  return pi === pattern.length;
}

/** `a//b` is `a/b` (minimatch collapses repeated slashes); a leading `/` stays as an empty first segment. */
function segmentsOf(p: string): string[] {
  const parts = p.split('/');
  return parts.filter((s, i) => s !== '' || i === 0 || i === parts.length - 1);
}

// ------------------------------------------------------------------------------------------------
// Compiling
// ------------------------------------------------------------------------------------------------

export function compileGlob(pattern: string, opts: GlobOptions = {}): CompiledGlob {
  if (pattern.length > MAX_GLOB_LENGTH) return { ok: false, reason: `it is longer than ${MAX_GLOB_LENGTH} characters` };
  const nocase = !!opts.nocase;
  if (pattern.startsWith('#')) return { ok: true, match: () => false };
  let negate = false;
  let start = 0;
  while (pattern[start] === '!') { negate = !negate; start++; }
  let expanded: string[];
  try {
    expanded = expandBraces(pattern.slice(start), MAX_GLOB_ALTERNATIVES);
  } catch (e) {
    if (e instanceof TooMany) return { ok: false, reason: `its braces expand to more than ${MAX_GLOB_ALTERNATIVES} patterns` };
    throw e;
  }
  const fold = nocase ? (c: string) => c.toLowerCase() : (c: string) => c;
  const compiled = expanded.map((p) => {
    const segs: SegmentPattern[] = segmentsOf(p).map((s) => parseSegment(s, fold));
    // A trailing `**` needs a segment to match (`a/**` matches `a/` and `a/b`, not `a`).
    if (segs.length > 1 && segs[segs.length - 1] === GLOBSTAR) segs.splice(segs.length - 1, 0, ANY_SEGMENT);
    return segs;
  });
  const matchOne = (path: string[]): boolean => compiled.some((segs) => matchSegments(segs, path, nocase));
  return {
    ok: true,
    match: (path: string) => {
      const segs = segmentsOf(nocase ? path.toLowerCase() : path);
      // A trailing slash on the path may go unmatched (`a/b/` matches `a/b`).
      const hit = matchOne(segs) || (segs.length > 1 && segs[segs.length - 1] === '' && matchOne(segs.slice(0, -1)));
      return hit !== negate;
    },
  };
}

const cache = new Map<string, CompiledGlob>();

/** `compileGlob`, compiled once per pattern and options (settings are matched against every file). */
export function globMatcher(pattern: string, opts: GlobOptions = {}): CompiledGlob {
  const key = `${opts.nocase ? 'i' : 's'}${pattern}`;
  let hit = cache.get(key);
  if (!hit) {
    if (cache.size >= 1000) cache.clear();
    hit = compileGlob(pattern, opts);
    cache.set(key, hit);
  }
  return hit;
}
