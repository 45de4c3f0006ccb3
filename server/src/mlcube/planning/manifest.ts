/**
 * The manifest as mlcube loads it (`OmegaConf.load`, i.e. PyYAML): plain JS plus the YAML key order (JS objects
 * put integer-like keys first, but mlcube numbers `/mlcube_ioN` in YAML order) and the Python type of keys.
 *
 * The text is read again with YAML 1.1 scalar rules, as PyYAML reads it: `yes`/`on` are booleans, `0755` is octal,
 * `1:30` is 90, `<<` merges. (The shared parse is YAML 1.2, right for editing but not for what mlcube sees.)
 */
import { isMap, isPair, isScalar, parseDocument, type Document, type Node, type ScalarTag, type YAMLMap } from 'yaml';
import type { ParsedYaml } from '../../yaml/parsedDocument';
import { keyString, walkMaps } from '../../yaml/parsedDocument';

export type KeyOrder = (path: readonly string[]) => string[] | undefined;
/** Python type names of the keys of the mapping at `path` that PyYAML does not read as `str` (`int`, `bool`, ...). */
export type KeyTypes = (path: readonly string[]) => Record<string, string>;

export type LoadedManifest =
  | { ok: true; value: Record<string, unknown>; keyOrder: KeyOrder; keyTypes: KeyTypes }
  | { ok: false; error: string };

/** PyYAML's booleans (its resolver knows no `y`/`n`, unlike the YAML 1.1 spec the `yaml` package follows). */
const pyBool = (value: boolean, test: RegExp): ScalarTag => ({
  tag: 'tag:yaml.org,2002:bool', default: true, test, identify: (v) => v === value, resolve: () => value,
  stringify: () => (value ? 'true' : 'false'),
});
const PY_BOOLS = [pyBool(true, /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/), pyBool(false, /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/)];

/**
 * OmegaConf's loader float resolver (omegaconf `get_yaml_loader`): PyYAML's, plus exponents without a dot.
 * The `yaml` package's YAML 1.1 floats are looser: they read a lone `.` (e.g. `build_context: .`) as NaN,
 * where mlcube sees the string ".".
 */
const OMEGACONF_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

function omegaConfFloat(text: string): number {
  const s = text.replace(/_/g, '');
  const sign = s.startsWith('-') ? -1 : 1;
  const body = s.replace(/^[-+]/, '');
  if (/^\.inf$/i.test(body)) return sign * Infinity;
  if (/^\.nan$/i.test(body)) return NaN;
  // Sexagesimal (`1:30.5` is 90.5), as PyYAML's construct_yaml_float.
  if (body.includes(':')) return sign * body.split(':').reduce((acc, part) => acc * 60 + parseFloat(part), 0);
  return sign * parseFloat(body);
}

const PY_FLOAT: ScalarTag = {
  tag: 'tag:yaml.org,2002:float', default: true, test: OMEGACONF_FLOAT, identify: (v) => typeof v === 'number' && !Number.isInteger(v),
  resolve: omegaConfFloat, stringify: ({ value }) => String(value),
};

function parsePyYaml(text: string): Document.Parsed {
  return parseDocument(text, {
    version: '1.1', uniqueKeys: false, strict: true, prettyErrors: false,
    customTags: (tags) => [
      ...tags.filter((t) => (t as ScalarTag).tag !== 'tag:yaml.org,2002:bool' && (t as ScalarTag).tag !== 'tag:yaml.org,2002:float'),
      ...PY_BOOLS, PY_FLOAT,
    ],
  });
}

function pyKeyType(key: unknown): string {
  const v = isScalar(key) ? key.value : key;
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  return v instanceof Date ? 'datetime' : 'object';
}

export function loadManifest(parsed: ParsedYaml): LoadedManifest {
  if (parsed.docs.length > 1) return { ok: false, error: 'ComposerError: expected a single document in the stream, but found another document (mlcube cannot load this file).' };
  if (!parsed.doc) return { ok: false, error: 'ConfigAttributeError: Missing key tasks (the manifest is empty).' };
  if (parsed.doc.errors.length) return { ok: false, error: `mlcube cannot load this file: ${parsed.doc.errors[0]?.message}` };
  const doc = parsePyYaml(parsed.text);
  if (doc.errors.length) return { ok: false, error: `mlcube cannot load this file: ${doc.errors[0]?.message}` };
  let dup: string | undefined;
  walkMaps(doc.contents, (map, path) => {
    if (dup) return;
    const seen = new Set<string>();
    for (const item of map.items) {
      const k = isPair(item) ? keyString(item) : undefined;
      if (k === undefined) continue;
      if (seen.has(k)) { dup = `ConstructorError: found duplicate key "${k}"${path.length ? ` in ${path.join('.')}` : ''} (mlcube cannot load this file).`; return; }
      seen.add(k);
    }
  });
  if (dup) return { ok: false, error: dup };
  const value: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (value === null || value === undefined) return { ok: false, error: 'ConfigAttributeError: Missing key tasks (the manifest is empty).' };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'mlcube cannot load this file: its top level is not a mapping.' };
  const contents = doc.contents;
  const mapAt = (path: readonly string[]): YAMLMap<Node, Node | null> | undefined => {
    let node: unknown = contents;
    for (const key of path) {
      if (!isMap(node)) return undefined;
      const pair = (node as YAMLMap<Node, Node | null>).items.find((it) => isPair(it) && keyString(it) === key);
      if (!pair) return undefined;
      node = pair.value;
    }
    return isMap(node) ? (node as YAMLMap<Node, Node | null>) : undefined;
  };
  const keyOrder: KeyOrder = (path) => mapAt(path)?.items.map((it) => (isPair(it) ? keyString(it) : undefined)).filter((k): k is string => k !== undefined);
  const keyTypes: KeyTypes = (path) => {
    const out: Record<string, string> = {};
    for (const it of mapAt(path)?.items ?? []) {
      const k = isPair(it) ? keyString(it) : undefined;
      const t = isPair(it) ? pyKeyType(it.key) : 'str';
      if (k !== undefined && t !== 'str') out[k] = t;
    }
    return out;
  };
  return { ok: true, value: value as Record<string, unknown>, keyOrder, keyTypes };
}

/** The entries of `obj` in YAML order (keys the YAML lacks, e.g. added by `-P`, come last in JS order). */
export function orderedEntries(obj: Record<string, unknown>, order: string[] | undefined): [string, unknown][] {
  const keys = Object.keys(obj);
  if (!order) return keys.map((k) => [k, obj[k]]);
  const first = order.filter((k, i) => order.indexOf(k) === i && Object.prototype.hasOwnProperty.call(obj, k));
  const rest = keys.filter((k) => !first.includes(k));
  return [...first, ...rest].map((k) => [k, obj[k]]);
}
