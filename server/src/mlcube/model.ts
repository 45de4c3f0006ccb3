/**
 * A typed view of a v2 manifest over the parsed YAML, with the source span of every key and value:
 * the top-level sections, the runner sections, the tasks and their parameters, and every string value
 * (for `${...}` checks). Built in one walk and cached per AnalyzedDocument, so validation, completion,
 * hover and code actions share it.
 *
 * The model mirrors how mlcube reads the file (docs/mlcube.md §1.6): a parameter is a
 * string, null, or a mapping `{type, default, opts}`; a missing `default` is the parameter's name.
 * When a key is duplicated, the model keeps the first occurrence (the file is rejected anyway).
 */
import type { Document, Node, Pair, Scalar, YAMLMap } from 'yaml';
import { isAlias, isMap, isPair, isScalar, isSeq } from '../yaml/nodeKinds';
import type { AnalyzedDocument } from '../service/languageService';
import { keyString } from '../yaml/parsedDocument';

export type Span = [number, number];

/** What kind of YAML value sits somewhere. `missing` means the key is absent. */
export type Shape = 'mapping' | 'list' | 'null' | 'scalar' | 'missing';

export interface Entry {
  readonly key: string;
  readonly pair: Pair<Node, Node | null>;
  readonly keyNode: Node | null;
  /** Span of the key as written. */
  readonly keySpan: Span;
  /** The value node as written (possibly an alias). */
  readonly valueNode: Node | null;
  /** The value with aliases resolved. */
  readonly value: Node | null;
  readonly shape: Shape;
  /** Span of the value as written, or the key's span when the value is empty (`key:`). */
  readonly valueSpan: Span;
  /** The value's scalar content (string/number/boolean/null) when it is a scalar. */
  readonly scalar: unknown;
}

export interface MapModel {
  /** The entry holding this map, undefined for the document root. */
  readonly entry: Entry | undefined;
  readonly node: YAMLMap<Node, Node | null> | undefined;
  readonly entries: readonly Entry[];
  get(key: string): Entry | undefined;
}

export type ParamIO = 'input' | 'output';

export interface ParamModel {
  readonly task: string;
  readonly io: ParamIO;
  readonly name: string;
  readonly entry: Entry;
  /** `string` and `null` are the short forms; `invalid` is a number, boolean or list (mlcube fails). */
  readonly form: 'string' | 'null' | 'mapping' | 'invalid';
  /** The mapping form's fields. */
  readonly fields: MapModel | undefined;
  /** The path as mlcube sees it before interpolation: the string, `default`, or the parameter's name. */
  readonly path: string | undefined;
  /** The node that holds the path (the value itself, or `default`'s value); undefined when implied. */
  readonly pathEntry: Entry | undefined;
  readonly typeEntry: Entry | undefined;
  readonly optsEntry: Entry | undefined;
  /** The declared `type` (a string), if any. */
  readonly declaredType: string | undefined;
}

export interface TaskModel {
  readonly name: string;
  readonly entry: Entry;
  /** The task's fields (empty for a null task). */
  readonly fields: MapModel;
  readonly entrypoint: Entry | undefined;
  readonly parameters: Entry | undefined;
  readonly parameterFields: MapModel;
  readonly inputs: Entry | undefined;
  readonly outputs: Entry | undefined;
  readonly params: readonly ParamModel[];
}

/** A string value anywhere in the document (keys excluded), with its key path. */
export interface StringValue {
  readonly node: Scalar;
  readonly value: string;
  readonly path: readonly (string | number)[];
  /** Span of the scalar as written, quotes included. */
  readonly span: Span;
}

export interface ManifestModel {
  readonly doc: AnalyzedDocument;
  readonly yaml: Document.Parsed | undefined;
  /** Shape of the document root; only a `mapping` root is a manifest. */
  readonly rootShape: Shape;
  readonly top: MapModel;
  readonly platform: MapModel | undefined;
  readonly docker: MapModel | undefined;
  readonly singularity: MapModel | undefined;
  readonly tasksEntry: Entry | undefined;
  readonly tasks: readonly TaskModel[];
  readonly strings: readonly StringValue[];
  task(name: string): TaskModel | undefined;
}

class Fields implements MapModel {
  private byKey: Map<string, Entry> | undefined;
  constructor(readonly entry: Entry | undefined, readonly node: YAMLMap<Node, Node | null> | undefined, readonly entries: readonly Entry[]) {}
  get(key: string): Entry | undefined {
    // Small maps are scanned; the index is built only for big ones. The first occurrence wins.
    if (this.entries.length <= 12) {
      for (const e of this.entries) if (e.key === key) return e;
      return undefined;
    }
    if (!this.byKey) {
      this.byKey = new Map();
      for (const e of this.entries) if (!this.byKey.has(e.key)) this.byKey.set(e.key, e);
    }
    return this.byKey.get(key);
  }
}

const EMPTY_MAP: MapModel = new Fields(undefined, undefined, []);

function shapeOf(node: Node | null | undefined): Shape {
  if (node === null || node === undefined) return 'null';
  if (isMap(node)) return 'mapping';
  if (isSeq(node)) return 'list';
  if (isScalar(node)) return node.value === null || node.value === undefined ? 'null' : 'scalar';
  return 'scalar';
}

function resolveAlias(node: Node | null, yaml: Document.Parsed | undefined): Node | null {
  let cur: Node | null = node;
  for (let i = 0; cur && isAlias(cur) && i < 20; i++) {
    try {
      cur = (yaml ? cur.resolve(yaml) : undefined) ?? null;
    } catch {
      cur = null;
    }
  }
  return cur && isAlias(cur) ? null : cur;
}

function spanOf(node: Node | null | undefined): Span | undefined {
  const r = node?.range;
  return r ? [r[0], r[1]] : undefined;
}

function makeEntry(pair: Pair<Node, Node | null>, yaml: Document.Parsed | undefined): Entry | undefined {
  const key = keyString(pair);
  if (key === undefined) return undefined;
  const keyNode = (pair.key ?? null) as Node | null;
  const keySpan = spanOf(keyNode) ?? [0, 0];
  const valueNode = (pair.value ?? null) as Node | null;
  const value = resolveAlias(valueNode, yaml);
  const vs = spanOf(valueNode);
  // An empty value (`key:`) has a zero-width span; the key is where the user looks.
  const valueSpan: Span = vs && vs[1] > vs[0] ? vs : keySpan;
  const scalar = value && isScalar(value) ? value.value : value === null ? null : undefined;
  return { key, pair, keyNode, keySpan, valueNode, value, shape: shapeOf(value), valueSpan, scalar };
}

function mapModel(node: Node | null | undefined, entry: Entry | undefined, yaml: Document.Parsed | undefined): MapModel {
  if (!node || !isMap(node)) return entry ? new Fields(entry, undefined, []) : EMPTY_MAP;
  const map = node as YAMLMap<Node, Node | null>;
  const entries: Entry[] = [];
  for (const item of map.items) {
    if (!isPair(item)) continue;
    const e = makeEntry(item as Pair<Node, Node | null>, yaml);
    if (e) entries.push(e);
  }
  return new Fields(entry, map, entries);
}

function sectionOf(top: MapModel, key: string, yaml: Document.Parsed | undefined): MapModel | undefined {
  const e = top.get(key);
  return e ? mapModel(e.value, e, yaml) : undefined;
}

function paramModel(task: string, io: ParamIO, entry: Entry, yaml: Document.Parsed | undefined): ParamModel {
  let form: ParamModel['form'] = 'invalid';
  let fields: MapModel | undefined;
  let path: string | undefined;
  let pathEntry: Entry | undefined;
  let typeEntry: Entry | undefined;
  let optsEntry: Entry | undefined;
  let declaredType: string | undefined;
  if (entry.shape === 'null') {
    form = 'null';
    path = entry.key;
  } else if (entry.shape === 'scalar' && typeof entry.scalar === 'string') {
    form = 'string';
    path = entry.scalar;
    pathEntry = entry;
  } else if (entry.shape === 'mapping') {
    form = 'mapping';
    fields = mapModel(entry.value, entry, yaml);
    const def = fields.get('default');
    typeEntry = fields.get('type');
    optsEntry = fields.get('opts');
    // A missing or null `default` becomes the parameter's name (config.py check_parameters).
    if (!def || def.shape === 'null') path = entry.key;
    else {
      pathEntry = def;
      path = typeof def.scalar === 'string' ? def.scalar : def.scalar === undefined ? undefined : String(def.scalar);
    }
    if (typeEntry && typeof typeEntry.scalar === 'string') declaredType = typeEntry.scalar;
  }
  return { task, io, name: entry.key, entry, form, fields, path, pathEntry, typeEntry, optsEntry, declaredType };
}

function taskModel(entry: Entry, yaml: Document.Parsed | undefined): TaskModel {
  const fields = mapModel(entry.value, entry, yaml);
  const parameters = fields.get('parameters');
  const parameterFields = mapModel(parameters?.value, parameters, yaml);
  const inputs = parameterFields.get('inputs');
  const outputs = parameterFields.get('outputs');
  const params: ParamModel[] = [];
  for (const [io, holder] of [['input', inputs], ['output', outputs]] as const) {
    for (const e of mapModel(holder?.value, holder, yaml).entries) params.push(paramModel(entry.key, io, e, yaml));
  }
  return { name: entry.key, entry, fields, entrypoint: fields.get('entrypoint'), parameters, parameterFields, inputs, outputs, params };
}

/** A link of a key path: the key and the path of its parent, shared by every value under it. */
interface PathLink { readonly key: string | number; readonly parent: PathLink | undefined }

/** A string value whose key path is built only when asked for (most never are). */
class StringRef implements StringValue {
  private cached: (string | number)[] | undefined;
  /** `key` is the pair holding the value (its key is read on demand), its index in a list, or undefined at the root. */
  constructor(readonly node: Scalar, readonly value: string, readonly span: Span, private readonly parent: PathLink | undefined, private readonly key: Pair | number | undefined) {}
  get path(): readonly (string | number)[] {
    if (!this.cached) {
      const p: (string | number)[] = this.key === undefined ? [] : [keyOf(this.key)];
      for (let l = this.parent; l; l = l.parent) p.push(l.key);
      this.cached = p.reverse();
    }
    return this.cached;
  }
}

function keyOf(key: Pair | number): string | number {
  return typeof key === 'number' ? key : keyString(key) ?? '?';
}

/** Every string scalar value of the document, iteratively (deeply nested input must not blow the stack). */
function collectStrings(root: Node | null | undefined): StringValue[] {
  const out: StringValue[] = [];
  if (!root) return out;
  // Parallel stacks (node, its parent's path, what names it in the parent) rather than a tuple per node;
  // a path link is made only for a collection, and a key is read only when a path is asked for.
  const nodes: unknown[] = [root];
  const parents: (PathLink | undefined)[] = [undefined];
  const keys: (Pair | number | undefined)[] = [undefined];
  while (nodes.length) {
    const node = nodes.pop();
    const parent = parents.pop();
    const key = keys.pop();
    if (isScalar(node)) {
      if (typeof node.value === 'string' && node.range) out.push(new StringRef(node, node.value, [node.range[0], node.range[1]], parent, key));
      continue;
    }
    const map = isMap(node);
    if (!map && !isSeq(node)) continue; // aliases are skipped: their strings are reported where the anchor is
    const link: PathLink | undefined = key === undefined ? undefined : { key: keyOf(key), parent };
    const items = node.items;
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i];
      if (map) {
        if (!isPair(item) || !item.value) continue;
        nodes.push(item.value);
        keys.push(item as Pair);
      } else {
        if (!item) continue;
        nodes.push(item);
        keys.push(i);
      }
      parents.push(link);
    }
  }
  return out;
}

function build(doc: AnalyzedDocument): ManifestModel {
  const yaml = doc.parsed.doc;
  const contents = (yaml?.contents ?? null) as Node | null;
  const rootShape: Shape = contents ? shapeOf(contents) : 'missing';
  const top = mapModel(contents, undefined, yaml);
  const tasksEntry = top.get('tasks');
  const tasks: TaskModel[] = [];
  if (tasksEntry?.shape === 'mapping') {
    for (const e of mapModel(tasksEntry.value, tasksEntry, yaml).entries) tasks.push(taskModel(e, yaml));
  }
  return {
    doc,
    yaml,
    rootShape,
    top,
    platform: sectionOf(top, 'platform', yaml),
    docker: sectionOf(top, 'docker', yaml),
    singularity: sectionOf(top, 'singularity', yaml),
    tasksEntry,
    tasks,
    strings: rootShape === 'mapping' ? collectStrings(contents) : [],
    task(name) { return tasks.find((t) => t.name === name); },
  };
}

const cache = new WeakMap<AnalyzedDocument, ManifestModel>();

/** The manifest model of a document, built once per AnalyzedDocument. */
export function manifestModel(doc: AnalyzedDocument): ManifestModel {
  let m = cache.get(doc);
  if (!m) {
    m = build(doc);
    cache.set(doc, m);
  }
  return m;
}

/** The entry (key/value) at a key path, e.g. `['docker', 'image']`; for hover and code actions. */
export function entryAt(model: ManifestModel, path: readonly string[]): Entry | undefined {
  let map: MapModel = model.top;
  let found: Entry | undefined;
  for (const [i, key] of path.entries()) {
    found = map.get(key);
    if (!found) return undefined;
    if (i < path.length - 1) map = mapModel(found.value, found, model.yaml);
  }
  return found;
}

/**
 * The source span of the characters [start, end) of a string scalar's value. Exact for plain, single- and
 * double-quoted scalars on one line (escapes and `''` accounted for); any other scalar (block, folded,
 * multi-line) falls back to its whole span.
 */
export function spanInString(node: Scalar, text: string, start: number, end: number): Span {
  const r = node.range;
  if (!r) return [0, 0];
  const whole: Span = [r[0], r[1]];
  const value = typeof node.value === 'string' ? node.value : undefined;
  if (value === undefined || start < 0 || end > value.length || start > end) return whole;
  const src = text.slice(r[0], r[1]);
  if (src.includes('\n')) return whole;
  const map = valueToSource(node.type, src, value.length);
  const from = map?.[start], to = map?.[end];
  return from !== undefined && to !== undefined ? [r[0] + from, r[0] + to] : whole;
}

/**
 * For each index of the value, the offset in the source of the character that produced it, plus one
 * final entry: the offset just after the last character. Undefined when the source does not map cleanly.
 */
function valueToSource(type: Scalar['type'], src: string, length: number): number[] | undefined {
  const map: number[] = [];
  if (type === 'PLAIN') {
    if (src.length !== length) return undefined;
    for (let i = 0; i <= length; i++) map.push(i);
    return map;
  }
  if (src.length < 2) return undefined;
  if (type === 'QUOTE_SINGLE') {
    for (let i = 1; i < src.length - 1; i++) {
      map.push(i);
      if (src[i] === "'" && src[i + 1] === "'") i++;
    }
  } else if (type === 'QUOTE_DOUBLE') {
    for (let i = 1; i < src.length - 1; i++) {
      map.push(i);
      if (src[i] !== '\\') continue;
      const e = src[i + 1];
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      // A code point above U+FFFF is two UTF-16 units produced by one escape.
      if (hex === 8 && parseInt(src.slice(i + 2, i + 10), 16) > 0xffff) map.push(i);
      i += 1 + hex;
    }
  } else {
    return undefined;
  }
  if (map.length !== length) return undefined;
  map.push(src.length - 1);
  return map;
}

/**
 * `toJS` of a node (or of the whole document) without the library's console warnings (complex keys print
 * "Keys with collection values will be stringified"); undefined when the tree cannot be converted
 * (e.g. an alias bomb). The server must never write to the console for a user's file.
 */
export function quietToJS(yaml: Document.Parsed, node?: Node | null): unknown {
  const saved = yaml.options.logLevel;
  yaml.options.logLevel = 'error';
  try {
    return node ? node.toJS(yaml, { maxAliasCount: 100 }) : yaml.toJS({ maxAliasCount: 100 });
  } catch {
    return undefined;
  } finally {
    yaml.options.logLevel = saved;
  }
}
