import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
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
    assert.match(e.d, /^M [\d.]+ [\d.]+ C /);
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
