/**
 * MLExchange content entries in and out (docs/interop.md §1), on the real entries of the registry's dump
 * (test/fixtures/mlexchange, SOURCES.tsv): each is imported as a cube whose tasks the server's planner plans;
 * exported again, validated against MLExchange's model_schema.json (7d882cf) and re-imported into an equal cube
 * (same task plans); and the exported `cmd` and `gui_parameters` give the command line MLExchange's apps hand
 * the job manager, as the original entry does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEntries, type Entry } from '../../../server/src/interop/mlexchange/entry';
import { importEntry, assignGroups, taskNames } from '../../../server/src/interop/mlexchange/importEntry';
import { jobCommand } from '../../../server/src/interop/mlexchange/jobCommand';
import { validateEntry } from '../../../server/src/interop/mlexchange/schema';
import { mlexchangeImport } from '../../../server/src/interop/requests';
import { pyJsonDumps, parseJsonLossless } from '../../../server/src/interop/pyValues';
import { exportOf, fixtures, plansOf, portable, tempDir, writeFiles } from './helpers';

const read = (f: string): Entry[] => readEntries(readFileSync(join(fixtures, f), 'utf8'), f);
const models = read('models.json');
const apps = read('apps.json');
const workflows = read('workflows.json');
const all = [...models, ...apps, ...workflows];
const byName = (n: string): Entry => { const e = all.find((x) => x.name === n); assert.ok(e, n); return e; };

/** Imports an entry into a new folder; returns the manifest's path. */
function importInto(e: Entry, dir = tempDir('mlx')): { dir: string; manifest: string; imported: ReturnType<typeof importEntry> } {
  const imported = importEntry(e, all);
  assert.ok(imported.manifest, `${e.name} imports as a cube: ${imported.notes.join(' ')}`);
  writeFiles(dir, imported.files);
  return { dir, manifest: join(dir, 'mlcube.yaml'), imported };
}

test('the fixtures are the dump: 14 models, 4 apps, 2 workflows, floats kept as floats', () => {
  assert.equal(models.length, 14);
  assert.equal(apps.length, 4);
  assert.equal(workflows.length, 2);
  const tunet = byName('TUNet');
  assert.equal(pyJsonDumps(tunet.gui.find((p) => p.paramKey === 'growth_rate')?.value), '2.0');
  assert.equal(pyJsonDumps(byName('DLSIA-TUNet').gui.find((p) => p.paramKey === 'num_epochs')?.value), '"100"', 'an int stored as a string stays a string');
});

test('random_forest (§1.5): one task running its command with its parameters file of the gui_parameters defaults', () => {
  const { dir, manifest, imported } = importInto(byName('random_forest'));
  assert.deepEqual(imported.tasks, [{ name: 'sleep', cmd: 'sleep 30', parametersFile: 'workspace/parameters.yaml' }]);
  assert.equal(readFileSync(join(dir, 'workspace', 'parameters.yaml'), 'utf8'), 'n_estimators: 30\nmax_depth: 8\n');
  const text = readFileSync(manifest, 'utf8');
  assert.match(text, /^# Imported by CubeLab from the MLExchange model entry "random_forest" 1\.0\.0 \(content_id d68d176e-3c9e-4cb5-8d86-e775164c9dbd\)\./);
  assert.match(text, /\nname: random_forest\nversion: 1\.0\.0\ndescription: xxx\nauthors:\n {2}- name: mlexchange team\ndocker:\n {2}image: mlexchange1\/random-forest-dc:1\.0\ntasks:\n {2}sleep:\n {4}entrypoint: sleep 30\n/);
  const [plan] = plansOf(manifest);
  // What `mlcube run --task=sleep` would run: the command as the entrypoint, the parameters file after it.
  assert.equal(plan?.platforms.docker.command, `docker run --entrypoint=sleep --volume ${dir}/workspace:/mlcube_io0 mlexchange1/random-forest-dc:1.0 30 --parameters_file=/mlcube_io0/parameters.yaml`);
  assert.deepEqual(plan?.args, ['--parameters_file=/mlcube_io0/parameters.yaml']);
  assert.deepEqual(plan?.entrypoint, ['sleep', '30']);
  // The command line the seg-demo app hands the job manager for it (docs/interop.md §2.3's real submission).
  assert.equal(jobCommand(byName('random_forest'), 0), `sleep 30 '{"n_estimators": 30, "max_depth": 8}'`);
});

test('TF_Image_Classification: a task per command, each with the parameters of its comp_group', () => {
  const e = byName('TF_Image_Classification');
  assert.deepEqual(taskNames(e.cmd), ['train_model', 'predict_model']);
  assert.deepEqual(assignGroups(taskNames(e.cmd), e.gui), { byTask: ['train_model', 'prediction_model'], unassigned: [] });
  const { dir, manifest, imported } = importInto(e);
  assert.deepEqual(imported.tasks.map((t) => [t.name, t.compGroup, t.parametersFile]), [
    ['train_model', 'train_model', 'workspace/train_model/parameters.yaml'],
    ['predict_model', 'prediction_model', 'workspace/predict_model/parameters.yaml'],
  ]);
  const train = readFileSync(join(dir, 'workspace', 'train_model', 'parameters.yaml'), 'utf8');
  assert.equal(train.split('\n').filter(Boolean).length, 12);
  assert.match(train, /^learning_rate: 0\.001$/m);
  assert.match(train, /^image_flip: None$/m);
  assert.match(train, /^shuffle: true$/m);
  assert.equal(readFileSync(join(dir, 'workspace', 'predict_model', 'parameters.yaml'), 'utf8'), 'rotation_angle: 0\nimage_flip: None\nbatch_size: 32\nseed: 0\n');
  const gui = parseJsonLossless(readFileSync(join(dir, 'workspace', 'predict_model', 'gui_parameters.json'), 'utf8')) as { comp_group: string }[];
  assert.deepEqual([...new Set(gui.map((g) => g.comp_group))], ['prediction_model']);
  const plans = plansOf(manifest);
  assert.deepEqual(plans.map((p) => [p.taskName, p.image, p.entrypoint, p.args]), [
    ['train_model', 'ghcr.io/mlexchange/mlex_image_classification:main', ['python3', 'src/train_model.py'], ['--parameters_file=/mlcube_io0/parameters.yaml']],
    ['predict_model', 'ghcr.io/mlexchange/mlex_image_classification:main', ['python3', 'src/predict_model.py'], ['--parameters_file=/mlcube_io0/parameters.yaml']],
  ]);
  assert.deepEqual(plans.map((p) => p.mounts.map((m) => m.host.slice(dir.length))), [['/workspace/train_model'], ['/workspace/predict_model']]);
});

test('seg-demo (§1.5, an app): resources as platform settings, container_kwargs environment as env_args, ports reported', () => {
  const { manifest, imported } = importInto(byName('seg-demo'));
  assert.deepEqual(imported.tasks, [{ name: 'napp', cmd: 'python src/napp.py' }]);
  assert.ok(imported.notes.includes('The app publishes port(s) 8052/tcp ("map"): not carried over; an MLCube task publishes no ports.'), imported.notes.join('\n'));
  const [plan] = plansOf(manifest);
  assert.deepEqual(plan?.env, { DATA_DIR: '/app/work/data' });
  assert.equal(plan?.platforms.docker.runArgs, '--cpus=2');
  assert.equal(plan?.gpus, null, 'num_gpus 0: a CPU run');
  const cw = importEntry(byName('color wheel'), all);
  assert.ok(cw.notes.some((n) => n.includes('8091/tcp')));
});

test('a workflow (test1, §1.5) is a note naming its steps in order; entries without a command say why nothing is imported', () => {
  const r = importEntry(byName('test1'), all);
  assert.deepEqual(r.files, []);
  assert.equal(r.manifest, undefined);
  assert.equal(r.notes[0], '"test1" 1.0.0 is a workflow (serial: each step waits for the ones before it) of 2 step(s): step 1: kmeans 1.0.0 (model, content_id a5e21579-c238-440a-8703-3f858e2ddbc3); step 2: random_forest 1.0.0 (model, content_id d68d176e-3c9e-4cb5-8d86-e775164c9dbd). A cube has no workflows: import the steps\' entries as cubes and run their tasks in this order.');
  assert.match(importEntry(byName('test2'), [byName('test2')]).notes[0] ?? '', /parallel: no step waits for another\) of 2 step\(s\): step 1: content_id a5e21579-c238-440a-8703-3f858e2ddbc3 \(not in the imported file\)/);
  assert.match(importEntry(byName('DLSIA-TUNet'), all).notes[0] ?? '', /has no command \("cmd" is empty\): a cube needs at least one task/);
});

test('every real entry: imported, planned, exported valid against model_schema.json, re-imported into an equal cube, same job command lines', () => {
  let cubes = 0;
  for (const e of all) {
    const first = importEntry(e, all);
    if (!first.manifest) continue;
    cubes++;
    const a = importInto(e);
    const plansA = plansOf(a.manifest);
    assert.equal(plansA.length, e.cmd.length, e.name);
    const out = exportOf(a.manifest);
    assert.deepEqual(out.problems, [], `${e.name}: valid against ${out.schema}`);
    assert.equal(out.contentType, e.contentType === 'app' ? 'app' : 'model');
    // The schema accepts almost anything: the export is also checked by what it carries.
    const exported = readEntries(out.text, 'exported')[0] as Entry;
    assert.deepEqual(exported.cmd, e.cmd, `${e.name}: cmd`);
    assert.equal(pyJsonDumps(exported.gui.map((g) => g.raw)), pyJsonDumps(e.gui.map((g) => g.raw)), `${e.name}: gui_parameters`);
    e.cmd.forEach((_, i) => assert.equal(jobCommand(exported, i), jobCommand(e, i), `${e.name}: command line of operation ${i}`));
    // Re-imported: the same cube, task for task.
    const b = importInto(exported);
    assert.deepEqual(portable(plansOf(b.manifest), b.dir), portable(plansA, a.dir), `${e.name}: plans after export and import`);
    assert.equal(readFileSync(b.manifest, 'utf8').replace(/^#.*\n/gm, ''), readFileSync(a.manifest, 'utf8').replace(/^#.*\n/gm, ''), `${e.name}: manifest`);
  }
  assert.equal(cubes, 15, '11 models with commands and 4 apps');
});

test('an unassigned comp_group (TF-NeuralNetworks: transfer_learning) is reported and goes back out on export', () => {
  const e = byName('TF-NeuralNetworks');
  const { manifest, imported } = importInto(e);
  assert.ok(imported.notes.some((n) => n.startsWith('comp_group "transfer_learning"')), imported.notes.join('\n'));
  const exported = readEntries(exportOf(manifest).text)[0] as Entry;
  assert.equal(exported.gui.filter((g) => g.compGroup === 'transfer_learning').length, e.gui.filter((g) => g.compGroup === 'transfer_learning').length);
});

test('values edited in a parameters file are the exported defaults, and the job command line follows them', () => {
  const e = byName('TUNet');
  const { dir, manifest } = importInto(e);
  const file = join(dir, 'workspace', 'train', 'parameters.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('growth_rate: 2.0', 'growth_rate: 3.5').replace('num_epochs: 100', 'num_epochs: 7'));
  const out = exportOf(manifest);
  const exported = readEntries(out.text)[0] as Entry;
  assert.match(jobCommand(exported, 0), /^python3 src\/train\.py '\{"num_epochs": 7, .*"growth_rate": 3\.5, "hidden_rate": 1\.0\}'$/);
  // No comp_group: the parameters are every task's; the second task still has the old values, and the entry keeps one.
  assert.ok(out.warnings.some((w) => w.startsWith('Parameter "num_epochs" (no comp_group) has different values in task train and task segment')), out.warnings.join('\n'));
});

test('a cube written in CubeLab (a JSON Schema beside its parameters file) exports, validates and comes back equal', () => {
  const dir = tempDir('authored');
  writeFiles(dir, {
    'mlcube.yaml': 'name: my-classifier\nversion: 0.3.0\ndescription: A classifier.\nplatform:\n  accelerator_count: 1\ndocker:\n  image: example.org/me/classifier:0.3\n  env_args: {MODE: fast}\n  cpu_args: --cpus=4\n  gpu_args: --cpus=4\ntasks:\n  train:\n    entrypoint: python3 train.py\n    parameters:\n      inputs:\n        parameters_file: {type: file, default: train/parameters.yaml}\n  evaluate:\n    entrypoint: python3 evaluate.py\n    parameters:\n      inputs:\n        parameters_file: {type: file, default: evaluate/parameters.yaml}\n',
    'workspace/train/parameters.yaml': 'lr: 0.01\nepochs: 10\noptimizer: adam\nwarm: true\n',
    'workspace/train/parameters.schema.json': JSON.stringify({ type: 'object', properties: {
      lr: { type: 'number', title: 'Learning rate', minimum: 0, maximum: 1 },
      epochs: { type: 'integer', title: 'Epochs', minimum: 1, maximum: 100, 'x-widget': 'slider' },
      optimizer: { type: 'string', enum: ['adam', 'sgd'] },
      warm: { type: 'boolean' },
    } }),
    'workspace/evaluate/parameters.yaml': 'batch: 64\nsplit: val\n',
  });
  const manifest = join(dir, 'mlcube.yaml');
  const out = exportOf(manifest);
  assert.deepEqual(out.problems, []);
  assert.equal(out.fileName, 'my-classifier_v0.3.0.json');
  const entry = parseJsonLossless(out.text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(entry), ['content_type', 'name', 'public', 'version', 'type', 'service_type', 'uri', 'application', 'description', 'gui_parameters', 'cmd', 'compute_resources', 'container_kwargs']);
  assert.deepEqual(entry.compute_resources, { num_processors: 4, num_gpus: 1 });
  assert.deepEqual(entry.container_kwargs, { environment: ['MODE=fast'] });
  assert.deepEqual(entry.cmd, ['python3 train.py', 'python3 evaluate.py']);
  assert.deepEqual((entry.gui_parameters as Record<string, unknown>[]).map((g) => [g.type, g.param_key, pyJsonDumps(g.value), g.comp_group]), [
    ['float', 'lr', '0.01', 'train'], ['slider', 'epochs', '10', 'train'], ['dropdown', 'optimizer', '"adam"', 'train'], ['bool', 'warm', 'true', 'train'],
    ['int', 'batch', '64', 'evaluate'], ['str', 'split', '"val"', 'evaluate'],
  ]);
  assert.ok(out.warnings.some((w) => w.startsWith('"type" (supervised or unsupervised) is empty')));
  // Back in: the same plans, and the parameters files hold the same values.
  const again = mlexchangeImport({ text: out.text, source: out.fileName });
  assert.ok(again.ok);
  const back = again.entries[0];
  assert.ok(back?.manifest);
  const dir2 = tempDir('authored-back');
  writeFiles(dir2, back.files);
  assert.deepEqual(portable(plansOf(join(dir2, 'mlcube.yaml')), dir2), portable(plansOf(manifest), dir));
  assert.equal(readFileSync(join(dir2, 'workspace', 'train', 'parameters.yaml'), 'utf8'), 'lr: 0.01\nepochs: 10\noptimizer: adam\nwarm: true\n');
});

test('what an entry cannot carry is named, and MLExchange\'s schema still finds what it checks', () => {
  const dir = tempDir('lossy');
  writeFiles(dir, {
    'mlcube.yaml': 'name: lossy\ndocker:\n  image: a/b:1\n  build_strategy: auto\n  cpu_args: --network=none\ntasks:\n  one:\n    entrypoint: python run.py\n    parameters:\n      inputs: {data: {type: directory, default: data}}\n      outputs: {out: {type: directory, default: out}}\n  two:\n    entrypoint: python run.py\n',
  });
  const out = exportOf(join(dir, 'mlcube.yaml'));
  assert.deepEqual(out.problems, ['/cmd must NOT have duplicate items (items ## 1 and 0 are identical)']);
  for (const w of ['Task one: --data, --out (inputs and outputs besides the parameters file) cannot be described in an entry: left out.',
    'cpu_args/gpu_args "--network=none" have no MLExchange field: left out (only --cpus becomes compute_resources.num_processors).',
    'docker.build_strategy has no MLExchange field (an entry names a pulled image): left out.',
    'The manifest has no "version": the entry\'s version is empty (MLExchange names the file and tells entries apart by it).']) assert.ok(out.warnings.includes(w), `${w}\nin\n${out.warnings.join('\n')}`);
  assert.deepEqual(validateEntry({ model_name: 'old', user: 'me' }, 'model').problems.slice(0, 2), ["(the entry) must have required property 'content_type'", "(the entry) must have required property 'name'"]);
});

test('bad input gets a clear error: not JSON, not an entry, a bad cmd', () => {
  assert.deepEqual(mlexchangeImport({ text: '{"name": "x",', source: 'x.json' }), { ok: false, error: 'x.json is not JSON: expected a key at line 1, column 14.' });
  assert.deepEqual(mlexchangeImport({ text: '[1]', source: 'x.json' }), { ok: false, error: 'x.json, entry 1 is not a JSON object.' });
  assert.deepEqual(mlexchangeImport({ text: '{"description": "no name"}', source: 'x.json' }), { ok: false, error: 'x.json has no "name" (nor the older "model_name").' });
  assert.deepEqual(mlexchangeImport({ text: '{"name": "x", "cmd": [1]}', source: 'x.json' }), { ok: false, error: 'x.json ("x"): cmd[0] is not a string.' });
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  assert.match((mlexchangeImport({ text: deep }) as { error: string }).error, /nesting too deep/);
  // A key named like an Object member stays data.
  const r = mlexchangeImport({ text: '{"name": "p", "uri": "a/b", "cmd": ["run"], "gui_parameters": [{"type": "int", "name": "__proto__", "value": 1}]}' });
  assert.ok(r.ok && r.entries[0]?.files.some((f) => f.text === '__proto__: 1\n'));
});
