/**
 * Builds an experiment's model card (docs/mlgym.md §4) from what a grid search folder holds: the
 * expanded experiment_config, the grid search config (model_info, the swept parameters), run_config, the
 * training host's system_info.json, the aggregated events and the checkpoint folders. Pure: the inputs are
 * already read and parsed (load.ts reads them).
 *
 * It corrects MLgym's known faults (`FileDataAccess.create_model_card`):
 * - the training date comes from the events, not the day the card was generated;
 * - the environment is the training host's system_info.json, not the REST server's host at request time;
 * - the latest checkpoint epoch is chosen numerically ("10" after "9");
 * - the trainable parameters are computed from the layer config (MLgym always reports 0, #261);
 * - a scalar split subscription is one split (MLgym adds its characters), split percentages are listed.
 * A model_card.json MLgym already wrote is used only for what nothing else provides, and said so.
 */
import type { ExperimentAggregate } from '../events/aggregate';
import type { CheckpointFolder } from '../events/storage';
import type { SystemInfo } from '../events/types';
import {
  MODEL_CARD_FORMAT,
  type FinalScore, type KeyValue, type ModelCardData, type ResultSeries, type Scalar, type TrainDateSource,
} from '../../../shared/webview-protocol/modelCard';
import { buildPipelineGraph } from './pipelineGraph';

type Json = Record<string, unknown>;

export interface CardInputs {
  gridSearchId: string;
  experimentId: string;
  /** experiment_config.json, or the config of the experiment_config event. */
  experimentConfig?: Json;
  /** grid_search_config.yml as the language server reads it (load.ts; anchors resolved, PyYAML scalars). */
  gridSearchConfig?: Json;
  /** run_config.yml, parsed. */
  runConfig?: Json;
  /** system_info.json of the training host. */
  systemInfo?: SystemInfo;
  /** model_card.json written by MLboard's REST server, if any. */
  storedCard?: Json;
  /** The experiment's aggregated events. */
  experiment?: ExperimentAggregate;
  /** Microsecond timestamps of the experiment's first and last training event (not its config event). */
  trainingTimes?: { first: number; last: number };
  checkpoints?: Pick<CheckpointFolder, 'epoch' | 'files'>[];
  /** Problems met while reading the inputs. */
  problems?: string[];
  now?: Date;
}

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const get = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), v);

/** A component by its conventional name, else the first of its component type. */
function component(config: Json | undefined, name: string, type: string): Json | undefined {
  if (!config) return undefined;
  const byName = config[name];
  if (isRecord(byName)) return byName;
  return Object.values(config).find((c): c is Json => isRecord(c) && c.component_type_key === type);
}

function componentsOfType(config: Json | undefined, type: string): [string, Json][] {
  return Object.entries(config ?? {}).filter((e): e is [string, Json] => isRecord(e[1]) && e[1].component_type_key === type);
}

function scalar(v: unknown): Scalar {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  return JSON.stringify(v) ?? null;
}

/** `{a: {b: 1}, c: [1, 2]}` → `a.b = 1`, `c = [1,2]`: nested objects flattened, lists kept as JSON text. */
export function flatten(v: unknown, prefix = '', out: KeyValue[] = []): KeyValue[] {
  if (isRecord(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.push({ key: prefix, value: scalar(v) });
  }
  return out;
}

/**
 * The parameters a grid search config sweeps, as paths into the experiment config: `{sweep, values}` blocks
 * and lists whose expanded value is not a list (a list in the expanded config was a plain list value).
 */
export function sweptPaths(gridSearchConfig: Json, experimentConfig: Json): string[][] {
  const out: string[][] = [];
  const walk = (v: unknown, path: string[]) => {
    if (isRecord(v)) {
      if ('sweep' in v && Array.isArray(v.values)) { out.push(path); return; }
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    } else if (Array.isArray(v) && path.length) {
      const expanded = get(experimentConfig, ...path);
      if (expanded !== undefined && !Array.isArray(expanded)) out.push(path);
    }
  };
  for (const [k, v] of Object.entries(gridSearchConfig)) if (k !== 'global_config' && k !== 'model_info') walk(v, [k]);
  return out;
}

// ---- model ---------------------------------------------------------------------------------------------------

const LAYER_PARAMS: Record<string, (p: Json) => number | null> = {
  conv: (p) => {
    const [i, o] = [num(p.in_channels), num(p.out_channels)];
    const k = Array.isArray(p.kernel_size) ? p.kernel_size.map(num) : [num(p.kernel_size), num(p.kernel_size)];
    if (i === null || o === null || k.some((x) => x === null)) return null;
    const groups = num(p.groups) ?? 1;
    return (i / groups) * o * k.reduce<number>((a, b) => a * (b ?? 0), 1) + (p.bias === false ? 0 : o);
  },
  fc: (p) => {
    const [i, o] = [num(p.in_features), num(p.out_features)];
    return i === null || o === null ? null : i * o + (p.bias === false ? 0 : o);
  },
};
LAYER_PARAMS.linear = LAYER_PARAMS.fc!; // defined in the table just above

/** Trainable parameters of a `layer_config` made of conv/fc layers (PyTorch's counts); null if any layer is unknown. */
export function countParameters(layers: unknown): number | null {
  if (!Array.isArray(layers) || !layers.length) return null;
  let total = 0;
  for (const l of layers) {
    const count = isRecord(l) && typeof l.type === 'string' && isRecord(l.params) ? LAYER_PARAMS[l.type.toLowerCase()]?.(l.params) : undefined;
    if (count === undefined || count === null) return null;
    total += count;
  }
  return total;
}

function modelSection(inp: CardInputs, corrections: string[]): ModelCardData['model'] {
  const model = component(inp.experimentConfig, 'model', 'MODEL');
  const info = get(inp.gridSearchConfig, 'model_info');
  const stored = get(inp.storedCard, 'model_details');
  const pick = (key: string) => str(get(info, key)) ?? str(get(stored, key));
  const registryReq = Array.isArray(model?.requirements)
    ? model.requirements.find((r): r is Json => isRecord(r) && typeof r.subscription === 'string')
    : undefined;
  const layerConfig = get(model, 'config', 'model_definition', 'layer_config');
  const layers = Array.isArray(layerConfig)
    ? layerConfig.map((l) => ({ type: str(get(l, 'type')) ?? '?', params: flatten(get(l, 'params')) }))
    : [];
  const parameterCount = countParameters(layerConfig);
  if (parameterCount !== null && num(get(stored, 'train_params')) === 0) {
    corrections.push(`Trainable parameters: ${parameterCount}, computed from the layer config; MLgym's card says 0 (it counts an empty model, #261).`);
  }
  return {
    name: str(registryReq?.subscription) ?? str(model?.variant_key),
    description: pick('model_description'),
    version: pick('model_version'),
    sourceRepo: pick('source_repo'),
    variant: str(model?.variant_key),
    layers,
    parameterCount,
  };
}

// ---- dataset -------------------------------------------------------------------------------------------------

function dataset(inp: CardInputs, corrections: string[]): ModelCardData['dataset'] {
  const cfg = inp.experimentConfig;
  const iterators = componentsOfType(cfg, 'DATASET_ITERATORS');
  const lastIterator = iterators[iterators.length - 1];
  const last = lastIterator ? lastIterator[1] : component(cfg, 'dataset_iterators', 'DATASET_ITERATORS');
  const splitConfigs = get(last, 'config', 'split_configs');
  const splits = Array.isArray(splitConfigs) ? splitConfigs.map((s) => str(get(s, 'split'))).filter((s): s is string => s !== null) : [];
  const subscription: string[] = [];
  const percentages: ModelCardData['dataset']['percentages'] = [];
  for (const [name, c] of componentsOfType(cfg, 'SPLITTED_DATASET_ITERATORS')) {
    for (const r of Array.isArray(c.requirements) ? c.requirements : []) {
      const sub = get(r, 'subscription');
      const list = Array.isArray(sub) ? sub.map(str) : [str(sub)];
      if (typeof sub === 'string' && sub.length > 1) {
        corrections.push(`Split subscription "${sub}" of ${name} is one split; MLgym's card lists its characters.`);
      }
      for (const s of list) if (s !== null && !subscription.includes(s)) subscription.push(s);
    }
    const sc = get(c, 'config', 'split_configs');
    if (isRecord(sc)) {
      for (const [source, parts] of Object.entries(sc)) {
        if (!isRecord(parts)) continue;
        percentages.push({
          component: name, source,
          parts: Object.entries(parts).filter((p): p is [string, number] => num(p[1]) !== null).map(([split, fraction]) => ({ split, fraction })),
        });
      }
    }
  }
  const name = str(get(last, 'config', 'dataset_identifier')) ?? str(get(inp.storedCard, 'dataset_details', 'considered_dataset'));
  return { name, splits, subscription, percentages };
}

// ---- training ------------------------------------------------------------------------------------------------

const isoOfMicros = (us: number) => new Date(Math.floor(us / 1000)).toISOString();
const isoOfSeconds = (s: number) => new Date(Math.round(s * 1000)).toISOString();

/** MLgym's `%d-%m-%Y` → `YYYY-MM-DD`. */
function isoOfMlgymDate(s: string | null): string | null {
  const m = s ? /^(\d{2})-(\d{2})-(\d{4})$/.exec(s) : null;
  return m ? `${m[3]}-${m[2]}-${m[1]}` : s;
}

function trainingDates(inp: CardInputs, corrections: string[]): Pick<ModelCardData['training'], 'startedAt' | 'finishedAt' | 'trainDate' | 'trainDateSource'> {
  const e = inp.experiment;
  const job = e?.job;
  let startedAt: string | null = null;
  let finishedAt: string | null = null;
  if (job?.startingTime !== undefined && job.startingTime > 0) startedAt = isoOfSeconds(job.startingTime);
  else if (inp.trainingTimes && inp.trainingTimes.first > 0) startedAt = isoOfMicros(inp.trainingTimes.first);
  else if (e && Number.isFinite(e.firstTs) && e.firstTs > 0) startedAt = isoOfMicros(e.firstTs);
  const done = e?.state === 'done' || e?.state === 'failed';
  if (done) {
    if (job?.finishingTime !== undefined && job.finishingTime > 0) finishedAt = isoOfSeconds(job.finishingTime);
    else if (e && e.lastTs > 0) finishedAt = isoOfMicros(inp.trainingTimes?.last ?? e.lastTs);
  }
  const storedDate = isoOfMlgymDate(str(get(inp.storedCard, 'model_details', 'train_date')));
  let trainDate: string | null = startedAt ? startedAt.slice(0, 10) : null;
  let source: TrainDateSource = trainDate ? 'events' : 'unknown';
  if (!trainDate && storedDate) {
    trainDate = storedDate;
    source = 'modelCard';
    corrections.push(`Training date ${storedDate} is taken from MLgym's model_card.json, which holds the day the card was generated; no events of this experiment were found to date the training.`);
  } else if (trainDate && storedDate && storedDate !== trainDate) {
    corrections.push(`Training date ${trainDate} is from the events; MLgym's card says ${storedDate}, the day it generated the card.`);
  }
  return { startedAt, finishedAt, trainDate, trainDateSource: source };
}

function checkpointInfo(inp: CardInputs, corrections: string[]): Pick<ModelCardData['training'], 'checkpoints' | 'latestCheckpointEpoch'> {
  const checkpoints = [...(inp.checkpoints ?? [])].sort((a, b) => a.epoch - b.epoch).map((c) => ({ epoch: c.epoch, files: [...c.files] }));
  const withModel = checkpoints.filter((c) => c.files.length > 0);
  const latest = withModel[withModel.length - 1]?.epoch ?? null;
  if (withModel.length > 1) {
    const byString = withModel.map((c) => String(c.epoch)).sort().pop();
    if (byString !== String(latest)) corrections.push(`Latest checkpoint is epoch ${latest}; MLgym compares epochs as text and would pick ${byString}.`);
  }
  return { checkpoints, latestCheckpointEpoch: latest };
}

function training(inp: CardInputs, corrections: string[]): ModelCardData['training'] {
  const cfg = inp.experimentConfig;
  const optimizer = component(cfg, 'optimizer', 'OPTIMIZER');
  const stopping = component(cfg, 'early_stopping_strategy', 'EARLY_STOPPING_STRATEGY');
  const checkpointing = component(cfg, 'checkpointing_strategy', 'CHECKPOINTING_STRATEGY');
  const e = inp.experiment;
  const gridParams = inp.gridSearchConfig && cfg
    ? sweptPaths(inp.gridSearchConfig, cfg).map((p) => ({ key: p.join('.'), value: scalar(get(cfg, ...p)) }))
    : [];
  const storedTraining = get(inp.storedCard, 'training_details');
  return {
    optimizer: str(get(optimizer, 'config', 'optimizer_key')) ?? str(get(storedTraining, 'optimizer')),
    hyperparams: flatten(get(optimizer, 'config', 'params') ?? get(storedTraining, 'hyperparams', 'optimizer')),
    lossFunction: str(get(component(cfg, 'train_component', 'TRAIN_COMPONENT'), 'config', 'loss_fun_config', 'tag')) ?? str(get(storedTraining, 'loss_func')),
    lrScheduler: str(get(component(cfg, 'lr_scheduler', 'LR_SCHEDULER'), 'config', 'lr_scheduler_key')),
    batchSize: num(get(component(cfg, 'data_loaders', 'DATA_LOADER'), 'config', 'batch_size')),
    numEpochs: num(get(inp.runConfig, 'run_configuration', 'config', 'num_epochs')) ?? num(e?.progress?.numEpochs) ?? null,
    earlyStopping: stopping ? [{ key: 'variant', value: str(stopping.variant_key) }, ...flatten(stopping.config)] : [],
    checkpointing: str(get(checkpointing, 'config', 'checkpointing_key')) ?? str(checkpointing?.variant_key),
    gridParams,
    ...trainingDates(inp, corrections),
    status: e?.state ?? 'unknown',
    lastEpoch: e && e.lastEpoch >= 0 ? e.lastEpoch : null,
    ...checkpointInfo(inp, corrections),
  };
}

// ---- evaluation and results ----------------------------------------------------------------------------------

function evaluation(inp: CardInputs): ModelCardData['evaluation'] {
  const evalComponent = component(inp.experimentConfig, 'eval_component', 'EVAL_COMPONENT');
  const storedEval = get(inp.storedCard, 'eval_details');
  const lossConfigs = get(evalComponent, 'config', 'loss_funs_config');
  const metricConfigs = get(evalComponent, 'config', 'metrics_config');
  const lossFunctions = Array.isArray(lossConfigs)
    ? lossConfigs.map((l) => str(get(l, 'tag'))).filter((t): t is string => t !== null)
    : (Array.isArray(get(storedEval, 'loss_funcs')) ? (get(storedEval, 'loss_funcs') as unknown[]).map(str).filter((t): t is string => t !== null) : []);
  const metrics = Array.isArray(metricConfigs)
    ? metricConfigs.map((m) => ({ name: str(get(m, 'tag')) ?? str(get(m, 'key')) ?? '?', key: str(get(m, 'key')), params: flatten(get(m, 'params')) }))
    : (Array.isArray(get(storedEval, 'metrics')) ? (get(storedEval, 'metrics') as unknown[]) : [])
        .map((m) => ({ name: str(get(m, 'name')) ?? '?', key: null, params: flatten(get(m, 'params')) }));
  const loaderReq = Array.isArray(evalComponent?.requirements)
    ? evalComponent.requirements.find((r) => get(r, 'component_name') === 'data_loaders' || get(r, 'name') === 'data_loaders')
    : undefined;
  const sub = get(loaderReq, 'subscription');
  let splits = Array.isArray(sub) ? sub.map(str).filter((s): s is string => s !== null) : typeof sub === 'string' ? [sub] : [];
  if (!splits.length && inp.experiment?.progress?.splits) splits = [...inp.experiment.progress.splits];
  return { lossFunctions, metrics, splits };
}

/** `<split>_<tag>` split at a known split name (split names may contain `_`), else at the first `_`. */
export function splitKey(key: string, splits: readonly string[]): { split: string; tag: string } {
  const known = [...splits].sort((a, b) => b.length - a.length).find((s) => key.startsWith(`${s}_`));
  if (known) return { split: known, tag: key.slice(known.length + 1) };
  const i = key.indexOf('_');
  return i < 0 ? { split: '', tag: key } : { split: key.slice(0, i), tag: key.slice(i + 1) };
}

function results(inp: CardInputs, splits: readonly string[]): ModelCardData['results'] {
  const e = inp.experiment;
  if (!e) return { finalEpoch: null, scores: [], series: [] };
  const scores: FinalScore[] = [];
  const series: ResultSeries[] = [];
  for (const key of [...e.series.keys()].sort()) {
    const s = e.series.get(key)!;
    const { split, tag } = splitKey(key, splits);
    const latest = s.latest();
    if (latest) scores.push({ key, split, tag, epoch: latest.epoch, value: Number.isFinite(latest.value) ? latest.value : null });
    const epochs: number[] = [];
    const values: number[] = [];
    s.epochs.forEach((ep, i) => { const v = s.values[i]; if (v !== undefined && Number.isFinite(v)) { epochs.push(ep); values.push(v); } });
    series.push({ key, split, tag, epochs, values });
  }
  return { finalEpoch: e.lastEpoch >= 0 ? e.lastEpoch : null, scores, series };
}

// ---- environment ---------------------------------------------------------------------------------------------

const ENV_LISTS = new Set(['python-packages', 'cuda_device_list']);

function environment(inp: CardInputs, corrections: string[]): ModelCardData['environment'] {
  const storedEnv = get(inp.storedCard, 'experiment_environment');
  const carbon = get(storedEnv, 'carbon_footprint');
  const entry = str(get(storedEnv, 'entry_point_cmd'));
  let source: ModelCardData['environment']['source'] = 'none';
  let env: unknown;
  if (inp.systemInfo) {
    source = 'system_info.json';
    env = inp.systemInfo;
    if (isRecord(get(storedEnv, 'system_env'))) {
      corrections.push("Environment is the training host's system_info.json; MLgym's card describes the host of its REST server when the card was requested.");
    }
  } else if (isRecord(get(storedEnv, 'system_env'))) {
    source = 'model_card.json';
    env = get(storedEnv, 'system_env');
    corrections.push("No system_info.json: the environment is MLgym's card's, which describes the host of its REST server, possibly not the training host.");
  }
  const fields: KeyValue[] = [];
  if (isRecord(env)) {
    for (const [k, v] of Object.entries(env)) {
      if (ENV_LISTS.has(k)) continue;
      // `architecture` is a [bits, linkage] pair in MLgym's card.
      fields.push({ key: k, value: Array.isArray(v) ? v.filter((x) => x !== '').map(String).join(', ') : scalar(v) });
    }
  }
  const devices = get(env, 'cuda_device_list');
  const packages = get(env, 'python-packages');
  return {
    source,
    fields,
    cudaDevices: Array.isArray(devices)
      ? devices.filter(isRecord).map((d) => ({ name: str(d.name) ?? '?', totalMemory: str(d.total_memory), multiProcCount: num(d.multi_proc_count) }))
      : [],
    pythonPackages: Array.isArray(packages)
      ? packages.filter(isRecord).map((p) => ({ name: str(p.name) ?? '?', version: str(p.version) ?? '' }))
          .sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }))
      : [],
    carbonFootprint: carbon === null || carbon === undefined ? null : typeof carbon === 'string' ? carbon : JSON.stringify(carbon),
    entryPoint: entry || null,
  };
}

// ---- the card ------------------------------------------------------------------------------------------------

export function buildModelCard(inp: CardInputs): ModelCardData {
  const corrections: string[] = [];
  const problems = [...(inp.problems ?? [])];
  if (!inp.experimentConfig) {
    problems.push(`Experiment ${inp.experimentId} has no experiment_config.json and no experiment_config event.`
      + (inp.gridSearchConfig ? ' The pipeline graph shows the components of grid_search_config.yml, which every experiment of the grid shares.' : ''));
  }
  if (!inp.gridSearchConfig) problems.push('No grid_search_config.yml: model description, version and repository are unknown.');
  else if (!isRecord(inp.gridSearchConfig.model_info)) problems.push('grid_search_config.yml has no model_info block.');
  const evalSection = evaluation(inp);
  const res = results(inp, evalSection.splits);
  if (!evalSection.splits.length) evalSection.splits = [...new Set(res.series.map((s) => s.split).filter(Boolean))];
  return {
    format: MODEL_CARD_FORMAT,
    version: 1,
    gridSearchId: inp.gridSearchId,
    experimentId: inp.experimentId,
    generatedAt: (inp.now ?? new Date()).toISOString(),
    model: modelSection(inp, corrections),
    dataset: dataset(inp, corrections),
    training: training(inp, corrections),
    evaluation: evalSection,
    // The components and their requirements are the same in every experiment of a grid; only values are swept.
    pipeline: buildPipelineGraph(inp.experimentConfig ?? inp.gridSearchConfig ?? {}),
    results: res,
    environment: environment(inp, corrections),
    corrections,
    problems,
  };
}
