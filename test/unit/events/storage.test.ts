import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeEventStorage, systemInfo, toJson } from '../../helpers/eventGenerator';
import { listCheckpoints, listGridSearches, readExperimentFolder, readExperiments, experimentDir } from '../../../client/src/events/storage';
import { tempDir } from './helpers';
import { corpusFile, corpusFiles } from '../../helpers/corpus';

// The real artifacts of one 2024 grid search (docs/mlgym.md §5), stored flat as
// mlgym+mlgym__event_storage__<gs>__<path with / as __>; rebuilt here into the real folder layout.
const PREFIX = 'mlgym+mlgym__event_storage__';
const GS = '2024-02-14--22-15-46';

function rebuildCorpus(root: string): string[] {
  const copied: string[] = [];
  for (const f of corpusFiles('mlgym/events').filter((x) => x.name.startsWith(PREFIX))) {
    const rel = f.name.slice(PREFIX.length).split('__').join('/');
    const target = join(root, rel);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(f.abs, target);
    copied.push(rel);
  }
  return copied;
}

test('the real 2024 event storage: grid search, stored configs, experiments in numeric order', async (t) => {
  const root = tempDir(t);
  const copied = rebuildCorpus(root);
  assert.equal(copied.length, 19); // 15 experiment configs, 2 model cards, 2 stored configs
  // MLboard's side-effect rooms are not grid searches.
  for (const side of ['mlgym_event_publishers', 'mlgym_streamed_logger']) {
    mkdirSync(join(root, side));
    writeFileSync(join(root, side, 'event_storage.log'), '');
  }
  const list = await listGridSearches(root);
  assert.deepEqual(list.map((g) => g.id), [GS]);
  const gs = list[0];
  assert.equal(gs.logPath, undefined); // the real log is not public
  assert.equal(gs.gridSearchConfigPath, join(root, GS, 'grid_search_config.yml'));
  assert.equal(gs.runConfigPath, join(root, GS, 'run_config.yml'));
  assert.equal(gs.validationStrategyConfigPath, undefined);
  assert.deepEqual(gs.experimentIds, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14']);

  const all = await readExperiments(gs);
  assert.equal(all.length, 15);
  assert.deepEqual(all.filter((e) => e.modelCard).map((e) => e.id), ['1', '14']);
  assert.ok(all.every((e) => e.experimentConfig && e.problems.length === 0 && e.checkpoints.length === 0));
  const one = all[1];
  assert.deepEqual(one.experimentConfig, JSON.parse(readFileSync(corpusFile(`mlgym/events/${PREFIX}${GS}__1__experiment_config.json`), 'utf8')));
  const optimizer = one.experimentConfig?.optimizer as { config: { optimizer_key: string; params: { lr: number } } };
  assert.equal(optimizer.config.optimizer_key, 'ADAM');
  const details = one.modelCard?.model_details as { grid_search_id: string; train_date: string };
  assert.equal(details.grid_search_id, GS);
  assert.equal(details.train_date, '14-02-2024');
});

test('checkpoint folders by numeric epoch, system_info.json, and broken files reported per experiment', async (t) => {
  const root = tempDir(t);
  rebuildCorpus(root);
  const exp1 = join(root, GS, '1');
  for (const epoch of ['10', '9', '2']) {
    mkdirSync(join(exp1, epoch));
    for (const f of ['optimizer.pickle', 'model.pickle', 'lr_scheduler.pickle', 'stateful_components.pickle']) writeFileSync(join(exp1, epoch, f), 'x');
  }
  mkdirSync(join(exp1, '11'));
  writeFileSync(join(exp1, '11', 'checkpoint_rank_0.zip'), 'x'); // accelerate job
  writeFileSync(join(exp1, 'system_info.json'), toJson(systemInfo(1)));
  writeFileSync(join(root, GS, '3', 'system_info.json'), '{"platform": "Linux", ');
  writeFileSync(join(root, GS, '4', 'model_card.json'), '[1]');

  const cps = await listCheckpoints(exp1);
  assert.deepEqual(cps.map((c) => c.epoch), [2, 9, 10, 11]);
  assert.deepEqual(cps[1].files, ['lr_scheduler.pickle', 'model.pickle', 'optimizer.pickle', 'stateful_components.pickle']);
  assert.equal(cps[1].dir, join(exp1, '9'));
  assert.deepEqual(cps[3].files, ['checkpoint_rank_0.zip']);

  const e1 = await readExperimentFolder(join(root, GS), '1');
  assert.equal(e1.systemInfo?.['python-version'], '3.10.12');
  assert.equal(e1.systemInfo?.num_cuda_device, 2);
  assert.equal(e1.systemInfo?.cuda_device_list?.length, 2);

  const e3 = await readExperimentFolder(join(root, GS), '3');
  assert.equal(e3.systemInfo, undefined);
  assert.equal(e3.problems.length, 1);
  assert.equal(e3.problems[0].file, join(root, GS, '3', 'system_info.json'));
  assert.match(e3.problems[0].reason, /^invalid JSON: /);
  assert.ok(e3.experimentConfig); // the rest of the experiment is still read

  const e4 = await readExperimentFolder(join(root, GS), '4');
  assert.deepEqual(e4.problems, [{ file: join(root, GS, '4', 'model_card.json'), reason: 'not a JSON object' }]);
});

test('a generated storage has the full layout; grid searches are listed newest first', async (t) => {
  const root = tempDir(t);
  writeEventStorage(root, { gridSearchId: '2024-01-01--10-00-00', experiments: 2, epochs: 3 });
  const w = writeEventStorage(root, { gridSearchId: '2024-03-05--08-30-00', experiments: 3, epochs: 3, checkpointEpochs: [1, 2] });
  mkdirSync(join(root, 'notes')); // an unrelated folder
  const list = await listGridSearches(root);
  assert.deepEqual(list.map((g) => g.id), ['2024-03-05--08-30-00', '2024-01-01--10-00-00']);
  assert.equal(list[0].logPath, w.logPath);
  const exps = await readExperiments(list[0]);
  assert.deepEqual(exps.map((e) => e.id), ['0', '1', '2']);
  assert.deepEqual(exps[0].checkpoints.map((c) => c.epoch), [1, 2]);
  assert.equal((exps[2].experimentConfig?.optimizer as { config: { params: { lr: number } } }).config.params.lr, 0.001);
  assert.equal(exps[0].systemInfo?.platform, 'Linux');
  assert.ok(readFileSync(join(list[0].dir, 'grid_search_config.yml'), 'utf8').includes('model_info:'));
  assert.match(readFileSync(join(list[0].dir, 'run_config.yml'), 'utf8'), /num_epochs: 3\n/);
});

test('experiment folders: a HEAD id is a folder under the grid search, a 2022 id a path starting with the grid search id', () => {
  const gs = '/es/2022-01-01--00-00-00';
  assert.equal(experimentDir(gs, '3'), '/es/2022-01-01--00-00-00/3');
  assert.equal(experimentDir(gs, '2022-01-01--00-00-00/conv_net/0'), '/es/2022-01-01--00-00-00/conv_net/0');
});
