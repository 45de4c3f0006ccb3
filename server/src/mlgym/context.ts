/**
 * Where the caret is in an MLgym config, read from indentation rather than from the parse tree: while the
 * user types, the YAML is often incomplete, but the lines above still say which block and key we are in.
 */
import type { Position } from 'vscode-languageserver-types';

export interface CaretContext {
  /** Keys from the root to the mapping the caret's line belongs to; `-` marks a list item. */
  path: string[];
  /** The key on the caret's line, when the caret is in its value. */
  key?: string;
  /** Completing a key (true) or a value (false). */
  inKey: boolean;
  /** The word under the caret up to the caret, and where it starts (character). */
  prefix: string;
  prefixStart: number;
  /** The caret is in a list item of the parent key (`- tr|` or `[a, tr|`). */
  inList: boolean;
}

// The line scanners below are hand-written, in one pass each: the regular expressions they replace
// (`^([^\s#:'"-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s|$)` and the like) backtrack quadratically on a long line
// (2.8 s per completion on an 80,000-character line). Each keeps the meaning of the expression it replaces.

const WS = /\s/;
const isWs = (c: string | undefined): boolean => c !== undefined && WS.test(c);

/**
 * The key a line (from its key's first character) starts with: `^([^\s#:'"-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s|$)`.
 * The key runs to the first `:` (a `#` first means none), which must end the line or precede a blank.
 */
export function keyAt(s: string): { key: string; end: number } | undefined {
  const c0 = s[0];
  if (c0 === undefined || isWs(c0) || c0 === '#' || c0 === ':' || c0 === "'" || c0 === '"') return undefined;
  let j = 1;
  if (c0 === '-') {
    const c1 = s[1];
    if (c1 === undefined || isWs(c1) || c1 === ':' || c1 === '#') return undefined;
    j = 2;
  }
  while (j < s.length && s[j] !== ':' && s[j] !== '#') j++;
  if (s[j] !== ':') return undefined;
  if (j + 1 < s.length && !isWs(s[j + 1])) return undefined;
  return { key: s.slice(0, j).trimEnd(), end: j };
}

/** `key:` at the start of `body` as the caret's line has it (`^([^\s:#'"[{][^:#]*?)\s*:\s`, else `...\s*:$`): the key and the match's length. */
function keyBeforeValue(body: string): { key: string; length: number } | undefined {
  const c0 = body[0];
  if (c0 === undefined || isWs(c0) || c0 === ':' || c0 === '#' || c0 === "'" || c0 === '"' || c0 === '[' || c0 === '{') return undefined;
  let j = 1;
  while (j < body.length && body[j] !== ':' && body[j] !== '#') j++;
  if (body[j] !== ':') return undefined;
  const key = body.slice(0, j).trimEnd();
  if (j + 1 < body.length && isWs(body[j + 1])) return { key, length: j + 2 };
  return j + 1 === body.length ? { key, length: j + 1 } : undefined;
}

/** The characters of a word before the caret: the longest suffix of `[\w.\-/]` characters. */
function wordBefore(line: string): string {
  let i = line.length;
  while (i > 0 && /[\w.\-/]/.test(line.charAt(i - 1))) i--;
  return line.slice(i);
}

/** `^\s*-\s+[^:]*$`: a list item whose text has no colon. */
function plainItem(line: string): boolean {
  const rest = line.trimStart();
  return rest[0] === '-' && isWs(rest[1]) && !rest.includes(':');
}

interface LineInfo { indent: number; item: boolean; key?: string; keyIndent: number }

function info(line: string): LineInfo | undefined {
  const rest = line.trimStart();
  if (rest === '' || rest.startsWith('#')) return undefined;
  const indent = line.length - rest.length;
  if (rest === '-' || rest.startsWith('- ')) {
    const after = rest.slice(1).trimStart();
    const keyIndent = indent + (rest.length - after.length);
    return { indent, item: true, key: keyAt(after)?.key, keyIndent };
  }
  return { indent, item: false, key: keyAt(rest)?.key, keyIndent: indent };
}

export function caretContext(text: string, pos: Position): CaretContext {
  const lines = text.split('\n');
  const lineText = (lines[pos.line] ?? '').slice(0, pos.character);
  const full = lines[pos.line] ?? '';
  const cur = info(full) ?? { indent: lineText.length - lineText.trimStart().length, item: false, keyIndent: lineText.length - lineText.trimStart().length };
  const prefix = wordBefore(lineText);
  const prefixStart = pos.character - prefix.length;

  // Key on this line and whether the caret is past its colon.
  const body = lineText.slice(cur.keyIndent);
  const km = keyBeforeValue(body);
  const inValue = !!km && lineText.length >= cur.keyIndent + km.length;
  // An open `[` with no `]` after it: the caret is inside a flow list.
  const valueText = lineText.slice(cur.keyIndent + (km?.length ?? 0));
  const inFlowList = inValue && valueText.lastIndexOf('[') > valueText.lastIndexOf(']');

  // Parents, by indentation.
  const path: string[] = [];
  let threshold = cur.item ? cur.indent : cur.keyIndent;
  if (cur.item) path.push('-');
  for (let l = pos.line - 1; l >= 0 && threshold > 0; l--) {
    const text = lines[l] ?? '';
    const li = info(text);
    if (!li) continue;
    if (li.item) {
      if (li.indent >= threshold) continue;
      // `- key:` whose nested mapping holds the caret: the key is a parent inside the item.
      if (li.key !== undefined && li.keyIndent < threshold && text.trimEnd().endsWith(':')) path.push(li.key);
      path.push('-');
      threshold = li.indent;
    } else {
      if (li.indent >= threshold || li.key === undefined) continue;
      path.push(li.key);
      threshold = li.indent;
    }
  }
  path.reverse();

  if (inValue) return { path, key: km!.key, inKey: false, prefix, prefixStart, inList: inFlowList };
  // `- value` under a key: completing a value of the parent key.
  if (cur.item && !keyAt(full.slice(cur.keyIndent)) && plainItem(lineText)) {
    const parent = path.filter((p) => p !== '-');
    return { path: parent.slice(0, -1), key: parent[parent.length - 1], inKey: false, prefix, prefixStart, inList: true };
  }
  return { path, inKey: true, prefix, prefixStart, inList: false };
}
