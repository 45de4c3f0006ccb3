/**
 * `GET /model-card/{grid_search_id}/{experiment_id}`: the card MLboard's frontend asks for (experiment page,
 * model card page), in the JSON shape of MLboard's REST server, with CubeLab's card as its content. Checked
 * against the real card MLboard wrote for experiment 1 of the 2024 grid search (test/fixtures/corpus).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusEvent, rebuildCorpus } from '../unit/modelcard/helpers';
import { startTestEndpoint } from './helpers';

const GS = '2024-02-14--22-15-46';
type Json = Record<string, unknown>;

interface TreeNode { config_str: string | null; requirements: string[]; nodes: Record<string, TreeNode> }

/** A tree as sorted `path: requirements | config_str` lines: MLgym's dict order is not part of the shape. */
function treeLines(tree: Record<string, TreeNode>, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, n]) => [
    `${prefix}${k}: [${n.requirements.join(',')}] ${n.config_str}`,
    ...treeLines(n.nodes, `${prefix}${k}/`),
  ]).sort();
}

test('the model-card route serves MLboard\'s shape: same sections and keys as MLboard\'s own card, CubeLab\'s corrected values', async (t) => {
  const { endpoint, root } = await startTestEndpoint(t);
  rebuildCorpus(root);
  // MLboard's cached card is not what the route serves: the card is built from the folder.
  const mlgym = JSON.parse(readFileSync(corpusEvent('1__model_card.json'), 'utf8')) as Json;
  rmSync(join(root, GS, '1', 'model_card.json'));
  writeFileSync(join(root, GS, '1', 'system_info.json'), JSON.stringify({ platform: 'Linux', 'platform-release': '6.1', architecture: 'x86_64', ram: '62.7 GB', 'python-version': '3.11.2', 'python-packages': [{ name: 'torch', version: '2.2.0' }] }));

  const res = await fetch(`${endpoint.url}/model-card/${GS}/1`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const card = await res.json() as Json;
  assert.deepEqual(Object.keys(card).sort(), Object.keys(mlgym).sort());
  for (const section of Object.keys(mlgym)) {
    if (section === 'pipeline_details') continue;
    assert.deepEqual(Object.keys(card[section] as Json).sort(), Object.keys(mlgym[section] as Json).sort(), section);
  }
  const m = mlgym.model_details as Json;
  assert.deepEqual(card.model_details, {
    model_description: m.model_description, model_version: m.model_version, grid_search_id: GS, source_repo: m.source_repo,
    train_date: null, // no events of this experiment in the corpus: not the day the card was asked for
    train_params: 1_199_882, // computed from the layer config; MLboard's card says 0 (#261)
  });
  const d = mlgym.dataset_details as { dataset_splits: Json; considered_dataset: string };
  const ds = (card.dataset_details as { dataset_splits: Json }).dataset_splits;
  assert.deepEqual(ds.split_config, d.dataset_splits.split_config);
  assert.deepEqual(ds.splits_percentage, d.dataset_splits.splits_percentage);
  assert.deepEqual([...(ds.split_subscription as string[])].sort(), [...(d.dataset_splits.split_subscription as string[])].sort());
  assert.equal((card.dataset_details as Json).considered_dataset, d.considered_dataset);
  assert.deepEqual(card.training_details, mlgym.training_details);
  assert.deepEqual(card.eval_details, mlgym.eval_details);
  const env = card.experiment_environment as { system_env: Json; carbon_footprint: unknown; entry_point_cmd: unknown };
  assert.equal(env.system_env.platform, 'Linux', 'the training host\'s system_info.json, not the server\'s host');
  assert.deepEqual(env.system_env['python-packages'], [{ name: 'torch', version: '2.2.0' }]);
  assert.equal(env.carbon_footprint, null);
  assert.equal(env.entry_point_cmd, '');
  // The pipeline tree: the same nesting, requirements and config_str as MLboard's.
  assert.deepEqual(treeLines(card.pipeline_details as Record<string, TreeNode>), treeLines(mlgym.pipeline_details as Record<string, TreeNode>));

  assert.equal((await fetch(`${endpoint.url}/model-card/${GS}/99`)).status, 404);
  assert.equal((await fetch(`${endpoint.url}/model-card/1999-01-01--00-00-00/1`)).status, 404);
  assert.equal((await fetch(`${endpoint.url}/model-card/..%2F..%2Fetc/1`)).status, 403);
});
