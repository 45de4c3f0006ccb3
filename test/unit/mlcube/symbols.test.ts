import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SymbolKind } from 'vscode-languageserver-types';
import { doc } from '../../helpers/service';
import { manifestSymbols } from '../../../server/src/mlcube/symbols';
import { manifestFolding } from '../../../server/src/mlcube/folding';

const TEXT = [
  'name: mnist', //                                     0
  'docker:', //                                         1
  '  image: mlcommons/mnist:0.0.1', //                  2
  '# the tasks', //                                     3
  '# of this cube', //                                  4
  'tasks:', //                                          5
  '  download:', //                                     6
  '    parameters:', //                                 7
  '      inputs:', //                                   8
  '        data_config: {type: file, default: data.yaml}', // 9
  '      outputs:', //                                  10
  '        data_dir: data/', //                         11
  '  train:', //                                        12
  '    entrypoint: python train.py', //                 13
  '',
].join('\n');

test('the outline lists sections, tasks, and each task\'s inputs and outputs', () => {
  const syms = manifestSymbols(doc('/c/mlcube.yaml', TEXT));
  assert.deepEqual(syms.map((s) => [s.name, s.kind]), [['name', SymbolKind.String], ['docker', SymbolKind.Module], ['tasks', SymbolKind.Namespace]]);
  assert.equal(syms[0].detail, 'mnist');
  const tasks = syms[2].children!;
  assert.deepEqual(tasks.map((t) => t.name), ['download', 'train']);
  const download = tasks[0];
  assert.equal(download.detail, '1 in, 1 out');
  assert.deepEqual(download.range, { start: { line: 6, character: 2 }, end: { line: 11, character: 23 } });
  assert.deepEqual(download.selectionRange, { start: { line: 6, character: 2 }, end: { line: 6, character: 10 } });
  assert.deepEqual(download.children!.map((c) => [c.name, c.kind, c.detail]), [
    ['data_config', SymbolKind.Variable, 'input file: data.yaml'],
    ['data_dir', SymbolKind.Event, 'output: data/'],
  ]);
  assert.deepEqual(download.children![0].range, { start: { line: 9, character: 8 }, end: { line: 9, character: 53 } });
  assert.deepEqual(tasks[1].children, []);
});

test('folding covers every multi-line block and comment runs', () => {
  const folds = manifestFolding(doc('/c/mlcube.yaml', TEXT));
  assert.deepEqual(folds, [
    { startLine: 1, endLine: 2 },
    { startLine: 3, endLine: 4, kind: 'comment' },
    { startLine: 5, endLine: 13 },
    { startLine: 6, endLine: 11 },
    { startLine: 7, endLine: 11 },
    { startLine: 8, endLine: 9 },
    { startLine: 10, endLine: 11 },
    { startLine: 12, endLine: 13 },
  ]);
});

test('an incomplete manifest still gets an outline', () => {
  const syms = manifestSymbols(doc('/c/mlcube.yaml', 'tasks:\n  train:\n    para'));
  assert.deepEqual(syms[0].children!.map((t) => t.name), ['train']);
});
