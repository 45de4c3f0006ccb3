/**
 * Incremental re-analysis for large manifests. A full `yaml` parse of a 5,000-line file costs 80-190 ms, too
 * much per keystroke, so when an edit stays inside one item of a block mapping such as `tasks:` (one task),
 * only that item's lines are re-parsed and spliced into the previous syntax tree, and only that item is
 * re-validated (with the file's other sections around it); the other diagnostics are kept, shifted by
 * the lines the edit added or removed. A syntax error inside the item (the user is typing a key) stays on
 * the incremental path when it cannot reach past the item. Anything else (an edit across items, on an
 * item's key line, at the top level, an open quote or bracket, anchors and aliases) falls back to the
 * full path, so the answers are always those of a full analysis (test/unit/yaml/incremental.test.ts
 * checks this on the corpus).
 *
 * The previous syntax tree is updated in place: an AnalyzedDocument must not be used after a newer version
 * of it was made from it (the server only keeps the newest).
 */
import { isAlias, isCollection, isMap, isPair, isScalar, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Diagnostic, Range } from 'vscode-languageserver-types';
import type { AnalyzedDocument, KindProvider, ServiceContext } from '../service/languageService';
import { fileUriToPath } from '../../../shared/fileUri';
import { analyze } from '../service/languageService';
import { classify } from '../service/documentKind';
import { keyString, LineIndex, parseYaml, type ParsedYaml } from './parsedDocument';

/** One item of the split mapping: `[start, end)` covers whole lines, from its key line to the next item's. */
interface Block { start: number; end: number; keyLineEnd: number; key: string }

interface Segments {
  /** The top-level key whose items are split (`tasks`). */
  container: string;
  map: YAMLMap;
  itemIndent: number;
  blocks: Block[];
  /**
   * The `range` arrays of every node from the first item on, grouped by item (item k's are
   * `ranges[first[k] .. first[k+1])`, then those of the top-level keys after the container), so that an
   * edit shifts what follows it with one tight loop instead of a walk over the tree.
   */
  ranges: SourceRange[];
  first: number[];
}

/** What an incremental re-parse changed, for the incremental validation that follows it. */
interface EditInfo {
  prev: AnalyzedDocument;
  index: number;
  /** Old and new line span [first, end) of the edited block. */
  oldLines: [number, number];
  newLines: [number, number];
  lineDelta: number;
}

const segmentsOf = new WeakMap<ParsedYaml, Segments | null>();
const editOf = new WeakMap<AnalyzedDocument, EditInfo>();

export interface IncrementalOptions {
  /** Top-level keys whose items may be re-parsed one at a time, per document kind. */
  containers: Partial<Record<AnalyzedDocument['kind'], string>>;
}

const defaults: IncrementalOptions = { containers: { mlcube: 'tasks' } };

/** True when the tree holds anchors, aliases or merge keys, whose meaning crosses items. */
function hasAliases(node: unknown): boolean {
  const stack: unknown[] = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n !== 'object') continue;
    if (isPair(n)) {
      if (isScalar(n.key) && n.key.value === '<<') return true;
      stack.push(n.key, n.value);
      continue;
    }
    if (isAlias(n) || (n as Node & { anchor?: string }).anchor) return true;
    if (isCollection(n)) for (const it of n.items) stack.push(it);
  }
  return false;
}

function computeSegments(parsed: ParsedYaml, container: string): Segments | null {
  const { doc, text, lines } = parsed;
  // A tree recovered from a syntax error is not trusted (the error may have swallowed what follows it);
  // errors inside one item are only accepted when the incremental path itself put them there.
  if (!doc || parsed.docs.length !== 1 || doc.errors.length || doc.warnings.length) return null;
  const root = doc.contents;
  if (!isMap(root) || (root as YAMLMap & { flow?: boolean }).flow) return null;
  if (hasAliases(root)) return null;
  const rootItems = root.items;
  const ci = rootItems.findIndex((p) => isPair(p) && keyString(p) === container);
  const map = rootItems[ci]?.value;
  if (map === undefined) return null;
  if (!isMap(map) || (map as YAMLMap & { flow?: boolean }).flow || !map.range || !map.items.length) return null;
  const blocks: Block[] = [];
  let itemIndent = -1;
  for (const item of map.items) {
    const key = item.key as Node | null;
    const k = keyString(item);
    if (!isScalar(key) || !key.range || k === undefined) return null;
    const pos = lines.positionAt(key.range[0]);
    const lineStart = lines.lineStart(pos.line);
    // Each item must start its own line, at the same column, with nothing before its key.
    if (text.slice(lineStart, key.range[0]).trim() !== '') return null;
    if (itemIndent < 0) itemIndent = pos.character; else if (pos.character !== itemIndent) return null;
    const nl = text.indexOf('\n', key.range[0]);
    blocks.push({ start: lineStart, end: -1, keyLineEnd: nl < 0 ? text.length : nl, key: k });
  }
  const lastBlock = blocks[blocks.length - 1];
  if (itemIndent <= 0 || !lastBlock) return null;
  blocks.forEach((block, i) => { const after = blocks[i + 1]; if (after) block.end = after.start; });
  // The last item runs to the next top-level key's line (or the end of the text).
  const next = rootItems[ci + 1];
  const nextKey = next && isPair(next) ? (next.key as Node | null) : null;
  lastBlock.end = nextKey?.range ? lines.lineStart(lines.positionAt(nextKey.range[0]).line) : text.length;
  if (next && !nextKey?.range) return null;
  const ranges: SourceRange[] = [];
  const first: number[] = [];
  for (const item of map.items) { first.push(ranges.length); collectRanges(item, ranges); }
  first.push(ranges.length);
  for (let i = ci + 1; i < rootItems.length; i++) collectRanges(rootItems[i], ranges);
  return { container, map, itemIndent, blocks, ranges, first };
}

function segments(parsed: ParsedYaml, container: string): Segments | null {
  let s = segmentsOf.get(parsed);
  if (s === undefined) {
    s = computeSegments(parsed, container);
    segmentsOf.set(parsed, s);
  }
  return s;
}

/** The changed span: common prefix `p`, then old `[p, oldEnd)` became new `[p, newEnd)`. */
export function changedSpan(a: string, b: string): { start: number; oldEnd: number; newEnd: number } {
  const n = Math.min(a.length, b.length);
  // Binary search on native substring comparison: far faster than a character loop on large texts.
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a.slice(0, mid) === b.slice(0, mid)) lo = mid; else hi = mid - 1;
  }
  const p = lo;
  lo = 0; hi = n - p;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a.slice(a.length - mid) === b.slice(b.length - mid)) lo = mid; else hi = mid - 1;
  }
  return { start: p, oldEnd: a.length - lo, newEnd: b.length - lo };
}

/** A node's [start, value end, node end] offsets, as the yaml package keeps them. */
type SourceRange = NonNullable<Node['range']>;

function collectRanges(node: unknown, out: SourceRange[]): void {
  const stack: unknown[] = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n !== 'object') continue;
    if (isPair(n)) { stack.push(n.value, n.key); continue; }
    const r = (n as Node).range;
    if (r) out.push(r);
    if (isCollection(n)) for (let i = n.items.length - 1; i >= 0; i--) stack.push(n.items[i]);
  }
}

/**
 * The line index of the new text from the old one: line starts before the item are kept, the item's are
 * found again, later ones are shifted. LineIndex keeps its starts in a plain field; when that is not
 * what this expects, a fresh index is built.
 */
function splicedLineIndex(old: LineIndex, oldLength: number, text: string, from: number, oldTo: number, delta: number): LineIndex {
  const starts = (old as unknown as { starts?: unknown }).starts;
  if (!Array.isArray(starts)) return new LineIndex(text);
  const out: number[] = [];
  let i = 0;
  for (; i < starts.length && (starts[i] as number) <= from; i++) out.push(starts[i] as number);
  // The item's own lines; an item that runs to the end of the text owns everything up to it.
  const atEnd = oldTo >= oldLength;
  const scanTo = atEnd ? text.length : oldTo + delta - 1;
  for (let nl = text.indexOf('\n', from); nl >= 0 && nl < scanTo; nl = text.indexOf('\n', nl + 1)) out.push(nl + 1);
  if (!atEnd) {
    while (i < starts.length && (starts[i] as number) < oldTo) i++;
    for (; i < starts.length; i++) out.push((starts[i] as number) + delta);
  }
  const index = Object.create(LineIndex.prototype) as LineIndex;
  Object.assign(index, { text, starts: out });
  return index;
}

function leadingSpaces(line: string): number {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) === 32) i++;
  return i;
}

/** Why the last `reanalyze` fell back to a full analysis (for tests and the benchmark). */
export let lastFallback = '';
function fail(reason: string): undefined { lastFallback = reason; return undefined; }

/**
 * The incremental path: a new AnalyzedDocument for `text` made from `prev` by re-parsing one item, or
 * undefined when the edit does not qualify (the caller then analyses the text in full).
 */
export function reanalyze(prev: AnalyzedDocument, version: number, text: string, ctx: Pick<ServiceContext, 'settings' | 'workspaceFolders'>, opts: IncrementalOptions = defaults): AnalyzedDocument | undefined {
  const container = opts.containers[prev.kind];
  if (!container) return fail('no splittable section for this kind');
  const old = prev.parsed;
  const seg = segments(old, container);
  if (!seg) return fail('previous tree not splittable');
  const { start, oldEnd: changedEnd } = changedSpan(old.text, text);
  const delta = text.length - old.text.length;
  if (delta === 0 && start === old.text.length) return fail('no change'); // no change: nothing to gain
  // Typing at the very end of the text extends the last item.
  const lastBlock = seg.blocks[seg.blocks.length - 1];
  const index = start === old.text.length && lastBlock?.end === start ? seg.blocks.length - 1 : findBlock(seg.blocks, start);
  const b = seg.blocks[index];
  if (!b) return fail('edit outside the items');
  // Inside the item, after its key line; the newline that ends the item stays.
  if (start <= b.keyLineEnd || changedEnd > b.end || (b.end < old.text.length && changedEnd > b.end - 1)) return fail('outside the item body');
  const blockText = text.slice(b.start, b.end + delta);
  if (b.end < old.text.length && !blockText.endsWith('\n')) return fail('item lost its last newline');
  // No line of the new item may reach the item's column: that would change the structure around it.
  const blockLines = blockText.split('\n');
  for (const line of blockLines.slice(1)) {
    const l = line.replace(/\r$/, '');
    const lead = leadingSpaces(l);
    if (lead === l.length || l[lead] === '#') continue;
    if (lead <= seg.itemIndent || l[lead] === '\t') return fail('a line reaches the item column');
  }
  const part = parseYaml(blockText);
  const pdoc = part.doc;
  if (part.docs.length !== 1 || !pdoc || pdoc.warnings.length) return fail('item is not one document');
  // With a syntax error, the full parse could read past the item (an unclosed quote or bracket runs on
  // into the next task): only errors on lines without open quotes or brackets stay inside the item.
  if (pdoc.errors.length && !blockLines.every(lineIsClosed)) return fail('syntax error with an open quote or bracket');
  const keyLineLength = blockLines[0]?.length ?? 0;
  if (pdoc.errors.some((e) => e.pos[0] < keyLineLength)) return fail('syntax error on the key line');
  if (pdoc.errors.length) {
    // After some errors the parser gives up on the rest of the stream, in the full text too: then the
    // item's tree stops short of its last line (or errors lie past it), and the full path is needed.
    let lastContent = 0, at = 0;
    for (const l of blockLines) {
      const t = l.trim();
      if (t && !t.startsWith('#')) lastContent = at + l.trimEnd().length;
      at += l.length + 1;
    }
    const root = pdoc.contents;
    const end = root?.range ? root.range[1] : 0;
    if (end < lastContent || pdoc.errors.some((e) => e.pos[1] > end)) return fail('syntax error ends the stream');
  }
  const pmap = pdoc.contents;
  const pair = isMap(pmap) && pmap.items.length === 1 ? pmap.items[0] as Pair<Node, Node | null> | undefined : undefined;
  if (!isMap(pmap) || !pair || keyString(pair) !== b.key || hasAliases(pmap)) return fail('item is not one key with the same name');
  // The document kind must not change. It could only change through the content patterns documentKind.ts looks for below the top
  // level (its other patterns are top-level keys, which an item's body cannot hold): classify again when
  // the item mentions one of them, before or after the edit.
  const oldBlock = old.text.slice(b.start, b.end);
  if (/cookiecutter|component_type_key|iterator_key/.test(oldBlock) || /cookiecutter|component_type_key|iterator_key/.test(blockText)) {
    const kind = classify({ path: fileUriToPath(prev.uri) || prev.uri, text, settings: ctx.settings, workspaceFolders: ctx.workspaceFolders });
    if (kind !== prev.kind) return fail('document kind changed');
  }

  // Splice: the new pair in place of the old one, everything after it shifted.
  const fresh: SourceRange[] = [];
  collectRanges(pair, fresh);
  if (fresh.length > 50_000) return fail('item too large'); // (the splice below spreads it as arguments)
  for (const r of fresh) { r[0] += b.start; r[1] += b.start; r[2] += b.start; }
  const doc = old.doc as Document.Parsed;
  (seg.map.items as Pair<Node, Node | null>[])[index] = pair;
  const { ranges, first: firstRange } = seg;
  // first has one entry per item plus one past the last: index and index + 1 are in range.
  const a0 = firstRange[index]!, a1 = firstRange[index + 1]!;
  ranges.splice(a0, a1 - a0, ...fresh);
  const moved = fresh.length - (a1 - a0);
  for (let i = index + 1; i < firstRange.length; i++) firstRange[i]! += moved;
  for (const r of ranges.slice(a0 + fresh.length)) { r[0] += delta; r[1] += delta; r[2] += delta; }
  const root = doc.contents as YAMLMap;
  for (const r of [seg.map.range, root.range, doc.range]) if (r) { r[1] += delta; r[2] += delta; }
  // Errors: the item's old ones out, its new ones in, later ones shifted.
  const errors = doc.errors.filter((e) => e.pos[0] < b.start || e.pos[0] >= b.end);
  for (const e of errors) if (e.pos[0] >= b.end) { e.pos[0] += delta; e.pos[1] += delta; }
  for (const e of pdoc.errors) { e.pos[0] += b.start; e.pos[1] += b.start; errors.push(e); }
  errors.sort((x, y) => x.pos[0] - y.pos[0]);
  doc.errors.splice(0, doc.errors.length, ...errors);
  const parsed: ParsedYaml = { text, docs: old.docs, doc, lines: splicedLineIndex(old.lines, old.text.length, text, b.start, b.end, delta) };
  const blocks = seg.blocks.map((x, i) => (i < index ? x : i === index
    ? { ...x, end: x.end + delta }
    : { ...x, start: x.start + delta, end: x.end + delta, keyLineEnd: x.keyLineEnd + delta }));
  segmentsOf.set(parsed, { ...seg, blocks });
  segmentsOf.set(old, null); // the old tree is gone
  const next: AnalyzedDocument = { uri: prev.uri, path: prev.path, version, kind: prev.kind, parsed };
  // Line spans [first, end): an item that runs to the end of the text owns its last line too.
  const first = old.lines.positionAt(b.start).line;
  const oldEnd = b.end >= old.text.length ? old.lines.lineCount : old.lines.positionAt(b.end).line;
  const newEnd = b.end + delta >= text.length ? parsed.lines.lineCount : parsed.lines.positionAt(b.end + delta).line;
  editOf.set(next, { prev, index, oldLines: [first, oldEnd], newLines: [first, newEnd], lineDelta: newEnd - oldEnd });
  return next;
}

/** True when a line opens no quote and leaves no bracket open (comments ignored). */
export function lineIsClosed(line: string): boolean {
  let quote = '';
  let depth = 0;
  let prev = ''; // last non-space character outside quotes
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quote) {
      if (quote === '"' && c === '\\') { i++; continue; }
      if (c === quote) { quote = ''; prev = c; }
      continue;
    }
    if (c === ' ' || c === '\t') continue;
    if (c === '#' && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) break;
    if ((c === '"' || c === "'") && (prev === '' || ':-[{,?'.includes(prev))) { quote = c; continue; }
    if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    prev = c;
  }
  return !quote && depth === 0;
}

function findBlock(blocks: Block[], offset: number): number {
  let lo = 0, hi = blocks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const block = blocks[mid]!; // lo <= mid <= hi < blocks.length
    if (offset < block.start) hi = mid - 1;
    else if (offset >= block.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

// ---- incremental validation ----------------------------------------------------------------------

function shiftRange(r: Range, lines: number): Range {
  return { start: { line: r.start.line + lines, character: r.start.character }, end: { line: r.end.line + lines, character: r.end.character } };
}

function shiftDiagnostic(d: Diagnostic, lines: number, uri: string): Diagnostic {
  if (!lines) return d;
  const out: Diagnostic = { ...d, range: shiftRange(d.range, lines) };
  if (d.relatedInformation) {
    out.relatedInformation = d.relatedInformation.map((ri) => (ri.location.uri === uri ? { ...ri, location: { uri, range: shiftRange(ri.location.range, lines) } } : ri));
  }
  return out;
}

/** Line span [first, last] a diagnostic touches, related locations in the same file included. */
function lineSpan(d: Diagnostic, uri: string): [number, number] {
  let a = d.range.start.line, b = d.range.end.line;
  for (const ri of d.relatedInformation ?? []) {
    if (ri.location.uri !== uri) continue;
    a = Math.min(a, ri.location.range.start.line); b = Math.max(b, ri.location.range.end.line);
  }
  return [a, b];
}

/** A shallow copy of `node` (same prototype, same fields) with some fields replaced. */
function shallow<T extends object>(node: T, fields: Partial<T>): T {
  // All own properties, the library's non-enumerable node-type symbol included.
  return Object.assign(Object.create(Object.getPrototypeOf(node) as object, Object.getOwnPropertyDescriptors(node)) as T, fields);
}

/** The document as the validator should see it with one item of the container left (for incremental validation). */
function viewWithOneItem(doc: AnalyzedDocument, seg: Segments, index: number): AnalyzedDocument | undefined {
  const y = doc.parsed.doc;
  const root = y?.contents;
  if (!y || !isMap(root)) return undefined;
  const ci = root.items.findIndex((p) => isPair(p) && keyString(p) === seg.container);
  const cpair = root.items[ci];
  const b = seg.blocks[index];
  const item = seg.map.items[index];
  if (!cpair || cpair.value !== seg.map || !b || !item) return undefined;
  const items = shallow(seg.map, { items: [item] });
  const rootView = shallow(root, { items: root.items.map((p, i) => (i === ci ? shallow(p, { value: items as typeof p.value }) : p)) });
  const errors = y.errors.filter((e) => e.pos[0] >= b.start && e.pos[0] < b.end);
  const docView = shallow(y, { contents: rootView as typeof y.contents, errors, warnings: [] });
  return { uri: doc.uri, path: doc.path, version: doc.version, kind: doc.kind, parsed: { ...doc.parsed, docs: [docView], doc: docView } };
}

/** The codes of structureDiagnostics (structure.ts): all a manifest with a syntax error gets (validate.ts). */
const STRUCTURE_CODES = new Set(['yaml-syntax', 'yaml-multiple-documents', 'duplicate-key']);

interface Record_ {
  doc: AnalyzedDocument;
  /** What was published for `doc`. */
  published: Diagnostic[];
  /**
   * The semantic diagnostics of everything but `dirty` (all of them when `dirty` is -1), in this doc's
   * lines; undefined when unknown (a full validation of a text with a syntax error).
   */
  base: Diagnostic[] | undefined;
  /** Index of the item whose semantic diagnostics are unknown (it had a syntax error), or -1. */
  dirty: number;
}

/**
 * Keeps the last diagnostics per document and, after an incremental re-parse, re-validates only the
 * edited item: the document's other sections plus that item are validated as a small manifest, and its
 * diagnostics replace the item's old ones. While the item has a syntax error, only structure diagnostics
 * are published (as the full validation does) and the other items' diagnostics are kept aside for when
 * the error is fixed. Falls back to a full validation whenever it cannot be sure.
 */
export class IncrementalValidator {
  private readonly last = new Map<string, Record_>();

  /** How the last call validated (for tests and the benchmark). */
  lastWas: 'incremental' | 'full' = 'full';

  validate(doc: AnalyzedDocument, provider: KindProvider, ctx: ServiceContext): Diagnostic[] {
    const inc = this.tryIncremental(doc, provider, ctx);
    this.lastWas = inc ? 'incremental' : 'full';
    if (inc) return inc;
    const diagnostics = provider.validate(doc, ctx);
    const clean = !doc.parsed.docs.some((d) => d.errors.length);
    this.last.set(doc.uri, { doc, published: diagnostics, base: clean ? diagnostics : undefined, dirty: -1 });
    return diagnostics;
  }

  forget(uri: string): void { this.last.delete(uri); }

  /** Why the last call validated in full. */
  lastSkip = '';
  private skip(why: string): undefined { this.lastSkip = why; return undefined; }

  private tryIncremental(doc: AnalyzedDocument, provider: KindProvider, ctx: ServiceContext): Diagnostic[] | undefined {
    const edit = editOf.get(doc);
    const rec = this.last.get(doc.uri);
    if (!edit || !rec?.base || rec.doc !== edit.prev) return this.skip('no previous validation to build on');
    const base = rec.base;
    if (rec.dirty !== -1 && rec.dirty !== edit.index) return this.skip('another item has a syntax error');
    const container = defaults.containers[doc.kind];
    const seg = container ? segmentsOf.get(doc.parsed) : undefined;
    if (!seg || !container) return this.skip('no split tree');
    const { text } = doc.parsed;
    // Interpolations that name items of the container make items depend on each other.
    if (text.includes(`\${${container}.`) || text.includes('${.')) return this.skip('the text names items with ${container.} or ${.}');
    const [o0, o1] = edit.oldLines;
    const others: Diagnostic[] = [];
    for (const d of base) {
      const [a, z] = lineSpan(d, doc.uri);
      if (z < o0) others.push(d);
      else if (a >= o1) others.push(shiftDiagnostic(d, edit.lineDelta, doc.uri));
      else if (a >= o0 && z < o1) continue; // the edited item's: recomputed below
      else return this.skip('an old diagnostic spans the item boundary');
    }
    // A view of the document with only the edited item in the container: the same nodes and positions,
    // so its diagnostics need no mapping, and nothing is parsed again.
    const view = viewWithOneItem(doc, seg, edit.index);
    if (!view) return this.skip('no view');
    const [n0, n1] = edit.newLines;
    const fresh: Diagnostic[] = [];
    for (const d of provider.validate(view, ctx)) {
      const [a, z] = lineSpan(d, doc.uri);
      if (a >= n0 && z < n1) fresh.push(d);
      else if (a < n1 && z >= n0) return this.skip(`a new diagnostic crosses the item edges: ${String(d.code)} ${a}-${z} vs ${n0}-${n1}`);
    }
    const byPos = (x: Diagnostic, y: Diagnostic) => x.range.start.line - y.range.start.line || x.range.start.character - y.range.start.character;
    const broken = doc.parsed.docs.some((d) => d.errors.length);
    if (broken) {
      const published = [...others.filter((d) => STRUCTURE_CODES.has(String(d.code))), ...fresh].sort(byPos);
      this.last.set(doc.uri, { doc, published, base: others, dirty: edit.index });
      return published;
    }
    const all = [...others, ...fresh].sort(byPos);
    this.last.set(doc.uri, { doc, published: all, base: all, dirty: -1 });
    return all;
  }
}

/** The server's entry point: incremental analysis when possible, the full one otherwise. */
export function analyzeIncrementally(prev: AnalyzedDocument | undefined, uri: string, version: number, text: string, ctx: Pick<ServiceContext, 'settings' | 'workspaceFolders'>): AnalyzedDocument {
  if (prev && prev.uri === uri && prev.version < version) {
    const next = reanalyze(prev, version, text, ctx);
    if (next) return next;
  }
  // The tree is split lazily, by the first edit that can use it: a document opened and never edited
  // (or closed at once) costs nothing more than a full analysis.
  return analyze(uri, version, text, ctx);
}

/** For tests: whether a document was made by the incremental path. */
export function wasIncremental(doc: AnalyzedDocument): boolean { return editOf.has(doc); }

