/**
 * Run forms (docs/interop.md §3): the fields made of MLExchange gui_parameters (a real entry) and of a JSON
 * Schema, the values a form starts from, the check of what the user gives, the parameters file written back
 * (comments and other keys kept, floats as floats), and the "Run with Form…" lens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEntries } from '../../../server/src/interop/mlexchange/entry';
import { importEntry } from '../../../server/src/interop/mlexchange/importEntry';
import { fieldsFromGui, fieldsFromJsonSchema } from '../../../server/src/forms/fields';
import { runForm, runFormWrite } from '../../../server/src/forms/runForm';
import { manifestCodeLenses } from '../../../server/src/mlcube/lenses';
import { checkFormValues } from '../../../shared/webview-protocol/runForm';
import { nodeFileAccess } from '../../../server/src/nodeFileAccess';
import { context } from '../../helpers/service';
import { ctx, fixtures, manifestDoc, tempDir, writeFiles } from './helpers';

const tf = readEntries(readFileSync(join(fixtures, 'models.json'), 'utf8')).find((e) => e.name === 'TF_Image_Classification');
assert.ok(tf);

const MANIFEST = 'name: formed\ndocker:\n  image: cubelab-test/busybox:1\ntasks:\n  train:\n    entrypoint: /bin/sh -c "cat $0"\n    parameters:\n      inputs:\n        config: {type: file, default: params.yaml}\n  plain:\n    entrypoint: /bin/true\n';
const SCHEMA = {
  type: 'object', required: ['lr'],
  properties: {
    lr: { type: 'number', title: 'Learning rate', minimum: 0, maximum: 1, description: 'Step size.' },
    epochs: { type: 'integer', title: 'Epochs', minimum: 1, maximum: 50, multipleOf: 1, 'x-widget': 'slider', default: 5 },
    optimizer: { type: 'string', title: 'Optimizer', oneOf: [{ const: 'adam', title: 'Adam' }, { const: 'sgd', title: 'SGD' }], 'x-widget': 'radio' },
    model: { type: 'string', enum: ['small', 'large'] },
    warm: { type: 'boolean', title: 'Warm start' },
    name: { type: 'string', maxLength: 8 },
    layers: { type: 'array' },
  },
};

function schemaCube(): { dir: string; manifest: string } {
  const dir = tempDir('form');
  writeFiles(dir, {
    'mlcube.yaml': MANIFEST,
    'workspace/params.yaml': '# training\nlr: 0.1 # keep me\nepochs: 3\noptimizer: adam\nmodel: small\nwarm: false\nname: run\nlayers: [1, 2]\n',
    'workspace/params.schema.json': JSON.stringify(SCHEMA),
  });
  return { dir, manifest: join(dir, 'mlcube.yaml') };
}

test('gui_parameters of a real entry make the form: sliders, radios, dropdowns, numbers, switches', () => {
  const train = tf.gui.filter((g) => g.compGroup === 'train_model').map((g) => g.raw);
  const { fields, notes } = fieldsFromGui(train);
  assert.deepEqual(notes, []);
  assert.deepEqual(fields.map((f) => [f.key, f.widget, f.integer ?? f.float ?? null, f.min ?? null, f.max ?? null, f.step ?? null, f.default]), [
    ['rotation_angle', 'slider', true, 0, 360, null, 0],
    ['image_flip', 'radio', null, null, null, null, 'None'],
    ['shuffle', 'radio', null, null, null, null, true],
    ['batch_size', 'slider', true, 16, 128, 16, 32],
    ['val_pct', 'slider', true, 0, 100, 5, 20],
    ['weights', 'dropdown', null, null, null, null, 'None'],
    ['optimizer', 'dropdown', null, null, null, null, 'Adam'],
    ['loss_function', 'dropdown', null, null, null, null, 'categorical_crossentropy'],
    ['learning_rate', 'number', true, null, null, null, 0.001],
    ['epochs', 'slider', true, 1, 1000, null, 30],
    ['nn_model', 'dropdown', null, null, null, null, 'ResNet50'],
    ['seed', 'number', true, null, null, null, 0],
  ]);
  assert.equal(fields[8]?.float, true, 'learning_rate is a float');
  assert.deepEqual(fields[2]?.options, [{ label: 'True', value: true }, { label: 'False', value: false }]);
  assert.equal(fields[1]?.label, 'Image Flip');
  // The newer definitions: `data` for options, `checked` for a bool; a graph is not a value.
  const newer = fieldsFromGui([{ type: 'dropdown', name: 'm', data: ['a', 'b'], value: 'a' }, { type: 'bool', name: 'b', checked: true }, { type: 'graph', name: 'g', title: 'Loss' }]);
  assert.deepEqual(newer.fields.map((f) => [f.widget, f.options ?? null, f.default]), [['dropdown', [{ label: 'a', value: 'a' }, { label: 'b', value: 'b' }], 'a'], ['switch', null, true]]);
  assert.deepEqual(newer.notes, ['"Loss" is a graph component, not a value: not shown.']);
});

test('a JSON Schema makes the form; what cannot be a field is named', () => {
  const { fields, notes } = fieldsFromJsonSchema(SCHEMA);
  assert.deepEqual(fields.map((f) => [f.key, f.widget, f.required ?? false]), [
    ['lr', 'number', true], ['epochs', 'slider', false], ['optimizer', 'radio', false], ['model', 'dropdown', false], ['warm', 'switch', false], ['name', 'text', false],
  ]);
  assert.deepEqual(fields[2]?.options, [{ label: 'Adam', value: 'adam' }, { label: 'SGD', value: 'sgd' }]);
  assert.deepEqual([fields[1]?.min, fields[1]?.max, fields[1]?.step, fields[1]?.default, fields[1]?.integer], [1, 50, 1, 5, true]);
  assert.deepEqual(notes, ['"layers" is of type array: not shown (it stays in the file as it is).']);
});

test('the form of a task: the parameters file, the schema beside it, the values in the file', () => {
  const { dir, manifest } = schemaCube();
  const r = runForm(manifestDoc(manifest), 'train', ctx);
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.form.parametersFile, join(dir, 'workspace', 'params.yaml'));
  assert.equal(r.form.schemaFile, join(dir, 'workspace', 'params.schema.json'));
  assert.equal(r.form.source, 'json-schema');
  assert.equal(r.form.cubeName, 'formed');
  assert.deepEqual(r.form.values, { lr: 0.1, epochs: 3, optimizer: 'adam', model: 'small', warm: false, name: 'run' });
  assert.deepEqual(r.form.defaults, { epochs: 5 });
  const none = runForm(manifestDoc(manifest), 'plain', ctx);
  assert.deepEqual(none, { ok: false, error: 'plain has no parameters file (an input file ending in .yaml or .yml): nothing to fill in.' });
});

test('writing the form: values checked (types, bounds, steps, options, lengths, unknown keys), the file kept as it was around them', () => {
  const { dir, manifest } = schemaCube();
  const doc = manifestDoc(manifest);
  const bad = runFormWrite(doc, 'train', { lr: 2, epochs: 2.5, optimizer: 'adagrad', warm: 'yes', name: 'far too long', extra: 1 }, ctx);
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.ok ? {} : bad.errors, {
    extra: '"extra" is not a field of this form.',
    lr: 'Learning rate must be at most 1.',
    epochs: 'Epochs must be a whole number.',
    optimizer: 'Optimizer must be one of: Adam, SGD.',
    warm: 'Warm start must be on or off.',
    name: 'name must have at most 8 characters.',
  });
  assert.deepEqual(runFormWrite(doc, 'train', { epochs: 4 }, ctx), { ok: false, error: '1 value(s) are not valid: Learning rate is required.', errors: { lr: 'Learning rate is required.' } });
  const ok = runFormWrite(doc, 'train', { lr: 0.25, epochs: 10, optimizer: 'sgd', model: 'large', warm: true, name: 'yes' }, ctx);
  assert.ok(ok.ok, ok.ok ? '' : ok.error);
  assert.equal(ok.path, join(dir, 'workspace', 'params.yaml'));
  // Comments, order and the key the form does not show stay; "yes" stays a string for PyYAML.
  assert.equal(ok.text, '# training\nlr: 0.25 # keep me\nepochs: 10\noptimizer: sgd\nmodel: large\nwarm: true\nname: "yes"\nlayers: [ 1, 2 ]\n');
});

test('an imported entry\'s form writes floats as floats, and strings that look like numbers stay strings', () => {
  const dir = tempDir('form-mlx');
  writeFiles(dir, importEntry(tf).files);
  const manifest = join(dir, 'mlcube.yaml');
  const doc = manifestDoc(manifest);
  const r = runForm(doc, 'train_model', ctx);
  assert.ok(r.ok);
  assert.equal(r.form.source, 'gui_parameters');
  assert.equal(r.form.values.learning_rate, 0.001);
  const w = runFormWrite(doc, 'train_model', { ...r.form.values, learning_rate: 1, epochs: 40, image_flip: 'vertical' }, ctx);
  assert.ok(w.ok, w.ok ? '' : w.error);
  assert.match(w.text, /^learning_rate: 1\.0$/m);
  assert.match(w.text, /^epochs: 40$/m);
  assert.match(w.text, /^image_flip: vertical$/m);
  assert.match(w.text, /^weights: None$/m);
  assert.deepEqual(checkFormValues(r.form.fields, { ...r.form.values, batch_size: 40 }), { batch_size: 'Batch Size must be 16 plus a multiple of 16.' });
});

test('a schema or parameters file too large to read is refused before it is read', () => {
  const { manifest } = schemaCube();
  const big = { ...nodeFileAccess, size: (p: string) => (p.endsWith('.schema.json') ? 50 << 20 : nodeFileAccess.size?.(p)) };
  const r = runForm(manifestDoc(manifest), 'train', context({ fs: big }));
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.error, /^The schema .*params\.schema\.json is 52428800 bytes: more than the 1048576 CubeLab reads\.$/);
  writeFileSync(join(manifest, '..', 'workspace', 'params.schema.json'), '{"type": "object", "properties": ');
  assert.match((runForm(manifestDoc(manifest), 'train', ctx) as { error: string }).error, /params\.schema\.json is not JSON: unexpected end/);
});

test('"Run with Form…" is offered on tasks whose parameters file has a schema beside it', () => {
  const { manifest } = schemaCube();
  const lenses = manifestCodeLenses(manifestDoc(manifest), ctx);
  assert.deepEqual(lenses.map((l) => [l.command?.title, l.command?.arguments?.[1]]), [
    ['▶ Run', 'train'], ['Run with Form…', 'train'], ['Sweep…', 'train'], ['Configure', 'train'],
    ['▶ Run', 'plain'], ['Sweep…', 'plain'], ['Configure', 'plain'],
  ]);
  assert.equal(lenses[1]?.command?.command, 'cubelab.runWithForm');
});
