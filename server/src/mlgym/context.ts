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

const KEY = /^([^\s#:'"\-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s|$)/;

interface LineInfo { indent: number; item: boolean; key?: string; keyIndent: number }

function info(line: string): LineInfo | undefined {
  const m = /^(\s*)([^]*)$/.exec(line)!;
  const rest = m[2];
  if (rest === '' || rest.startsWith('#')) return undefined;
  const indent = m[1].length;
  if (rest === '-' || rest.startsWith('- ')) {
    const after = rest.slice(1).replace(/^\s+/, '');
    const keyIndent = indent + (rest.length - after.length);
    const k = KEY.exec(after);
    return { indent, item: true, key: k?.[1], keyIndent };
  }
  const k = KEY.exec(rest);
  return { indent, item: false, key: k?.[1], keyIndent: indent };
}

export function caretContext(text: string, pos: Position): CaretContext {
  const lines = text.split('\n');
  const lineText = (lines[pos.line] ?? '').slice(0, pos.character);
  const full = lines[pos.line] ?? '';
  const cur = info(full) ?? { indent: lineText.length - lineText.trimStart().length, item: false, keyIndent: lineText.length - lineText.trimStart().length };
  const wordMatch = /[\w.\-/]*$/.exec(lineText)!;
  const prefix = wordMatch[0];
  const prefixStart = pos.character - prefix.length;

  // Key on this line and whether the caret is past its colon.
  const body = lineText.slice(cur.keyIndent);
  const km = /^([^\s:#'"[{][^:#]*?)\s*:\s/.exec(body) ?? /^([^\s:#'"[{][^:#]*?)\s*:$/.exec(body);
  const inValue = !!km && lineText.length >= cur.keyIndent + km[0].length;
  const inFlowList = inValue && /\[[^\]]*$/.test(lineText.slice(cur.keyIndent + (km?.[0].length ?? 0)));

  // Parents, by indentation.
  const path: string[] = [];
  let threshold = cur.item ? cur.indent : cur.keyIndent;
  if (cur.item) path.push('-');
  for (let l = pos.line - 1; l >= 0 && threshold > 0; l--) {
    const li = info(lines[l]);
    if (!li) continue;
    if (li.item) {
      if (li.indent >= threshold) continue;
      // `- key:` whose nested mapping holds the caret: the key is a parent inside the item.
      if (li.key !== undefined && li.keyIndent < threshold && lines[l].trimEnd().endsWith(':')) path.push(li.key);
      path.push('-');
      threshold = li.indent;
    } else {
      if (li.indent >= threshold || li.key === undefined) continue;
      path.push(li.key);
      threshold = li.indent;
    }
  }
  path.reverse();

  if (inValue) return { path, key: km![1], inKey: false, prefix, prefixStart, inList: inFlowList };
  // `- value` under a key: completing a value of the parent key.
  if (cur.item && !KEY.test(full.slice(cur.keyIndent)) && /^\s*-\s+[^:]*$/.test(lineText)) {
    const parent = path.filter((p) => p !== '-');
    return { path: parent.slice(0, -1), key: parent[parent.length - 1], inKey: false, prefix, prefixStart, inList: true };
  }
  return { path, inKey: true, prefix, prefixStart, inList: false };
}
