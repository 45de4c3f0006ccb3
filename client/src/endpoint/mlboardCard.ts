/**
 * `GET /model-card/{grid_search_id}/{experiment_id}` (docs/mlgym.md §3.5, §4): the card MLboard's frontend
 * shows on its experiment page (environment) and model card page, in the JSON shape of MLboard's REST server
 * (`FileDataAccess.create_model_card` / `ModelCardFactory.create_model_card`): `model_details`,
 * `dataset_details`, `training_details`, `eval_details`, `experiment_environment`, `pipeline_details`.
 *
 * The content is CubeLab's own card (client/src/modelcard, built from what the grid search folder holds), so
 * MLgym's known faults stay corrected: the training date comes from the events, `train_params` is computed from
 * the layer config (null when unknown, never MLgym's constant 0), the environment is the training host's
 * system_info.json, a missing input leaves a field empty instead of failing with 500. Unlike MLboard it writes
 * no `model_card.json` (CubeLab's card reads that file as MLgym's own, and the card is rebuilt on each request,
 * so it follows a running experiment).
 */
import { promises as fsp } from 'node:fs';
import { loadModelCard } from '../modelcard/load';
import { readExperimentFolder } from '../events/storage';
import type { KeyValue, ModelCardData, PipelineGraph } from '../../../shared/webview-protocol/modelCard';
import { pythonJsonDumps } from '../../../shared/python-json';
import { storagePath } from './safePath';

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const get = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), v);

/** The card's flattened `a.b = 1` pairs back into `{a: {b: 1}}` (used when the raw config is not at hand). */
function unflatten(pairs: readonly KeyValue[]): Json {
  const out: Json = {};
  for (const { key, value } of pairs) {
    const parts = key.split('.');
    const leaf = parts.pop() ?? ''; // split yields at least one part
    let o = out;
    for (const p of parts) {
      if (!isRecord(o[p])) o[p] = {};
      o = o[p] as Json;
    }
    o[leaf] = value;
  }
  return out;
}

/** `YYYY-MM-DD` → MLgym's `%d-%m-%Y`. */
function mlgymDate(iso: string | null): string | null {
  const m = iso ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso) : null;
  return m ? `${m[3]}-${m[2]}-${m[1]}` : iso;
}

/** Component by conventional name, else the first of its type (as the card reads it). */
function component(config: Json | undefined, name: string, type: string): Json | undefined {
  if (!config) return undefined;
  if (isRecord(config[name])) return config[name];
  return Object.values(config).find((c): c is Json => isRecord(c) && c.component_type_key === type);
}

interface TreeNode {
  config_str: string | null;
  requirements: string[];
  nodes: Record<string, TreeNode>;
}

/** Bounds the nested copies: MLboard's tree repeats a component under each component it requires. */
const MAX_TREE_NODES = 5000;

/**
 * MLboard's `pipeline_details`: the components without requirements at the top, each component nested under
 * every component it requires, `config_str` the `json.dumps` of its config. Built from the card's DAG; a
 * requirement the config lacks (drawn as missing by CubeLab) is a top-level node with `config_str: null`, and
 * a requirement cycle is cut where it would repeat.
 */
export function pipelineTree(graph: PipelineGraph, config: Json | undefined): Record<string, TreeNode> {
  const requires = new Map<string, string[]>();
  const dependents = new Map<string, string[]>();
  for (const n of graph.nodes) { requires.set(n.id, []); dependents.set(n.id, []); }
  for (const e of graph.edges) {
    requires.get(e.to)?.push(e.from);
    dependents.get(e.from)?.push(e.to);
  }
  const order = config ? [...Object.keys(config).filter((k) => requires.has(k)), ...graph.nodes.map((n) => n.id).filter((k) => !(k in config))] : graph.nodes.map((n) => n.id);
  const configStr = (id: string): string | null => {
    const c = get(config, id);
    return isRecord(c) && 'config' in c ? pythonJsonDumps(c.config) : null;
  };
  let count = 0;
  const reached = new Set<string>();
  const build = (id: string, path: Set<string>): TreeNode => {
    count++;
    reached.add(id);
    const node: TreeNode = { config_str: configStr(id), requirements: [...(requires.get(id) ?? [])], nodes: {} };
    path.add(id);
    for (const d of dependents.get(id) ?? []) {
      if (path.has(d) || count >= MAX_TREE_NODES) continue;
      node.nodes[d] = build(d, path);
    }
    path.delete(id);
    return node;
  };
  const roots: Record<string, TreeNode> = {};
  for (const id of order) if (!requires.get(id)?.length) roots[id] = build(id, new Set());
  // Components only reachable through a cycle still appear, once, at the top.
  for (const id of order) if (!reached.has(id)) roots[id] = build(id, new Set());
  return roots;
}

const ENV_LISTS = new Set(['python-packages', 'cuda_device_list', 'architecture']);

/** The environment as MLboard's frontend lists it: scalars shown as they are, the known lists kept, anything else as text. */
function systemEnv(env: unknown): Json {
  if (!isRecord(env)) return {};
  const out: Json = {};
  for (const [k, v] of Object.entries(env)) out[k] = ENV_LISTS.has(k) || v === null || typeof v !== 'object' ? v : JSON.stringify(v);
  return out;
}

/** The card in MLboard's shape, from CubeLab's card and the experiment folder's raw files. */
export function toMlboardCard(card: ModelCardData, raw: { experimentConfig?: Json; systemInfo?: unknown; storedCard?: Json }): Json {
  const config = raw.experimentConfig;
  const iterators = config ? Object.values(config).filter((c): c is Json => isRecord(c) && c.component_type_key === 'DATASET_ITERATORS') : [];
  const rawSplits = get(iterators[iterators.length - 1] ?? component(config, 'dataset_iterators', 'DATASET_ITERATORS'), 'config', 'split_configs');
  const percentages = new Map<string, Json>();
  for (const p of card.dataset.percentages) {
    const entry = percentages.get(p.component) ?? {};
    entry[p.source] = Object.fromEntries(p.parts.map((x) => [x.split, x.fraction]));
    percentages.set(p.component, entry);
  }
  const metricsConfig = get(component(config, 'eval_component', 'EVAL_COMPONENT'), 'config', 'metrics_config');
  const env = card.environment;
  return {
    model_details: {
      model_description: card.model.description,
      model_version: card.model.version,
      grid_search_id: card.gridSearchId,
      train_date: mlgymDate(card.training.trainDate),
      source_repo: card.model.sourceRepo,
      train_params: card.model.parameterCount,
    },
    dataset_details: {
      dataset_splits: {
        split_config: Array.isArray(rawSplits) ? rawSplits : card.dataset.splits.map((split) => ({ split })),
        split_subscription: card.dataset.subscription,
        splits_percentage: [...percentages.values()],
      },
      considered_dataset: card.dataset.name,
      label_distribution: '',
    },
    training_details: {
      hyperparams: { optimizer: get(component(config, 'optimizer', 'OPTIMIZER'), 'config', 'params') ?? unflatten(card.training.hyperparams) },
      loss_func: card.training.lossFunction,
      optimizer: card.training.optimizer,
    },
    eval_details: {
      loss_funcs: card.evaluation.lossFunctions,
      metrics: card.evaluation.metrics.map((m, i) => ({ name: m.name, params: get(Array.isArray(metricsConfig) ? metricsConfig[i] : undefined, 'params') ?? unflatten(m.params) })),
    },
    experiment_environment: {
      system_env: systemEnv(env.source === 'system_info.json' ? raw.systemInfo : env.source === 'model_card.json' ? get(raw.storedCard, 'experiment_environment', 'system_env') : undefined),
      carbon_footprint: env.carbonFootprint,
      entry_point_cmd: env.entryPoint ?? '',
    },
    pipeline_details: pipelineTree(card.pipeline, config),
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await fsp.stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The MLboard-shaped card of an experiment, or undefined when the storage knows no such experiment (no
 * grid search folder, or neither an experiment folder nor any event of it).
 */
export async function mlboardModelCard(root: string, gridSearchId: string, experimentId: string): Promise<Json | undefined> {
  const gsDir = storagePath(root, gridSearchId);
  if (!(await isDirectory(gsDir))) return undefined;
  const hasFolder = await isDirectory(storagePath(root, gridSearchId, experimentId));
  const [card, folder] = await Promise.all([loadModelCard(gsDir, experimentId), readExperimentFolder(gsDir, experimentId)]);
  if (!hasFolder && card.training.status === 'unknown' && !card.results.series.length) return undefined;
  return toMlboardCard(card, { experimentConfig: folder.experimentConfig, systemInfo: folder.systemInfo, storedCard: folder.modelCard });
}
