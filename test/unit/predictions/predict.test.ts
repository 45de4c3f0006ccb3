/**
 * Predict with Cube's target-independent part (client/src/predictions/predict.ts): parameters read off a plan,
 * which input takes the selection and which output the predictions, inference tasks first, the selection staged
 * as one folder (a folder as it is; files and folders linked under their common parent, names kept), and the
 * layout a remote target gets (the staged folder uploaded, the predictions brought back).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commonParent, findPredictionsFile, inferenceTasksFirst, obviousSelectionParam, predictOverrides, predictionsParam,
  selectionParamCandidates, stageSelection, taskParams,
} from '../../../client/src/predictions/predict';
import { remoteLayout } from '../../../client/src/backends/docker-ssh/remotePlan';
import { makePlan } from '../backends/planFixture';

const plan = makePlan({
  root: '/w/cube', workspace: '/w/cube/workspace',
  paramArgs: ['--model_dir=/mlcube_io0', '--data_dir=/mlcube_io1', '--predictions_dir=/mlcube_io2', '--config=/mlcube_io3/infer.yaml'],
  mounts: [
    { host: '/w/cube/workspace/model', container: '/mlcube_io0', mode: '', io: 'input' },
    { host: '/sel', container: '/mlcube_io1', mode: '', io: 'input' },
    { host: '/w/cube/workspace/predictions/s1', container: '/mlcube_io2', mode: '', io: 'output' },
    { host: '/w/cube/workspace', container: '/mlcube_io3', mode: '', io: 'input' },
  ],
});

test('parameters from the plan; the data folder takes the selection, the predictions output is found', () => {
  const params = taskParams(plan);
  assert.deepEqual(params.map((p) => [p.name, p.io, p.kind, p.host]), [
    ['model_dir', 'input', 'directory', '/w/cube/workspace/model'],
    ['data_dir', 'input', 'directory', '/sel'],
    ['predictions_dir', 'output', 'directory', '/w/cube/workspace/predictions/s1'],
    ['config', 'input', 'file', '/w/cube/workspace/infer.yaml'],
  ]);
  assert.deepEqual(selectionParamCandidates(params).map((p) => p.name), ['data_dir', 'model_dir']);
  assert.equal(obviousSelectionParam(params)?.name, 'data_dir');
  assert.equal(predictionsParam(params)?.name, 'predictions_dir');
  // Two data-like inputs: not obvious, the user is asked.
  const two = [...params, { name: 'images', io: 'input' as const, kind: 'directory' as const, host: '/x' }];
  assert.equal(obviousSelectionParam(two), undefined);
  assert.deepEqual(inferenceTasksFirst(['train', 'samples', 'infer', 'detect']), ['infer', 'detect', 'train', 'samples']);
  assert.deepEqual(predictOverrides(params[1]!, '/staged', params[2]!, '/out/s2').overrides, ['data_dir=/staged', 'predictions_dir=/out/s2']);
  const fileOut = { name: 'out', io: 'output' as const, kind: 'file' as const, host: '/w/p/predictions.jsonl' };
  assert.deepEqual(predictOverrides(params[1]!, '/staged', fileOut, '/out/s2'), { overrides: ['data_dir=/staged', 'out=/out/s2/predictions.jsonl'], predictionsHint: '/out/s2/predictions.jsonl' });
});

test('a selected folder is used as it is; files and folders are linked under their common parent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-stage-'));
  const images = join(dir, 'images');
  for (const [f, t] of [['3/a.png', 'a'], ['3/b.png', 'b'], ['7/c.png', 'c'], ['7/sub/d.png', 'd'], ['7/.hidden', 'h']] as const) {
    mkdirSync(join(images, f, '..'), { recursive: true });
    writeFileSync(join(images, f), t);
  }
  assert.deepEqual(await stageSelection([join(images, '3')], join(dir, 'stage0')), { folder: join(images, '3'), staged: false, files: 0 });
  const staged = await stageSelection([join(images, '3', 'a.png'), join(images, '7')], join(dir, 'stage1'));
  assert.deepEqual([staged.staged, staged.files], [true, 3]);
  assert.deepEqual(readdirSync(join(dir, 'stage1')).sort(), ['3', '7']);
  assert.equal(readFileSync(join(dir, 'stage1', '7', 'sub', 'd.png'), 'utf8'), 'd');
  assert.equal(statSync(join(dir, 'stage1', '3', 'a.png')).ino, statSync(join(images, '3', 'a.png')).ino, 'a hard link, no copy');
  assert.deepEqual(readdirSync(join(dir, 'stage1', '3')), ['a.png']);
  await assert.rejects(stageSelection([join(images, 'nope')], join(dir, 'stage2')), /does not exist/);
  assert.equal(commonParent(['/a/b/c.png', '/a/b/d/e.png']), '/a/b');
  assert.equal(commonParent(['/a/b/c.png', '/x/y.png']), '/');
  mkdirSync(join(dir, 'out', 'deep'), { recursive: true });
  writeFileSync(join(dir, 'out', 'deep', 'predictions-1.jsonl'), '');
  assert.equal(await findPredictionsFile(join(dir, 'out')), join(dir, 'out', 'deep', 'predictions-1.jsonl'));
});

test('on a remote target the staged input is uploaded and the predictions come back', () => {
  const l = remoteLayout(plan, '/home/u/cubelab');
  assert.ok(l.uploads.some((u) => u.local === '/sel' && u.kind === 'input'), JSON.stringify(l.uploads));
  assert.ok(l.outputs.some((o) => o.local === '/w/cube/workspace/predictions/s1'), JSON.stringify(l.outputs));
});
