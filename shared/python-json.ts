/**
 * JSON as Python reads and writes it, so a log written by the endpoint is byte for byte the one MLboard's
 * `DiscEventStorage.add_event` writes: `json.dumps(json.loads(message))` with Python's defaults (separators
 * `", "` and `": "`, `ensure_ascii`, `allow_nan`).
 *
 * Numbers are where JavaScript and Python differ:
 * - a float is written as `repr(float)`: the shortest digits that round-trip, in positional form when the
 *   decimal exponent is between -4 and 16 and with at least one decimal (`100.0`, `0.0001`), else in
 *   exponent form with a sign and two digits or more (`1e-05`, `1.5e+16`); `-0.0` keeps its sign;
 * - an int is written with all its digits, however large (JavaScript would round past 2**53);
 * - `NaN`, `Infinity` and `-Infinity` are read and written as Python does (JSON.parse rejects them, so a
 *   diverged loss from MLgym would otherwise break the message);
 * - whether a value was an int or a float is in the text only (`1.0` and `1` are the same JavaScript number):
 *   parsePythonJson keeps it, as a PythonNumber, where the JavaScript number would not tell.
 */

/**
 * A value that knows its own Python JSON text (PythonNumber here; the server's PyFloat for whole floats read from
 * MLExchange entries): json.dumps writes `pythonJson()` as it is.
 */
export interface PythonJsonText {
  pythonJson(): string;
}

function hasPythonJson(v: object): v is PythonJsonText {
  return typeof (v as Partial<PythonJsonText>).pythonJson === 'function';
}

/** A number whose Python text a JavaScript number cannot carry: a whole float (`1.0`, `1e+16`, `-0.0`) or an int past 2**53. */
export class PythonNumber {
  constructor(
    /** What Python's json.dumps writes for it. */
    readonly text: string,
    readonly value: number,
  ) {}

  pythonJson(): string {
    return this.text;
  }

  /** JSON.stringify (socket.io's encoder, REST responses) sends the nearest JavaScript number. */
  toJSON(): number {
    return this.value;
  }
}

/** `repr(x)` of a Python float (CPython's `float_repr_style == 'short'`), as json.dumps writes it. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without a precision gives the shortest digits that round-trip, as CPython's dtoa mode 0 does.
  const [mantissa = '', exponent] = Math.abs(x).toExponential().split('e'); // always "d[.ddd]e±n" for a finite x
  const digits = mantissa.replace('.', '');
  const exp = Number(exponent);
  // CPython's decpt: the value is 0.<digits> * 10**decpt; positional form when -4 < decpt <= 16.
  const decpt = exp + 1;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt < digits.length) return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
    return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function dumpNumber(n: number): string {
  // A JavaScript number that is a safe integer is taken for a Python int; any other for a float.
  if (Number.isSafeInteger(n)) return String(n);
  return pythonFloatRepr(n);
}

function dumpString(s: string): string {
  // Plain printable ASCII (nearly every key and value) is quoted as it is.
  let plain = true;
  for (let i = 0; i < s.length && plain; i++) {
    const c = s.charCodeAt(i);
    plain = c >= 32 && c < 127 && c !== 34 && c !== 92;
  }
  if (plain) return `"${s}"`;
  // JSON.stringify escapes quotes and control characters; ensure_ascii also escapes everything non-ASCII.
  // (Its escaping of lone surrogates as \udxxx is what Python writes for them too.)
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A JavaScript string as Python's json.dumps quotes it (ensure_ascii). */
export const pythonJsonString = dumpString;

/**
 * Python's `json.dumps(value)` (separators `", "` and `": "`, ensure_ascii, allow_nan), or with `indent` as
 * `json.dumps(value, indent=n)` writes it (separators `","` and `": "`, one item per line). The one writer of
 * Python's JSON in CubeLab: the endpoint's event log, MLExchange and MedPerf interop, the tests' event generator.
 * Properties whose value is `undefined` are left out, as JSON.stringify does.
 */
export function pythonJsonDumps(value: unknown, indent?: number): string {
  if (indent === undefined) return dumpFlat(value);
  const walk = (v: unknown, depth: number): string => {
    if (v === null || typeof v !== 'object' || hasPythonJson(v)) return dumpFlat(v);
    const inner = `\n${' '.repeat(indent * (depth + 1))}`;
    const outer = `\n${' '.repeat(indent * depth)}`;
    if (Array.isArray(v)) return v.length ? `[${v.map((e) => `${inner}${walk(e, depth + 1)}`).join(',')}${outer}]` : '[]';
    const entries = Object.entries(v as Record<string, unknown>).filter(([, e]) => e !== undefined);
    return entries.length ? `{${entries.map(([k, e]) => `${inner}${dumpString(k)}: ${walk(e, depth + 1)}`).join(',')}${outer}}` : '{}';
  };
  return walk(value, 0);
}

function dumpFlat(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return dumpString(value);
    case 'number':
      return dumpNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (hasPythonJson(value)) return value.pythonJson();
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ', ' : '') + dumpFlat(value[i]);
        return `${out}]`;
      }
      let out = '{';
      let first = true;
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        out += `${first ? '' : ', '}${dumpString(k)}: ${dumpFlat(v)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return 'null';
  }
}

// ---- reading ---------------------------------------------------------------------------------------------------

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const MAX_DEPTH = 1000;

/** Python's int text of an integer literal: `-0` is `0`. */
function intText(token: string): string {
  return token === '-0' ? '0' : token;
}

/**
 * `json.loads(text)` as Python reads it: standard JSON plus `NaN`, `Infinity` and `-Infinity`; numbers whose
 * Python text a JavaScript number would lose (see PythonNumber) come back as PythonNumber. Throws SyntaxError.
 */
export function parsePythonJson(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${i}`);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else return;
    }
  };
  const literal = (word: string, v: unknown): unknown => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return v;
    }
    return fail('unexpected token');
  };
  const string = (): string => {
    const start = i;
    i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 34) break;
      if (c === 92) i++;
      i++;
    }
    i++;
    // The token is exactly one JSON string: JSON.parse decodes its escapes and rejects raw control characters, as Python's strict mode does.
    return JSON.parse(text.slice(start, i)) as string;
  };
  const number = (): unknown => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail('unexpected token');
    i = NUMBER.lastIndex;
    const token = m[0];
    const v = Number(token);
    if (m[1] === undefined && m[2] === undefined) return Number.isSafeInteger(v) ? (Object.is(v, -0) ? 0 : v) : new PythonNumber(intText(token), v);
    // A float: only a whole one needs its Python text kept (a fractional one prints the same from the number).
    return Number.isInteger(v) || Object.is(v, -0) ? new PythonNumber(pythonFloatRepr(v), v) : v;
  };
  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    ws();
    const c = text[i];
    switch (c) {
      case '{': {
        i++;
        const obj: Record<string, unknown> = {};
        ws();
        if (text[i] === '}') { i++; return obj; }
        for (;;) {
          ws();
          if (text[i] !== '"') fail('expected a property name');
          const key = string();
          ws();
          if (text[i] !== ':') fail("expected ':'");
          i++;
          const v = value(depth + 1);
          // As JSON.parse: `__proto__` is an own property, never the prototype.
          Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
          ws();
          if (text[i] === ',') { i++; continue; }
          if (text[i] === '}') { i++; return obj; }
          fail("expected ',' or '}'");
        }
      }
      case '[': {
        i++;
        const arr: unknown[] = [];
        ws();
        if (text[i] === ']') { i++; return arr; }
        for (;;) {
          arr.push(value(depth + 1));
          ws();
          if (text[i] === ',') { i++; continue; }
          if (text[i] === ']') { i++; return arr; }
          fail("expected ',' or ']'");
        }
      }
      case '"':
        return string();
      case 't':
        return literal('true', true);
      case 'f':
        return literal('false', false);
      case 'n':
        return literal('null', null);
      case 'N':
        return literal('NaN', Number.NaN);
      case 'I':
        return literal('Infinity', Infinity);
      case '-':
        if (text.startsWith('-Infinity', i)) return literal('-Infinity', -Infinity);
        return number();
      default:
        if (c !== undefined && c >= '0' && c <= '9') return number();
        return fail(c === undefined ? 'unexpected end' : 'unexpected token');
    }
  };
  const result = value(0);
  ws();
  if (i !== text.length) fail('unexpected data after the value');
  return result;
}
