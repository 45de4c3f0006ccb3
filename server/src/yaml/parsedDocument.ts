/**
 * One parse of a YAML text with exact source positions: the basis every pure language function works on.
 * Uses eemeli/yaml (YAML 1.2, CST ranges); duplicate keys are kept (uniqueKeys: false) so that the
 * validators can report each duplicate at its own key rather than stopping at the first.
 */
import { parseAllDocuments, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { isMap, isPair, isScalar, isSeq } from './nodeKinds';
import type { Position, Range } from 'vscode-languageserver-types';

export interface ParsedYaml {
  readonly text: string;
  /** All documents of the stream; MLCube and MLgym read only single-document files. */
  readonly docs: Document.Parsed[];
  /** The first document, or undefined for an empty stream. */
  readonly doc: Document.Parsed | undefined;
  readonly lines: LineIndex;
}

export class LineIndex {
  private readonly starts: number[];
  constructor(private readonly text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
    this.starts = starts;
  }
  get lineCount(): number { return this.starts.length; }
  // starts always holds line 0's start, and every index below is clamped to it or found by the search: in range.
  lineStart(line: number): number { return this.starts[Math.min(Math.max(line, 0), this.starts.length - 1)]!; }
  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid; else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo]! };
  }
  offsetAt(pos: Position): number {
    if (pos.line >= this.starts.length) return this.text.length;
    const start = this.starts[Math.max(pos.line, 0)]!;
    const end = this.starts[pos.line + 1] ?? this.text.length;
    return Math.min(start + Math.max(pos.character, 0), end);
  }
  range(start: number, end: number): Range {
    return { start: this.positionAt(start), end: this.positionAt(end) };
  }
}

export function parseYaml(text: string): ParsedYaml {
  const docs = parseDocuments(text);
  return { text, docs, doc: docs[0], lines: new LineIndex(text) };
}

/** The documents of a YAML stream, parsed with the options every CubeLab parse uses. */
function parseDocuments(text: string): Document.Parsed[] {
  // The library reads `process.env.LOG_TOKENS` once per token (and `LOG_STREAM` once per document) to
  // decide whether to print debug output. `process.env` is backed by the C environment, and on a large
  // file those reads cost about a fifth of the parse: during the (synchronous) parse, `process.env` is a
  // plain object holding just these two variables, so the debug switches still work.
  const env = process.env;
  process.env = { LOG_TOKENS: env.LOG_TOKENS, LOG_STREAM: env.LOG_STREAM };
  try {
    // No LineCounter: LineIndex answers every position question, and the library's one would be thrown away.
    const docs = parseAllDocuments(text, { uniqueKeys: false, prettyErrors: false, strict: true }) as Document.Parsed[] | { empty: true };
    return Array.isArray(docs) ? docs : [];
  } finally {
    process.env = env;
  }
}

/** Source range [start, end) of a node's value (without trailing comments). */
export function nodeRange(node: Node | null | undefined): [number, number] | undefined {
  if (!node || !node.range) return undefined;
  return [node.range[0], node.range[1]];
}

/** The plain string of a scalar key (numbers and booleans as written by YAML), or undefined for complex keys. */
export function keyString(pair: Pair): string | undefined {
  const k = pair.key;
  if (isScalar(k)) return k.value === null ? '' : String(k.value);
  if (k === null || k === undefined) return '';
  return typeof k === 'string' || typeof k === 'number' ? String(k) : undefined;
}

/** Look a key up in a map node, returning the first pair whose key matches. */
export function getPair(map: unknown, key: string): Pair<Node, Node | null> | undefined {
  if (!isMap(map)) return undefined;
  for (const item of (map as YAMLMap<Node, Node | null>).items) {
    if (isPair(item) && keyString(item) === key) return item as Pair<Node, Node | null>;
  }
  return undefined;
}

/** Walk every map of a document depth-first, with the path of keys leading to it. */
export function walkMaps(node: unknown, visit: (map: YAMLMap<Node, Node | null>, path: (string | number)[]) => void, path: (string | number)[] = []): void {
  if (isMap(node)) {
    visit(node as YAMLMap<Node, Node | null>, path);
    for (const item of node.items) {
      if (isPair(item)) walkMaps(item.value, visit, [...path, keyString(item) ?? '?']);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walkMaps(item, visit, [...path, i]));
  }
}
