/**
 * Completion in MLCube manifests. The user is typing, so the YAML is usually incomplete: the cursor's
 * place (which map, key or value, inside `${`) is read from the text by indentation and from the flow
 * mappings on the current line, never from a parse tree that may not exist yet.
 */
import { dirname, join, isAbsolute } from 'node:path';
import {
  CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type CompletionList, type Position, type Range,
} from 'vscode-languageserver-types';
import { isMap, isPair, isScalar } from 'yaml';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { getPair, keyString, type LineIndex } from '../yaml/parsedDocument';
import { keyDocAt, keyMarkdown, keysOf, sectionAt, type KeyDoc } from './keyDocs';
import { interpolationTargets } from './hover';

export type KeyPath = (string | number)[];

/** Where the cursor is, read from the text. Offsets are into the document text. */
export type CursorPlace =
  | { mode: 'key'; path: KeyPath; prefix: string; start: number; end: number; siblings: string[]; indent: number; flow: boolean }
  | { mode: 'value'; path: KeyPath; prefix: string; start: number; end: number; quote: string }
  | { mode: 'interpolation'; prefix: string; start: number; end: number; closed: boolean }
  | { mode: 'none' };

interface LineInfo { indent: number; key?: string; dash: boolean; blank: boolean }

const DASH_LINE = /^(\s*)-(\s|$)/;

const WS = /\s/;
const isWs = (c: string | undefined): boolean => c !== undefined && WS.test(c);
const LINE_TERMINATORS = '\n\r\u2028\u2029';
/** Characters a plain key cannot start with (YAML indicators). */
const NOT_KEY_START = '#\'"{[]},&*!|>%@`-';

/** After a key's last character: blanks, then `:` ending the line or before a blank. The offset after the `:`, or -1. */
function colonAfter(line: string, i: number): number {
  while (isWs(line[i])) i++;
  return line[i] === ':' && (i + 1 === line.length || isWs(line[i + 1])) ? i + 1 : -1;
}

/**
 * The key a block-mapping line starts with, in one pass. Same meaning as
 * `^(\s*)(-\s+)?("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{[\]},&*!|>%@\`-][^#]*?|-[^\s#][^#]*?)\s*:(?:\s|$)`,
 * which backtracks quadratically on long lines (seconds per completion on an 80,000-character line):
 * the indentation, the `- ` of a list item, and the key as written (quotes kept).
 */
export function keyLine(line: string): { indent: number; dash: number; key: string } | undefined {
  const n = line.length;
  let i = 0;
  while (i < n && isWs(line[i])) i++;
  const indent = i;
  let dash = 0;
  if (line[i] === '-' && isWs(line[i + 1])) {
    let k = i + 1;
    while (k < n && isWs(line[k])) k++;
    dash = k - i;
    i = k;
  }
  const s = i;
  const c = line[s];
  if (c === undefined) return undefined;
  if (c === '"') {
    // A double-quoted key: backslash escapes (of anything but a line break).
    for (let j = s + 1; j < n; j++) {
      if (line[j] === '"') return colonAfter(line, j + 1) >= 0 ? { indent, dash, key: line.slice(s, j + 1) } : undefined;
      if (line[j] === '\\') { if (j + 1 >= n || LINE_TERMINATORS.includes(line.charAt(j + 1))) return undefined; j++; }
    }
    return undefined;
  }
  if (c === "'") {
    // A single-quoted key: `''` is a quote; it ends at the last quote of the first run of odd length.
    for (let j = s + 1; j < n;) {
      if (line[j] !== "'") { j++; continue; }
      let r = 0;
      while (line[j + r] === "'") r++;
      if (r % 2 === 1) return colonAfter(line, j + r) >= 0 ? { indent, dash, key: line.slice(s, j + r) } : undefined;
      j += r;
    }
    return undefined;
  }
  let j = s + 1;
  if (c === '-') {
    if (j >= n || isWs(line[j]) || line[j] === '#') return undefined;
    j++;
  } else if (isWs(c) || NOT_KEY_START.includes(c)) {
    return undefined;
  }
  // A plain key: up to the first `:` that ends the line or precedes a blank, before any `#`.
  for (; j < n; j++) {
    if (line[j] === '#') return undefined;
    if (line[j] === ':' && (j + 1 === n || isWs(line[j + 1]))) return { indent, dash, key: line.slice(s, j).trimEnd() };
  }
  return undefined;
}

function unquote(k: string): string {
  if (k.length >= 2 && ((k[0] === '"' && k.endsWith('"')) || (k[0] === "'" && k.endsWith("'")))) return k.slice(1, -1);
  return k;
}

function lineInfo(line: string): LineInfo {
  const trimmed = line.trimStart();
  if (trimmed === '' || trimmed.startsWith('#')) return { indent: 0, dash: false, blank: true };
  const m = keyLine(line);
  if (m) return { indent: m.indent + m.dash, key: unquote(m.key), dash: m.dash > 0, blank: false };
  const d = DASH_LINE.exec(line);
  if (d) return { indent: d[1]!.length, dash: true, blank: false }; // group 1 is not optional in DASH_LINE
  return { indent: line.length - trimmed.length, dash: false, blank: false };
}

/**
 * The key path of the block map whose keys sit at column `col` on line `lineNo`, from the lines above,
 * plus the keys that map already has (found below and above at the same column).
 */
export function blockPathAt(text: string, lines: LineIndex, lineNo: number, col: number): { path: KeyPath; siblings: string[] } {
  const lineText = (n: number) => {
    const s = lines.lineStart(n);
    const e = n + 1 < lines.lineCount ? lines.lineStart(n + 1) - 1 : text.length;
    return text.slice(s, e).replace(/\r$/, '');
  };
  const lead = (raw: string) => raw.length - raw.trimStart().length;
  const path: KeyPath = [];
  let threshold = col;
  let parentLine = -1;
  let itemKey: string | undefined; // the first key of the list item holding the cursor, a sibling
  let listCol = -1; // column of the dashes of the list we are in, once we met one
  for (let n = lineNo - 1; n >= 0; n--) {
    const raw = lineText(n);
    const info = lineInfo(raw);
    if (info.blank) continue;
    const l = lead(raw);
    if (info.dash) {
      if (l === listCol || l >= threshold) continue; // an earlier item of the same list, or deeper
      // The list item that holds the cursor: count the items before it.
      let index = 0;
      for (let m = n - 1; m >= 0; m--) {
        const r = lineText(m); const i = lineInfo(r);
        if (i.blank) continue;
        if (i.dash && lead(r) === l) index++;
        else if (lead(r) <= l) break;
      }
      if (info.key !== undefined && info.indent < threshold) path.unshift(info.key);
      else if (parentLine < 0 && info.indent === col) itemKey = info.key;
      path.unshift(index);
      if (parentLine < 0) parentLine = n;
      listCol = l;
      threshold = l + 1; // the list's own key may sit at the dashes' column
      continue;
    }
    if (info.indent >= threshold) continue;
    if (info.key === undefined) { threshold = info.indent; continue; }
    path.unshift(info.key);
    if (parentLine < 0) parentLine = n;
    threshold = info.indent;
    listCol = -1;
    if (threshold === 0) break;
  }
  // Sibling keys: the lines of the same block at exactly this column.
  const siblings: string[] = itemKey !== undefined ? [itemKey] : [];
  const scan = (from: number, step: number) => {
    for (let n = from; n >= 0 && n < lines.lineCount; n += step) {
      if (step < 0 && n <= parentLine) break;
      const raw = lineText(n); const info = lineInfo(raw);
      if (info.blank) continue;
      if (lead(raw) < col) break;
      if (info.indent === col && info.key !== undefined) siblings.push(info.key);
    }
  };
  scan(lineNo + 1, 1);
  scan(lineNo - 1, -1);
  return { path, siblings };
}

/** Reads the cursor's place from the text. */
export function cursorPlace(text: string, lines: LineIndex, offset: number): CursorPlace {
  const pos = lines.positionAt(offset);
  const lineStart = lines.lineStart(pos.line);
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd < 0) lineEnd = text.length;
  const before = text.slice(lineStart, offset);
  const after = text.slice(offset, lineEnd).replace(/\r$/, '');

  // Inside `${...`: an interpolation target.
  const open = before.lastIndexOf('${');
  if (open >= 0 && before.indexOf('}', open) < 0) {
    const tail = /^[\w.:-]*/.exec(after)![0];
    return { mode: 'interpolation', prefix: before.slice(open + 2), start: lineStart + open + 2, end: offset + tail.length, closed: after.slice(tail.length).startsWith('}') };
  }
  // A comment: nothing to offer.
  if (/(^|\s)#/.test(before.replace(/"[^"]*"|'[^']*'/g, '""'))) return { mode: 'none' };

  // Scan the line up to the cursor: list dash, flow maps, the key being typed or the value after `key:`.
  let i = 0;
  while (i < before.length && before[i] === ' ') i++;
  let dash = false;
  if (before[i] === '-' && (before[i + 1] === ' ' || i + 1 === before.length)) { dash = true; i++; while (before[i] === ' ') i++; }
  const keyCol = i;
  const flowPath: string[] = [];
  const flowSiblings: string[][] = [];
  let pendingKey: string | undefined;
  let segStart = i;
  let quote = '';
  let seq = 0;
  for (; i < before.length; i++) {
    const ch = before[i];
    if (quote) { if (ch === quote) quote = ''; continue; }
    if ((ch === '"' || ch === "'") && before.slice(segStart, i).trim() === '') { quote = ch; continue; }
    if (ch === ':' && (i + 1 === before.length || before[i + 1] === ' ' || before[i + 1] === '{' || before[i + 1] === '[')) {
      if (pendingKey === undefined) {
        pendingKey = unquote(before.slice(segStart, i).trim());
        flowSiblings[flowSiblings.length - 1]?.push(pendingKey);
        segStart = i + 1;
      }
    } else if (ch === '{' && seq === 0) {
      if (pendingKey !== undefined) flowPath.push(pendingKey);
      else if (flowPath.length) flowPath.push('?');
      flowSiblings.push([]);
      pendingKey = undefined; segStart = i + 1;
    } else if (ch === '}' && seq === 0) {
      flowPath.pop(); flowSiblings.pop(); pendingKey = undefined; segStart = i + 1;
    } else if (ch === '[') {
      seq++;
    } else if (ch === ']') {
      seq = Math.max(0, seq - 1);
    } else if (ch === ',' && seq === 0 && flowSiblings.length) {
      pendingKey = undefined; segStart = i + 1;
    }
  }
  if (seq > 0) return { mode: 'none' };
  const flow = flowSiblings.length > 0;
  let blockPath: KeyPath; let siblings: string[];
  if (dash) {
    // A key of a list item (`- name: x`): the list's path plus the item's index.
    const dashCol = before.length - before.trimStart().length;
    const list = blockPathAt(text, lines, pos.line, dashCol);
    let index = 0;
    for (let n = pos.line - 1; n >= 0; n--) {
      const raw = text.slice(lines.lineStart(n), lines.lineStart(n + 1) - 1);
      const info = lineInfo(raw);
      if (info.blank) continue;
      const l = raw.length - raw.trimStart().length;
      if (info.dash && l === dashCol) index++; else if (l <= dashCol) break;
    }
    blockPath = [...list.path, index]; siblings = [];
  } else {
    ({ path: blockPath, siblings } = blockPathAt(text, lines, pos.line, before.trim() === '' ? before.length : keyCol));
  }
  const path: KeyPath = [...blockPath, ...flowPath];
  const segment = before.slice(segStart);
  const typed = segment.trimStart();
  const start = offset - typed.length;
  const tail = /^[^\s,:{}[\]#]*/.exec(after)![0];
  if (pendingKey !== undefined) {
    let prefix = typed; let q = '';
    if (prefix.startsWith('"') || prefix.startsWith("'")) { q = prefix.charAt(0); prefix = prefix.slice(1); }
    const valueTail = q ? /^[^"']*/.exec(after)![0] : tail;
    return { mode: 'value', path: [...path, pendingKey], prefix, start: start + q.length, end: offset + valueTail.length, quote: q };
  }
  return {
    mode: 'key', path, prefix: unquote(typed), start, end: offset + tail.length,
    siblings: flow ? flowSiblings[flowSiblings.length - 1] ?? [] : siblings, indent: keyCol, flow,
  };
}

// ---- completion proper -------------------------------------------------------------------------------

function md(value: string) { return { kind: MarkupKind.Markdown, value }; }

function keyItems(doc: AnalyzedDocument, place: Extract<CursorPlace, { mode: 'key' }>, range: Range): CompletionItem[] {
  const section = sectionAt(place.path);
  if (!section) return [];
  if (section === 'params') return parameterNameItems(doc, place, range);
  const have = new Set(place.siblings);
  return keysOf(section).filter((k) => !have.has(k.key)).map((k) => keyItem(place, k, range));
}

function keyItem(place: Extract<CursorPlace, { mode: 'key' }>, k: KeyDoc, range: Range): CompletionItem {
  const path = [...place.path, k.key];
  const item: CompletionItem = {
    label: k.key,
    kind: CompletionItemKind.Property,
    detail: k.default !== undefined ? `default: ${k.default}` : undefined,
    documentation: md(keyMarkdown(path, k)),
    sortText: `${k.rare ? '1' : '0'}${k.key}`,
    filterText: k.key,
    textEdit: { range, newText: `${k.key}: ` },
  };
  if (k.block && !place.flow) {
    item.textEdit = { range, newText: `${k.key}:\n${' '.repeat(place.indent + 2)}$0` };
    item.insertTextFormat = InsertTextFormat.Snippet;
    item.command = { title: 'Suggest', command: 'editor.action.triggerSuggest' };
  } else if (k.values) {
    item.command = { title: 'Suggest', command: 'editor.action.triggerSuggest' };
  }
  if (!item.detail) delete item.detail;
  return item;
}

/** Parameter names used by other tasks, offered when a new parameter is typed. */
function parameterNameItems(doc: AnalyzedDocument, place: Extract<CursorPlace, { mode: 'key' }>, range: Range): CompletionItem[] {
  const io = place.path[3];
  const tasks = getPair(doc.parsed.doc?.contents, 'tasks')?.value;
  const have = new Set(place.siblings);
  const seen = new Map<string, { sameIo: boolean; task: string }>();
  if (isMap(tasks)) {
    for (const t of tasks.items) {
      if (!isPair(t)) continue;
      const task = keyString(t) ?? '';
      if (task === place.path[1]) continue;
      const params = getPair(t.value, 'parameters')?.value;
      for (const kind of ['inputs', 'outputs']) {
        const m = getPair(params, kind)?.value;
        if (!isMap(m)) continue;
        for (const p of m.items) {
          const name = isPair(p) ? keyString(p) : undefined;
          if (!name || have.has(name)) continue;
          const prev = seen.get(name);
          if (!prev || (!prev.sameIo && kind === io)) seen.set(name, { sameIo: kind === io, task });
        }
      }
    }
  }
  return [...seen].map(([name, s]) => ({
    label: name, kind: CompletionItemKind.Field, detail: `parameter of task ${s.task}`,
    sortText: `${s.sameIo ? '0' : '1'}${name}`, textEdit: { range, newText: `${name}: ` },
  }));
}

function valueItems(doc: AnalyzedDocument, place: Extract<CursorPlace, { mode: 'value' }>, range: Range, ctx: ServiceContext): CompletionItem[] {
  const { path } = place;
  const section = sectionAt(path.slice(0, -1));
  const last = path[path.length - 1];
  const k = keyDocAt(path);
  if (k?.values) {
    return k.values.map((v, i) => ({
      label: v === '' ? "''" : v, kind: CompletionItemKind.EnumMember,
      detail: v === k.default || (v === '' && k.default === "''") ? 'default' : undefined,
      documentation: md(keyMarkdown(path, k)), sortText: String(i).padStart(2, '0'),
      textEdit: { range, newText: v === '' && !place.quote ? "''" : v },
    })).map((it) => { if (!it.detail) delete it.detail; return it; });
  }
  const root = dirname(doc.path);
  if ((section === 'param' && last === 'default') || section === 'params') {
    return pathItems(doc, place, join(root, 'workspace'), 'any', ctx);
  }
  if (path.length === 2 && path[0] === 'docker' && last === 'build_context') return pathItems(doc, place, root, 'dirs', ctx);
  if (path.length === 2 && path[0] === 'docker' && last === 'build_file') {
    const bc = getPair(getPair(doc.parsed.doc?.contents, 'docker')?.value, 'build_context')?.value;
    const context = isScalar(bc) && typeof bc.value === 'string' ? bc.value : '.';
    return pathItems(doc, place, isAbsolute(context) ? context : join(root, context), 'files', ctx);
  }
  return [];
}

/** Files and folders under `base` for the part of the path typed so far (only its last segment is replaced). */
function pathItems(doc: AnalyzedDocument, place: Extract<CursorPlace, { mode: 'value' }>, base: string, want: 'any' | 'dirs' | 'files', ctx: ServiceContext): CompletionItem[] {
  const typed = place.prefix;
  if (/^[~$/\\]/.test(typed) || typed.includes('${') || isAbsolute(typed)) return [];
  const slash = Math.max(typed.lastIndexOf('/'), typed.lastIndexOf('\\'));
  const dirPart = typed.slice(0, slash + 1);
  const folder = join(base, dirPart);
  if (!ctx.fs.isDirectory(folder)) return [];
  const start = place.start + slash + 1;
  const range = doc.parsed.lines.range(start, place.end);
  const out: CompletionItem[] = [];
  for (const name of ctx.fs.readDir(folder).sort()) {
    const isDir = ctx.fs.isDirectory(join(folder, name));
    if (want === 'dirs' && !isDir) continue;
    out.push({
      label: isDir ? `${name}/` : name,
      kind: isDir ? CompletionItemKind.Folder : CompletionItemKind.File,
      detail: join(folder, name),
      sortText: `${want === 'files' && isDir ? '1' : '0'}${name}`,
      textEdit: { range, newText: isDir ? `${name}/` : name },
      ...(isDir ? { command: { title: 'Suggest', command: 'editor.action.triggerSuggest' } } : {}),
    });
  }
  return out;
}

function interpolationItems(doc: AnalyzedDocument, place: Extract<CursorPlace, { mode: 'interpolation' }>, range: Range, ctx: ServiceContext): CompletionItem[] {
  const close = place.closed ? '' : '}';
  if (place.prefix.startsWith('oc.env:')) {
    return Object.keys(ctx.env).filter((k) => /^\w+$/.test(k)).sort().map((name) => ({
      label: `oc.env:${name}`, kind: CompletionItemKind.Variable, detail: ctx.env[name] ?? '',
      textEdit: { range, newText: `oc.env:${name}${close}` },
    }));
  }
  const out: CompletionItem[] = interpolationTargets(doc, ctx).map((t) => ({
    label: t.path, kind: CompletionItemKind.Reference, detail: t.value,
    documentation: t.doc ? md(t.doc) : undefined,
    sortText: `${t.rank}${t.path}`, textEdit: { range, newText: `${t.path}${close}` },
  }));
  out.push({
    label: 'oc.env:', kind: CompletionItemKind.Function, detail: 'OmegaConf resolver: an environment variable',
    documentation: md('`${oc.env:VAR}` or `${oc.env:VAR,default}`: the value of an environment variable. An unset variable without a default is an error. (`${HOME}` would be read as a config key and fail.)'),
    sortText: '3oc.env', textEdit: { range, newText: 'oc.env:' }, command: { title: 'Suggest', command: 'editor.action.triggerSuggest' },
  });
  for (const it of out) if (!it.documentation) delete it.documentation;
  return out;
}

export function completeManifest(doc: AnalyzedDocument, pos: Position, ctx: ServiceContext): CompletionList | null {
  const { text, lines } = doc.parsed;
  const offset = lines.offsetAt(pos);
  const place = cursorPlace(text, lines, offset);
  if (place.mode === 'none') return null;
  const range = lines.range(place.start, place.end);
  let items: CompletionItem[];
  if (place.mode === 'interpolation') items = interpolationItems(doc, place, range, ctx);
  else if (place.mode === 'key') items = keyItems(doc, place, range);
  else items = valueItems(doc, place, range, ctx);
  return { isIncomplete: false, items };
}
