/**
 * Problems every YAML-based config shares: syntax errors, several documents in one file, duplicate keys.
 * Both MLCube (OmegaConf over PyYAML) and MLgym (PyYAML) refuse a file with any of them.
 */
import type { Node, Pair } from 'yaml';
import { isMap, isPair, isSeq } from './nodeKinds';
import type { Diagnostic } from 'vscode-languageserver-types';
import { diag } from '../service/diagnostic';
import { keyString, type ParsedYaml } from './parsedDocument';

export interface StructureOptions {
  /** Name of the tool that loads the file, for messages ("mlcube", "MLgym"). */
  tool: string;
  /** URI of the document, for related information. */
  uri: string;
}

export function structureDiagnostics(parsed: ParsedYaml, opts: StructureOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { lines } = parsed;
  for (const doc of parsed.docs) {
    for (const err of doc.errors) {
      let [start, end] = err.pos;
      // An error at the very end of the text (an unclosed quote or bracket) is shown on the last
      // non-blank line, where the user can see it, rather than on an empty line past the end.
      if (start >= parsed.text.trimEnd().length) {
        end = parsed.text.trimEnd().length;
        start = Math.max(parsed.text.lastIndexOf('\n', end - 1) + 1, 0);
      }
      if (end <= start) end = Math.min(start + 1, parsed.text.length);
      // The library's messages carry their own "at line N" suffix; the range says where already.
      const message = err.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
      out.push(diag(lines, [start, end], 'error', 'yaml-syntax', `YAML syntax error: ${message}. ${opts.tool} cannot load this file.`));
    }
  }
  if (parsed.docs.length > 1) {
    const second = parsed.docs[1];
    const start = second?.range?.[0] ?? 0;
    const lineStart = lines.lineStart(Math.max(0, lines.positionAt(start).line - 1));
    out.push(diag(lines, [lineStart, Math.max(lineStart + 3, start)], 'error', 'yaml-multiple-documents',
      `This file holds ${parsed.docs.length} YAML documents; ${opts.tool} reads a single document and fails with "expected a single document in the stream".`));
  }
  for (const doc of parsed.docs) out.push(...duplicateKeyDiagnostics(parsed, doc.contents, opts));
  return out.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

export function duplicateKeyDiagnostics(parsed: ParsedYaml, root: unknown, opts: StructureOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  // One pass over the tree with a shared key stack: the path is joined only for a duplicate, so a
  // 5,000-line file costs no per-node allocation here (the walk runs on every full validation).
  const path: (string | number)[] = [];
  const visit = (node: unknown): void => {
    if (isMap(node)) {
      const items = node.items;
      if (items.length > 1) duplicatesIn(items as Pair<Node, Node | null>[], path, parsed, opts, out);
      for (const item of items) {
        // Only a collection can hold a duplicate: scalar values are neither visited nor named.
        if (!isPair(item) || !(isMap(item.value) || isSeq(item.value))) continue;
        path.push(keyString(item) ?? '?');
        visit(item.value);
        path.pop();
      }
    } else if (isSeq(node)) {
      const items = node.items;
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (!isMap(item) && !isSeq(item)) continue;
        path.push(i);
        visit(item);
        path.pop();
      }
    }
  };
  visit(root);
  return out;
}

/** Reports every key of one map that repeats an earlier key of it. */
function duplicatesIn(items: Pair<Node, Node | null>[], path: (string | number)[], parsed: ParsedYaml, opts: StructureOptions, out: Diagnostic[]): void {
  // Small maps are scanned pairwise (no Map to allocate); big ones get an index. The first occurrence wins.
  let seen: Map<string, Pair<Node, Node | null>> | undefined;
  const keys: (string | undefined)[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isPair(item)) continue;
    const key = keyString(item);
    keys[i] = key;
    if (key === undefined) continue;
    let first: Pair<Node, Node | null> | undefined;
    if (seen) {
      first = seen.get(key);
      if (!first) seen.set(key, item);
    } else {
      for (let j = 0; j < i; j++) if (keys[j] === key) { first = items[j]; break; }
      if (i >= 16) {
        // Switch to an index that holds the first occurrence of every key so far.
        seen = new Map();
        for (let j = 0; j <= i; j++) { const k = keys[j]; if (k !== undefined && !seen.has(k)) seen.set(k, items[j]!); } // keys and items run in step
      }
    }
    if (first) reportDuplicate(item, first, key, path, parsed, opts, out);
  }
}

function reportDuplicate(item: Pair<Node, Node | null>, first: Pair<Node, Node | null>, key: string, path: (string | number)[], parsed: ParsedYaml, opts: StructureOptions, out: Diagnostic[]): void {
  const keyNode = item.key as Node | null;
  if (!keyNode?.range) return;
  const firstKey = first.key as Node | null;
  const firstLine = firstKey?.range ? parsed.lines.positionAt(firstKey.range[0]).line + 1 : undefined;
  const where = path.length ? ` in \`${path.join('.')}\`` : '';
  out.push(diag(parsed.lines, [keyNode.range[0], keyNode.range[1]], 'error', 'duplicate-key',
    `Duplicate key "${key}"${where}${firstLine ? ` (first defined on line ${firstLine})` : ''}: ${opts.tool} refuses the file ("found duplicate key").`,
    firstKey?.range ? { related: [{ location: { uri: opts.uri, range: parsed.lines.range(firstKey.range[0], firstKey.range[1]) }, message: 'First definition' }] } : undefined));
}

/** True when the first document's root is a mapping (the only root shape either tool accepts). */
export function hasMapRoot(parsed: ParsedYaml): boolean {
  return isMap(parsed.doc?.contents);
}
