/**
 * JSON with comments, as VS Code reads `settings.json`: `//` and `/* *\/` comments and trailing commas are allowed.
 * A small recursive-descent reader, so that an error names its line and column on every Node version. Strings and
 * numbers are read by JSON.parse itself (same escapes, same numbers).
 */

export class JsoncError extends Error {}

export function parseJsonc(text: string): unknown {
  const s = text.replace(/^\uFEFF/, '');
  let i = 0;

  const where = (at: number): string => {
    const before = s.slice(0, at);
    return `line ${before.split('\n').length}, column ${at - before.lastIndexOf('\n')}`;
  };
  const fail = (what: string, at = i): never => { throw new JsoncError(`${what} at ${where(at)}`); };

  const blank = (): void => {
    for (;;) {
      while (i < s.length && /\s/.test(s.charAt(i))) i++;
      if (s.startsWith('//', i)) { const e = s.indexOf('\n', i); i = e < 0 ? s.length : e + 1; continue; }
      if (s.startsWith('/*', i)) { const e = s.indexOf('*/', i + 2); if (e < 0) fail('unterminated comment'); i = e + 2; continue; }
      return;
    }
  };

  const str = (): string => {
    const start = i++;
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\n') fail('line break in a string');
      i += s[i] === '\\' ? 2 : 1;
    }
    if (i >= s.length) fail('unterminated string', start);
    i++;
    try { return JSON.parse(s.slice(start, i)) as string; } catch { return fail('bad escape in a string', start); }
  };

  const value = (depth: number): unknown => {
    if (depth > 200) fail('too deeply nested');
    blank();
    const c = s[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      blank();
      while (s[i] !== '}') {
        if (s[i] !== '"') fail(i >= s.length ? 'unexpected end (a "}" is missing)' : `expected a "key" or "}", found ${JSON.stringify(s[i])}`);
        const key = str();
        blank();
        if (s[i] !== ':') fail(`expected ":" after ${JSON.stringify(key)}`);
        i++;
        out[key] = value(depth + 1);
        blank();
        if (s[i] === ',') { i++; blank(); continue; }
        if (s[i] !== '}') fail(i >= s.length ? 'unexpected end (a "}" is missing)' : `expected "," or "}", found ${JSON.stringify(s[i])}`);
      }
      i++;
      return out;
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      blank();
      while (s[i] !== ']') {
        if (s[i] === '}' || s[i] === ',') fail(`expected a value or "]", found ${JSON.stringify(s[i])}`);
        if (i >= s.length) fail('unexpected end (a "]" is missing)');
        out.push(value(depth + 1));
        blank();
        if (s[i] === ',') { i++; blank(); continue; }
        if (s[i] !== ']') fail(i >= s.length ? 'unexpected end (a "]" is missing)' : `expected "," or "]", found ${JSON.stringify(s[i])}`);
      }
      i++;
      return out;
    }
    if (c === '"') return str();
    const word = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(s.slice(i, i + 400));
    if (!word) return fail(i >= s.length ? 'unexpected end (a value is missing)' : `unexpected ${JSON.stringify(s[i])}`);
    i += word[0].length;
    return JSON.parse(word[0]) as unknown;
  };

  blank();
  // An empty (or all-comment) file is an empty object, as VS Code takes an empty settings file.
  if (i >= s.length) return {};
  const v = value(0);
  blank();
  if (i < s.length) fail(`unexpected ${JSON.stringify(s[i])} after the end`);
  return v;
}
