/**
 * Experiment ids come from event logs, i.e. from whoever published to the endpoint: before one becomes a path
 * (client/src/events/storage.ts `experimentDir`, and what reads an experiment's folder), it must be a folder
 * name (HEAD) or a path of folder names under its grid search (2022).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { experimentDir, isSafeExperimentId, readExperimentFolder, UnsafeExperimentIdError } from '../../client/src/events/storage';
import { loadModelCard } from '../../client/src/modelcard/load';
import { GS, lastJson, runPython, startTestEndpoint } from './helpers';

test('experiment ids from a log are checked as folder names before they become paths', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'cubelab-expids-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const gsDir = join(parent, 'event_storage', GS);
  mkdirSync(join(gsDir, '1'), { recursive: true });
  // What a hostile id would reach: a folder beside the storage holding an experiment's files.
  mkdirSync(join(parent, 'victim', '3'), { recursive: true });
  writeFileSync(join(parent, 'victim', 'experiment_config.json'), '{"secret": "hunter2"}');
  writeFileSync(join(parent, 'victim', 'system_info.json'), '{"secret": "hunter2"}');

  for (const id of ['1', '10', 'conv_net', `${GS}/conv_net/0`, 'conv_net/0']) {
    assert.ok(isSafeExperimentId(id), id);
    const rel = relative(gsDir, experimentDir(gsDir, id));
    assert.ok(rel !== '' && !rel.startsWith('..'), `${id} -> ${rel}`);
  }
  for (const id of ['../../victim', '../victim', '..', '.', '', '/etc', '/', `${GS}/../../victim`, `${GS}/conv_net/../../..`, 'a//b', '.hidden', 'x\\..\\..\\victim', 'C:\\victim', 'a\0b']) {
    assert.equal(isSafeExperimentId(id), false, JSON.stringify(id));
    assert.throws(() => experimentDir(gsDir, id), UnsafeExperimentIdError, JSON.stringify(id));
  }

  const folder = await readExperimentFolder(gsDir, '../../victim');
  assert.equal(folder.experimentConfig, undefined, 'nothing outside the grid search is read');
  assert.equal(folder.systemInfo, undefined);
  assert.deepEqual(folder.checkpoints, []);
  assert.match(folder.problems[0]?.reason ?? '', /is not a folder name/);

  const card = await loadModelCard(gsDir, '../../victim');
  assert.ok(!JSON.stringify(card).includes('hunter2'), 'the model card reads nothing outside either');
  assert.ok(card.problems.some((p) => p.includes('is not a folder name')), card.problems.join('\n'));
});

test('a publisher\'s experiment_id such as "../../victim" is stored as data only, and never read as a folder', async (t) => {
  const { endpoint, root, parent } = await startTestEndpoint(t);
  mkdirSync(join(parent, 'victim'), { recursive: true });
  writeFileSync(join(parent, 'victim', 'experiment_config.json'), '{"secret": "hunter2"}');
  writeFileSync(join(parent, 'victim', 'system_info.json'), '{"platform": "hunter2"}');
  lastJson(await runPython('publish_run.py', [endpoint.url, GS, '1', '1']));
  writeFileSync(join(root, GS, 'event_storage.log'), `${JSON.stringify({ event_type: 'experiment_status', creation_ts: 1707945370000003, payload: { grid_search_id: GS, experiment_id: '../../victim', status: 'train', num_epochs: 1, current_epoch: 0, splits: ['train'], current_split: 'train', num_batches: 1, current_batch: 0 } })}\n`, { flag: 'a' });
  const card = await loadModelCard(join(root, GS), '../../victim');
  assert.ok(!JSON.stringify(card).includes('hunter2'));
  assert.equal(card.training.status, 'running', 'the events of that id are still shown');
});
