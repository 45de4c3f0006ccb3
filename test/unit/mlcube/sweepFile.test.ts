/** Sweep files (server/src/mlcube/sweepFile.ts): explicit sets, a product, their errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSweepFile, MAX_ELEMENTS } from '../../../server/src/mlcube/sweepFile';

test('explicit elements (words or a mapping) and a product, in order; task and parallelism read', () => {
  const r = readSweepFile('task: train\nparallelism: 3\nelements:\n  - [lr=0.5]\n  - {lr: 0.01, batch: 64}\nproduct:\n  lr: [0.1, 0.01]\n  -Pdocker.env_args.SEED: [1, 2]\n');
  assert.deepEqual(r, { ok: true, task: 'train', parallelism: 3, elements: [
    ['lr=0.5'], ['lr=0.01', 'batch=64'],
    ['lr=0.1', '-Pdocker.env_args.SEED=1'], ['lr=0.1', '-Pdocker.env_args.SEED=2'], ['lr=0.01', '-Pdocker.env_args.SEED=1'], ['lr=0.01', '-Pdocker.env_args.SEED=2'],
  ] });
});

test('mistakes are sentences: not YAML, unknown keys, an empty product axis, too many combinations, nothing at all', () => {
  assert.match((readSweepFile('elements: [a') as { error: string }).error, /not valid YAML/);
  assert.match((readSweepFile('element: []\n') as { error: string }).error, /Unknown key\(s\) in the sweep file: element/);
  assert.match((readSweepFile('product: {lr: []}\n') as { error: string }).error, /product\.lr` must be a non-empty list/);
  const big = `product:\n${Array.from({ length: 5 }, (_, i) => `  k${i}: [${Array.from({ length: 10 }, (_, j) => j).join(', ')}]`).join('\n')}\n`;
  assert.match((readSweepFile(big) as { error: string }).error, new RegExp(`100000 combinations; a sweep is limited to ${MAX_ELEMENTS}`));
  assert.match((readSweepFile('task: x\n') as { error: string }).error, /names no element/);
  assert.match((readSweepFile('parallelism: 0\nelements: [[a=1]]\n') as { error: string }).error, /parallelism/);
});
