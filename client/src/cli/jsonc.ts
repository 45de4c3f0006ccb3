/**
 * JSON with comments, as VS Code reads `settings.json`: `//` and `/* *\/` comments and trailing commas are allowed.
 * One pass removes them (outside strings), then JSON.parse reads the rest; errors name the line and column.
 */

export class JsoncError extends Error {}

/** The text with comments blanked (newlines kept, so positions still match) and trailing commas removed. */
export function stripJsonc(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  /** Index in `out` of the last comma outside strings that nothing but blanks followed yet. */
  let pendingComma = -1;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      const start = i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      out += text.slice(start, i);
      pendingComma = -1;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') { out += ' '; i++; }
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (; i < stop; i++) out += text[i] === '\n' ? '\n' : ' ';
      continue;
    }
    if ((c === '}' || c === ']') && pendingComma >= 0) {
      out = `${out.slice(0, pendingComma)} ${out.slice(pendingComma + 1)}`;
      pendingComma = -1;
    }
    if (c === ',') pendingComma = out.length;
    else if (!/\s/.test(c)) pendingComma = -1;
    out += c;
    i++;
  }
  return out;
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/** Parses JSONC; an empty (or all-comment) text is an empty object, as VS Code takes an empty settings file. */
export function parseJsonc(text: string): unknown {
  const stripped = stripJsonc(text.replace(/^\uFEFF/, ''));
  if (stripped.trim() === '') return {};
  try {
    return JSON.parse(stripped);
  } catch (e) {
    const msg = (e as Error).message;
    const at = /position (\d+)/.exec(msg);
    throw new JsoncError(at ? `${msg.replace(/ in JSON at position \d+.*$/, '')} at ${lineCol(stripped, Number(at[1]))}` : msg);
  }
}
