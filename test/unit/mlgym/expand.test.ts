import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusFile, corpusFiles, reportChecked } from '../../helpers/corpus';
import { parseYaml } from '../../../server/src/yaml/parsedDocument';
import { toPy } from '../../../server/src/mlgym/pyyaml';
import { GridExpansion, expandableRoot, varyingPaths, ExpansionError } from '../../../server/src/mlgym/expand';

const run = 'mlgym+mlgym__event_storage__2024-02-14--22-15-46__';

/** A value down a key path of an experiment (tests read nested configs). */
function at(o: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], o);
}

function grid(text: string): GridExpansion {
  const p = parseYaml(text);
  return new GridExpansion(expandableRoot(toPy(p.doc?.contents, p.doc)));
}

test('the real 2024-02-14 run: 15 experiments, same ids, same values as experiment_config.json', () => {
  const g = grid(readFileSync(corpusFile(`mlgym/events/${run}grid_search_config.yml`), 'utf8'));
  const files = corpusFiles('mlgym/events').filter((f) => f.name.startsWith(run) && f.name.endsWith('__experiment_config.json'));
  reportChecked('experiment configs of the 2024 grid search', files.length);
  assert.equal(files.length, 15);
  assert.equal(g.count, 15);
  for (const f of files) {
    const id = Number(f.name.slice(run.length).split('__')[0]);
    const expected = JSON.parse(readFileSync(f.abs, 'utf8'));
    const got = JSON.parse(JSON.stringify(g.experiment(id)));
    assert.deepStrictEqual(got, expected, `experiment ${id}`);
    assert.deepEqual(Object.keys(got), Object.keys(expected), `key order of experiment ${id}`);
  }
  assert.deepEqual(g.page(4, 3).map((e) => [e.id, at(e.config, 'data_loaders', 'config', 'batch_size'), at(e.config, 'optimizer', 'config', 'params', 'lr')]),
    [[4, 10, 0.0001], [5, 50, 1], [6, 50, 0.1]]);
});

test('nested alternatives: the MLgym test grid has 1 × 3 × 3 = 9 configs, first key slowest, lists as leaves', () => {
  const g = grid('p_1: 1\np_2: {sweep: absolute, values: [2, 3, 4]}\np_3:\n  sweep: absolute\n  values:\n    - {p_3.1: XYZ}\n    - {p_3.1: {sweep: absolute, values: [6, 7]}}\np_4: [12, 13]\n');
  assert.equal(g.count, 9);
  const all = g.page(0, 100).map((e) => e.config);
  assert.deepEqual(all[0], { p_1: 1, p_2: 2, p_3: { 'p_3.1': 'XYZ' }, p_4: [12, 13] });
  assert.deepEqual(all[1], { p_1: 1, p_2: 2, p_3: { 'p_3.1': 6 }, p_4: [12, 13] });
  assert.deepEqual(all[2], { p_1: 1, p_2: 2, p_3: { 'p_3.1': 7 }, p_4: [12, 13] });
  assert.deepEqual(all[3], { p_1: 1, p_2: 3, p_3: { 'p_3.1': 'XYZ' }, p_4: [12, 13] });
  assert.deepEqual(varyingPaths(g.root), [['p_2'], ['p_3']]);
});

test('a sweep inside a list is not expanded', () => {
  const g = grid('a:\n  - {sweep: absolute, values: [1, 2]}\nb: {sweep: absolute, values: [1, 2]}\n');
  assert.equal(g.count, 2);
  assert.deepEqual(g.experiment(1), { a: [{ sweep: 'absolute', values: [1, 2] }], b: 2 });
});

test('10,000,000 experiments are counted and paged without materialising the grid', () => {
  const keys = Array.from({ length: 7 }, (_, i) => `k${i}: {sweep: absolute, values: [0,1,2,3,4,5,6,7,8,9]}`).join('\n');
  const t0 = performance.now();
  const g = grid(keys + '\n');
  assert.equal(g.count, 10_000_000);
  const last = g.experiment(9_999_999);
  assert.deepEqual(last, { k0: 9, k1: 9, k2: 9, k3: 9, k4: 9, k5: 9, k6: 9 });
  assert.deepEqual(g.experiment(1_234_567), { k0: 1, k1: 2, k2: 3, k3: 4, k4: 5, k5: 6, k6: 7 });
  assert.equal(g.page(9_999_990, 50).length, 10);
  assert.ok(performance.now() - t0 < 500, 'answers instantly');
});

test('PyYAML readings reach the experiments: 1e-4 stays a string, 1.e-4 is a float, yes is true', () => {
  const g = grid('o: {lr: {sweep: absolute, values: [1e-4, 1.e-4, yes]}}\n');
  assert.deepEqual(g.page(0, 3).map((e) => at(e.config, 'o', 'lr')), ['1e-4', 0.0001, true]);
});

test('an empty sweep gives 0 experiments; a non-absolute sweep is what MLgym refuses', () => {
  assert.equal(grid('a: {sweep: absolute, values: []}\n').count, 0);
  assert.throws(() => grid('a: {sweep: range, values: [1]}\n'), ExpansionError);
  assert.equal(grid('global_config: {x: {sweep: absolute, values: [1, 2]}}\nmodel_info: {model_version: 1}\na: 1\n').count, 1);
});
