import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeLens, CompletionList, InlayHint } from 'vscode-languageserver-types';
import { LspClient } from '../helpers/lspClient';
import { corpusFile } from '../helpers/corpus';
import type { GridExpansionResult } from '../../shared/lsp-protocol';

const events = (name: string): string => corpusFile(`mlgym/events/mlgym+mlgym__event_storage__2024-02-14--22-15-46__${name}`);
const realGs = readFileSync(events('grid_search_config.yml'), 'utf8');
const realRun = readFileSync(events('run_config.yml'), 'utf8');

let lsp: LspClient;
let ws: string;
before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'cubelab-mlgym-'));
  mkdirSync(join(ws, 'exp'));
  writeFileSync(join(ws, 'exp', 'gs_config.yml'), realGs);
  lsp = await LspClient.start({ rootPath: ws, settings: { validation: { debounceMs: 0 } } });
});
after(async () => { await lsp.stop(); rmSync(ws, { recursive: true, force: true }); });

test('the real grid search: warnings only, the 15-experiment lens, × hints, and the expansion request', async () => {
  const uri = lsp.open(join(ws, 'exp', 'gs_config.yml'), realGs);
  const ds = await lsp.diagnosticsFor(uri);
  assert.deepEqual(ds.filter((d) => d.severity === 1), []);
  assert.deepEqual([...new Set(ds.map((d) => d.code))].sort(), ['mlgym/deprecated-variant', 'mlgym/seeds-list-ignored']);
  const lenses = await lsp.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
  assert.deepEqual(lenses.map((l) => [l.command?.title, l.command?.command, l.command?.arguments]), [['15 experiments', 'cubelab.previewGrid', [uri]]]);
  const hints = await lsp.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 300, character: 0 } } });
  const lines = realGs.split('\n');
  assert.deepEqual(hints.map((h) => [h.label, lines[h.position.line].trim()]), [['× 3', 'batch_size:'], ['× 5', 'lr:']]);
  const page = await lsp.request<GridExpansionResult>('cubelab/gridExpansion', { uri, offset: 5, limit: 2 });
  assert.equal(page.count, 15);
  const expected = [5, 6].map((i) => JSON.parse(readFileSync(events(`${i}__experiment_config.json`), 'utf8')));
  assert.deepEqual(page.experiments, [{ id: 5, config: expected[0] }, { id: 6, config: expected[1] }]);
});

test('a run_config: its gs_config_path is found next to it; a broken mode is a warning; a bad URL an error', async () => {
  const uri = lsp.open(join(ws, 'exp', 'run_config.yml'), realRun.replace('type: multiprocessing', 'type: main_process').replace('http://127.0.0.1:5002', '127.0.0.1:5002'));
  const ds = await lsp.diagnosticsFor(uri);
  assert.deepEqual(ds.map((d) => [d.code, d.severity]), [
    ['mlgym/main-process-broken', 2], ['mlgym/missing-key', 1], ['mlgym/unknown-key', 1], ['mlgym/unknown-key', 1], ['mlgym/logging-url', 1],
  ]);
  assert.equal((await lsp.request<{ kind: string }>('cubelab/documentKind', { uri })).kind, 'mlgym-run');
});

test('diagnostics update on edit: a stale key appears with its exact range', async () => {
  const uri = lsp.open(join(ws, 'exp', 'cnn_experiment_config.yml'), realGs);
  await lsp.diagnosticsFor(uri);
  const edited = realGs.replace('    show_progress: false\n', '    show_progress: false\n    train_split_name: train\n');
  lsp.change(uri, edited);
  const ds = (await lsp.diagnosticsFor(uri)).filter((d) => d.severity === 1);
  assert.equal(ds.length, 1);
  assert.equal(ds[0].code, 'mlgym/stale-config-key');
  const line = edited.split('\n').indexOf('    train_split_name: train');
  assert.deepEqual(ds[0].range, { start: { line, character: 4 }, end: { line, character: 20 } });
});

test('registry-aware completion over the wire: variants filtered by the component type', async () => {
  const text = realGs.replace('  component_type_key: OPTIMIZER\n  variant_key: DEFAULT', '  component_type_key: OPTIMIZER\n  variant_key: ');
  const uri = lsp.open(join(ws, 'exp', 'gs_config_2.yml'), text);
  const line = text.split('\n').indexOf('  variant_key: ');
  const list = await lsp.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: { line, character: 15 } });
  assert.deepEqual(list.items.map((i) => i.label), ['DEFAULT', 'BUNDLE']);
  const types = await lsp.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: { line: line - 1, character: 22 } });
  assert.ok(types.items.some((i) => i.label === 'LR_SCHEDULER'));
});

test('a 10,000,000-experiment grid answers instantly', async () => {
  const big = 'opt:\n  component_type_key: OPTIMIZER\n  variant_key: DEFAULT\n  config:\n    params:\n'
    + Array.from({ length: 7 }, (_, i) => `      k${i}: {sweep: absolute, values: [0,1,2,3,4,5,6,7,8,9]}\n`).join('');
  const uri = lsp.open(join(ws, 'exp', 'big_config.yml'), big);
  const t0 = Date.now();
  const lenses = await lsp.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
  const last = await lsp.request<GridExpansionResult>('cubelab/gridExpansion', { uri, offset: 9_999_999, limit: 5 });
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  assert.equal(lenses[0].command?.title, '10,000,000 experiments');
  assert.equal(last.count, 10_000_000);
  assert.deepEqual(last.experiments.map((e) => e.id), [9_999_999]);
});

test('user components declared in .cubelab/mlgym-components.yml are read by the server; the declare fix targets that file', async () => {
  mkdirSync(join(ws, '.cubelab'), { recursive: true });
  writeFileSync(join(ws, '.cubelab', 'mlgym-components.yml'), 'components:\n  - type: MODEL_REGISTRY\n    variant: MY_MODELS\n');
  const text = realGs.replace('  component_type_key: MODEL_REGISTRY\n  variant_key: DEFAULT', '  component_type_key: MODEL_REGISTRY\n  variant_key: MY_MODELS')
    .replace('  component_type_key: LR_SCHEDULER\n  variant_key: DEFAULT', '  component_type_key: LR_SCHEDULER\n  variant_key: CYCLIC');
  const uri = lsp.open(join(ws, 'exp', 'user_config.yml'), text);
  const ds = (await lsp.diagnosticsFor(uri)).filter((d) => d.code === 'mlgym/undeclared-component');
  assert.equal(ds.length, 1);
  assert.match(ds[0].message, /LR_SCHEDULER has no variant "CYCLIC"/);
  const actions = await lsp.request<{ title: string; edit?: { changes?: Record<string, { newText: string }[]> } }[]>('textDocument/codeAction', { textDocument: { uri }, range: ds[0].range, context: { diagnostics: ds } });
  const declare = actions.find((a) => a.title.startsWith('Declare LR_SCHEDULER/CYCLIC'))!;
  const fileUri = Object.keys(declare.edit!.changes!)[0];
  assert.ok(fileUri.endsWith('/.cubelab/mlgym-components.yml'));
  assert.equal(declare.edit!.changes![fileUri][0].newText, '  - type: LR_SCHEDULER\n    variant: CYCLIC\n    config_keys: [lr_scheduler_key]\n');
});
