/**
 * The pipeline graph of an experiment (docs/mlgym.md §4 `pipeline_details`) as a DAG: one node per
 * component of experiment_config, one edge per requirement (required → requiring). MLgym nests a dependent
 * under every component it requires, duplicating subtrees; here each component appears once. Laid out in
 * layers, left to right (a component's layer is one more than its deepest requirement), with a few
 * barycenter sweeps to reduce crossings. Pure: no Node or DOM APIs, so the export and the webview draw the
 * very same coordinates.
 */
import type { PipelineEdge, PipelineGraph, PipelineNode } from '../../../shared/webview-protocol/modelCard';

export const NODE_HEIGHT = 40;
const GAP_X = 56;
const GAP_Y = 12;
const MARGIN = 8;
/** Text width estimate at the 12px UI font: the layout runs without a DOM to measure in. */
const CHAR_WIDTH = 7;
const MAX_WIDTH = 280;

/** Shortens a label to what fits in a node of this width (ellipsis at the end). */
export function fitText(text: string, width: number): string {
  const max = Math.max(4, Math.floor((width - 16) / CHAR_WIDTH));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

interface Requirement { name: string; component: string; subscription: string | null }
interface Component { id: string; type: string; variant: string; requires: Requirement[] }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function subscriptionText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(String).join(', ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The components of an expanded experiment config, in config order: entries with a `component_type_key`. */
export function componentsOf(config: Record<string, unknown>): Component[] {
  const out: Component[] = [];
  for (const [id, v] of Object.entries(config)) {
    if (!isRecord(v) || typeof v.component_type_key !== 'string') continue;
    const requires: Requirement[] = [];
    if (Array.isArray(v.requirements)) {
      for (const r of v.requirements) {
        if (!isRecord(r) || typeof r.component_name !== 'string') continue;
        requires.push({ name: typeof r.name === 'string' ? r.name : r.component_name, component: r.component_name, subscription: subscriptionText(r.subscription) });
      }
    }
    out.push({ id, type: v.component_type_key, variant: typeof v.variant_key === 'string' ? v.variant_key : '', requires });
  }
  return out;
}

const round = (n: number) => Math.round(n * 10) / 10;

export function buildPipelineGraph(config: Record<string, unknown>): PipelineGraph {
  const components = componentsOf(config);
  const byId = new Map(components.map((c) => [c.id, c]));
  // A requirement on a component the config lacks still gets a node, flagged, so the gap is visible.
  for (const c of [...components]) {
    for (const r of c.requires) {
      if (!byId.has(r.component)) {
        const missing: Component = { id: r.component, type: '', variant: '', requires: [] };
        byId.set(r.component, missing);
        components.push(missing);
      }
    }
  }
  const missingIds = new Set(components.filter((c) => c.type === '').map((c) => c.id));

  // Layers by longest path from the roots; an edge back into the DFS stack closes a cycle and is ignored.
  const layer = new Map<string, number>();
  const onStack = new Set<string>();
  const cycleEdges = new Set<string>();
  const edgeKey = (from: string, to: string, name: string) => `${from}\u0000${to}\u0000${name}`;
  const depth = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    onStack.add(id);
    let d = 0;
    for (const r of byId.get(id)?.requires ?? []) {
      if (onStack.has(r.component)) { cycleEdges.add(edgeKey(r.component, id, r.name)); continue; }
      d = Math.max(d, depth(r.component) + 1);
    }
    onStack.delete(id);
    layer.set(id, d);
    return d;
  };
  for (const c of components) depth(c.id);

  const layerCount = components.length ? Math.max(...components.map((c) => layer.get(c.id) ?? 0)) + 1 : 0;
  const columns: string[][] = Array.from({ length: layerCount }, () => []);
  for (const c of components) columns[layer.get(c.id) ?? 0].push(c.id);

  const edgesRaw = components.flatMap((c) => c.requires.map((r) => ({ from: r.component, to: c.id, name: r.name, subscription: r.subscription })));
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const e of edgesRaw) {
    if (cycleEdges.has(edgeKey(e.from, e.to, e.name))) continue;
    (preds.get(e.to) ?? preds.set(e.to, []).get(e.to)!).push(e.from);
    (succs.get(e.from) ?? succs.set(e.from, []).get(e.from)!).push(e.to);
  }
  orderColumns(columns, preds, succs);

  // Wide enough for the longest name, within bounds; longer labels are shortened by fitText (full text in a tooltip).
  const width = Math.min(MAX_WIDTH, Math.max(150, ...components.map((c) => Math.max(c.id.length, `${c.type} · ${c.variant}`.length) * CHAR_WIDTH + 20)));
  const tallest = Math.max(0, ...columns.map((col) => col.length));
  const height = tallest ? MARGIN * 2 + tallest * NODE_HEIGHT + (tallest - 1) * GAP_Y : 0;
  const nodes: PipelineNode[] = [];
  const at = new Map<string, PipelineNode>();
  columns.forEach((col, li) => {
    const colHeight = col.length * NODE_HEIGHT + Math.max(0, col.length - 1) * GAP_Y;
    const top = (height - colHeight) / 2;
    col.forEach((id, i) => {
      const c = byId.get(id)!;
      const n: PipelineNode = {
        id, type: c.type, variant: c.variant, layer: li, x: round(MARGIN + li * (width + GAP_X)), y: round(top + i * (NODE_HEIGHT + GAP_Y)),
        width, height: NODE_HEIGHT, missing: missingIds.has(id),
      };
      nodes.push(n);
      at.set(id, n);
    });
  });

  const edges: PipelineEdge[] = edgesRaw.map((e) => {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    return { ...e, cycle: cycleEdges.has(edgeKey(e.from, e.to, e.name)), d: edgePath(a, b) };
  });
  const totalWidth = layerCount ? MARGIN * 2 + layerCount * width + (layerCount - 1) * GAP_X : 0;
  return { nodes, edges, width: round(totalWidth), height: round(height), layers: layerCount };
}

/** From the right side of the required node to the left side of the requiring one; a backward edge loops round. */
function edgePath(a: PipelineNode, b: PipelineNode): string {
  const x1 = a.x + a.width;
  const y1 = a.y + a.height / 2;
  const x2 = b.x;
  const y2 = b.y + b.height / 2;
  const bend = x2 > x1 ? (x2 - x1) / 2 : GAP_X;
  return `M ${round(x1)} ${round(y1)} C ${round(x1 + bend)} ${round(y1)}, ${round(x2 - bend)} ${round(y2)}, ${round(x2)} ${round(y2)}`;
}

/** Barycenter heuristic: order each column by the mean position of its neighbours, sweeping both ways. */
function orderColumns(columns: string[][], preds: Map<string, string[]>, succs: Map<string, string[]>): void {
  const pos = new Map<string, number>();
  const index = () => { for (const col of columns) col.forEach((id, i) => pos.set(id, i)); };
  index();
  const sortBy = (col: string[], neighbours: Map<string, string[]>) => {
    const key = new Map<string, number>();
    col.forEach((id, i) => {
      const ns = (neighbours.get(id) ?? []).map((n) => pos.get(n)).filter((p): p is number => p !== undefined);
      key.set(id, ns.length ? ns.reduce((s, p) => s + p, 0) / ns.length : i);
    });
    // Stable: ties keep the config order.
    col.sort((a, b) => key.get(a)! - key.get(b)!);
    col.forEach((id, i) => pos.set(id, i));
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let i = 1; i < columns.length; i++) sortBy(columns[i], preds);
    for (let i = columns.length - 2; i >= 0; i--) sortBy(columns[i], succs);
  }
}
