import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import type { PipelineGraph, PipelineNode } from '../../../shared/webview-protocol/modelCard';
import { experimentConfig } from '../../helpers/eventGenerator';
import { buildPipelineGraph } from '../../../client/src/modelcard/pipelineGraph';
import { corpusEvent } from './helpers';

const config = JSON.parse(readFileSync(corpusEvent('1__experiment_config.json'), 'utf8')) as Record<string, unknown>;

test('the real 2024 config: one node per component, one edge per requirement, layered by depth', () => {
  const g = buildPipelineGraph(config);
  assert.equal(g.nodes.length, Object.keys(config).length);
  assert.equal(g.nodes.length, 20);
  assert.equal(new Set(g.nodes.map((n) => n.id)).size, 20, 'each component once (MLgym duplicates subtrees)');
  const requirements = Object.values(config).reduce<number>((n, c) => n + ((c as { requirements?: unknown[] }).requirements?.length ?? 0), 0);
  assert.equal(g.edges.length, requirements);
  const layer = (id: string) => g.nodes.find((n) => n.id === id)!.layer;
  assert.equal(layer('dataset_repository'), 0);
  assert.equal(layer('dataset_iterators'), 1);
  assert.equal(layer('splitted_dataset_iterators'), 2);
  assert.equal(layer('data_loaders'), 3);
  assert.equal(layer('trainer'), 4);
  assert.equal(layer('eval_component'), 4);
  assert.equal(layer('evaluator'), 5);
  assert.equal(g.layers, 6);
  const dl = g.edges.find((e) => e.from === 'splitted_dataset_iterators' && e.to === 'data_loaders');
  assert.equal(dl?.subscription, 'train, val, test');
  assert.equal(dl?.name, 'iterators');
  // Every edge goes left to right, every node is inside the drawing, no two nodes overlap.
  for (const e of g.edges) {
    const a = g.nodes.find((n) => n.id === e.from)!;
    const b = g.nodes.find((n) => n.id === e.to)!;
    assert.ok(a.x + a.width < b.x, `${e.from} → ${e.to}`);
    assert.match(e.d, /^M [\d.]+ [\d.]+ [CL] /);
  }
  for (const n of g.nodes) assert.ok(n.x >= 0 && n.y >= 0 && n.x + n.width <= g.width && n.y + n.height <= g.height, n.id);
  for (const a of g.nodes) for (const b of g.nodes) {
    if (a !== b && a.layer === b.layer) assert.ok(a.y + a.height <= b.y || b.y + b.height <= a.y, `${a.id} / ${b.id}`);
  }
});

test('missing requirements become flagged nodes; cycles are marked and do not hang the layout', () => {
  const g = buildPipelineGraph({
    a: { component_type_key: 'A', variant_key: 'DEFAULT', requirements: [{ name: 'x', component_name: 'ghost' }] },
    b: { component_type_key: 'B', variant_key: 'DEFAULT', requirements: [{ name: 'c', component_name: 'c' }] },
    c: { component_type_key: 'C', variant_key: 'DEFAULT', requirements: [{ name: 'b', component_name: 'b' }] },
    global: { not: 'a component' },
  });
  assert.deepEqual(g.nodes.map((n) => n.id).sort(), ['a', 'b', 'c', 'ghost']);
  assert.equal(g.nodes.find((n) => n.id === 'ghost')?.missing, true);
  assert.equal(g.edges.filter((e) => e.cycle).length, 1);
});

test('the generator\'s config lays out too, and an empty config gives an empty graph', () => {
  const g = buildPipelineGraph(experimentConfig(0));
  assert.equal(g.nodes.length, Object.keys(experimentConfig(0)).length);
  assert.deepEqual(buildPipelineGraph({}), { nodes: [], edges: [], width: 0, height: 0, layers: 0 });
});

// --- Edges never pass under a node they do not connect ---------------------------------------------------

interface Pt { x: number; y: number }

/** The path's points, curves sampled finely enough (32 steps) that a line between samples stays within 0.1 px of it. */
function polyline(d: string): Pt[] {
  const nums = (s: string) => s.trim().split(/[\s,]+/).filter(Boolean).map(Number);
  const out: Pt[] = [];
  for (const [, cmd, args] of d.matchAll(/([MLC])([^MLC]*)/g)) {
    const v = nums(args!);
    if (cmd === 'M' || cmd === 'L') { out.push({ x: v[0]!, y: v[1]! }); continue; }
    const p0 = out[out.length - 1]!;
    const [c1x, c1y, c2x, c2y, x, y] = v as [number, number, number, number, number, number];
    for (let i = 1; i <= 32; i++) {
      const t = i / 32; const u = 1 - t;
      out.push({
        x: u * u * u * p0.x + 3 * u * u * t * c1x + 3 * u * t * t * c2x + t * t * t * x,
        y: u * u * u * p0.y + 3 * u * u * t * c1y + 3 * u * t * t * c2y + t * t * t * y,
      });
    }
  }
  return out;
}

/** Whether the segment p→q enters the inside of the box (Liang–Barsky clipping; touching the border is not entering). */
function segmentEntersBox(p: Pt, q: Pt, n: PipelineNode): boolean {
  const [x0, y0, x1, y1] = [n.x + 0.5, n.y + 0.5, n.x + n.width - 0.5, n.y + n.height - 0.5];
  let t0 = 0; let t1 = 1;
  const dx = q.x - p.x; const dy = q.y - p.y;
  for (const [pp, qq] of [[-dx, p.x - x0], [dx, x1 - p.x], [-dy, p.y - y0], [dy, y1 - p.y]] as [number, number][]) {
    if (pp === 0) { if (qq < 0) return false; continue; }
    const r = qq / pp;
    if (pp < 0) { if (r > t1) return false; if (r > t0) t0 = r; } else { if (r < t0) return false; if (r < t1) t1 = r; }
  }
  return t0 < t1;
}

/** Every (edge, node) pair where the edge's drawing crosses a node box it does not connect. */
function crossings(g: PipelineGraph): string[] {
  const out: string[] = [];
  for (const e of g.edges) {
    const pts = polyline(e.d);
    for (const n of g.nodes) {
      if (n.id === e.from || n.id === e.to) continue;
      for (let i = 1; i < pts.length; i++) if (segmentEntersBox(pts[i - 1]!, pts[i]!, n)) { out.push(`${e.from} → ${e.to} crosses ${n.id}`); break; }
    }
  }
  return out;
}

const comp = (type: string, ...requires: string[]) => ({ component_type_key: type, variant_key: 'DEFAULT', requirements: requires.map((r) => ({ name: r, component_name: r })) });

test('an edge that skips a layer goes round the node in between, not under it', () => {
  // a → b → c and a → c: with a, b and c on one line, a straight a → c would pass under b.
  const g = buildPipelineGraph({ a: comp('A'), b: comp('B', 'a'), c: comp('C', 'a', 'b') });
  assert.deepEqual(g.nodes.map((n) => [n.id, n.layer]), [['a', 0], ['b', 1], ['c', 2]]);
  assert.deepEqual(crossings(g), []);
  const skip = g.edges.find((e) => e.from === 'a' && e.to === 'c')!;
  const b = g.nodes.find((n) => n.id === 'b')!;
  const level = polyline(skip.d).filter((p) => p.x >= b.x && p.x <= b.x + b.width);
  assert.ok(level.length >= 2 && level.every((p) => p.y < b.y || p.y > b.y + b.height), `a → c passes beside b: ${skip.d}`);
  // The checker itself finds a crossing: the old straight curve from a to c.
  const a = g.nodes.find((n) => n.id === 'a')!;
  const c = g.nodes.find((n) => n.id === 'c')!;
  const straight = `M ${a.x + a.width} ${b.y + 20} C ${b.x} ${b.y + 20}, ${b.x + b.width} ${b.y + 20}, ${c.x} ${b.y + 20}`;
  assert.deepEqual(crossings({ ...g, edges: [{ ...skip, d: straight }] }), ['a → c crosses b']);
});

test('the real 2024 config and the generator\'s: no edge crosses a node box it does not connect', () => {
  assert.deepEqual(crossings(buildPipelineGraph(config)), []);
  assert.deepEqual(crossings(buildPipelineGraph(experimentConfig(0))), []);
});

test('random pipelines (cycles and missing components included): no crossing, no overlap, edges start and end on their nodes', () => {
  const names = ['data', 'iter', 'split', 'loader', 'model', 'loss', 'optim', 'trainer', 'eval', 'metric', 'ghost'];
  fc.assert(fc.property(
    fc.array(fc.array(fc.integer({ min: 0, max: names.length - 1 }), { maxLength: 4 }), { minLength: 1, maxLength: names.length - 1 }),
    fc.boolean(),
    (reqs, allowCycles) => {
      const cfg: Record<string, unknown> = {};
      // Requirements on earlier components only (a DAG), unless cycles are allowed; index 10 is never defined.
      reqs.forEach((rs, i) => { cfg[names[i]!] = comp('T', ...[...new Set(rs.filter((r) => allowCycles || r < i || r === 10))].map((r) => names[r]!)); });
      const g = buildPipelineGraph(cfg);
      assert.deepEqual(crossings(g), []);
      for (const a of g.nodes) {
        assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.width <= g.width + 0.1 && a.y + a.height <= g.height + 0.1, a.id);
        for (const b of g.nodes) if (a !== b) assert.ok(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y, `${a.id} / ${b.id}`);
      }
      for (const e of g.edges) {
        const pts = polyline(e.d);
        const [from, to] = [g.nodes.find((n) => n.id === e.from)!, g.nodes.find((n) => n.id === e.to)!];
        const first = pts[0]!; const last = pts[pts.length - 1]!;
        // Forward edges leave the required node's right side and reach the requiring node's left side; a cycle's closing edge the other way round.
        if (from === to) { assert.equal(first.x, from.x + from.width); assert.equal(last.x, from.x + from.width); }
        else if (!e.cycle) { assert.equal(first.x, from.x + from.width); assert.equal(last.x, to.x); }
        else { assert.equal(first.x, from.x); assert.equal(last.x, to.x + to.width); }
      }
    },
  ), { numRuns: 150, seed: 15 });
});
