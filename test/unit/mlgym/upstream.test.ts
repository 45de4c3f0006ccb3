/**
 * Each check that says what MLgym does with a config (docs/mlgym.md §7.1), against the upstream line it rests on:
 * a config MLgym accepts and one it rejects. Where MLgym skips an entry instead of raising, the entry is a
 * warning and the config stays free of errors; the rejected config is then the nearest one that does raise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic, TextEdit } from 'vscode-languageserver-types';
import { GOOD_GS, GOOD_RUN, gsWith, validate, found, open, ctxWith } from './helpers';
import { mlgymGsProvider } from '../../../server/src/mlgym/provider';
import { parseYaml } from '../../../server/src/yaml/parsedDocument';

const P = '/w/gs_config.yml';
const RUN = '/w/run_config.yml';
const CV_PATH = '/w/cv_config.yml';
const runCtx = () => ctxWith({ '/w/gs_config.yml': 'x: 1\n' });

const ERROR = 1;
const WARNING = 2;

interface Seen { all: Diagnostic[]; errors: Diagnostic[]; of: (code: string) => Diagnostic[]; hits: (code: string) => string[] }
function seen(text: string, path = P, ctx = path === RUN ? runCtx() : ctxWith()): Seen {
  const all = validate(path, text, ctx);
  return {
    all,
    errors: all.filter((d) => d.severity === ERROR),
    of: (code) => all.filter((d) => d.code === `mlgym/${code}`),
    hits: (code) => found(text, all, `mlgym/${code}`).map((h) => h[1]),
  };
}

/** The only diagnostic of `code`: what it covers, its severity and message. */
function one(s: Seen, code: string, covers: string, severity: number, message: RegExp): Diagnostic {
  assert.deepEqual(s.hits(code), [covers]);
  const d = s.of(code)[0];
  assert.equal(d.severity, severity, `${code} severity`);
  assert.match(d.message, message);
  return d;
}

const candidates = (d: Diagnostic) => (d.data as { candidates?: string[] } | undefined)?.candidates;

function apply(text: string, edits: TextEdit[]): string {
  const lines = parseYaml(text).lines;
  const sorted = [...edits].sort((a, b) => lines.offsetAt(b.range.start) - lines.offsetAt(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, lines.offsetAt(e.range.start)) + e.newText + out.slice(lines.offsetAt(e.range.end));
  return out;
}

/** A component appended to the reference config. */
const withBlock = (block: string, base = GOOD_GS) => base + block;
const iteratorBlock = (name: string, type: string, config: string, from = 'splitted_dataset_iterators', subscription = '') =>
  `${name}:\n  component_type_key: ${type}\n  variant_key: DEFAULT\n  requirements:\n    - name: iterators\n      component_name: ${from}\n${subscription ? `      subscription: ${subscription}\n` : ''}  config:\n${config}`;

// ---- Split names (docs/mlgym.md §2.4 "Split names") ----

const SPLIT_FROM = '        val: 0.3\n    seed: 2';

test('split_configs source split the splitter never receives: MLgym skips it (factory.py L164–169), a warning with the received names as fixes', () => {
  assert.deepEqual(seen(GOOD_GS).all, []);
  const text = gsWith(SPLIT_FROM, '        val: 0.3\n      tets:\n        test_a: 0.5\n        test_b: 0.5\n    seed: 2');
  const s = seen(text);
  assert.deepEqual(s.errors, []);
  const d = one(s, 'unused-split-key', 'tets', WARNING,
    /^split_configs source split "tets" is not received \(received: train, test\), so this entry is never used: MLgym splits only the splits it receives and skips this entry \(its new splits are never made\)\. Did you mean "test"\?$/);
  // "train" is already a key of split_configs, so only "test" is offered.
  assert.deepEqual(candidates(d), ['test']);
  const acts = mlgymGsProvider.codeActions!(open(P, text), d.range, [d], ctxWith());
  assert.deepEqual(acts.filter((a) => a.diagnostics?.includes(d)).map((a) => a.title), ['Change to "test"']);
  const fixed = apply(text, acts[0].edit!.changes!['file:///w/gs_config.yml']);
  assert.deepEqual(seen(fixed).all, []);
});

test('a misspelt source split: the entry is skipped, and the splits it should have made are a KeyError where they are subscribed', () => {
  const s = seen(gsWith('      train:\n        train: 0.7', '      trian:\n        train: 0.7'));
  one(s, 'unused-split-key', 'trian', WARNING, /source split "trian" is not received \(received: train, test\).*Did you mean "train"\?/);
  assert.deepEqual(candidates(s.of('unused-split-key')[0]), ['train', 'test']);
  // MLgym rejects this config, but only where the missing split is read: the loaders' subscription.
  assert.deepEqual(s.errors.map((d) => [d.code, d.message.slice(0, 86)]), [
    ['mlgym/unknown-split', 'Split "val" is not produced (available: train, test): MLgym raises KeyError: \'val\'.'],
  ]);
});

test('applicable_splits of SHUFFLED/FILTERED/MAPPED iterators: MLgym skips a split it never receives (constructables.py L179–235), unlike ITERATOR_VIEW\'s applicable_split (L213, KeyError)', () => {
  const filtered = (splits: string) => withBlock(iteratorBlock('filtered_iterators', 'FILTERED_LABELS_ITERATOR', `    filtered_labels: [1, 2]\n    applicable_splits: ${splits}\n`));
  assert.deepEqual(seen(filtered('[train, val]')).all, []);
  const s = seen(filtered('[train, vall]'));
  assert.deepEqual(s.errors, []);
  const d = one(s, 'unused-split-key', 'vall', WARNING,
    /^applicable_splits entry "vall" is not received \(received: train, test, val\), so this entry is never used: MLgym applies FILTERED_LABELS_ITERATOR to the received splits listed here and skips the others\. Did you mean "val"\?$/);
  assert.deepEqual(candidates(d), ['val', 'test']);
  const shuffled = seen(withBlock(iteratorBlock('shuffled_iterators', 'SHUFFLED_DATASET_ITERATORS', '    seeds: {train: 1}\n    applicable_splits: [train, holdout]\n')));
  one(shuffled, 'unused-split-key', 'holdout', WARNING, /MLgym applies SHUFFLED_DATASET_ITERATORS to the received splits listed here/);
  assert.deepEqual(shuffled.errors, []);
  const view = (split: string) => withBlock(iteratorBlock('view', 'ITERATOR_VIEW', `    split_indices: {a: [0, 1], b: [2]}\n    applicable_split: ${split}\n`));
  assert.deepEqual(seen(view('train')).all, []);
  one(seen(view('trian')), 'unknown-split', 'trian', ERROR, /^applicable_split "trian" is not produced \(available: train, test, val\): MLgym raises KeyError: 'trian'\. Did you mean "train"\?$/);
});

test('ONE_HOT_ENCODED_TARGETS_ITERATOR keeps the received splits it lists (constructables.py L266): an unreceived entry is a warning, reading a split it dropped a KeyError', () => {
  const oneHot = (applicable: string, read: string) => withBlock(
    iteratorBlock('one_hot', 'ONE_HOT_ENCODED_TARGETS_ITERATOR', `    applicable_splits: ${applicable}\n    target_vector_size: 10\n`, 'splitted_dataset_iterators', '[train, test]')
    + iteratorBlock('in_memory', 'IN_MEMORY_DATASET_ITERATORS', '', 'one_hot', read).replace('  config:\n', ''));
  assert.deepEqual(seen(oneHot('[train, test]', '[test]')).all, []);
  const skipped = seen(oneHot('[train, test, val]', '[test]'));
  assert.deepEqual(skipped.errors, []);
  one(skipped, 'unused-split-key', 'val', WARNING, /^applicable_splits entry "val" is not received \(received: train, test\), so this entry is never used: MLgym keeps only the received splits listed here\.$/);
  // "val" is listed but never received, so one_hot does not output it: reading it is a KeyError.
  const rejected = seen(oneHot('[train, val]', '[val]'));
  assert.deepEqual(rejected.errors.map((d) => found(oneHot('[train, val]', '[val]'), [d])[0]), [['mlgym/unknown-split', 'val', GOOD_GS.split('\n').length + 16]]);
  assert.match(rejected.errors[0].message, /^Split "val" is not produced \(available: train\): MLgym raises KeyError: 'val'\./);
});

test('DATA_LOADER: weigthed_sampling_split_name, seeds and sampling_strategies keys are compared with the received splits (dataset_loader.py L40–45, L70–71); a strategy name is an enum lookup (L73, KeyError)', () => {
  const deprecated = gsWith('variant_key: FUTURE', 'variant_key: DEFAULT');
  const weighted = (name: string) => gsWith('    batch_size:\n', `    weigthed_sampling_split_name: ${name}\n    batch_size:\n`, deprecated);
  assert.deepEqual(seen(weighted('train')).errors, []);
  assert.deepEqual(seen(weighted('train')).hits('unused-split-key'), []);
  const w = seen(weighted('trainn'));
  assert.deepEqual(w.errors, []);
  one(w, 'unused-split-key', 'trainn', WARNING, /^weigthed_sampling_split_name "trainn" is not received \(received: train, val, test\), so this entry is never used: no split is sampled by weight\. Did you mean "train"\?$/);
  const seeds = seen(gsWith('    batch_size:\n', '    seeds: {train: 1, vall: 2}\n    batch_size:\n', deprecated));
  one(seeds, 'unused-split-key', 'vall', WARNING, /^seeds split "vall" is not received/);
  assert.deepEqual(candidates(seeds.of('unused-split-key')[0]), ['val', 'test']);
  const strategies = (s: string) => gsWith('    batch_size:\n', `    sampling_strategies:\n      train: {strategy: ${s}, seed: 1}\n    batch_size:\n`);
  assert.deepEqual(seen(strategies('RANDOM')).all, []);
  one(seen(strategies('random')), 'unknown-registry-key', 'random', ERROR, /^"random" is not a sampling strategy: MLgym reads the enum name, one of RANDOM, WEIGHTED_RANDOM, IN_ORDER, and raises KeyError: 'random' otherwise\.$/);
});

test('a subscription names splits by key (constructables.py L52, L54): an unproduced one is a KeyError', () => {
  const s = seen(gsWith('      subscription: [train, val, test]\n    - name: data_collator', '      subscription: [train, val, tst]\n    - name: data_collator'));
  one(s, 'unknown-split', 'tst', ERROR, /^Split "tst" is not produced \(available: train, test, val\): MLgym raises KeyError: 'tst'\. Did you mean "test"\?$/);
  const scalar = seen(gsWith('      subscription: train\n', '      subscription: training\n'));
  one(scalar, 'unknown-split', 'training', ERROR, /MLgym raises KeyError: 'training'/);
});

test('early stopping reads its split and its monitoring key from the evaluation results (early_stopping_strategies.py L64–74): BatchStateError', () => {
  one(seen(gsWith('      split_name: val', '      split_name: dev')), 'split-not-evaluated', 'dev', ERROR,
    /^split_name "dev" is not evaluated \(evaluated splits: train, val, test\): early stopping raises BatchStateError after the first evaluation\./);
  one(seen(gsWith('      monitoring_key: F1_SCORE_macro', '      monitoring_key: f1')), 'unknown-monitoring-key', 'f1', ERROR,
    /^monitoring_key "f1" is neither a metric tag nor a loss tag of the evaluation \(F1_SCORE_macro, cross_entropy_loss\): early stopping finds no score for it and raises BatchStateError after the first evaluation\./);
  // An evaluation restricted to other splits is skipped for this one (evaluator.py L144–147): a warning.
  const restricted = seen(gsWith('        tag: F1_SCORE_macro\n', '        tag: F1_SCORE_macro\n    metrics_computation_config:\n      - metric_tag: F1_SCORE_macro\n        applicable_splits: [val, tests]\n'));
  assert.deepEqual(restricted.errors, []);
  one(restricted, 'applicable-split-not-evaluated', 'tests', WARNING, /so this entry never applies\. Did you mean "test"\?$/);
});

// ---- Components and requirements (docs/mlgym.md §2.1) ----

test('requirements: MLgym reads name, component_name and subscription (component_factory.py L173–178); other keys are ignored, a missing one is a KeyError', () => {
  const extra = seen(gsWith('      component_name: dataset_repository\n', '      component_name: dataset_repository\n      subscribe: train\n'));
  assert.deepEqual(extra.errors, []);
  one(extra, 'ignored-key', 'subscribe', WARNING, /^"subscribe" is not a requirement key: MLgym reads only name, component_name and subscription and ignores it\. Did you mean "subscription"\?$/);
  const missing = seen(gsWith('    - name: repository\n      component_name: dataset_repository\n', '    - name: repository\n'));
  assert.deepEqual(missing.of('requirement-key').map((d) => [d.severity, d.message]), [
    [ERROR, 'This requirement has no `component_name`: MLgym cannot tell which component to build for it and raises KeyError: \'component_name\' while reading the config.'],
  ]);
});

test('a requirement slot the constructable reads (constructables.py L77) and a component it names (component_factory.py L208): KeyError', () => {
  const slot = seen(gsWith('    - name: eval_component\n      component_name: eval_component\n', '    - name: eval_comp\n      component_name: eval_component\n'));
  one(slot, 'missing-requirement', 'evaluator', ERROR,
    /^EVALUATOR\/DEFAULT reads the requirement "eval_component" .* MLgym raises KeyError: 'eval_component' when it builds the component \(reported as ComponentConstructionError "Could not find DEFAULT\. Forgot to register\?"\)\.$/);
  one(slot, 'unknown-slot', 'eval_comp', WARNING, /never reads a requirement named "eval_comp"/);
  one(seen(gsWith('      component_name: dataset_repository\n', '      component_name: repository\n')), 'unknown-component-name', 'repository', ERROR,
    /^No component is named "repository": MLgym raises a bare KeyError: 'repository' while building "dataset_iterators"\./);
});

test('block and config keys are splatted into dataclasses (component_factory.py L96, L183): unknown ones raise', () => {
  one(seen(gsWith('  variant_key: RANDOM\n', '  variant_key: RANDOM\n  requirement: []\n')), 'unknown-block-key', 'requirement', ERROR, /MLgym raises ComponentConstructionError/);
  one(seen(gsWith('    seed: 2\n', '    seed: 2\n    ratio: 0.5\n')), 'unknown-config-key', 'ratio', ERROR,
    /^SPLITTED_DATASET_ITERATORS\/RANDOM takes no config key "ratio": MLgym raises TypeError: __init__\(\) got an unexpected keyword argument 'ratio'\./);
});

// ---- Registries and their parameters (docs/mlgym.md §2.4 "Registry key enumerations") ----

test('registry keys: ClassRegistry lookups raise ClassRegistryKeyNotFoundError (class_registry.py L40–41), the optimizer and scheduler maps KeyError', () => {
  one(seen(gsWith('early_stopping_key: LAST_K_EPOCHS_IMPROVEMENT_STRATEGY', 'early_stopping_key: LAST_K_EPOCHS')), 'unknown-registry-key', 'LAST_K_EPOCHS', ERROR,
    /^"LAST_K_EPOCHS" is not an early_stopping_key: MLgym knows LAST_K_EPOCHS_IMPROVEMENT_STRATEGY and raises ClassRegistryKeyNotFoundError otherwise\./);
  one(seen(gsWith('optimizer_key: ADAM', 'optimizer_key: Adam')), 'unknown-registry-key', 'Adam', ERROR, /MLgym knows SGD, ADAM, ADADELTA, ADAMW and raises KeyError otherwise\. Did you mean "ADAM" or "ADAMW"\?$/);
  one(seen(gsWith('      - key: F1_SCORE', '      - key: F1_SCORES')), 'unknown-registry-key', 'F1_SCORES', ERROR, /^The metric registry has no "F1_SCORES": MLgym raises ClassRegistryKeyNotFoundError\./);
  one(seen(gsWith('checkpointing_key: SAVE_LAST_EPOCH_ONLY_CHECKPOINTING_STRATEGY', 'checkpointing_key: SAVE_MOST_RECENT_EPOCH_ONLY_CHECKPOINTING_STRATEGY')), 'dev-only-key',
    'SAVE_MOST_RECENT_EPOCH_ONLY_CHECKPOINTING_STRATEGY', ERROR, /at HEAD \(master\) the checkpointing registry raises ClassRegistryKeyNotFoundError/);
});

test('post-processor entries: {key, params} entries are read by key (constructables.py L539, L618–626), the flat eval entry is splatted (L628)', () => {
  const TRAIN_AT = '      tag: cross_entropy_loss\ntrainer';
  const train = (entry: string) => gsWith(TRAIN_AT, `      tag: cross_entropy_loss\n    post_processors_config:\n      - ${entry}\ntrainer`);
  assert.deepEqual(seen(train('key: ARG_MAX\n        params: {prediction_subscription_key: a, prediction_publication_key: b}')).all, []);
  const ignored = seen(train('key: ARG_MAX\n        params: {prediction_subscription_key: a, prediction_publication_key: b}\n        applicable_splits: [train]'));
  assert.deepEqual(ignored.errors, []);
  one(ignored, 'ignored-key', 'applicable_splits', WARNING, /^TRAIN_COMPONENT reads only key, params of a post-processor entry: MLgym ignores "applicable_splits"\. Training applies every post-processor\.$/);
  one(seen(train('key: ARG_MAX')), 'missing-param', 'ARG_MAX', ERROR, /KeyError: 'params'/);
  const EVAL_AT = '    metrics_config:\n';
  const evalWith = (entry: string) => gsWith(EVAL_AT, `    post_processors_config:\n      - ${entry}\n    metrics_config:\n`);
  assert.deepEqual(seen(evalWith('key: ARG_MAX\n        prediction_subscription_key: a\n        prediction_publication_key: b')).all, []);
  assert.deepEqual(seen(evalWith('key: ARG_MAX\n        params: {prediction_subscription_key: a, prediction_publication_key: b}\n        applicable_splits: [val]')).all, []);
  one(seen(evalWith('key: ARG_MAX\n        prediction_subscription_key: a\n        prediction_publication_key: b\n        applicable_splits: [val]')), 'missing-param', 'ARG_MAX', ERROR,
    /^With `applicable_splits`, EVAL_COMPONENT reads `config\["params"\]`: without `params` MLgym raises KeyError: 'params'\./);
  const flat = seen(evalWith('key: ARG_MAX\n        prediction_subscription_key: a\n        prediction_publication_key: b\n        axis: 1'));
  one(flat, 'unknown-param', 'axis', ERROR, /^A post-processor entry without `params` takes key and prediction_subscription_key, prediction_publication_key, not "axis": MLgym passes every key to ARG_MAX and raises TypeError\.$/);
  const note = seen(evalWith('key: ARG_MAX\n        params: {prediction_subscription_key: a, prediction_publication_key: b}\n        note: x'));
  assert.deepEqual(note.errors, []);
  one(note, 'ignored-key', 'note', WARNING, /^EVAL_COMPONENT reads only key, params, applicable_splits of a post-processor entry: MLgym ignores "note"\.$/);
});

// ---- Sweeps (docs/mlgym.md §2.2) ----

test('sweep values: MLgym iterates whatever `values` is (grid_search.py L94): a string or mapping is a warning, a number a TypeError, no values a KeyError', () => {
  const values = (v: string) => gsWith('      values: [10, 50, 100]', `      values: ${v}`);
  assert.deepEqual(seen(values('[10]')).all, []);
  const str = seen(values('abc'));
  assert.deepEqual(str.errors, []);
  one(str, 'sweep-values-not-list', 'abc', WARNING, /^`values` is a string, so MLgym sweeps over its 3 characters\./);
  one(seen(values('{a: 1, b: 2}')), 'sweep-values-not-list', '{a: 1, b: 2}', WARNING, /a mapping, so MLgym sweeps over its keys/);
  one(seen(values('5')), 'sweep-values', '5', ERROR, /^`values` is not a list, so MLgym raises TypeError: 'int' object is not iterable\./);
  one(seen(values('null')), 'sweep-values', 'null', ERROR, /^`values` is null, so MLgym raises TypeError: 'NoneType' object is not iterable\./);
  one(seen(gsWith('      sweep: absolute\n      values: [10, 50, 100]', '      sweep: absolute')), 'sweep-values', 'sweep', ERROR, /KeyError: 'values'/);
  one(seen(gsWith('      sweep: absolute\n      values: [10, 50, 100]', '      sweep: grid\n      values: [10, 50, 100]')), 'sweep-type', 'grid', ERROR, /NotImplementedError/);
});

// ---- CV configs (docs/mlgym.md §2.3) ----

test('CV configs: the block is read as iterator_key, split_key and config (validator_factory.py L50–56); other keys are ignored, the mode name is an enum lookup (cmd.py L218–219)', () => {
  const CV = 'CROSS_VALIDATION:\n  iterator_key: splitted_dataset_iterators\n  split_key: train\n  config:\n    num_folds: 5\n    stratification: false\n    target_pos: 1\n    shuffle: false\n    seed: 2\n';
  assert.deepEqual(seen(CV, CV_PATH).errors, []);
  const extra = seen(CV.replace('  split_key: train\n', '  split_key: train\n  splitkey: val\n'), CV_PATH);
  assert.deepEqual(extra.errors, []);
  one(extra, 'ignored-key', 'splitkey', WARNING, /^"splitkey" is not read: a validation block takes iterator_key, split_key and config, and MLgym ignores anything else\. Did you mean "split_key"\?$/);
  one(seen(CV.replace('CROSS_VALIDATION', 'CV'), CV_PATH), 'cv-mode', 'CV', ERROR, /looks the first key up as ValidationMode\[\.\.\.\] \(CROSS_VALIDATION, NESTED_CV, GRID_SEARCH\) and raises KeyError: 'CV'\. Write CROSS_VALIDATION\.$/);
  one(seen(CV.replace('    seed: 2\n', '    seed: 2\n    repeats: 3\n'), CV_PATH), 'cv-key', 'repeats', ERROR, /^CrossValidation\.__init__ takes no "repeats": MLgym raises TypeError\./);
});

// ---- run_config.yml (docs/mlgym.md §1) ----

test('run_config: parse_run_configuration reads type and config of each block (cmd.py L298–316); other keys beside them are ignored, missing ones are KeyErrors', () => {
  assert.deepEqual(seen(GOOD_RUN, RUN).all, []);
  const extra = seen(GOOD_RUN.replace('  type: train\n', '  type: train\n  name: demo\n').replace('  type: multiprocessing\n', '  type: multiprocessing\n  devices: [0]\n'), RUN);
  assert.deepEqual(extra.errors, []);
  assert.deepEqual(extra.of('ignored-key').map((d) => [d.severity, d.message]), [
    [WARNING, 'run_configuration takes only `type` and `config`; MLgym ignores "name".'],
    [WARNING, 'environment takes only `type` and `config`; MLgym ignores "devices".'],
  ]);
  one(seen(GOOD_RUN.replace('  type: multiprocessing\n', ''), RUN), 'missing-key', 'environment', ERROR, /MLgym raises KeyError: 'type'/);
  one(seen(GOOD_RUN.replace('    - http://127.0.0.1:5002', '    - http://127.0.0.1'), RUN), 'logging-url', 'http://127.0.0.1', ERROR, /raises ValueError otherwise/);
});
