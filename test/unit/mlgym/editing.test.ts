import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompletionList, Position } from 'vscode-languageserver-types';
import { caret } from '../../helpers/caret';
import { GOOD_GS, GOOD_RUN, gsWith, open, ctxWith } from './helpers';
import { mlgymGsProvider, mlgymRunProvider } from '../../../server/src/mlgym/provider';

const P = '/w/gs_config.yml';

function complete(textWithCaret: string, path = P, ctx = ctxWith()): string[] {
  const { text, offset } = caret(textWithCaret);
  const d = open(path, text, ctx);
  const provider = d.kind === 'mlgym-run' ? mlgymRunProvider : mlgymGsProvider;
  const list = provider.complete!(d, d.parsed.lines.positionAt(offset), ctx) as CompletionList | null;
  return (list?.items ?? []).map((i) => i.label);
}

test('completion: component types, variants filtered by the block\'s type', () => {
  const types = complete(gsWith('  component_type_key: OPTIMIZER\n', '  component_type_key: OPT|\n'));
  assert.ok(types.includes('OPTIMIZER') && types.includes('EARLY_STOPPING_STRATEGY') && types.length >= 25);
  assert.deepEqual(complete(gsWith('  component_type_key: DATA_LOADER\n  variant_key: FUTURE', '  component_type_key: DATA_LOADER\n  variant_key: |')), ['DEFAULT', 'FUTURE']);
  assert.deepEqual(complete(gsWith('  component_type_key: OPTIMIZER\n  variant_key: DEFAULT', '  component_type_key: OPTIMIZER\n  variant_key: |')), ['DEFAULT', 'BUNDLE']);
});

test('completion: config keys with defaults and docs, only the missing ones', () => {
  const { text, offset } = caret(gsWith('    batch_size:\n      sweep', '    |\n    batch_size:\n      sweep'));
  const d = open(P, text);
  const list = mlgymGsProvider.complete!(d, d.parsed.lines.positionAt(offset), ctxWith())!;
  assert.deepEqual(list.items.map((i) => i.label), ['sampling_strategies', 'drop_last']);
  assert.equal(list.items[1].detail, 'default: false');
  assert.match(JSON.stringify(list.items[0].documentation), /RANDOM\|WEIGHTED_RANDOM\|IN_ORDER/);
});

test('completion: requirement slot names, component names, subscriptions (splits), metric and loss keys, tags, splits', () => {
  assert.deepEqual(complete(gsWith('    - name: eval_component\n', '    - name: |\n')), ['eval_component']);
  const names = complete(gsWith('      component_name: eval_component\n', '      component_name: |\n'));
  assert.ok(names.includes('eval_component') && !names.includes('evaluator'));
  assert.deepEqual(complete(gsWith('      subscription: [train, test]\n', '      subscription: |\n')), ['train', 'test']);
  const metrics = complete(gsWith('      - key: F1_SCORE', '      - key: |'));
  assert.ok(metrics.includes('F1_SCORE') && metrics.includes('RECALL_AT_K') && !metrics.includes('CrossEntropyLoss'));
  const losses = complete(gsWith('      key: CrossEntropyLoss\n      tag: cross_entropy_loss\ntrainer', '      key: |\n      tag: cross_entropy_loss\ntrainer'));
  assert.ok(losses.includes('CrossEntropyLoss') && losses.includes('BCELoss'));
  assert.deepEqual(complete(gsWith('      monitoring_key: F1_SCORE_macro', '      monitoring_key: |')), ['F1_SCORE_macro', 'cross_entropy_loss']);
  assert.deepEqual(complete(gsWith('      split_name: val', '      split_name: |')), ['train', 'val', 'test']);
  assert.ok(complete(gsWith('        id: id_conv_mnist_standard_collator', '        id: |')).includes('id_computation_device'));
});

test('completion in run_config: keys and enumerations', () => {
  assert.deepEqual(complete(gsWith('  type: multiprocessing', '  type: |', GOOD_RUN), '/w/run_config.yml'), ['multiprocessing', 'accelerate', 'main_process']);
  assert.deepEqual(complete(gsWith('    num_epochs: 50\n', '    |\n    num_epochs: 50\n', GOOD_RUN), '/w/run_config.yml'), ['num_epochs', 'gs_config_path', 'num_batches_per_epoch', 'gridsearch_id']);
});

test('hover: variant docs with keys and slots, config key defaults, loss keys', () => {
  const hover = (from: string, to: string) => {
    const { text, offset } = caret(gsWith(from, to));
    const d = open(P, text);
    const h = mlgymGsProvider.hover!(d, d.parsed.lines.positionAt(offset), ctxWith());
    return h ? (h.contents as { value: string }).value : '';
  };
  assert.match(hover('  variant_key: FUTURE', '  variant_key: FUT|URE'), /\*\*DATA_LOADER\/FUTURE\*\*.*Config keys: `batch_size` \(1\), `sampling_strategies` \(\{\}\), `drop_last` \(false\).*Requirements: `iterators`, `data_collator`/s);
  assert.match(hover('    optimizer_key: ADAM', '    optimizer_|key: ADAM'), /Values: `SGD`, `ADAM`, `ADADELTA`, `ADAMW`/);
  assert.match(hover('      key: CrossEntropyLoss\n      tag: cross', '      key: CrossEnt|ropyLoss\n      tag: cross'), /\*\*CrossEntropyLoss\*\*/);
});

test('definition: component_name to its block; gs_config_path to the file', () => {
  const { text, offset } = caret(gsWith('      component_name: eval_component\n', '      component_name: eval_com|ponent\n'));
  const d = open(P, text);
  const def = mlgymGsProvider.definition!(d, d.parsed.lines.positionAt(offset), ctxWith()) as { uri: string; range: { start: Position } };
  assert.equal(def.uri, 'file:///w/gs_config.yml');
  assert.equal(def.range.start.line, text.split('\n').indexOf('eval_component:'));
  const run = caret(gsWith('./gs_config.yml', './gs_con|fig.yml', GOOD_RUN));
  const rd = open('/w/run_config.yml', run.text);
  const ctx = ctxWith({ '/w/gs_config.yml': 'x' });
  const target = mlgymRunProvider.definition!(rd, rd.parsed.lines.positionAt(run.offset), ctx) as { uri: string };
  assert.equal(target.uri, 'file:///w/gs_config.yml');
});

test('outline: components with type/variant and their requirements', () => {
  const d = open(P, GOOD_GS);
  const syms = mlgymGsProvider.symbols!(d, ctxWith());
  assert.deepEqual(syms.slice(0, 3).map((s) => s.name), ['global_config', 'model_info', 'dataset_repository']);
  const trainer = syms.find((s) => s.name === 'trainer')!;
  assert.equal(trainer.detail, 'TRAINER/DEFAULT');
  assert.deepEqual(trainer.children!.map((c) => `${c.name} ${c.detail}`), ['train_component → train_component', 'data_loaders → data_loaders']);
});

test('code lens: the experiment count with the preview command; inlay hints × n on every sweep', () => {
  const d = open(P, GOOD_GS);
  const lenses = mlgymGsProvider.codeLenses!(d, ctxWith());
  assert.deepEqual(lenses.map((l) => [l.command?.title, l.command?.command, l.command?.arguments]), [['15 experiments', 'cubelab.previewGrid', ['file:///w/gs_config.yml']]]);
  const hints = mlgymGsProvider.inlayHints!(d, { start: { line: 0, character: 0 }, end: { line: 999, character: 0 } }, ctxWith());
  const lines = GOOD_GS.split('\n');
  assert.deepEqual(hints.map((h) => [h.label, lines[h.position.line].slice(0, h.position.character)]), [['× 3', '    batch_size:'], ['× 5', '      lr:']]);
  const big = Array.from({ length: 7 }, (_, i) => `k${i}: {sweep: absolute, values: [0,1,2,3,4,5,6,7,8,9]}`).join('\n');
  const t0 = performance.now();
  const bd = open(P, GOOD_GS + 'extra:\n  component_type_key: OPTIMIZER\n  variant_key: DEFAULT\n  config:\n    params:\n' + big.replace(/^/gm, '      ') + '\n');
  assert.equal(mlgymGsProvider.codeLenses!(bd, ctxWith())[0].command!.title, '150,000,000 experiments');
  assert.ok(performance.now() - t0 < 1000);
});
