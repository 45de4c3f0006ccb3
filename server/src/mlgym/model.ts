/**
 * The shape of an MLgym grid-search config read off the YAML AST, with source positions kept:
 * its reserved keys and component blocks, each block's type/variant pair, requirements and config.
 * Every feature (checks, completion, hover, definition, outline) works from this one reading.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { keyString, type ParsedYaml } from '../yaml/parsedDocument';
import { resolveAlias, toPy } from './pyyaml';

export type AnyPair = Pair<Node, Node | null>;

export interface Requirement {
  node: Node;
  map?: YAMLMap<Node, Node | null>;
  namePair?: AnyPair;
  name?: string;
  componentPair?: AnyPair;
  componentName?: string;
  subscriptionPair?: AnyPair;
  subscription: unknown;
}

export interface Block {
  name: string;
  pair: AnyPair;
  keyNode: Node;
  map?: YAMLMap<Node, Node | null>;
  typePair?: AnyPair;
  type?: string;
  variantPair?: AnyPair;
  variant?: string;
  requirementsPair?: AnyPair;
  requirements: Requirement[];
  configPair?: AnyPair;
  configMap?: YAMLMap<Node, Node | null>;
  /** PyYAML reading of `config` (aliases resolved). */
  config: Record<string, unknown>;
}

export interface GsModel {
  doc: Document.Parsed | undefined;
  root?: YAMLMap<Node, Node | null>;
  blocks: Block[];
  byName: Map<string, Block>;
  globalConfig?: AnyPair;
  modelInfo?: AnyPair;
}

/** Follows aliases to the node they name. */
export function deref(node: unknown, doc: Document.Parsed | undefined): Node | null {
  let n = node as Node | null;
  for (let i = 0; i < 20 && n && isAlias(n); i++) n = doc ? resolveAlias(n, doc) ?? null : null;
  return n ?? null;
}

export function pairsOf(map: unknown): AnyPair[] {
  return isMap(map) ? (map.items.filter((p) => isPair(p)) as AnyPair[]) : [];
}

export function findPair(map: unknown, key: string): AnyPair | undefined {
  return pairsOf(map).find((p) => keyString(p) === key);
}

export function spanOf(node: unknown): [number, number] {
  const r = (node as Node | null)?.range;
  return r ? [r[0], r[1]] : [0, 0];
}

/** The range of a pair's key (where most diagnostics about the pair go). */
export function keySpan(pair: AnyPair): [number, number] { return spanOf(pair.key); }
/** The range of a pair's value, or of its key when the value is empty. */
export function valueSpan(pair: AnyPair): [number, number] { return pair.value && (pair.value as Node).range ? spanOf(pair.value) : keySpan(pair); }

export function asMap(node: unknown, doc: Document.Parsed | undefined): YAMLMap<Node, Node | null> | undefined {
  const n = deref(node, doc);
  return isMap(n) ? (n as YAMLMap<Node, Node | null>) : undefined;
}

export function asSeq(node: unknown, doc: Document.Parsed | undefined): YAMLSeq<Node> | undefined {
  const n = deref(node, doc);
  return isSeq(n) ? (n as YAMLSeq<Node>) : undefined;
}

export function str(node: unknown, doc: Document.Parsed | undefined): string | undefined {
  const v = toPy(node, doc);
  return typeof v === 'string' ? v : undefined;
}

export function readModel(parsed: ParsedYaml): GsModel {
  const doc = parsed.doc;
  const model: GsModel = { doc, blocks: [], byName: new Map() };
  const root = doc?.contents;
  if (!isMap(root)) return model;
  model.root = root as YAMLMap<Node, Node | null>;
  for (const pair of pairsOf(root)) {
    const name = keyString(pair);
    if (name === undefined) continue;
    if (name === 'global_config') { model.globalConfig = pair; continue; }
    if (name === 'model_info') { model.modelInfo = pair; continue; }
    const map = asMap(pair.value, doc);
    const block: Block = { name, pair, keyNode: pair.key as Node, map, requirements: [], config: {} };
    if (map) {
      block.typePair = findPair(map, 'component_type_key');
      block.type = block.typePair ? str(block.typePair.value, doc) : undefined;
      block.variantPair = findPair(map, 'variant_key');
      block.variant = block.variantPair ? str(block.variantPair.value, doc) : undefined;
      block.requirementsPair = findPair(map, 'requirements');
      const reqs = block.requirementsPair ? asSeq(block.requirementsPair.value, doc) : undefined;
      for (const item of reqs?.items ?? []) {
        const rmap = asMap(item, doc);
        const req: Requirement = { node: item, map: rmap, subscription: undefined };
        if (rmap) {
          req.namePair = findPair(rmap, 'name');
          req.name = req.namePair ? str(req.namePair.value, doc) : undefined;
          req.componentPair = findPair(rmap, 'component_name');
          req.componentName = req.componentPair ? str(req.componentPair.value, doc) : undefined;
          req.subscriptionPair = findPair(rmap, 'subscription');
          req.subscription = req.subscriptionPair ? toPy(req.subscriptionPair.value, doc) : undefined;
        }
        block.requirements.push(req);
      }
      block.configPair = findPair(map, 'config');
      block.configMap = block.configPair ? asMap(block.configPair.value, doc) : undefined;
      const cfg = block.configPair ? toPy(block.configPair.value, doc) : {};
      block.config = cfg && typeof cfg === 'object' && !Array.isArray(cfg) ? (cfg as Record<string, unknown>) : {};
    }
    model.blocks.push(block);
    if (!model.byName.has(name)) model.byName.set(name, block);
  }
  return model;
}

/** Path of keys / indices from the root to the innermost node containing `offset`, with the nodes met. */
export interface PathStep { key: string | number; pair?: AnyPair; node: Node | null }

export function pathAt(root: unknown, offset: number, doc: Document.Parsed | undefined): PathStep[] {
  const steps: PathStep[] = [];
  let node = deref(root, doc);
  for (let guard = 0; guard < 100 && node; guard++) {
    if (isMap(node)) {
      const pair = (node.items as AnyPair[]).find((p) => isPair(p) && within(p, offset));
      if (!pair) break;
      steps.push({ key: keyString(pair) ?? '?', pair, node: pair.value });
      const v = pair.value as Node | null;
      if (!v || !v.range || offset < v.range[0]) break;
      node = isAlias(v) ? null : v;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((it) => { const r = (it as Node | null)?.range; return !!r && offset >= r[0] && offset <= r[1]; });
      if (i < 0) break;
      steps.push({ key: i, node: node.items[i] as Node });
      node = node.items[i] as Node;
    } else break;
  }
  return steps;
}

function within(pair: AnyPair, offset: number): boolean {
  const k = (pair.key as Node | null)?.range;
  const v = (pair.value as Node | null)?.range;
  const start = k?.[0] ?? v?.[0];
  const end = v?.[1] ?? k?.[1];
  return start !== undefined && end !== undefined && offset >= start && offset <= end;
}

/** True when `offset` lies in a scalar or key node. */
export function scalarAt(steps: PathStep[], offset: number): { node: Node; isKey: boolean } | undefined {
  const last = steps[steps.length - 1];
  if (!last) return undefined;
  const k = last.pair?.key as Node | undefined;
  if (k?.range && offset >= k.range[0] && offset <= k.range[1]) return { node: k, isKey: true };
  if (last.node && isScalar(last.node) && last.node.range && offset >= last.node.range[0] && offset <= last.node.range[1]) return { node: last.node, isKey: false };
  return undefined;
}
