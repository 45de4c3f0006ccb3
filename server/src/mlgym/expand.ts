/**
 * MLgym's grid-search expansion (docs/mlgym.md §2.2; [M] src/ml_gym/util/grid_search.py `_split_config`), exactly:
 * - a dict is the cartesian product (itertools.product) of its children, in key order, first key slowest;
 * - a child dict containing `sweep` is a sweep node: its alternatives are `values`, each dict alternative
 *   expanded recursively (nested sweeps), each other alternative taken as is;
 * - lists are leaves: a `sweep` inside a list is never expanded.
 * Experiment ids are indices into that product. Counting and picking the i-th experiment are done by
 * mixed-radix arithmetic, so a 10,000,000-experiment grid is never materialised.
 */
import { isPlainObject } from './pyyaml';

export class ExpansionError extends Error {}

type Dict = Record<string, unknown>;

function isSweep(v: unknown): v is Dict { return isPlainObject(v) && 'sweep' in v; }

/** The alternatives MLgym iterates for a sweep node, or an error saying what MLgym raises. */
function alternatives(node: Dict): unknown[] {
  if (node.sweep !== 'absolute') throw new ExpansionError(`sweep: ${JSON.stringify(node.sweep)} is not implemented in MLgym (NotImplementedError); only "absolute" is.`);
  if (!('values' in node)) throw new ExpansionError('a sweep node without `values` makes MLgym raise KeyError: \'values\'.');
  const values = node.values;
  // Python iterates whatever `values` is: a list, the characters of a string, the keys of a dict.
  if (Array.isArray(values)) return values;
  if (typeof values === 'string') return [...values];
  if (isPlainObject(values)) return Object.keys(values);
  throw new ExpansionError(`\`values\` is ${values === null ? 'null' : typeof values}; MLgym cannot iterate it (TypeError).`);
}

/** Counts per node, cached by identity so that picking experiments is O(depth × width), not O(grid). */
class Counter {
  private readonly cache = new WeakMap<object, number>();

  dict(node: Dict): number {
    const hit = this.cache.get(node);
    if (hit !== undefined) return hit;
    let n = 1;
    for (const child of Object.values(node)) n *= this.child(child);
    this.cache.set(node, n);
    return n;
  }

  child(child: unknown): number {
    if (isSweep(child)) return this.sweep(child);
    if (isPlainObject(child)) return this.dict(child);
    return 1;
  }

  sweep(node: Dict): number {
    const hit = this.cache.get(node);
    if (hit !== undefined) return hit;
    let n = 0;
    for (const alt of alternatives(node)) n += isPlainObject(alt) ? this.dict(alt) : 1;
    this.cache.set(node, n);
    return n;
  }
}

export class GridExpansion {
  private readonly counter = new Counter();
  readonly count: number;

  /** `root` is the PyYAML reading of the file with `global_config` and `model_info` already removed. */
  constructor(readonly root: Dict) {
    this.count = this.counter.dict(root);
  }

  /** The experiment with the given id (0-based index into the product). */
  experiment(id: number): Dict {
    if (!Number.isInteger(id) || id < 0 || id >= this.count) throw new RangeError(`experiment id ${id} outside 0..${this.count - 1}`);
    return this.pickDict(this.root, id);
  }

  /** Experiments offset .. offset+limit-1 (clamped to the grid). */
  page(offset: number, limit: number): { id: number; config: Dict }[] {
    const out: { id: number; config: Dict }[] = [];
    const end = Math.min(this.count, offset + Math.max(0, limit));
    for (let id = Math.max(0, offset); id < end; id++) out.push({ id, config: this.experiment(id) });
    return out;
  }

  private pickDict(node: Dict, index: number): Dict {
    const keys = Object.keys(node);
    const counts = keys.map((k) => this.counter.child(node[k]));
    const digits: number[] = [];
    let rest = index;
    // The last key varies fastest (itertools.product).
    for (const count of [...counts].reverse()) {
      digits.unshift(rest % count);
      rest = Math.floor(rest / count);
    }
    const out: Dict = {};
    keys.forEach((k, i) => { out[k] = this.pickChild(node[k], digits[i]!); }); // one digit per key
    return out;
  }

  private pickChild(child: unknown, index: number): unknown {
    if (isSweep(child)) {
      let rest = index;
      for (const alt of alternatives(child)) {
        const n = isPlainObject(alt) ? this.counter.dict(alt) : 1;
        if (rest < n) return isPlainObject(alt) ? this.pickDict(alt, rest) : clone(alt);
        rest -= n;
      }
      throw new RangeError('index outside the sweep');
    }
    if (isPlainObject(child)) return this.pickDict(child, index);
    return clone(child);
  }
}

/** A copy of a leaf value; shared sub-values (YAML aliases) stay shared in the copy. */
function clone(v: unknown, seen = new Map<object, unknown>()): unknown {
  if (v === null || typeof v !== 'object') return v;
  const hit = seen.get(v);
  if (hit !== undefined) return hit;
  if (Array.isArray(v)) { const a: unknown[] = []; seen.set(v, a); for (const x of v) a.push(clone(x, seen)); return a; }
  if (isPlainObject(v)) { const o: Dict = {}; seen.set(v, o); for (const [k, x] of Object.entries(v)) o[k] = clone(x, seen); return o; }
  return v;
}

/** The config MLgym expands: the file's reading without the reserved keys YAMLConfigLoader pops. */
export function expandableRoot(py: unknown): Dict {
  if (!isPlainObject(py)) return {};
  const out: Dict = {};
  for (const [k, v] of Object.entries(py)) if (k !== 'global_config' && k !== 'model_info') out[k] = v;
  return out;
}

/** Number of alternatives of one sweep node (recursively expanded), or undefined when MLgym would raise. */
export function sweepSize(node: unknown): number | undefined {
  if (!isSweep(node)) return undefined;
  try { return new Counter().sweep(node); } catch { return undefined; }
}

/** Paths (key lists) of the values that differ between experiments: the sweep nodes outside lists. */
export function varyingPaths(root: Dict): string[][] {
  const out: string[][] = [];
  const walk = (node: Dict, path: string[]) => {
    for (const [k, v] of Object.entries(node)) {
      if (isSweep(v)) out.push([...path, k]);
      else if (isPlainObject(v)) walk(v, [...path, k]);
    }
  };
  walk(root, []);
  return out;
}
