/**
 * The model card's stored configs as the language server reads them (cubelab/storedConfig): the server's pure
 * function stands in for the request, so the card and the server share one reading, and the fallback is visible.
 */
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultSettings } from '../../../shared/lsp-protocol';
import { storedConfig } from '../../../server/src/mlgym/storedConfig';
import { nodeFileAccess } from '../../../server/src/nodeFileAccess';
import type { ServiceContext } from '../../../server/src/service/languageService';
import { loadModelCard, type StoredConfigReader } from '../../../client/src/modelcard/load';
import { isModelCardData } from '../../../shared/webview-protocol/modelCard';
import { rebuildCorpus, tempDir } from './helpers';

const ctx: ServiceContext = { settings: defaultSettings, workspaceFolders: [], fs: nodeFileAccess, env: {} };
const server: StoredConfigReader = async (path) => storedConfig(path, ctx);
const FALLBACK = /read without the language server/;

test('with the server: the same card fields, the server\'s findings in the notes, no fallback note', async (t) => {
  const gs = rebuildCorpus(tempDir(t));
  const asked: string[] = [];
  const card = await loadModelCard(gs, '1', { readStoredConfig: async (p) => { asked.push(p); return server(p); } });
  const own = await loadModelCard(gs, '1');
  assert.ok(isModelCardData(card));
  assert.deepEqual(asked.map((p) => p.slice(gs.length + 1)).sort(), ['grid_search_config.yml', 'run_config.yml']);
  assert.equal(card.model.description, 'Testing 1 2 3 Hopefully it works.');
  assert.equal(card.model.version, '1.0.0');
  assert.equal(card.training.numEpochs, 50, 'run_config.yml through the server');
  assert.deepEqual(card.training.gridParams, [{ key: 'data_loaders.config.batch_size', value: 10 }, { key: 'optimizer.config.params.lr', value: 0.1 }]);
  for (const k of ['model', 'dataset', 'training', 'evaluation', 'pipeline'] as const) assert.deepEqual(card[k], own[k], `${k} agrees with the card's own reading`);
  assert.ok(!card.problems.some((p) => FALLBACK.test(p)), card.problems.join('\n'));
  assert.ok(own.problems.some((p) => FALLBACK.test(p)), 'without a server the card says it read the configs itself');
  assert.ok(card.problems.includes('The stored grid_search_config.yml has 0 errors and 1 warning at MLgym HEAD (line 71: A list of seeds is silently ignored: `seeds` is read as `{split: int}`. These seeds have no effect; write `{train: 0, val: 1}`.).'),
    card.problems.join('\n'));
});

test('no experiment config: the pipeline graph is drawn from the server\'s components of the grid search', async (t) => {
  const gs = rebuildCorpus(tempDir(t));
  rmSync(join(gs, '14', 'experiment_config.json'));
  const card = await loadModelCard(gs, '14', { readStoredConfig: server });
  assert.equal(card.pipeline.nodes.length, 20);
  assert.equal(card.pipeline.edges.length, 18);
  assert.ok(card.problems.some((p) => /pipeline graph shows the components of grid_search_config.yml/.test(p)), card.problems.join('\n'));
});

test('no language client, or a failing one: the card reads the configs itself and says so', async (t) => {
  const gs = rebuildCorpus(tempDir(t));
  const none = await loadModelCard(gs, '1', { readStoredConfig: async () => undefined });
  assert.equal(none.training.numEpochs, 50);
  assert.ok(none.problems.some((p) => FALLBACK.test(p)));
  const failing = await loadModelCard(gs, '1', { readStoredConfig: async () => { throw new Error('Client is not running'); } });
  assert.equal(failing.model.description, 'Testing 1 2 3 Hopefully it works.');
  assert.ok(failing.problems.some((p) => /could not read .*grid_search_config\.yml: Client is not running/.test(p)));
  assert.ok(failing.problems.some((p) => FALLBACK.test(p)));
});

test('the server refusing a file (not YAML) is a note, not a second reading', async (t) => {
  const gs = rebuildCorpus(tempDir(t));
  const card = await loadModelCard(gs, '1', { readStoredConfig: async (p) => (p.endsWith('run_config.yml') ? { ok: false, error: 'is not valid YAML (line 3)' } : server(p)) });
  assert.equal(card.training.numEpochs, null, 'no epochs from events or config');
  assert.ok(card.problems.some((p) => p.endsWith('run_config.yml: is not valid YAML (line 3)')));
  assert.ok(!card.problems.some((p) => FALLBACK.test(p)));
});
