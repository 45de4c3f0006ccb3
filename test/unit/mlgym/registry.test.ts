import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtinRegistry, BUILTIN_VARIANTS } from '../../../server/src/mlgym/registry';
import { MLGYM_CODES } from '../../../server/src/mlgym/codes';
import { expandGridRequest } from '../../../server/src/mlgym/gridRequest';
import { GOOD_GS, open, ctxWith } from './helpers';

test('the built-in registry holds every pair of docs/mlgym.md §2.4', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'mlgym.md'), 'utf8');
  // The table sits between the docs/mlgym.md §2.4 heading and its first sub-heading ("#### Stale keys").
  const start = doc.indexOf('\n### 2.4 ');
  assert.ok(start >= 0, 'docs/mlgym.md has no §2.4');
  const end = doc.indexOf('\n#', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const pairs = new Set<string>();
  for (const line of section.split('\n').filter((l) => l.startsWith('| `'))) {
    const cells = line.split('|').map((c) => c.trim());
    const types = [...cells[1].matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]);
    const variants = [...cells[2].matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]);
    for (const t of types) for (const v of variants) pairs.add(`${t}/${v}`);
  }
  assert.ok(pairs.size >= 33, `parsed ${pairs.size} pairs`);
  const reg = builtinRegistry();
  for (const p of pairs) { const [t, v] = p.split('/'); assert.ok(reg.get(t, v)?.origin === 'builtin', `missing ${p}`); }
  assert.equal(BUILTIN_VARIANTS.length, pairs.size);
});

test('config keys, defaults, slots and split rules of a few constructables', () => {
  const reg = builtinRegistry();
  const dl = reg.get('DATA_LOADER', 'DEFAULT')!;
  assert.deepEqual(dl.configKeys.map((k) => [k.name, k.default]), [['batch_size', 1], ['weigthed_sampling_split_name', null], ['label_pos', 2], ['seeds', {}], ['drop_last', false]]);
  assert.deepEqual(dl.slots.map((s) => s.name), ['iterators', 'data_collator']);
  assert.equal(dl.produces, 'subscribed');
  assert.ok(!reg.get('EVAL_COMPONENT', 'ACCELERATE')!.configKeys.some((k) => k.name === 'show_progress'));
  assert.ok(reg.get('EVAL_COMPONENT', 'DEFAULT')!.configKeys.some((k) => k.name === 'show_progress'));
  assert.equal(reg.get('SPLITTED_DATASET_ITERATORS', 'RANDOM')!.produces, 'splitted');
  assert.deepEqual(reg.get('TRAINER', 'DEFAULT')!.slots.filter((s) => !s.unused).map((s) => s.name), ['train_component', 'data_loaders']);
});

test('every code is mlgym/<kebab> with a severity and a doc', () => {
  for (const [code, v] of Object.entries(MLGYM_CODES)) {
    assert.match(code, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.ok(['error', 'warning', 'info', 'hint'].includes(v.severity));
    assert.ok(v.doc.length > 10);
  }
});

test('cubelab/gridExpansion: count, paging, varying paths, errors', () => {
  const d = open('/w/gs_config.yml', GOOD_GS);
  const r = expandGridRequest(d, { uri: d.uri, offset: 13, limit: 10 }, ctxWith());
  assert.equal(r.count, 15);
  assert.deepEqual(r.experiments.map((e) => e.id), [13, 14]);
  assert.deepEqual(r.varying, [['data_loaders', 'config', 'batch_size'], ['optimizer', 'config', 'params', 'lr']]);
  const cfg = r.experiments[0].config as { optimizer: { config: { params: { lr: number } } } };
  assert.equal(cfg.optimizer.config.params.lr, 0.001);
  assert.ok(!('global_config' in (r.experiments[0].config as object)));
  const bad = open('/w/gs_config.yml', GOOD_GS.replace('sweep: absolute\n      values: [10', 'sweep: log\n      values: [10'));
  assert.match(expandGridRequest(bad, { uri: bad.uri }, ctxWith()).error!, /NotImplementedError/);
  const run = open('/w/run_config.yml', 'run_configuration: {}\nenvironment: {}\nlogging: {}\n');
  assert.match(expandGridRequest(run, { uri: run.uri }, ctxWith()).error!, /not an MLgym grid-search config/);
});

test('every MLgym diagnostic code is exercised by a test', () => {
  const dir = __dirname;
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(`${dir}/${f}`, 'utf8')).join('\n')
    + readFileSync(`${dir}/../../lsp/mlgym.test.ts`, 'utf8');
  const missing = Object.keys(MLGYM_CODES).filter((c) => !sources.includes(`'${c}'`) && !sources.includes(`mlgym/${c}`));
  assert.deepEqual(missing, []);
});
