/** Manifest editing features through the built server over JSON-RPC: completion, hover, quick fixes, outline, incremental re-validation. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeAction, CompletionList, DocumentSymbol, Hover, MarkupContent, TextEdit } from 'vscode-languageserver-types';
import { LspClient } from '../helpers/lspClient';

let lsp: LspClient;
before(async () => { lsp = await LspClient.start({ settings: { validation: { debounceMs: 0 } } }); });
after(async () => { await lsp.stop(); });

const HEAD = 'name: demo\ndocker:\n  image: busybox\n  build_strategy: auto\n';

test('completion offers task keys while the YAML is incomplete', async () => {
  const uri = lsp.open('/tmp/cubelab-lsp/editing/complete/mlcube.yaml', `${HEAD}tasks:\n  train:\n    para`);
  await lsp.diagnosticsFor(uri);
  const list = await lsp.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: { line: 6, character: 8 } });
  assert.deepEqual(list.items.map((i) => i.label).sort(), ['entrypoint', 'parameters']);
  const p = list.items.find((i) => i.label === 'parameters')!;
  assert.deepEqual((p.textEdit as TextEdit).range, { start: { line: 6, character: 4 }, end: { line: 6, character: 8 } });
});

test('hover documents a docker key from the schema', async () => {
  const uri = lsp.open('/tmp/cubelab-lsp/editing/hover/mlcube.yaml', `${HEAD}tasks:\n  train: {}\n`);
  await lsp.diagnosticsFor(uri);
  const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: 3, character: 5 } });
  assert.match((h.contents as MarkupContent).value, /Values: `pull`, `auto`, `always`/);
  assert.deepEqual(h.range, { start: { line: 3, character: 2 }, end: { line: 3, character: 16 } });
});

test('a quick fix renames a misspelt key', async () => {
  const text = `${HEAD}tasks:\n  train:\n    parameters:\n      outpus:\n        log: logs/\n`;
  const uri = lsp.open('/tmp/cubelab-lsp/editing/fix/mlcube.yaml', text);
  const diags = (await lsp.diagnosticsFor(uri)).filter((d) => d.code === 'mlcube/unknown-key');
  assert.equal(diags.length, 1);
  const actions = await lsp.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: diags[0].range, context: { diagnostics: diags } });
  assert.equal(actions[0].title, "Change 'outpus' to 'outputs'");
  assert.deepEqual(actions[0].edit?.changes?.[uri], [{ range: { start: { line: 7, character: 6 }, end: { line: 7, character: 12 } }, newText: 'outputs' }]);
});

test('the outline lists tasks with their parameters', async () => {
  const uri = lsp.open('/tmp/cubelab-lsp/editing/outline/mlcube.yaml', `${HEAD}tasks:\n  train:\n    parameters:\n      inputs: {data: data/}\n      outputs: {model: {type: file, default: m.pt}}\n`);
  await lsp.diagnosticsFor(uri);
  const syms = await lsp.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
  const tasks = syms.find((s) => s.name === 'tasks')!;
  assert.deepEqual(tasks.children!.map((t) => [t.name, t.children!.map((c) => c.name)]), [['train', ['data', 'model']]]);
});

test('edits inside one task of a large manifest are re-validated (incrementally) with exact ranges', async () => {
  const tasks = Array.from({ length: 80 }, (_, i) => `  t${i}:\n    parameters:\n      inputs: {d: data/}\n      outputs:\n        o: out/\n`).join('');
  const text = `${HEAD}tasks:\n${tasks}`;
  const uri = lsp.open('/tmp/cubelab-lsp/editing/large/mlcube.yaml', text);
  assert.deepEqual(await lsp.diagnosticsFor(uri), []);
  // Task t40 starts on line 5 + 40 * 5; its `o: out/` line is 4 lines further.
  const line = 5 + 40 * 5 + 4;
  const lines = text.split('\n');
  lines[line] = '        o: 5';
  lsp.change(uri, lines.join('\n'));
  const ds = await lsp.diagnosticsFor(uri);
  assert.deepEqual(ds.map((d) => [d.code, d.range.start.line, d.range.start.character, d.range.end.character]), [['mlcube/param-value-type', line, 11, 12]]);
  lines.splice(line + 1, 0, '        p');
  lsp.change(uri, lines.join('\n'));
  const broken = await lsp.diagnosticsFor(uri);
  assert.ok(broken.length >= 1 && broken.every((d) => d.code === 'yaml-syntax'), JSON.stringify(broken));
  assert.ok(broken.some((d) => d.range.start.line === line + 1));
  lines.splice(line, 2, '        o: out/');
  lsp.change(uri, lines.join('\n'));
  assert.deepEqual(await lsp.diagnosticsFor(uri), []);
});
