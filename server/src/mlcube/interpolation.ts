/**
 * OmegaConf `${...}` interpolation, as mlcube resolves it (OmegaConf 2.1 grammar, docs/mlcube.md §1.1, §1.7).
 *
 * Pure: the config is a plain-JS tree, the environment a dict. The parser follows OmegaConf's lexer modes
 * (top-level text, interpolation keys, resolver arguments, quoted strings) closely enough that what
 * OmegaConf rejects is a `bad-syntax` error here and what it accepts resolves to the same value.
 */
import { parse as parseYamlText } from 'yaml';
import { BudgetExceeded, checkBudget, exceedBudget } from '../service/budget';

/** A `${...}` inside a string: offsets of the whole `${...}` within the string, and its inner expression. Handles nesting (`${a.${b}}`) and escapes (`\${`). */
export interface InterpolationSpan { start: number; end: number; expr: string }

export type ResolutionError = {
  /** `too-expensive`: the value grows past MAX_RESOLVED_CHARS, or the time budget ran out (service/budget.ts). */
  code: 'missing-key' | 'env-unset' | 'cycle' | 'bad-syntax' | 'unknown-resolver' | 'too-expensive';
  message: string;
  /** The `${...}` (or the whole value, for syntax errors) that failed. */
  expr: string;
};
export type Resolution = { ok: true; value: unknown } | { ok: false; error: ResolutionError };

// ------------------------------------------------------------------------------------------------
// Spans (lenient: for editor features, works on half-typed text too)
// ------------------------------------------------------------------------------------------------

/** Top-level `${...}` spans of a string, outermost only. An unclosed `${` yields no span. */
export function findInterpolations(value: string): InterpolationSpan[] {
  const spans: InterpolationSpan[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c === '\\') {
      let n = 0;
      while (value[i + n] === '\\') n++;
      // An odd run of backslashes before `${` escapes it; an even run does not.
      if (value.startsWith('${', i + n) && n % 2 === 1) { i += n + 2; continue; }
      i += n;
      continue;
    }
    if (c === '$' && value[i + 1] === '{') {
      const end = matchClose(value, i);
      if (end < 0) { i += 2; continue; }
      spans.push({ start: i, end, expr: value.slice(i + 2, end - 1) });
      i = end;
      continue;
    }
    i++;
  }
  return spans;
}

/** Offset just after the `}` closing the `${` at `open`, or -1. Tracks nested `${`, `{...}` and quotes. */
function matchClose(s: string, open: number): number {
  const stack: string[] = ['}'];
  let i = open + 2;
  let quote: string | null = null;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') { i += 2; continue; }
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '$' && s[i + 1] === '{') { stack.push('q' + quote); quote = null; stack.push('}'); i += 2; continue; }
      i++;
      continue;
    }
    if (c === '$' && s[i + 1] === '{') { stack.push('}'); i += 2; continue; }
    if (c === '{') { stack.push('}'); i++; continue; }
    if (c === "'" || c === '"') { quote = c; i++; continue; }
    if (c === '}') {
      stack.pop();
      if (stack.length === 0) return i + 1;
      const top = stack[stack.length - 1] ?? ''; // not empty: checked just above
      if (top.startsWith('q')) { stack.pop(); quote = top.slice(1); }
      i++;
      continue;
    }
    i++;
  }
  return -1;
}

// ------------------------------------------------------------------------------------------------
// Parser (strict: OmegaConf's grammar)
// ------------------------------------------------------------------------------------------------

type Key = string | Interp;
export type Interp =
  | { kind: 'node'; dots: number; keys: Key[]; raw: string }
  | { kind: 'resolver'; name: Key[]; args: Elem[]; raw: string };
type TextPart = { kind: 'lit'; text: string } | { kind: 'interp'; interp: Interp };
type Elem =
  | { kind: 'prim'; parts: ({ tok: PrimTok; text: string } | { tok: 'interp'; interp: Interp })[] }
  | { kind: 'quoted'; parts: TextPart[] }
  | { kind: 'list'; items: Elem[] }
  | { kind: 'dict'; entries: [string, Elem][] };
type PrimTok = 'id' | 'null' | 'int' | 'float' | 'bool' | 'char' | 'esc' | 'ws';

class SyntaxErr extends Error {}

const KEY_STOP = new Set(['\\', '{', '}', '(', ')', '[', ']', ':', '.', ' ', '\t', "'", '"']);
const ESC_CHARS = new Set(['\\', '(', ')', '[', ']', '{', '}', ':', '=', ',', ' ', '\t']);
const UNQUOTED = new Set(['/', '-', '\\', '+', '.', '$', '%', '*', '@', '?']);
const isWs = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isIdStart = (c: string | undefined): boolean => !!c && /[A-Za-z_]/.test(c);
const isIdChar = (c: string | undefined): boolean => !!c && /[A-Za-z0-9_]/.test(c);

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    throw new SyntaxErr(`${what} at position ${this.i} of '${this.s}'`);
  }
  skipWs(): void { while (isWs(this.s[this.i])) this.i++; }
  at(str: string): boolean { return this.s.startsWith(str, this.i); }

  /** Top-level text (configValue). */
  text(): TextPart[] {
    return this.textUntil(null);
  }

  /** Text up to an unescaped `quote` (quoted mode) or the end (top level). */
  textUntil(quote: string | null): TextPart[] {
    const parts: TextPart[] = [];
    let lit = '';
    const flush = (): void => { if (lit) parts.push({ kind: 'lit', text: lit }); lit = ''; };
    const s = this.s;
    for (;;) {
      if (this.i >= s.length) {
        if (quote) this.fail('unterminated quoted string');
        break;
      }
      const c = s[this.i];
      if (quote && c === quote) { this.i++; break; }
      if (c === '\\') {
        let n = 0;
        while (s[this.i + n] === '\\') n++;
        if (s.startsWith('${', this.i + n)) {
          if (n % 2 === 1) { lit += '\\'.repeat((n - 1) / 2) + '${'; this.i += n + 2; continue; }
          lit += '\\'.repeat(n / 2); this.i += n; continue; // even run before an interpolation: unescaped
        }
        if (quote && s[this.i + n] === quote && n % 2 === 1) { lit += '\\'.repeat((n - 1) / 2) + quote; this.i += n + 1; continue; }
        lit += '\\'.repeat(n); this.i += n; continue;
      }
      if (c === '$' && s[this.i + 1] === '{') { flush(); parts.push({ kind: 'interp', interp: this.interp() }); continue; }
      lit += c; this.i++;
    }
    flush();
    return parts;
  }

  /** `${...}` starting at this.i. */
  interp(): Interp {
    const start = this.i;
    this.i += 2;
    this.skipWs();
    let dots = 0;
    while (this.s[this.i] === '.') { dots++; this.i++; }
    const keys: Key[] = [];
    let onlyDots = dots === 0; // resolver names are IDs/interpolations joined by dots
    let simpleName = true;
    const readKey = (): void => {
      if (this.at('${')) { keys.push(this.interp()); return; }
      const k0 = this.i;
      while (this.i < this.s.length && !KEY_STOP.has(this.s.charAt(this.i)) && !this.at('${')) this.i++;
      if (this.i === k0) this.fail('expected a key');
      const k = this.s.slice(k0, this.i);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) simpleName = false;
      keys.push(k);
    };
    const readBracketKey = (): void => {
      this.i++; // [
      onlyDots = false;
      readKey();
      if (this.s[this.i] !== ']') this.fail("expected ']'");
      this.i++;
    };
    if (this.s[this.i] === '[') readBracketKey(); else readKey();
    for (;;) {
      const c = this.s[this.i];
      if (c === '.') { this.i++; readKey(); continue; }
      if (c === '[') { readBracketKey(); continue; }
      break;
    }
    const save = this.i;
    this.skipWs();
    if (this.s[this.i] === '}') {
      this.i++;
      return { kind: 'node', dots, keys, raw: this.s.slice(start, this.i) };
    }
    if (this.s[this.i] === ':' && onlyDots && simpleName) {
      this.i++;
      this.skipWs();
      const args = this.sequence('}');
      this.i++; // }
      return { kind: 'resolver', name: keys, args, raw: this.s.slice(start, this.i) };
    }
    this.i = save;
    this.fail(this.i >= this.s.length ? "missing '}'" : `unexpected '${this.s[this.i]}'`);
  }

  /** Comma-separated elements up to (not past) `close`. Leading/trailing blanks belong to separators. */
  sequence(close: string): Elem[] {
    const out: Elem[] = [];
    this.skipWs();
    if (this.s[this.i] === close) return out;
    let expectElem = true;
    for (;;) {
      this.skipWs();
      const c = this.s[this.i];
      if (c === undefined) this.fail(`missing '${close}'`);
      if (c === ',') {
        if (expectElem) out.push({ kind: 'quoted', parts: [] }); // an empty slot is ''
        this.i++;
        expectElem = true;
        continue;
      }
      if (c === close) {
        if (expectElem && out.length > 0) out.push({ kind: 'quoted', parts: [] });
        return out;
      }
      if (!expectElem) this.fail(`expected ',' or '${close}'`);
      out.push(this.element());
      expectElem = false;
    }
  }

  element(): Elem {
    const c = this.s[this.i];
    if (c === "'" || c === '"') { this.i++; return { kind: 'quoted', parts: this.textUntil(c) }; }
    if (c === '[') {
      this.i++;
      const items = this.sequence(']');
      this.i++;
      return { kind: 'list', items };
    }
    if (c === '{') {
      this.i++;
      const entries: [string, Elem][] = [];
      this.skipWs();
      if (this.s[this.i] !== '}') {
        for (;;) {
          this.skipWs();
          const key = this.primitive(true);
          this.skipWs();
          if (this.s[this.i] !== ':') this.fail("expected ':' in a dict");
          this.i++;
          this.skipWs();
          entries.push([String(evalPrimitiveStatic(key)), this.element()]);
          this.skipWs();
          if (this.s[this.i] === ',') { this.i++; continue; }
          if (this.s[this.i] === '}') break;
          this.fail("expected ',' or '}'");
        }
      }
      this.i++;
      return { kind: 'dict', entries };
    }
    return this.primitive(false);
  }

  /** An unquoted primitive: tokens up to `,` `]` `}` (and `:` for dict keys); trailing blanks dropped. */
  primitive(dictKey: boolean): Elem & { kind: 'prim' } {
    const parts: (Elem & { kind: 'prim' })['parts'] = [];
    const s = this.s;
    for (;;) {
      const c = s[this.i];
      if (c === undefined || c === ',' || c === ']' || c === '}') break;
      if (c === ':') { if (dictKey) break; parts.push({ tok: 'char', text: ':' }); this.i++; continue; }
      if (isWs(c)) {
        const w0 = this.i;
        while (isWs(s[this.i])) this.i++;
        const next = s[this.i];
        // Blanks before a separator belong to the separator token.
        if (next === undefined || next === ',' || next === ']' || next === '}' || (dictKey && next === ':')) break;
        parts.push({ tok: 'ws', text: s.slice(w0, this.i) });
        continue;
      }
      if (c === '$' && s[this.i + 1] === '{') {
        if (dictKey) this.fail('interpolation in a dict key');
        parts.push({ tok: 'interp', interp: this.interp() });
        continue;
      }
      if (c === '\\') {
        const e0 = this.i;
        while (s[this.i] === '\\' && ESC_CHARS.has(s[this.i + 1] ?? '')) this.i += 2;
        if (this.i > e0) { parts.push({ tok: 'esc', text: s.slice(e0, this.i) }); continue; }
        parts.push({ tok: 'char', text: '\\' }); this.i++; continue;
      }
      const m = /^(?:[+-]?(?:(?:(?:0|[1-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|(?:0|[1-9](?:_?[0-9])*)\.)(?:[eE][+-]?[0-9](?:_?[0-9])*)?|(?:0|[1-9](?:_?[0-9])*)[eE][+-]?[0-9](?:_?[0-9])*|[Ii][Nn][Ff]|[Nn][Aa][Nn]))(?![A-Za-z0-9_])/.exec(s.slice(this.i));
      if (m) { parts.push({ tok: 'float', text: m[0] }); this.i += m[0].length; continue; }
      const mi = /^[+-]?(?:0|[1-9](?:_?[0-9])*)/.exec(s.slice(this.i));
      if (mi) { parts.push({ tok: 'int', text: mi[0] }); this.i += mi[0].length; continue; }
      if (isIdStart(c)) {
        const i0 = this.i;
        while (isIdChar(s[this.i])) this.i++;
        const w = s.slice(i0, this.i);
        const tok: PrimTok = /^null$/i.test(w) ? 'null' : /^(true|false)$/i.test(w) ? 'bool' : 'id';
        parts.push({ tok, text: w });
        continue;
      }
      if (UNQUOTED.has(c) || isIdChar(c)) { parts.push({ tok: 'char', text: c }); this.i++; continue; }
      this.fail(`unexpected '${c}'`);
    }
    if (parts.length === 0) this.fail('expected a value');
    return { kind: 'prim', parts };
  }
}

function evalPrimitiveStatic(p: Elem & { kind: 'prim' }): unknown {
  return primitiveValue(p, () => { throw new SyntaxErr('interpolation in a dict key'); });
}

function unescapeEsc(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 2) out += text[i + 1];
  return out;
}

function primitiveValue(p: Elem & { kind: 'prim' }, interp: (i: Interp) => unknown, interpText: (i: Interp) => string = (i) => pyStr(interp(i))): unknown {
  const t = p.parts[0];
  if (p.parts.length === 1 && t !== undefined) {
    if (t.tok === 'interp') return interp(t.interp);
    switch (t.tok) {
      case 'null': return null;
      case 'int': return parseInt(t.text.replace(/_/g, ''), 10);
      case 'float': {
        const x = t.text.replace(/_/g, '').toLowerCase();
        if (/inf$/.test(x)) return x.startsWith('-') ? -Infinity : Infinity;
        if (/nan$/.test(x)) return NaN;
        return parseFloat(x);
      }
      case 'bool': return t.text.toLowerCase() === 'true';
      case 'esc': return unescapeEsc(t.text);
      default: return t.text;
    }
  }
  let out = '';
  for (const t of p.parts) {
    if (t.tok === 'interp') out += interpText(t.interp);
    else if (t.tok === 'esc') out += unescapeEsc(t.text);
    else out += t.text;
  }
  return out;
}

/** Parses a config value string into text parts (what OmegaConf does for any value containing `${`). */
export function parseValue(value: string): { ok: true; parts: TextPart[] } | { ok: false; message: string } {
  try {
    const p = new Parser(value);
    return { ok: true, parts: p.text() };
  } catch (e) {
    if (e instanceof SyntaxErr) return { ok: false, message: e.message };
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------
// Python-like rendering (string interpolation concatenates `str(value)`)
// ------------------------------------------------------------------------------------------------

/** Python's `str()` of a plain-JS value (True, None, {'a': 1}, ...). Floats with integral values print as ints. */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
  if (typeof v === 'string') return v.includes("'") && !v.includes('"') ? `"${v}"` : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

// ------------------------------------------------------------------------------------------------
// Resolution
// ------------------------------------------------------------------------------------------------

/** Python's `repr(float)`: `5.0`, `1000.0`, `1e-05`, `1e+16`. */
export function pyFloatStr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 16) {
    const [m, e = ''] = v.toExponential().split('e'); // always "d[.ddd]e±n" for a finite v
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '');
    return `${m}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
  }
  const s = String(v);
  return s.includes('.') ? s : `${s}.0`;
}

function yamlParse(text: string): unknown {
  try { return parseYamlText(text) as unknown; } catch { return undefined; }
}

/** How many arguments each built-in resolver takes (Python raises a TypeError otherwise). */
const RESOLVER_ARITY: Record<string, [number, number]> = {
  'oc.env': [1, 2], env: [1, 2], 'oc.select': [1, 2], 'oc.deprecated': [1, 2], 'oc.decode': [1, 1], 'oc.create': [1, 1],
  'oc.dict.keys': [1, 1], 'oc.dict.values': [1, 1],
};

class ResolveErr extends Error {
  constructor(readonly detail: ResolutionError) { super(detail.message); }
}

export interface ResolveOptions {
  /** Key path of the value being resolved; needed only for relative interpolations (`${.sibling}`). */
  path?: string[];
}

/** Resolvers OmegaConf 2.1 registers by default (plus the deprecated `env`, still present in 2.1). */
export const KNOWN_RESOLVERS = ['oc.env', 'oc.select', 'oc.decode', 'oc.create', 'oc.deprecated', 'oc.dict.keys', 'oc.dict.values', 'env'] as const;

/**
 * Largest value (in characters; a container counts its keys and leaves) a `${...}` may resolve to. Values that
 * each name the previous one twice double at every level: without a bound, 30 lines make a value of 2^30
 * characters. A real value is a path or an image name; a copy of a whole big manifest's section still fits.
 */
export const MAX_RESOLVED_CHARS = 4_000_000;

/** Size of a resolved value, per object (resolved containers share sub-values: a DAG is measured once per node). */
const sizes = new WeakMap<object, number>();
function sizeOf(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (v === null || typeof v !== 'object') return 4;
  const hit = sizes.get(v);
  if (hit !== undefined) return hit;
  let n = 2;
  if (Array.isArray(v)) for (const x of v) { n += 2 + sizeOf(x); if (n > MAX_RESOLVED_CHARS) break; }
  else for (const [k, x] of Object.entries(v as Record<string, unknown>)) { n += 4 + k.length + sizeOf(x); if (n > MAX_RESOLVED_CHARS) break; }
  sizes.set(v, n);
  return n;
}

class Resolver {
  private readonly stack: string[] = [];
  /**
   * Resolved values by location (and the value found there): a value named many times is resolved once, so
   * resolution is linear in the number of distinct `${...}` however often each is reached. Failures are not
   * kept: the first one ends the resolution.
   */
  private readonly memo = new Map<string, { v: unknown; value: unknown }>();
  constructor(private readonly root: Record<string, unknown>, private readonly env: Record<string, string | undefined>) {}

  /** Refuses a value larger than MAX_RESOLVED_CHARS (service/budget.ts: the whole check stops). `what`: the key or expression. */
  private bounded<T>(value: T, what: string): T {
    if (sizeOf(value) > MAX_RESOLVED_CHARS) this.tooLarge(what);
    return value;
  }

  private tooLarge(what: string): never {
    exceedBudget(`the value of ${shorten(what)} grows past ${MAX_RESOLVED_CHARS.toLocaleString('en-US')} characters`);
  }

  /** Resolves a string value found at `path`. */
  value(value: string, path: string[] | undefined): unknown {
    if (!value.includes('${')) return value;
    const parsed = parseValue(value);
    if (!parsed.ok) throw new ResolveErr({ code: 'bad-syntax', message: `GrammarParseError: ${parsed.message}`, expr: value });
    return this.text(parsed.parts, path, true);
  }

  private text(parts: TextPart[], path: string[] | undefined, top: boolean): unknown {
    const only = parts.length === 1 ? parts[0] : undefined;
    if (top && only?.kind === 'interp') return this.interp(only.interp, path);
    let out = '';
    for (const p of parts) {
      out += p.kind === 'lit' ? p.text : this.interpAsText(p.interp, path);
      if (out.length > MAX_RESOLVED_CHARS) this.tooLarge(path ? path.join('.') : parts.map((x) => (x.kind === 'lit' ? x.text : x.interp.raw)).join(''));
    }
    return out;
  }

  /** `str()` of an interpolation inside a longer string: a config node that is a container prints unresolved. */
  private interpAsText(it: Interp, path: string[] | undefined): string {
    if (it.kind === 'node' && it.dots === 0) {
      const keys = it.keys.map((k) => this.keyText(k, path));
      const found = this.lookupThrough(keys, it.raw);
      if (found.found && found.value !== null && typeof found.value === 'object') return pyStr(this.bounded(found.value, keys.join('.')));
    }
    return pyStr(this.interp(it, path));
  }

  private keyText(k: Key, path: string[] | undefined): string {
    return typeof k === 'string' ? k : pyStr(this.interp(k, path));
  }

  private interp(it: Interp, path: string[] | undefined): unknown {
    if (it.kind === 'node') {
      const keys = it.keys.map((k) => this.keyText(k, path));
      let base: string[] = [];
      if (it.dots > 0) {
        if (!path) throw new ResolveErr({ code: 'bad-syntax', message: `Relative interpolation ${it.raw} needs the location of the value.`, expr: it.raw });
        if (it.dots > path.length) {
          throw new ResolveErr({ code: 'missing-key', message: `InterpolationKeyError: ConfigKeyError while resolving interpolation: Error resolving key '${'.'.repeat(it.dots)}${keys.join('.')}'`, expr: it.raw });
        }
        base = path.slice(0, path.length - it.dots);
      }
      return this.select([...base, ...keys], it.raw, keys.join('.'));
    }
    const name = it.name.map((k) => this.keyText(k, path)).join('.');
    const arity = RESOLVER_ARITY[name];
    if (!arity) throw new ResolveErr({ code: 'unknown-resolver', message: `UnsupportedInterpolationType: Unsupported interpolation type ${name}`, expr: it.raw });
    if (it.args.length < arity[0] || it.args.length > arity[1]) {
      throw new ResolveErr({ code: 'bad-syntax', message: `InterpolationResolutionError: TypeError raised while resolving interpolation: ${name} takes ${arity[0] === arity[1] ? arity[0] : `${arity[0]} to ${arity[1]}`} argument(s), got ${it.args.length} in ${it.raw}`, expr: it.raw });
    }
    const args = it.args.map((a) => this.elem(a, path));
    /** `str()` of an argument: a FLOAT token keeps Python's spelling (`5.` → `5.0`), a config container prints unresolved. */
    const argStr = (i: number): string => {
      const e = it.args[i];
      const v = args[i];
      const t = e?.kind === 'prim' && e.parts.length === 1 ? e.parts[0] : undefined;
      if (t !== undefined) {
        if (t.tok === 'float' && typeof v === 'number') return pyFloatStr(v);
        if (t.tok === 'interp') return this.interpAsText(t.interp, path);
      }
      return pyStr(v);
    };
    switch (name) {
      case 'oc.env':
      case 'env': {
        const key = argStr(0);
        const v = this.env[key];
        if (v !== undefined) return v;
        if (args.length === 2) return args[1] === null ? null : argStr(1);
        throw new ResolveErr({ code: 'env-unset', message: `InterpolationResolutionError: KeyError raised while resolving interpolation: "Environment variable '${key}' not found"`, expr: it.raw });
      }
      case 'oc.select': {
        const key = pyStr(args[0] ?? '');
        const found = this.lookupThrough(splitKey(key), it.raw);
        if (!found.found || found.value === '???') return args.length > 1 ? args[1] : null;
        return this.valueAt(found.value, splitKey(key), it.raw);
      }
      case 'oc.deprecated': {
        const key = pyStr(args[0] ?? '');
        return this.select(splitKey(key), it.raw, key);
      }
      case 'oc.decode': {
        const a = args[0];
        if (a === null || a === undefined) return null;
        if (typeof a !== 'string') throw new ResolveErr({ code: 'bad-syntax', message: `oc.decode can only take strings or None as input: ${it.raw}`, expr: it.raw });
        try {
          const p = new Parser(a);
          p.skipWs();
          const e = p.element();
          p.skipWs();
          if (p.i < a.length) p.fail('trailing characters');
          return this.elem(e, path);
        } catch (err) {
          if (err instanceof SyntaxErr) throw new ResolveErr({ code: 'bad-syntax', message: `GrammarParseError: ${err.message}`, expr: it.raw });
          throw err;
        }
      }
      case 'oc.create': {
        // OmegaConf.create() reads a string as YAML; a string that is not YAML structure becomes `{text: None}`.
        let v = typeof args[0] === 'string' ? yamlParse(args[0]) : args[0];
        if (typeof args[0] === 'string' && (v === null || v === undefined || typeof v !== 'object')) v = { [args[0]]: null };
        if (v === null || typeof v !== 'object') throw new ResolveErr({ code: 'bad-syntax', message: `InterpolationResolutionError: ValidationError raised while resolving interpolation: oc.create needs a dict or a list: ${it.raw}`, expr: it.raw });
        return v;
      }
      case 'oc.dict.keys':
      case 'oc.dict.values': {
        const a = args[0];
        const keyPath = typeof a === 'string' ? splitKey(a) : null;
        const d = keyPath ? this.select(keyPath, it.raw, keyPath.join('.')) : a;
        if (!d || typeof d !== 'object' || Array.isArray(d)) throw new ResolveErr({ code: 'bad-syntax', message: `${name} needs a dict: ${it.raw}`, expr: it.raw });
        if (name === 'oc.dict.keys') return Object.keys(d);
        return Object.entries(d as Record<string, unknown>).map(([k, v]) => this.valueAt(v, [...(keyPath ?? []), k], it.raw));
      }
      default:
        throw new ResolveErr({ code: 'unknown-resolver', message: `UnsupportedInterpolationType: Unsupported interpolation type ${name}`, expr: it.raw });
    }
  }

  private elem(e: Elem, path: string[] | undefined): unknown {
    switch (e.kind) {
      case 'prim': return primitiveValue(e, (i) => this.interp(i, path), (i) => this.interpAsText(i, path));
      case 'quoted': return this.text(e.parts, path, false);
      case 'list': return e.items.map((x) => this.elem(x, path));
      case 'dict': return Object.fromEntries(e.entries.map(([k, v]) => [k, this.elem(v, path)]));
    }
  }

  /** The value at `keys` in the root, itself resolved. */
  private select(keys: string[], raw: string, display: string): unknown {
    const found = this.lookupThrough(keys, raw);
    if (!found.found) throw new ResolveErr({ code: 'missing-key', message: `InterpolationKeyError: Interpolation key '${display}' not found`, expr: raw });
    if (found.value === '???') {
      throw new ResolveErr({ code: 'missing-key', message: `InterpolationToMissingValueError: MissingMandatoryValue while resolving interpolation: Missing mandatory value: ${keys.join('.')}`, expr: raw });
    }
    return this.valueAt(found.value, keys, raw);
  }

  /** Like `lookup`, but an intermediate node that is itself an interpolation is followed to its target. */
  private lookupThrough(keys: string[], raw: string): { found: true; value: unknown } | { found: false } {
    let cur: unknown = this.root;
    for (const [i, key] of keys.entries()) {
      if (i > 0 && typeof cur === 'string' && cur.includes('${')) cur = this.valueAt(cur, keys.slice(0, i), raw);
      const step = lookup(cur, [key]);
      if (!step.found) return step;
      cur = step.value;
    }
    return { found: true, value: cur };
  }

  /** Resolves a value found in the config at `keys` (strings and, inside containers, every leaf). */
  valueAt(v: unknown, keys: string[], raw: string): unknown {
    if (v === null || typeof v !== 'object' && (typeof v !== 'string' || !v.includes('${'))) return v;
    checkBudget();
    const id = keys.join('\u0000');
    const hit = this.memo.get(id);
    if (hit && hit.v === v) return hit.value;
    let value: unknown;
    if (typeof v === 'string') {
      if (this.stack.includes(id)) {
        const loop = [...this.stack.slice(this.stack.indexOf(id)), id].map((k) => k.split('\u0000').join('.'));
        throw new ResolveErr({ code: 'cycle', message: `InterpolationResolutionError: Recursive interpolation detected: ${loop.join(' -> ')}`, expr: raw });
      }
      this.stack.push(id);
      try {
        value = this.value(v, keys);
      } finally {
        this.stack.pop();
      }
    } else if (Array.isArray(v)) {
      value = v.map((x, i) => this.valueAt(x, [...keys, String(i)], raw));
    } else {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = this.valueAt(x, [...keys, k], raw);
      value = out;
    }
    this.memo.set(id, { v, value: this.bounded(value, keys.length ? keys.join('.') : raw) });
    return value;
  }
}

/** Splits a dotted key (`a.b[0].c`) into its parts. */
export function splitKey(key: string): string[] {
  const out: string[] = [];
  for (const m of key.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) out.push(m[1] ?? m[2] ?? ''); // one of the two alternatives matched
  return out;
}

/** Looks up a key path in a plain-JS tree (lists are indexed by number). */
export function lookup(root: unknown, keys: string[]): { found: true; value: unknown } | { found: false } {
  let cur: unknown = root;
  for (const k of keys) {
    if (Array.isArray(cur)) {
      const idx = Number(k);
      if (!/^\d+$/.test(k) || idx >= cur.length) return { found: false };
      cur = cur[idx];
    } else if (cur && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, k)) {
      cur = (cur as Record<string, unknown>)[k];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: cur };
}

/** Resolves one string value as OmegaConf does: a value that is exactly one `${x}` takes x's value (any type); otherwise string interpolation. `root` is the plain-JS effective config (see effectiveConfig). Detects cycles. `${oc.env:VAR}` / `${oc.env:VAR,default}` read `env`. */
export function resolveValue(value: string, root: Record<string, unknown>, env: Record<string, string | undefined>, opts: ResolveOptions = {}): Resolution {
  try {
    const r = new Resolver(root, env);
    return { ok: true, value: opts.path ? r.valueAt(value, opts.path, value) : r.value(value, undefined) };
  } catch (e) {
    if (e instanceof ResolveErr) return { ok: false, error: e.detail };
    if (e instanceof BudgetExceeded) return { ok: false, error: tooExpensive(e, value) };
    throw e;
  }
}

function tooExpensive(e: BudgetExceeded, expr: string): ResolutionError {
  return { code: 'too-expensive', message: `Too expensive to resolve: ${e.reason}.`, expr };
}

/** A key or expression as messages quote it: in backquotes, at most 60 characters. */
function shorten(what: string): string {
  return `\`${what.length > 60 ? `${what.slice(0, 57)}...` : what}\``;
}

/**
 * `OmegaConf.resolve(cfg)`: every interpolation in the tree evaluated, in document order; the first failure
 * is the error mlcube reports (even in a section the runner never reads). `???` values stay as they are.
 */
export function resolveConfig(root: Record<string, unknown>, env: Record<string, string | undefined>): { ok: true; value: Record<string, unknown> } | { ok: false; error: ResolutionError; path: string[] } {
  const r = new Resolver(root, env);
  let at: string[] = [];
  let atValue = '';
  const walk = (v: unknown, keys: string[]): unknown => {
    if (typeof v === 'string') { at = keys; atValue = v; return r.valueAt(v, keys, v); }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...keys, String(i)]));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x, [...keys, k]);
      return out;
    }
    return v;
  };
  try {
    return { ok: true, value: walk(root, []) as Record<string, unknown> };
  } catch (e) {
    if (e instanceof ResolveErr) return { ok: false, error: e.detail, path: at };
    if (e instanceof BudgetExceeded) return { ok: false, error: tooExpensive(e, atValue), path: at };
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------
// Effective configuration (docs/mlcube.md §1.1)
// ------------------------------------------------------------------------------------------------

/** The docker runner's `Config.DEFAULT` at mlcube HEAD (docs/mlcube.md §1.4), in its key order. */
export function dockerDefaults(): Record<string, unknown> {
  return {
    runner: 'docker',
    image: '${docker.image}',
    docker: 'docker',
    env_args: {},
    gpu_args: '',
    cpu_args: '',
    build_args: {},
    build_context: '.',
    build_file: 'Dockerfile',
    build_strategy: 'pull',
    '--network': null,
    '--security-opt': null,
    '--gpus': null,
    '--memory': null,
    '--cpuset-cpus': null,
    '--mount_opts': '',
  };
}

const isDict = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** `OmegaConf.merge(a, b)` on plain JS: dicts merge key by key (new keys appended), anything else replaces. */
export function mergeConfig(a: unknown, b: unknown): unknown {
  if (isDict(a) && isDict(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeConfig(out[k], v) : clone(v);
    return out;
  }
  return clone(b);
}

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (isDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  return v;
}

/** `OmegaConf.from_dotlist` for `-Pkey.path=value` overrides: nested dict, values read as YAML scalars. */
export function dotlistToConfig(overrides: Record<string, string>): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(overrides)) {
    const keys = splitKey(key);
    if (keys.length === 0) continue;
    let leaf: unknown = yamlScalar(raw);
    for (const k of [...keys].reverse()) leaf = { [k]: leaf };
    out = mergeConfig(out, leaf) as Record<string, unknown>;
  }
  return out;
}

/** A dotlist value as PyYAML (YAML 1.1, OmegaConf's loader) reads a plain scalar; anything else stays a string. */
export function yamlScalar(raw: string): unknown {
  const s = raw.trim();
  if (s === '' || s === '~' || /^(null|Null|NULL)$/.test(s)) return null;
  if (/^(true|True|TRUE|yes|Yes|YES|on|On|ON)$/.test(s)) return true;
  if (/^(false|False|FALSE|no|No|NO|off|Off|OFF)$/.test(s)) return false;
  if (/^[-+]?(0|[1-9][0-9_]*)$/.test(s)) return parseInt(s.replace(/_/g, ''), 10);
  if (/^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?$/.test(s) && /[0-9]/.test(s)) return parseFloat(s.replace(/_/g, ''));
  if (/^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$/.test(s)) return parseFloat(s.replace(/_/g, ''));
  if (/^'.*'$/.test(s)) return s.slice(1, -1).replace(/''/g, "'");
  if (/^".*"$/.test(s)) return s.slice(1, -1).replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  return raw;
}

/** The effective config mlcube builds before resolving (docs/mlcube.md §1.1): the manifest plus runtime {root, workspace}, top-level `workspace`, and for the docker platform `runner` = docker DEFAULT (§1.4) merged with the manifest's `docker` section; `-Pkey.path=value` overrides applied. */
export function effectiveConfig(
  manifest: Record<string, unknown>,
  opts: {
    root: string;
    workspace?: string;
    configOverrides?: Record<string, string>;
    /** Runner flags from `mlcube run --network/--gpus/...`, already as runner keys (`--network`, `--gpus`, ...). */
    runnerFlags?: Record<string, string>;
    /** `none`: no platform chosen (no `runner` defaults), as `mlcube show_config` without `--platform`. */
    platform?: 'docker' | 'none';
  },
): Record<string, unknown> {
  let cli = dotlistToConfig(opts.configOverrides ?? {});
  // mlcube merges the run flags into the CLI config under the platform name (parser.py parse_extra_arg).
  if (opts.runnerFlags && Object.keys(opts.runnerFlags).length) cli = mergeConfig(cli, { docker: opts.runnerFlags }) as Record<string, unknown>;
  const workspace = opts.workspace ?? '${runtime.root}/workspace';
  let cfg = mergeConfig(mergeConfig(manifest, cli), { runtime: { root: opts.root, workspace } }) as Record<string, unknown>;
  // The platform from a fresh system-settings file is exactly the runner's DEFAULT (docs/mlcube.md §1.9).
  cfg.runner = mergeConfig(cfg.runner ?? {}, opts.platform === 'none' ? {} : dockerDefaults());
  cfg.workspace = workspace;
  if (opts.platform !== 'none') {
    const docker = isDict(cfg.docker) ? cfg.docker : {};
    cfg.runner = mergeConfig(cfg.runner, docker);
  }
  cfg = mergeConfig(cfg, cli) as Record<string, unknown>;
  return cfg;
}
