import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GOOD_GS, gsWith, validate, found, open } from './helpers';
import { sweepSites, pyFloat } from '../../../server/src/mlgym/sweeps';
import { resolvePlain } from '../../../server/src/mlgym/pyyaml';

const P = '/w/gs_config.yml';
const hits = (text: string, code: string) => found(text, validate(P, text), `mlgym/${code}`);
const msgs = (text: string, code: string) => validate(P, text).filter((d) => d.code === `mlgym/${code}`).map((d) => d.message);

test('only sweep: absolute is implemented; values must be a list', () => {
  const t = gsWith('      sweep: absolute\n      values: [10, 50, 100]', '      sweep: range\n      values: [10, 50, 100]');
  assert.deepEqual(hits(t, 'sweep-type').map((h) => h[1]), ['range']);
  assert.match(msgs(t, 'sweep-type')[0], /NotImplementedError/);
  const nv = gsWith('      sweep: absolute\n      values: [10, 50, 100]', '      sweep: absolute');
  assert.deepEqual(hits(nv, 'sweep-values').map((h) => h[1]), ['sweep']);
  assert.match(msgs(nv, 'sweep-values')[0], /KeyError: 'values'/);
  // A string is iterated, not rejected: a warning of its own (docs/mlgym.md §7.1).
  const str = gsWith('      values: [10, 50, 100]', '      values: abc');
  assert.deepEqual(hits(str, 'sweep-values-not-list').map((h) => h[1]), ['abc']);
  assert.match(msgs(str, 'sweep-values-not-list')[0], /sweeps over its 3 characters/);
  const empty = gsWith('      values: [10, 50, 100]', '      values: []');
  assert.deepEqual(hits(empty, 'sweep-empty').map((h) => h[1]), ['[]']);
  const extra = gsWith('      values: [10, 50, 100]', '      values: [10, 50, 100]\n      default: 10');
  assert.deepEqual(hits(extra, 'sweep-extra-key').map((h) => h[1]), ['default']);
});

test('a sweep inside a list (requirements, metrics_config, a plain list) is ignored by MLgym: warning', () => {
  const t = gsWith('    - name: repository\n      component_name: dataset_repository\n', '    - name: repository\n      component_name: {sweep: absolute, values: [dataset_repository]}\n');
  assert.deepEqual(hits(t, 'sweep-in-list').map((h) => h[1]), ['component_name']);
  assert.match(msgs(t, 'sweep-in-list')[0], /inside a list; MLgym expands sweeps only under mappings/);
  const m = gsWith('        params:\n          average: macro\n', '        params:\n          average: {sweep: absolute, values: [macro, micro]}\n');
  assert.deepEqual(hits(m, 'sweep-in-list').map((h) => h[1]), ['average']);
});

test('nested sweeps inside alternatives are expanded and counted', () => {
  const t = gsWith('        values: [1.0, 0.1, 0.01, 0.001, 0.0001]', '        values: [1.0, {a: 1}, {a: {sweep: absolute, values: [1, 2, 3]}}]');
  const doc = open(P, t);
  const sites = sweepSites(doc.parsed);
  assert.deepEqual(sites.map((s) => [s.path.join('.'), s.expanded, s.size]), [
    ['data_loaders.config.batch_size', true, 3],
    ['optimizer.config.params.lr', true, 5],
    ['optimizer.config.params.lr.values.2.a', true, 3],
  ]);
  assert.deepEqual(validate(P, t).filter((d) => d.code?.toString().startsWith('mlgym/sweep')), []);
});

test('YAML 1.1 readings: 1e-4 is a string (a learning rate that will be a string), yes/on are booleans, 010 is octal, dates', () => {
  const t = gsWith('        values: [1.0, 0.1, 0.01, 0.001, 0.0001]', '        values: [1.0, 1e-4]');
  assert.deepEqual(hits(t, 'yaml11-string').map((h) => h[1]), ['1e-4']);
  assert.match(msgs(t, 'yaml11-string')[0], /PyYAML \(YAML 1\.1\) reads 1e-4 as the string "1e-4".*`lr` reaches torch as a string.*Write 1\.0e-4/);
  const b = gsWith('      is_increase_task: true', '      is_increase_task: yes');
  assert.deepEqual(hits(b, 'yaml11-boolean').map((h) => h[1]), ['yes']);
  assert.match(msgs(b, 'yaml11-boolean')[0], /reads yes as the boolean True for `is_increase_task`/);
  const o = gsWith('    seed: 2', '    seed: 010');
  assert.deepEqual(hits(o, 'yaml11-octal').map((h) => h[1]), ['010']);
  const q = gsWith('      is_increase_task: true', '      is_increase_task: "yes"');
  assert.deepEqual(hits(q, 'yaml11-boolean'), []);
  assert.deepEqual(hits(GOOD_GS, 'yaml11-string'), []);
  assert.equal(resolvePlain('1.e-4'), 0.0001);
  assert.equal(resolvePlain('1e-4'), '1e-4');
  assert.equal(resolvePlain('1.0e4'), '1.0e4');
  assert.equal(resolvePlain('on'), true);
  assert.equal(resolvePlain('0x1F'), 31);
  assert.equal(resolvePlain('1:30'), 90);
  assert.equal(resolvePlain('~'), null);
  assert.equal(resolvePlain('2024-02-14--22-15-46'), '2024-02-14--22-15-46');
  assert.deepEqual([pyFloat('1e-4'), pyFloat('2E5'), pyFloat('.5e-3')], ['1.0e-4', '2.0e+5', '0.5e-3']);
});
