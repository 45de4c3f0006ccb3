/**
 * Which split names each component outputs (docs/mlgym.md §2.4 "Split names"), and which splits the evaluation covers.
 * `undefined` means "cannot tell statically" (injected indices, sweeps, user components without declared
 * splits): checks against it are skipped rather than guessed.
 */
import type { Block, GsModel, Requirement } from './model';
import { isPlainObject } from './pyyaml';
import type { ComponentRegistry } from './registry';

export type Splits = Set<string> | undefined;

const hasSweep = (v: unknown): boolean => isPlainObject(v) && ('sweep' in v || 'injectable' in v);
const strs = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

export class SplitAnalysis {
  private readonly memo = new Map<string, Splits>();
  private readonly active = new Set<string>();

  constructor(private readonly model: GsModel, private readonly registry: ComponentRegistry) {}

  /** Splits a component outputs (before any subscription). */
  produced(name: string): Splits {
    if (this.memo.has(name)) return this.memo.get(name);
    if (this.active.has(name)) return undefined; // a cycle: reported elsewhere
    this.active.add(name);
    const result = this.compute(name);
    this.active.delete(name);
    this.memo.set(name, result);
    return result;
  }

  /** Whether the component's output is a dict of splits at all. */
  producesSplits(name: string): boolean {
    const b = this.model.byName.get(name);
    const spec = b?.type && b.variant ? this.registry.get(b.type, b.variant) : undefined;
    if (!spec) return false;
    return spec.produces !== 'none' || !!spec.producesSplits;
  }

  /** The splits a requirement passes on, after its subscription. */
  received(req: Requirement): Splits {
    if (!req.componentName) return undefined;
    const all = this.produced(req.componentName);
    const sub = req.subscription;
    if (sub === undefined || sub === null || sub === '' || (Array.isArray(sub) && sub.length === 0)) return all;
    const list = strs(sub);
    // A name the producer lacks is a KeyError (reported on the subscription); downstream stays unknown.
    if (list && list.length === (sub as unknown[]).length) return !all ? new Set(list) : list.every((s) => all.has(s)) ? new Set(list) : undefined;
    return undefined;
  }

  private input(block: Block, slot = 'iterators'): Splits {
    const req = block.requirements.find((r) => r.name === slot);
    return req ? this.received(req) : undefined;
  }

  private compute(name: string): Splits {
    const b = this.model.byName.get(name);
    if (!b?.type || !b.variant) return undefined;
    const spec = this.registry.get(b.type, b.variant);
    if (!spec) return undefined;
    if (spec.producesSplits) return new Set(spec.producesSplits);
    const c = b.config;
    switch (spec.produces) {
      case 'split-configs': {
        const items = c.split_configs;
        if (!Array.isArray(items)) return undefined;
        const out = new Set<string>();
        for (const it of items) {
          if (!isPlainObject(it) || typeof it.split !== 'string') return undefined;
          out.add(it.split);
        }
        return out;
      }
      case 'splitted': {
        // get_splitted_iterators splits only the splits it receives; a split_configs entry for any other
        // name is skipped, so its new splits do not exist ([M] data_handling/postprocessors/factory.py L164–169).
        const inp = this.input(b);
        const sc = c.split_configs;
        if (!inp || !isPlainObject(sc) || hasSweep(sc)) return undefined;
        const out = new Set(inp);
        for (const [src, v] of Object.entries(sc)) {
          if (!inp.has(src)) continue;
          if (!isPlainObject(v) || hasSweep(v)) return undefined;
          for (const k of Object.keys(v)) out.add(k);
        }
        return out;
      }
      case 'combined': {
        const cc = c.combine_configs;
        if (!Array.isArray(cc)) return undefined;
        const out = new Set<string>();
        for (const it of cc) { if (!isPlainObject(it) || typeof it.new_split !== 'string') return undefined; out.add(it.new_split); }
        return out;
      }
      case 'passthrough':
      case 'subscribed':
        return this.input(b);
      case 'applicable': {
        // The received splits filtered by applicable_splits; a name never received is skipped
        // ([M] blueprints/constructables.py L250, L266).
        const a = strs(c.applicable_splits);
        if (!a) return undefined;
        const inp = this.input(b);
        return new Set(inp ? a.filter((s) => inp.has(s)) : a);
      }
      case 'view': {
        const si = c.split_indices;
        if (!isPlainObject(si) || hasSweep(si)) return undefined;
        return new Set(Object.keys(si));
      }
      default:
        return undefined;
    }
  }

  /** Splits evaluated by an EVAL_COMPONENT: its `data_loaders` subscription. */
  evaluated(block: Block): Splits {
    const req = block.requirements.find((r) => r.name === 'data_loaders');
    if (!req) return undefined;
    if (typeof req.subscription === 'string') return new Set([req.subscription]);
    return this.received(req);
  }
}
