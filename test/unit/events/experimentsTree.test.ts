import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeEventStorage } from '../../helpers/eventGenerator';
import {
  DEFAULT_STORAGE_GLOBS, ExperimentsModel, findLogsUnder, isInside, runOutputDirs, type FoundLog,
} from '../../../client/src/experiments/model';
import { tempDir } from './helpers';

const GS = '2024-02-14--22-15-46';
const found = (logPath: string, where = 'out/event_storage'): FoundLog => ({ logPath, where });

test('discovery: the default glob finds grid search logs, not node_modules copies', async (t) => {
  const root = tempDir(t);
  const w = writeEventStorage(join(root, 'out', 'event_storage'), { experiments: 2, epochs: 2 });
  cpSync(join(root, 'out'), join(root, 'node_modules', 'pkg', 'out'), { recursive: true });
  const logs = await findLogsUnder(root, DEFAULT_STORAGE_GLOBS);
  // MLboard's side-effect rooms match the glob too; the model drops them (next test).
  assert.deepEqual(logs.map((p) => p.slice(root.length + 1)), [
    `out/event_storage/${GS}/event_storage.log`,
    'out/event_storage/mlgym_event_publishers/event_storage.log',
    'out/event_storage/mlgym_streamed_logger/event_storage.log',
  ]);
  assert.ok(logs.includes(w.logPath));
  assert.deepEqual(await findLogsUnder(root, ['**/nothing/*.log']), []);
});

test('a finished grid search: label, counts, experiments in numeric order, checkpoints by epoch', async (t) => {
  const root = tempDir(t);
  const storage = join(root, 'out', 'event_storage');
  // 12 experiments and 11 epochs, so that "10" and "11" must come after "9" in both lists.
  const epochs = Array.from({ length: 11 }, (_, i) => i);
  const w = writeEventStorage(storage, { experiments: 12, epochs: 11, numBatches: 20, processCount: 3, failing: [4], checkpointEpochs: epochs });
  const logs = await findLogsUnder(root, DEFAULT_STORAGE_GLOBS);
  const model = new ExperimentsModel();
  const searches = await model.gridSearches(logs.map((p) => found(p)));
  assert.deepEqual(searches.map((g) => [g.label, g.description]), [[GS, '12 experiments · 11 done · 1 failed · out/event_storage']]);
  assert.equal(searches[0].logPath, w.logPath);

  const exps = await model.experiments(searches[0]);
  assert.deepEqual(exps.map((e) => e.label), Array.from({ length: 12 }, (_, i) => `experiment ${i}`));
  assert.equal(exps[0].description, 'done · epoch 11/11 · 11 checkpoints');
  assert.equal(exps[0].state, 'done');
  // The failed job stopped halfway and wrote no checkpoint.
  assert.match(exps[4].description, /^failed · epoch \d+\/11$/);
  assert.equal(exps[4].checkpoints.length, 0);
  assert.match(exps[4].tooltip, /Error: /);

  const cps = exps[10].checkpoints;
  assert.deepEqual(cps.map((c) => c.label), epochs.map((e) => `epoch ${e}`));
  assert.ok(cps.findIndex((c) => c.label === 'epoch 9') < cps.findIndex((c) => c.label === 'epoch 10'));
  assert.deepEqual(cps.map((c) => c.description), epochs.map(() => '4 files'));
  assert.equal(cps[9].dir, join(storage, GS, '10', '9'));
  assert.match(cps[9].tooltip, /model\.pickle/);
});

test('a run in progress: status and progress, then a refresh reads only what was appended', async (t) => {
  const root = tempDir(t);
  const storage = join(root, 'event_storage');
  // Cut the log mid-run: some experiments are still running, later ones queued.
  const w = writeEventStorage(storage, { experiments: 4, epochs: 5, numBatches: 20, processCount: 2, targetEvents: 400 });
  const model = new ExperimentsModel();
  const [gs] = await model.gridSearches([found(w.logPath, 'event_storage')]);
  assert.match(gs.description, /^4 experiments · .*running/);
  const exps = await model.experiments(gs);
  const running = exps.filter((e) => e.state === 'running');
  assert.ok(running.length > 0, exps.map((e) => e.description).join(' | '));
  for (const e of running) assert.match(e.description, /^running · epoch \d+\/\d+ · (train|val|test) \d+ %$/);

  // The job of experiment 0 ends: the next listing shows it, reading only the new line.
  appendFileSync(w.logPath, JSON.stringify({ event_type: 'job_status', creation_ts: 1707945399999999, payload: {
    job_id: `${GS}-0`, job_type: 1, status: 'DONE', grid_search_id: GS, experiment_id: 0, starting_time: 1, finishing_time: 2, error: null, stacktrace: null,
  } }) + '\n');
  const again = await model.experiments((await model.gridSearches([found(w.logPath, 'event_storage')]))[0]);
  assert.equal(again[0].state, 'done');
  assert.match(again[0].description, /^done/);
});

test('a log too large to summarise shows what the folders say', async (t) => {
  const root = tempDir(t);
  const w = writeEventStorage(join(root, 'event_storage'), { experiments: 3, epochs: 2, checkpointEpochs: [0, 1] });
  const model = new ExperimentsModel(10); // bytes: every log is "too large"
  const [gs] = await model.gridSearches([found(w.logPath, 'event_storage')]);
  assert.equal(gs.description, '3 experiments · event_storage');
  assert.match(gs.tooltip, /open the Experiments table/);
  const exps = await model.experiments(gs);
  assert.deepEqual(exps.map((e) => [e.label, e.description]), [
    ['experiment 0', '2 checkpoints'], ['experiment 1', '2 checkpoints'], ['experiment 2', '2 checkpoints'],
  ]);
});

test("runs' outputs: the workspace, output folders and read-write mounts of recent runs, not input mounts", async (t) => {
  const root = tempDir(t);
  const store = join(root, 'ws', '.cubelab', 'runs');
  mkdirSync(join(store, 'r1'), { recursive: true });
  const plan = { workspace: join(root, 'cube', 'workspace'), mkdirs: [join(root, 'cube', 'workspace', 'model')], mounts: [
    { host: join(root, 'data'), container: '/data', mode: 'ro' },
    { host: join(root, 'home'), container: '/mlcube_io1', mode: '' }, // an input without opts (a parameters file's folder)
    { host: join(root, 'elsewhere', 'out'), container: '/out', mode: 'rw' },
  ] };
  writeFileSync(join(store, 'r1', 'run.json'), JSON.stringify({
    version: 1, runId: 'r1', manifest: 'm', task: 'train', target: 'docker', plan, overrides: [], image: { name: 'x' },
    engine: { host: '' }, status: 'succeeded', startedAt: '2026-01-01T00:00:00Z', exitCode: 0, git: null, warnings: [],
  }));
  assert.deepEqual(await runOutputDirs([store, join(root, 'missing')]), [
    { dir: join(root, 'cube', 'workspace'), active: false },
    { dir: join(root, 'cube', 'workspace', 'model'), active: false },
    { dir: join(root, 'elsewhere', 'out'), active: false },
  ]);
  assert.ok(isInside(join(root, 'ws', 'a'), join(root, 'ws')));
  assert.ok(isInside(join(root, 'ws'), join(root, 'ws')));
  assert.ok(!isInside(join(root, 'wsx'), join(root, 'ws')));
  assert.ok(!isInside(join(root, 'elsewhere'), join(root, 'ws')));
});
