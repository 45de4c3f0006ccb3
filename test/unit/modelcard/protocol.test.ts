import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeEventStorage } from '../../helpers/eventGenerator';
import { loadModelCard } from '../../../client/src/modelcard/load';
import {
  MODEL_CARD_VIEW_TYPE, isModelCardData, isModelCardFromWebview, isModelCardToWebview, isModelCardViewState,
} from '../../../shared/webview-protocol/modelCard';
import { tempDir } from './helpers';

const root = join(__dirname, '..', '..', '..');

test('model card: messages from the webview are validated', () => {
  for (const ok of [{ type: 'ready' }, { type: 'exportHtml' }, { type: 'exportJson' }, { type: 'refresh' },
    { type: 'stateChanged', state: { gridSearchDir: '/a/gs', experimentId: '3' } }]) assert.ok(isModelCardFromWebview(ok), JSON.stringify(ok));
  for (const bad of [null, 'ready', [], {}, { type: 'toString' }, { type: 'exportPdf' }, { type: 'stateChanged', state: { gridSearchDir: '/a' } },
    { type: 'stateChanged', state: { gridSearchDir: '/a', experimentId: 3 } }]) assert.equal(isModelCardFromWebview(bad), false, JSON.stringify(bad));
  assert.ok(isModelCardViewState({ gridSearchDir: '/a', experimentId: '0' }));
  assert.equal(isModelCardViewState(undefined), false);
});

test('model card: a real card passes, and every broken part of one fails', async (t) => {
  const w = writeEventStorage(tempDir(t), { experiments: 2, epochs: 3 });
  const card = await loadModelCard(w.dir, '0');
  assert.ok(isModelCardToWebview({ type: 'card', card, gridSearchDir: w.dir }));
  assert.ok(isModelCardToWebview({ type: 'status', text: 'x' }));
  const broken: [string, unknown][] = [
    ['format', { ...card, format: 'other' }],
    ['model name', { ...card, model: { ...card.model, name: 1 } }],
    ['layer params', { ...card, model: { ...card.model, layers: [{ type: 'fc', params: [{ key: 'a', value: {} }] }] } }],
    ['dataset parts', { ...card, dataset: { ...card.dataset, percentages: [{ component: 'c', source: 's', parts: [{ split: 'a', fraction: 'x' }] }] } }],
    ['train date source', { ...card, training: { ...card.training, trainDateSource: 'guess' } }],
    ['checkpoint files', { ...card, training: { ...card.training, checkpoints: [{ epoch: 1, files: [1] }] } }],
    ['metric params', { ...card, evaluation: { ...card.evaluation, metrics: [{ name: 'm', key: null, params: null }] } }],
    ['node coordinate', { ...card, pipeline: { ...card.pipeline, nodes: [{ ...card.pipeline.nodes[0], x: NaN }] } }],
    ['edge path', { ...card, pipeline: { ...card.pipeline, edges: [{ ...card.pipeline.edges[0], d: 'M 0 0 url(x)' }] } }],
    ['series lengths', { ...card, results: { ...card.results, series: [{ ...card.results.series[0], values: [1] }] } }],
    ['score value', { ...card, results: { ...card.results, scores: [{ ...card.results.scores[0], value: 'high' }] } }],
    ['environment source', { ...card, environment: { ...card.environment, source: 'guess' } }],
    ['packages', { ...card, environment: { ...card.environment, pythonPackages: [{ name: 'x' }] } }],
    ['corrections', { ...card, corrections: [1] }],
  ];
  for (const [what, c] of broken) {
    assert.equal(isModelCardData(c), false, what);
    assert.equal(isModelCardToWebview({ type: 'card', card: c, gridSearchDir: w.dir }), false, what);
  }
});

test('model card: view type, command and activation are declared where VS Code reads them', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    activationEvents: string[]; contributes: { commands: { command: string; title: string; category?: string }[] };
  };
  assert.equal(MODEL_CARD_VIEW_TYPE, 'cubelab.modelCard');
  assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${MODEL_CARD_VIEW_TYPE}`));
  const cmd = pkg.contributes.commands.find((c) => c.command === 'cubelab.openModelCard');
  assert.equal(`${cmd?.category}: ${cmd?.title}`, 'CubeLab: Open Model Card');
  const register = readFileSync(join(root, 'client', 'src', 'webviews', 'register.ts'), 'utf8');
  assert.ok(register.includes(`modelCard: '${MODEL_CARD_VIEW_TYPE}'`), 'register.ts declares the same view type');
  assert.ok(register.includes("registerCommand('cubelab.openModelCard'"));
});
