/**
 * Plain JSON copies of PyYAML readings within a budget. YAML aliases share values: a chain of 20 lists that
 * each name the previous one twice is a few lines of text, a tree of a million leaves once written out as
 * JSON (18.9 M characters for one experiment of a grid), and 40 levels never finish. What goes on the wire is
 * copied through one budget per answer: past it, values become null and `truncated` says so.
 */
import { MAX_JSON_VALUES } from './storedConfig';
import { PyDate } from './pyyaml';

/** Characters of strings written out at most per answer (a long string an alias repeats counts each time). */
export const MAX_JSON_CHARS = 4_000_000;

export class JsonBudget {
  truncated = false;
  private values = MAX_JSON_VALUES;
  private chars = MAX_JSON_CHARS;

  /** `v` as plain JSON (NaN and infinities as Python's json.dumps writes them, dates as written), within the budget. */
  copy(v: unknown, depth = 0): unknown {
    if (--this.values < 0 || depth > 200) { this.truncated = true; return null; }
    if (v === null || v === undefined) return null;
    if (typeof v === 'number') return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' || v instanceof PyDate) {
      const s = typeof v === 'string' ? v : v.text;
      if ((this.chars -= s.length) < 0) { this.truncated = true; return null; }
      return s;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const x of v) out.push(this.copy(x, depth + 1));
      return out;
    }
    if (typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if ((this.chars -= k.length) < 0) { this.truncated = true; break; }
        out[k] = this.copy(x, depth + 1);
      }
      return out;
    }
    return String(v);
  }

  /**
   * `copy(v)`, except that the values at the `pinned` key paths (through dicts) were copied beforehand and are
   * taken as they are: what matters most gets the budget first, and the copy keeps `v`'s key order.
   */
  copyPinned(v: unknown, pinned: ReadonlyMap<string, unknown>): unknown {
    const prefixes = new Set<string>();
    for (const key of pinned.keys()) {
      const parts = key.split('\u0000');
      for (let i = 0; i < parts.length; i++) prefixes.add(parts.slice(0, i).join('\u0000'));
    }
    const walk = (x: unknown, path: string[]): unknown => {
      const key = path.join('\u0000');
      if (path.length && pinned.has(key)) return pinned.get(key);
      if (!prefixes.has(key) || !x || typeof x !== 'object' || Array.isArray(x) || x instanceof PyDate) return this.copy(x, path.length);
      // The dicts on the way to a pinned value are kept whatever is left of the budget (their keys are the
      // file's own, a few per page), so that the pinned values stay where they belong.
      const out: Record<string, unknown> = {};
      for (const [k, y] of Object.entries(x)) out[k] = walk(y, [...path, k]);
      return out;
    };
    return walk(v, []);
  }
}

/** The value at a key path through dicts, or undefined. */
export function valueAtPath(v: unknown, path: readonly string[]): unknown {
  let cur = v;
  for (const k of path) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, k)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}
