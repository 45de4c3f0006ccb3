/**
 * Parameters files (`parameters.yaml`): a flat mapping the task's container reads with PyYAML, that is YAML
 * 1.1. Read keeping floats (`2.0` stays a float) and written so that PyYAML reads back exactly the values
 * given: strings that YAML 1.1 would read as something else are quoted (`yes`, `100`, `2024-01-01`, `1_000`),
 * floats always have a dot (`1.0e-07`, not `1e-7`, which PyYAML reads as a string). Writing into an existing
 * file changes only the values given: comments, order and other keys stay.
 */
import YAML, { Scalar, isMap, isScalar, type Document, type ScalarTag } from 'yaml';
import { PyFloat, yaml11FloatText } from './pyValues';

const FLOAT_SOURCE = /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/;

/** YAML 1.1's float, written the PyYAML-safe way; whole floats are PyFloat values. */
const pyFloatTag: ScalarTag = {
  identify: (v) => v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v)),
  default: true,
  tag: 'tag:yaml.org,2002:float',
  test: /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?$/,
  resolve: (s: string) => parseFloat(s.replace(/_/g, '')),
  stringify: (item) => {
    const v = (item as Scalar).value;
    return yaml11FloatText(v instanceof PyFloat ? v.value : Number(v));
  },
};

const options = { version: '1.1' as const, customTags: (tags: YAML.Tags) => [pyFloatTag, ...tags], uniqueKeys: false, maxAliasCount: 100 };

export type ParamsRead =
  | { ok: true; values: Record<string, unknown>; doc: Document }
  | { ok: false; error: string };

/** A node's value with whole floats as PyFloat (nested mappings and lists as plain JS, floats kept). */
function valueOf(node: unknown): unknown {
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'number' && Number.isInteger(v) && typeof node.source === 'string' && FLOAT_SOURCE.test(node.source)) return new PyFloat(v);
    return v;
  }
  if (isMap(node)) {
    const o: Record<string, unknown> = {};
    for (const p of node.items) {
      const k = isScalar(p.key) ? String(p.key.value) : String(p.key);
      Object.defineProperty(o, k, { value: valueOf(p.value), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
  if (node && typeof node === 'object' && 'items' in node && Array.isArray((node as { items: unknown[] }).items)) {
    return (node as { items: unknown[] }).items.map(valueOf);
  }
  return node ?? null;
}

/** Reads a parameters file: a mapping (an empty file is an empty mapping). */
export function readParameters(text: string): ParamsRead {
  const doc = YAML.parseDocument(text, { ...options, keepSourceTokens: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const at = e?.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    return { ok: false, error: `${e?.message.split('\n')[0] ?? 'not YAML'}${at}` };
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return { ok: true, values: {}, doc };
  if (!isMap(doc.contents)) return { ok: false, error: 'a parameters file must be a mapping of names to values' };
  return { ok: true, values: valueOf(doc.contents) as Record<string, unknown>, doc };
}

/** A scalar node for a value, float-ness kept (PyFloat or a fraction: a float; an integer: an int). */
function nodeFor(doc: Document, v: unknown): unknown {
  if (v instanceof PyFloat) { const s = new Scalar(v); return s; }
  return doc.createNode(v);
}

/**
 * The text of a parameters file holding `values`: written into `existing` (comments, order and other keys
 * kept) when it is a mapping, else a new file in the order of `values`.
 */
export function writeParameters(values: Record<string, unknown>, existing?: string): string {
  let doc: Document | undefined;
  if (existing !== undefined) {
    const d = YAML.parseDocument(existing, options);
    if (!d.errors.length && (isMap(d.contents) || d.contents === null)) doc = d;
  }
  if (!doc) doc = new YAML.Document({}, options);
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as typeof doc.contents;
  for (const [k, v] of Object.entries(values)) {
    const current = doc.get(k, true);
    if (isScalar(current) && current.value === v && !(v instanceof PyFloat)) continue; // unchanged: its spelling stays
    if (isScalar(current) && (v === null || ['string', 'number', 'boolean'].includes(typeof v) || v instanceof PyFloat)) {
      // The node stays (and with it a comment on its line); its value and how it is written change.
      current.value = v;
      for (const f of ['tag', 'format', 'minFractionDigits', 'source'] as const) delete (current as unknown as Record<string, unknown>)[f];
      if (typeof v !== 'string') current.type = 'PLAIN';
      continue;
    }
    doc.set(k, nodeFor(doc, v));
  }
  return doc.toString({ lineWidth: 0 });
}
