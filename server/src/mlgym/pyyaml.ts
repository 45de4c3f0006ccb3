/**
 * What PyYAML's `safe_load` (YAML 1.1) makes of a document, from the eemeli/yaml AST (parsed as YAML 1.2).
 * MLgym loads every file this way, so `1e-4` is the string "1e-4", `yes`/`on` are true, `010` is 8 and
 * `2024-02-14` is a date. The grid-search expansion and every value check use these readings.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, visit, type Alias, type Document, type Node, type Scalar } from 'yaml';

// PyYAML's implicit resolvers (resolver.py), in the order it tries them.
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP = /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
/** A YAML 1.2 number that PyYAML does not read as a number (no dot, or an unsigned exponent). */
const YAML12_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/** A PyYAML date or timestamp: kept as its text, marked so that checks can tell it from a string. */
export class PyDate {
  constructor(readonly text: string) {}
  toJSON(): string { return this.text; }
}

function sexagesimal(text: string, parse: (s: string) => number): number {
  let sign = 1;
  let t = text;
  if (t[0] === '-' || t[0] === '+') { if (t[0] === '-') sign = -1; t = t.slice(1); }
  let value = 0;
  for (const part of t.split(':')) value = value * 60 + parse(part);
  return sign * value;
}

/** PyYAML's value for a plain (unquoted) scalar's text. */
export function resolvePlain(source: string): unknown {
  const s = source;
  if (NULL.test(s)) return null;
  if (BOOL.test(s)) return /^(?:yes|true|on)$/i.test(s);
  if (INT.test(s)) {
    const t = s.replace(/_/g, '');
    const neg = t.startsWith('-');
    const u = t.replace(/^[-+]/, '');
    let v: number;
    if (u.includes(':')) return sexagesimal(t, (p) => parseInt(p, 10));
    if (u.startsWith('0b')) v = parseInt(u.slice(2), 2);
    else if (u.startsWith('0x')) v = parseInt(u.slice(2), 16);
    else if (u.length > 1 && u.startsWith('0')) v = parseInt(u, 8);
    else v = parseInt(u, 10);
    return neg ? -v : v;
  }
  if (FLOAT.test(s)) {
    const t = s.replace(/_/g, '').toLowerCase();
    if (t.endsWith('.inf')) return t.startsWith('-') ? -Infinity : Infinity;
    if (t.endsWith('.nan')) return NaN;
    if (t.includes(':')) return sexagesimal(t, (p) => parseFloat(p));
    return parseFloat(t);
  }
  if (TIMESTAMP.test(s)) return new PyDate(s);
  return s;
}

/** Why PyYAML reads a plain scalar differently from what its author most likely meant, or undefined. */
export function yaml11Surprise(source: string): { kind: 'string-float' | 'boolean' | 'octal' | 'date'; value: unknown } | undefined {
  const v = resolvePlain(source);
  if (typeof v === 'string' && YAML12_FLOAT.test(source) && /[eE]/.test(source)) return { kind: 'string-float', value: v };
  if (typeof v === 'boolean' && !/^(?:true|false)$/i.test(source)) return { kind: 'boolean', value: v };
  if (typeof v === 'number' && /^[-+]?0[0-7_]+$/.test(source) && source.replace(/^[-+]/, '') !== '0') return { kind: 'octal', value: v };
  if (v instanceof PyDate) return { kind: 'date', value: v };
  return undefined;
}

/** A scalar's PyYAML value: plain scalars through the YAML 1.1 resolvers, quoted and block scalars as strings. */
export function scalarValue(node: Scalar): unknown {
  if (node.type === 'PLAIN' && !node.tag) return resolvePlain(typeof node.source === 'string' ? node.source : String(node.value ?? ''));
  if (node.tag === 'tag:yaml.org,2002:str') return String(node.value ?? '');
  if (node.type && node.type !== 'PLAIN') return String(node.value ?? '');
  return node.value;
}

/** Anchored nodes of a document by anchor name, in document order (built once per document). */
const anchorIndex = new WeakMap<object, Map<string, { start: number; node: Node }[]>>();

/**
 * The node an alias names: the last node with that anchor before the alias, as PyYAML reads it.
 * (yaml's own Alias.resolve walks the whole document on every call, quadratic on alias-heavy files.)
 */
export function resolveAlias(alias: Alias, doc: Document.Parsed): Node | undefined {
  let index = anchorIndex.get(doc);
  if (!index) {
    const built = new Map<string, { start: number; node: Node }[]>();
    visit(doc, {
      Node(_key, node) {
        const n = node as Node & { anchor?: string };
        if (n.anchor && !isAlias(n)) {
          const list = built.get(n.anchor) ?? [];
          list.push({ start: n.range?.[0] ?? 0, node: n });
          built.set(n.anchor, list);
        }
      },
    });
    anchorIndex.set(doc, built);
    index = built;
  }
  const at = alias.range?.[0] ?? Infinity;
  let found: Node | undefined;
  for (const e of index.get(alias.source) ?? []) if (e.start < at) found = e.node;
  return found;
}

/**
 * Collections already read, by node: an alias yields the very same object, as in PyYAML, so that
 * "billion laughs" documents stay linear in size instead of being copied out exponentially.
 */
const collections = new WeakMap<object, unknown>();

/** The PyYAML reading of a node (aliases resolved, `<<` merges applied, mappings as ordered objects). */
export function toPy(node: unknown, doc: Document.Parsed | undefined, depth = 0): unknown {
  if (depth > 200) return null; // alias loops: PyYAML would recurse forever, we stop
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return doc ? toPy(resolveAlias(node, doc), doc, depth + 1) : null;
  if (isScalar(node)) return scalarValue(node);
  if (typeof node === 'object' && collections.has(node)) return collections.get(node);
  const v = collectionToPy(node, doc, depth);
  if (typeof node === 'object') collections.set(node, v);
  return v;
}

function collectionToPy(node: unknown, doc: Document.Parsed | undefined, depth: number): unknown {
  if (isSeq(node)) return node.items.map((it) => toPy(it, doc, depth + 1));
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const merges: unknown[] = [];
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const k = item.key as Node | null;
      if (isScalar(k) && k.type === 'PLAIN' && k.source === '<<') { merges.push(toPy(item.value, doc, depth + 1)); continue; }
      const key = pyKey(toPy(k, doc, depth + 1));
      out[key] = toPy(item.value, doc, depth + 1);
    }
    if (merges.length) {
      const merged: Record<string, unknown> = {};
      for (const m of merges.flatMap((x) => (Array.isArray(x) ? x : [x]))) {
        if (m && typeof m === 'object' && !Array.isArray(m)) for (const [k, v] of Object.entries(m)) if (!(k in merged)) merged[k] = v;
      }
      return { ...merged, ...out };
    }
    return out;
  }
  return null;
}

/** Python dict keys become JSON object keys the way `json.dumps` writes them. */
function pyKey(k: unknown): string {
  if (k === null) return 'null';
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (k instanceof PyDate) return k.text;
  return String(k);
}

/** The PyYAML type name of a value, for messages. */
export function pyTypeName(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyDate) return 'date';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyDate);
}
