/**
 * The pipeline graph of an experiment (docs/mlgym.md §4 `pipeline_details`) as a DAG: one node per
 * component of experiment_config, one edge per requirement (required → requiring). MLgym nests a dependent
 * under every component it requires, duplicating subtrees; here each component appears once. Laid out in
 * layers, left to right (a component's layer is one more than its deepest requirement) by `@dagrejs/dagre`
 * (Sugiyama: crossing reduction, then coordinates); an edge that skips layers is routed through the gaps
 * dagre leaves for it in every layer in between, so it never passes under a node. Pure: no Node or DOM APIs;
 * computed once on the extension side so the HTML export and the webview draw the very same coordinates.
 */
import { graphlib, layout } from '@dagrejs/dagre';
import type { PipelineEdge, PipelineGraph, PipelineNode } from '../../../shared/webview-protocol/modelCard';
import { CHAR_WIDTH } from './nodeLabel';

export const NODE_HEIGHT = 40;
/** Horizontal gap between layers (room for the edges' curves), vertical gap between nodes and edges in a layer. */
const GAP_X = 56;
const GAP_Y = 12;
const EDGE_GAP = 10;
const MARGIN = 8;
const MAX_WIDTH = 280;

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

interface Point { x: number; y: number }

/**
 * Graphs already laid out, by config object. A card that follows a growing run is rebuilt several times a second
 * from the same config, and the layout (dagre) was most of each rebuild; configs are parsed once and never changed.
 */
const laidOut = new WeakMap<Record<string, unknown>, PipelineGraph>();

export function buildPipelineGraph(config: Record<string, unknown>): PipelineGraph {
  let graph = laidOut.get(config);
  if (!graph) { graph = layoutPipelineGraph(config); laidOut.set(config, graph); }
  return graph;
}

function layoutPipelineGraph(config: Record<string, unknown>): PipelineGraph {
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
  if (!components.length) return { nodes: [], edges: [], width: 0, height: 0, layers: 0 };
  const missingIds = new Set(components.filter((c) => c.type === '').map((c) => c.id));

  // Layers by longest path from the roots; an edge back into the DFS stack closes a cycle and is set aside.
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
  const layerOf = (id: string) => layer.get(id) ?? 0;

  // Wide enough for the longest name, within bounds; longer labels are shortened by fitText (full text in a tooltip).
  const width = Math.min(MAX_WIDTH, Math.max(150, ...components.map((c) => Math.max(c.id.length, `${c.type} · ${c.variant}`.length) * CHAR_WIDTH + 20)));

  // dagre keys nodes by name in plain objects: component names come from a file, so nodes are named by index.
  const key = new Map(components.map((c, i) => [c.id, `n${i}`]));
  const g = new graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', ranksep: GAP_X, nodesep: GAP_Y, edgesep: EDGE_GAP, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  for (const c of components) g.setNode(key.get(c.id)!, { width, height: NODE_HEIGHT });
  const edgesRaw = components.flatMap((c) => c.requires.map((r) => ({ from: r.component, to: c.id, name: r.name, subscription: r.subscription })));
  edgesRaw.forEach((e, i) => {
    const cycle = cycleEdges.has(edgeKey(e.from, e.to, e.name));
    // A cycle's closing edge is laid out in the layers' direction (requiring → required) and drawn backwards.
    const [left, right] = cycle ? [e.to, e.from] : [e.from, e.to];
    // minlen = the layer difference pins dagre's ranks to the layers above (every edge tight at rank = layer).
    g.setEdge(key.get(left)!, key.get(right)!, { minlen: Math.max(1, layerOf(right) - layerOf(left)) }, `e${i}`);
  });
  layout(g);

  // dagre puts every node of a rank at the same x (one width for all): the drawn layer is the column, counted
  // from the left (the same as the depth above, except where unconnected parts of a broken config shift).
  const xs = [...new Set(components.map((c) => round(g.node(key.get(c.id)!).x - width / 2)))].sort((p, q) => p - q);
  const columnX = new Map(xs.map((x, i) => [i, x]));
  const nodes: PipelineNode[] = [];
  const at = new Map<string, PipelineNode>();
  for (const c of components) {
    const p = g.node(key.get(c.id)!);
    const x = round(p.x - width / 2);
    const n: PipelineNode = {
      id: c.id, type: c.type, variant: c.variant, layer: xs.indexOf(x), x, y: round(p.y - NODE_HEIGHT / 2),
      width, height: NODE_HEIGHT, missing: missingIds.has(c.id),
    };
    nodes.push(n);
    at.set(c.id, n);
  }

  const edges: PipelineEdge[] = edgesRaw.map((e, i) => {
    const cycle = cycleEdges.has(edgeKey(e.from, e.to, e.name));
    const [left, right] = cycle ? [at.get(e.to)!, at.get(e.from)!] : [at.get(e.from)!, at.get(e.to)!];
    if (left === right) return { ...e, cycle, d: selfLoop(left) };
    const route = edgeRoute(left, right, g.edge(key.get(left.id)!, key.get(right.id)!, `e${i}`)?.points ?? [], columnX, width);
    return { ...e, cycle, d: pathData(cycle ? route.reverse() : route) };
  });
  const size = g.graph();
  return { nodes, edges, width: round(size.width ?? 0), height: round(size.height ?? 0), layers: xs.length };
}

/**
 * Where an edge goes, left to right: from the middle of the left node's right side, straight through each
 * layer in between at the height of the slot dagre reserved there (its dummy node), to the middle of the
 * right node's left side. Between layers (where no node is) the drawing curves; inside a layer it is level.
 */
export function edgeRoute(a: PipelineNode, b: PipelineNode, points: Point[], columnX: Map<number, number>, width: number): Point[] {
  const out: Point[] = [{ x: a.x + a.width, y: a.y + a.height / 2 }];
  for (let l = a.layer + 1; l < b.layer; l++) {
    const left = columnX.get(l);
    if (left === undefined) continue;
    const centre = left + width / 2;
    // The dummy of this layer sits on the layer's centre line; the nearest point is it.
    const dummy = points.reduce<Point | undefined>((best, p) => (!best || Math.abs(p.x - centre) < Math.abs(best.x - centre) ? p : best), undefined);
    const y = dummy ? dummy.y : out[out.length - 1]!.y;
    out.push({ x: left, y }, { x: left + width, y });
  }
  out.push({ x: b.x, y: b.y + b.height / 2 });
  return out;
}

/** A component that requires itself: a small loop in the gap right of it (no node is there). */
function selfLoop(n: PipelineNode): string {
  const [x, y] = [round(n.x + n.width), round(n.y + n.height / 2)];
  return `M ${x} ${y - 8} C ${x + 24} ${y - 8}, ${x + 24} ${y + 8}, ${x} ${y + 8}`;
}

/** SVG path data through the route: level lines inside layers, curves with level ends between them. */
export function pathData(route: Point[]): string {
  const f = (p: Point) => `${round(p.x)} ${round(p.y)}`;
  let d = `M ${f(route[0]!)}`;
  for (let i = 1; i < route.length; i++) {
    const p = route[i - 1]!;
    const q = route[i]!;
    if (p.y === q.y) { d += ` L ${f(q)}`; continue; }
    const mid = (p.x + q.x) / 2;
    d += ` C ${f({ x: mid, y: p.y })}, ${f({ x: mid, y: q.y })}, ${f(q)}`;
  }
  return d;
}
