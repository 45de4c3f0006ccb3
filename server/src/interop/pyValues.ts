/**
 * Values as Python reads and writes them. MLExchange's apps load entries with pymongo and build job command
 * lines with `json.dumps`; MedPerf and MLCube containers read parameters files with PyYAML. Both keep the
 * difference between `2` and `2.0` that `JSON.parse` loses, and it shows in what the container receives
 * (`{"growth_rate": 2.0}`), so an entry read here keeps it: a whole number written as a float becomes a
 * `PyFloat`. Other numbers stay JS numbers (an integer literal is an int, a fraction is a float).
 */
import { pythonFloatRepr, pythonJsonDumps, type PythonJsonText } from '../../../shared/python-json';

/** A float whose value is whole (`2.0`, `1e3`): a plain number would turn into the int `2`. */
export class PyFloat implements PythonJsonText {
  constructor(readonly value: number) {}
  pythonJson(): string { return pythonFloatRepr(this.value); }
}

export const isFloatValue = (v: unknown): boolean => v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
export const numberOf = (v: unknown): number | undefined => (v instanceof PyFloat ? v.value : typeof v === 'number' ? v : undefined);

/** The value with every PyFloat turned into a plain number (for JSON Schema validation and messages). */
export function toPlain(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.map(toPlain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  return v;
}

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly offset: number, readonly line: number, readonly column: number) { super(message); }
}

/**
 * `JSON.parse` that keeps float literals (`2.0`, `1e3`) as floats. Duplicate keys: the last wins, as in Python.
 * Nesting is bounded (an entry is a few levels deep; a hostile file must not exhaust the stack).
 */
export function parseJsonLossless(text: string, maxDepth = 200): unknown {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (what: string): never => {
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    const column = i - before.lastIndexOf('\n');
    throw new JsonSyntaxError(`${what} at line ${line}, column ${column}`, i, line, column);
  };
  const ws = (): void => { while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++; };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i] as string;
      if (c === '"') { i++; return out; }
      if (c === '\\') {
        const e = text[i + 1];
        const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else if (e !== undefined && e in map) { out += map[e]; i += 2; } else fail('bad escape');
        continue;
      }
      if (c < ' ') fail('control character in a string');
      out += c;
      i++;
    }
  };
  const value = (depth: number): unknown => {
    if (depth > maxDepth) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        const v = value(depth + 1);
        // A key named like an Object.prototype member is stored as an own property, never on the prototype.
        Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return o; }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const a: unknown[] = [];
      ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m) {
      i += m[0].length;
      const n = Number(m[0]);
      if (m[1] === undefined && m[2] === undefined) return n;
      return Number.isInteger(n) ? new PyFloat(n) : n;
    }
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    return fail(i >= text.length ? 'unexpected end' : `unexpected "${c}"`);
  };
  const v = value(0);
  ws();
  if (i < text.length) fail('unexpected text after the value');
  return v;
}

/** Python's `repr(float)`: the shortest round-trip digits, scientific below 1e-4 and from 1e16 (`1e-05`, `2.0`). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return pythonFloatRepr(x);
}

/**
 * Python's `json.dumps(v)` (default separators `, ` and `: `, ensure_ascii), or with `indent` as
 * `json.dumps(v, indent=n)` writes it (separators `,` and `: `): shared/python-json.ts, CubeLab's one writer.
 */
export function pyJsonDumps(v: unknown, indent?: number): string {
  return pythonJsonDumps(v, indent);
}

/** A float as PyYAML reads it back as the same float (YAML 1.1 wants a dot, and a sign after `e`). */
export function yaml11FloatText(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (!Number.isFinite(x)) return x > 0 ? '.inf' : '-.inf';
  const r = pyFloatRepr(x);
  const e = r.indexOf('e');
  if (e < 0) return r;
  const mant = r.slice(0, e);
  return `${mant.includes('.') ? mant : `${mant}.0`}${r.slice(e)}`;
}

/** Sets an own property, whatever its name (`__proto__` from a file stays data, never a prototype). */
export function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}
