import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeAction, Diagnostic, Range, TextEdit } from 'vscode-languageserver-types';
import { caret } from '../../helpers/caret';
import { gsWith, open, ctxWith, validate } from './helpers';
import { mlgymGsProvider } from '../../../server/src/mlgym/provider';
import { parseYaml } from '../../../server/src/yaml/parsedDocument';
import type { ServiceContext } from '../../../server/src/service/languageService';

const P = '/w/gs_config.yml';

/** Applies single-document text edits (from the end) to a text. */
function apply(text: string, edits: TextEdit[]): string {
  const lines = parseYaml(text).lines;
  const sorted = [...edits].sort((a, b) => lines.offsetAt(b.range.start) - lines.offsetAt(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, lines.offsetAt(e.range.start)) + e.newText + out.slice(lines.offsetAt(e.range.end));
  return out;
}

function actions(text: string, code: string, ctx: ServiceContext = ctxWith()): { d: Diagnostic; acts: CodeAction[] } {
  const d = validate(P, text, ctx).find((x) => x.code === `mlgym/${code}`);
  assert.ok(d, `a ${code} diagnostic`);
  return { d, acts: mlgymGsProvider.codeActions!(open(P, text, ctx), d.range, [d], ctx) };
}

test('did-you-mean replaces the word and clears the diagnostic', () => {
  const text = gsWith('      component_name: dataset_repository\n', '      component_name: dataset_repo\n');
  const { acts } = actions(text, 'unknown-component-name');
  assert.equal(acts[0].title, 'Change to "dataset_repository"');
  const fixed = apply(text, acts[0].edit!.changes!['file:///w/gs_config.yml']);
  assert.deepEqual(validate(P, fixed), []);
});

test('a PyYAML string float gets its float spelling', () => {
  const text = gsWith('[1.0, 0.1, 0.01, 0.001, 0.0001]', '[1.0, 1e-4]');
  const { acts } = actions(text, 'yaml11-string');
  assert.equal(acts[0].title, 'Write 1.0e-4');
  assert.ok(apply(text, acts[0].edit!.changes!['file:///w/gs_config.yml']).includes('[1.0, 1.0e-4]'));
});

test('add a missing requirement: appended to the requirements list with the likely component', () => {
  const text = gsWith('    - name: eval_component\n      component_name: eval_component\n', '    - name: other\n      component_name: eval_component\n');
  const { acts } = actions(text, 'missing-requirement');
  const fix = acts.find((a) => a.title.startsWith('Add requirement'))!;
  assert.equal(fix.title, 'Add requirement "eval_component" → eval_component');
  const fixed = apply(text, fix.edit!.changes!['file:///w/gs_config.yml']);
  assert.ok(fixed.includes('    - name: other\n      component_name: eval_component\n    - name: eval_component\n      component_name: eval_component\n'));
  assert.deepEqual(validate(P, fixed).filter((d) => d.code === 'mlgym/missing-requirement'), []);
});

test('remove a stale key', () => {
  const text = gsWith('    metrics_config:\n', '    train_split_name: train\n    metrics_config:\n');
  const { acts } = actions(text, 'stale-config-key');
  const fixed = apply(text, acts.find((a) => a.title === 'Remove this key')!.edit!.changes!['file:///w/gs_config.yml']);
  assert.deepEqual(validate(P, fixed), []);
});

test('declare an undeclared pair: creates .cubelab/mlgym-components.yml, after which the warning is gone', () => {
  const text = gsWith('  component_type_key: MODEL_REGISTRY\n  variant_key: DEFAULT', '  component_type_key: MODEL_REGISTRY\n  variant_key: MY_MODELS');
  const { acts } = actions(text, 'undeclared-component', ctxWith({}, ['/w']));
  const fix = acts.find((a) => a.title.startsWith('Declare'))!;
  assert.equal(fix.title, 'Declare MODEL_REGISTRY/MY_MODELS as a component your blueprint registers');
  const changes = fix.edit!.documentChanges!;
  assert.deepEqual(changes[0], { kind: 'create', uri: 'file:///w/.cubelab/mlgym-components.yml', options: { ignoreIfExists: true } });
  const body = (changes[1] as { edits: TextEdit[] }).edits[0].newText;
  assert.equal(body, '# Components your MLgym blueprints register (read by CubeLab).\ncomponents:\n  - type: MODEL_REGISTRY\n    variant: MY_MODELS\n');
  const after = ctxWith({ '/w/.cubelab/mlgym-components.yml': body }, ['/w']);
  assert.deepEqual(validate(P, text, after), []);
  // With the file present, the next declaration is appended to its components list.
  const text2 = text.replace('variant_key: FUTURE', 'variant_key: STREAMING');
  const { acts: acts2 } = actions(text2, 'undeclared-component', after);
  const edits = acts2.find((a) => a.title.startsWith('Declare'))!.edit!.changes!['file:///w/.cubelab/mlgym-components.yml'];
  const updated = apply(body, edits);
  assert.equal(updated, body + '  - type: DATA_LOADER\n    variant: STREAMING\n    config_keys: [batch_size]\n    slots: [iterators, data_collator]\n');
  assert.deepEqual(validate(P, text2, ctxWith({ '/w/.cubelab/mlgym-components.yml': updated }, ['/w'])), []);
});

test('declared user components: their keys are checked, their splits feed subscriptions', () => {
  const decl = 'components:\n  - type: DATASET_ITERATORS\n    variant: MY_DATA\n    config_keys: {path: null}\n    splits: [train, dev]\n';
  const text = gsWith('  variant_key: DEFAULT\n  requirements:\n    - name: repository\n      component_name: dataset_repository\n  config:\n    dataset_identifier: mnist\n    split_configs:\n      - split: train\n      - split: test\n',
    '  variant_key: MY_DATA\n  config:\n    path: /data\n    size: 3\n');
  const ds = validate(P, text, ctxWith({ '/w/.cubelab/mlgym-components.yml': decl }));
  assert.deepEqual(ds.map((d) => [d.code, d.message.slice(0, 60)]), [
    ['mlgym/unknown-config-key', 'DATASET_ITERATORS/MY_DATA takes no config key "size": MLgym '],
    ['mlgym/unknown-split', 'Split "test" is not produced (available: train, dev): MLgym '],
  ]);
});

test('convert a plain list to a sweep', () => {
  const { text, offset } = caret(gsWith('    seed: 2\n', '    seed: 2\n    stratified: [tr|ue, false]\n'));
  const d = open(P, text);
  const pos = d.parsed.lines.positionAt(offset);
  const range: Range = { start: pos, end: pos };
  const act = mlgymGsProvider.codeActions!(d, range, [], ctxWith()).find((a) => a.title.startsWith('Sweep'))!;
  assert.equal(act.title, 'Sweep over these 2 values (one experiment each)');
  const fixed = apply(text, act.edit!.changes!['file:///w/gs_config.yml']);
  assert.ok(fixed.includes('    stratified: {sweep: absolute, values: [true, false]}\n'));
  assert.equal(mlgymGsProvider.codeLenses!(open(P, fixed), ctxWith())[0].command!.title, '30 experiments');
});
