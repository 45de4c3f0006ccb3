/**
 * Generates MLgym `event_storage/<grid_search_id>/` folders (docs/mlgym.md §3.1–3.5): the event log in
 * the HEAD or the 2022 wire format, the stored configs, each experiment's `experiment_config.json`,
 * `system_info.json` and checkpoint folders. No real `event_storage.log` is public, so tests, the benchmark
 * and the demo workspace all use this. The event order follows docs/mlgym.md §3.3 (configs, INIT × N, then per job RUNNING,
 * per epoch train progress, per split evaluation progress and result, DONE), with `processCount` jobs running
 * at once and their events interleaved, as a multiprocessing run writes them.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RawEvent, SystemInfo, WireFormat } from '../../client/src/events/types';

export interface GeneratorOptions {
  gridSearchId?: string;
  experiments?: number;
  /** num_epochs of run_config. Ignored when targetEvents is set. */
  epochs?: number;
  /** Stop after exactly this many events, choosing the number of epochs to get there (a run in progress if it cuts). */
  targetEvents?: number;
  /** Training batches per epoch (progress is logged every 10 %). */
  numBatches?: number;
  splits?: string[];
  /** Evaluation batches per split. */
  evalBatches?: Record<string, number>;
  metrics?: string[];
  losses?: string[];
  /** Jobs running at once (multiprocessing); 0 writes a sequential run, which has no job_status events. */
  processCount?: number;
  /** Experiments whose job ends DONE with an error halfway through. */
  failing?: number[];
  seed?: number;
  /** Microseconds of the first event; later ones advance a few ms each. */
  startTs?: number;
  /** Overrides the simulated clock (the live-tail benchmark stamps real time). */
  clock?: () => number;
}

export interface WriteOptions extends GeneratorOptions {
  format?: WireFormat;
  /** `python` (default) writes json.dumps' `", "`/`": "` separators; `compact` none. */
  style?: 'python' | 'compact';
  /** Write checkpoint folders (placeholder files) for these epochs of finished experiments. */
  checkpointEpochs?: number[];
}

export interface WrittenStorage {
  /** The grid search folder, `<root>/<grid_search_id>`. */
  dir: string;
  logPath: string;
  events: number;
  bytes: number;
  epochs: number;
}

const DEFAULTS = {
  gridSearchId: '2024-02-14--22-15-46',
  experiments: 15,
  epochs: 10,
  numBatches: 100,
  splits: ['train', 'val', 'test'],
  evalBatches: { train: 70, val: 30, test: 100 } as Record<string, number>,
  metrics: ['F1_SCORE_macro', 'PRECISION_macro', 'RECALL_macro'],
  losses: ['cross_entropy_loss'],
  processCount: 5,
  seed: 7,
  startTs: 1707945346123456,
};

type Resolved = Omit<Required<GeneratorOptions>, 'clock' | 'targetEvents'> & Pick<GeneratorOptions, 'clock' | 'targetEvents'>;

function resolve(o: GeneratorOptions): Resolved {
  const r: Resolved = {
    gridSearchId: o.gridSearchId ?? DEFAULTS.gridSearchId,
    experiments: o.experiments ?? DEFAULTS.experiments,
    epochs: o.epochs ?? DEFAULTS.epochs,
    numBatches: o.numBatches ?? DEFAULTS.numBatches,
    splits: o.splits ?? DEFAULTS.splits,
    evalBatches: { ...DEFAULTS.evalBatches, ...o.evalBatches },
    metrics: o.metrics ?? DEFAULTS.metrics,
    losses: o.losses ?? DEFAULTS.losses,
    processCount: o.processCount ?? DEFAULTS.processCount,
    failing: o.failing ?? [],
    seed: o.seed ?? DEFAULTS.seed,
    startTs: o.startTs ?? DEFAULTS.startTs,
    clock: o.clock,
    targetEvents: o.targetEvents,
  };
  if (o.targetEvents !== undefined) r.epochs = Math.max(1, Math.ceil(o.targetEvents / r.experiments / eventsPerEpoch(r)));
  return r;
}

const batchCache = new Map<string, number[]>();

/** Progress events of one phase: MLgym logs when `current_batch % max(1, int(num_batches/10)) == 0`. */
function progressBatches(numBatches: number, oneBased: boolean): number[] {
  const key = `${numBatches}/${oneBased}`;
  let cached = batchCache.get(key);
  if (!cached) batchCache.set(key, (cached = computeBatches(numBatches, oneBased)));
  return cached;
}

function computeBatches(numBatches: number, oneBased: boolean): number[] {
  const step = Math.max(1, Math.floor(numBatches / 10));
  const out: number[] = [];
  for (let b = oneBased ? 1 : 0; b < numBatches + (oneBased ? 1 : 0); b++) if (b % step === 0) out.push(b);
  return out;
}

function eventsPerEpoch(r: Resolved): number {
  let n = progressBatches(r.numBatches, false).length;
  for (const s of r.splits) n += progressBatches(r.evalBatches[s] ?? 50, true).length + 1;
  return n;
}

/** A small deterministic PRNG (mulberry32), so that a seed gives the same log everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEARNING_RATES = [0.1, 0.01, 0.001, 0.0001];
const BATCH_SIZES = [10, 50];

/** Hyperparameters of experiment `i`: the grid lr × batch size × seed, in MLgym's expansion order. */
export function hyperparameters(i: number): { lr: number; batchSize: number; seed: number } {
  return {
    lr: LEARNING_RATES[i % LEARNING_RATES.length],
    batchSize: BATCH_SIZES[Math.floor(i / LEARNING_RATES.length) % BATCH_SIZES.length],
    seed: Math.floor(i / (LEARNING_RATES.length * BATCH_SIZES.length)),
  };
}

/** The expanded single-experiment config, shaped like the real 2024 run's `experiment_config.json`. */
export function experimentConfig(i: number, opts: GeneratorOptions = {}): Record<string, unknown> {
  const r = resolve(opts);
  const h = hyperparameters(i);
  const c = (component_type_key: string, variant_key: string, extra: Record<string, unknown> = {}) => ({ component_type_key, variant_key, ...extra });
  const req = (name: string, component_name: string, subscription?: string | string[]) =>
    subscription === undefined ? { name, component_name } : { name, component_name, subscription };
  return {
    dataset_repository: c('DATASET_REPOSITORY', 'DEFAULT', { config: { storage_connector_path: './file_storage/' } }),
    dataset_iterators: c('DATASET_ITERATORS', 'DEFAULT', {
      requirements: [req('repository', 'dataset_repository')],
      config: { dataset_identifier: 'mnist', split_configs: [{ split: 'train' }, { split: 'test' }] },
    }),
    splitted_dataset_iterators: c('SPLITTED_DATASET_ITERATORS', 'RANDOM', {
      requirements: [req('iterators', 'dataset_iterators', ['train', 'test'])],
      config: { split_configs: { train: { train: 0.7, val: 0.3 } }, seed: h.seed },
    }),
    data_collator: c('DATA_COLLATOR', 'DEFAULT', {
      config: { collator_type: { injectable: { id: 'id_conv_mnist_standard_collator' } }, collator_params: { target_publication_key: 'target_key' } },
    }),
    data_loaders: c('DATA_LOADER', 'DEFAULT', {
      requirements: [req('iterators', 'splitted_dataset_iterators', r.splits), req('data_collator', 'data_collator')],
      config: { batch_size: h.batchSize, weigthed_sampling_split_name: 'train', seeds: [0, 1, 2] },
    }),
    model_registry: c('MODEL_REGISTRY', 'DEFAULT'),
    model: c('MODEL', 'DEFAULT', {
      requirements: [req('model_registry', 'model_registry', 'conv_net')],
      config: {
        model_definition: {
          layer_config: [
            { params: { in_channels: 1, kernel_size: 3, out_channels: 32, stride: 1 }, type: 'conv' },
            { params: { in_channels: 32, kernel_size: 3, out_channels: 64, stride: 1 }, type: 'conv' },
            { params: { in_features: 9216, out_features: 128 }, type: 'fc' },
            { params: { in_features: 128, out_features: 10 }, type: 'fc' },
          ],
        },
        prediction_publication_keys: { prediction_publication_key: 'model_prediction_key' },
        seed: h.seed,
      },
    }),
    optimizer: c('OPTIMIZER', 'DEFAULT', { config: { optimizer_key: 'ADAM', params: { lr: h.lr } } }),
    lr_scheduler: c('LR_SCHEDULER', 'DEFAULT', { config: { lr_scheduler_key: 'dummy' } }),
    loss_function_registry: c('LOSS_FUNCTION_REGISTRY', 'DEFAULT'),
    metric_registry: c('METRIC_REGISTRY', 'DEFAULT'),
    prediction_postprocessing_registry: c('PREDICTION_POSTPROCESSING_REGISTRY', 'DEFAULT'),
    train_component: c('TRAIN_COMPONENT', 'DEFAULT', {
      requirements: [req('loss_function_registry', 'loss_function_registry'), req('prediction_postprocessing_registry', 'prediction_postprocessing_registry')],
      config: {
        show_progress: true,
        loss_fun_config: { prediction_subscription_key: 'model_prediction_key', target_subscription_key: 'target_key', key: 'CLMCrossEntropyLoss', tag: r.losses[0] },
      },
    }),
    trainer: c('TRAINER', 'DEFAULT', { requirements: [req('train_component', 'train_component')] }),
    eval_component: c('EVAL_COMPONENT', 'DEFAULT', {
      requirements: [
        req('model', 'model'), req('data_loaders', 'data_loaders'), req('loss_function_registry', 'loss_function_registry'),
        req('metric_registry', 'metric_registry'), req('prediction_postprocessing_registry', 'prediction_postprocessing_registry'),
      ],
      config: {
        train_split_name: 'train',
        metrics_config: r.metrics.map((tag) => ({
          key: tag.replace(/_macro$/, ''), params: { average: 'macro' }, prediction_subscription_key: 'postprocessing_argmax_key', target_subscription_key: 'target_key', tag,
        })),
        loss_funs_config: r.losses.map((tag) => ({ prediction_subscription_key: 'model_prediction_key', target_subscription_key: 'target_key', key: 'CLMCrossEntropyLoss', tag })),
        show_progress: true,
        cpu_target_subscription_keys: ['target_key'],
        cpu_prediction_subscription_keys: ['postprocessing_argmax_key', 'model_prediction_key'],
      },
    }),
    evaluator: c('EVALUATOR', 'DEFAULT', { requirements: [req('eval_component', 'eval_component')] }),
    checkpointing_strategy: c('CHECKPOINTING_STRATEGY', 'SAVE_LAST_EPOCH_ONLY_CHECKPOINTING_STRATEGY'),
    early_stopping_strategy: c('EARLY_STOPPING_STRATEGY', 'LAST_K_EPOCHS_IMPROVEMENT_STRATEGY', {
      config: { monitoring_key: 'cross_entropy_loss', monitoring_split: 'val', min_relative_improvement: 0.01, k: 5, is_increase_task: false },
    }),
  };
}

/** `system_info.json` of a (made-up) CUDA training host, with the keys of docs/mlgym.md §3.5. */
export function systemInfo(seed = 0): SystemInfo {
  return {
    platform: 'Linux',
    'platform-release': '5.15.0-94-generic',
    architecture: 'x86_64',
    processor: 'x86_64',
    ram: '503 GB',
    'python-version': '3.10.12',
    'python-packages': [
      { name: 'torch', version: '2.2.0' },
      { name: 'mlgym', version: '0.0.75' },
      { name: 'numpy', version: '1.26.4' },
      { name: 'scikit-learn', version: '1.4.0' },
    ],
    CUDNN_version: 8902,
    num_cuda_device: 2,
    cuda_device_list: [
      { name: 'NVIDIA A100-SXM4-80GB', multi_proc_count: 108, total_memory: '79.15 GB' },
      { name: 'NVIDIA A100-SXM4-80GB', multi_proc_count: 108, total_memory: '79.15 GB' },
    ].slice(0, 1 + (seed % 2)),
  };
}

export function runConfigYaml(opts: GeneratorOptions = {}): string {
  const r = resolve(opts);
  return [
    'run_configuration:',
    '  type: train # train, warmstart',
    '  config:',
    `    num_epochs: ${r.epochs}`,
    `    num_batches_per_epoch: ${r.numBatches}`,
    '    gs_config_path: ./gs_config.yml',
    '',
    'environment:',
    `  type: ${r.processCount > 0 ? 'multiprocessing' : 'main_process'}`,
    '  config:',
    `    process_count: ${Math.max(1, r.processCount)}`,
    '    computation_device_ids: [0, 1]',
    '',
    'logging:',
    '  websocket_logging_servers:',
    '    - http://127.0.0.1:5002',
    '  gs_rest_api_endpoint: http://127.0.0.1:5001',
    '',
  ].join('\n');
}

export function gridSearchConfigYaml(opts: GeneratorOptions = {}): string {
  const r = resolve(opts);
  const lrs = LEARNING_RATES.join(', ');
  const n = Math.max(1, Math.ceil(r.experiments / (LEARNING_RATES.length * BATCH_SIZES.length)));
  const seeds = Array.from({ length: n }, (_, i) => i).join(', ');
  return [
    'global_config:',
    '  storage_connector_path: &storage_path_anchor ./file_storage/',
    '  target_key: &target_key_anchor target_key',
    '',
    'model_info:',
    '  model_description: "Generated by CubeLab: a conv net on MNIST."',
    '  model_version: 1.0.0',
    '  source_repo: "https://example.invalid/cubelab-demo"',
    '',
    'dataset_repository:',
    '  component_type_key: DATASET_REPOSITORY',
    '  variant_key: DEFAULT',
    '  config:',
    '    storage_connector_path: *storage_path_anchor',
    '',
    'data_loaders:',
    '  component_type_key: DATA_LOADER',
    '  variant_key: DEFAULT',
    '  config:',
    `    batch_size: [${BATCH_SIZES.join(', ')}]`,
    '',
    'model:',
    '  component_type_key: MODEL',
    '  variant_key: DEFAULT',
    '  config:',
    `    seed: [${seeds}]`,
    '',
    'optimizer:',
    '  component_type_key: OPTIMIZER',
    '  variant_key: DEFAULT',
    '  config:',
    '    optimizer_key: ADAM',
    '    params:',
    `      lr: [${lrs}]`,
    '',
  ].join('\n');
}

/** Python `json.dumps` (default separators, ensure_ascii, NaN/Infinity as bare tokens) or compact JSON. */
export function toJson(v: unknown, style: 'python' | 'compact' = 'python'): string {
  if (style === 'compact') return JSON.stringify(v);
  return py(v);
}

function py(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'number':
      if (Number.isFinite(v)) return String(v);
      return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return pyString(v);
    default: {
      let out: string;
      if (Array.isArray(v)) {
        out = '[';
        for (let i = 0; i < v.length; i++) out += (i ? ', ' : '') + py(v[i]);
        return out + ']';
      }
      out = '{';
      let first = true;
      const o = v as Record<string, unknown>;
      for (const k in o) {
        out += (first ? '' : ', ') + pyString(k) + ': ' + py(o[k]);
        first = false;
      }
      return out + '}';
    }
  }
}

/** ensure_ascii: plain ASCII strings (nearly all) are quoted as they are. */
function pyString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126 || c === 34 || c === 92) {
      return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
    }
  }
  return '"' + s + '"';
}

/** One log line (without the newline) in the given wire format; `eventId` is the 0-based line index. */
export function formatEvent(ev: RawEvent, format: WireFormat = 'head', eventId = 0, style: 'python' | 'compact' = 'python'): string {
  if (format === 'head') return toJson(ev, style);
  return toJson({ event_id: eventId, data: ev }, style);
}

/**
 * The same text as formatEvent in the python style, built from a template for the two frequent event types
 * as the generator shapes them (key order included); undefined for anything else. Makes big logs quick to write.
 */
export function formatGeneratedEvent(ev: RawEvent, format: WireFormat, eventId: number): string {
  const p = ev.payload;
  let body: string | undefined;
  const idPart = p.grid_search_id !== undefined ? `"grid_search_id": ${pyString(String(p.grid_search_id))}, "experiment_id": ${py(p.experiment_id)}` : `"experiment_id": ${py(p.experiment_id)}`;
  if (ev.event_type === 'experiment_status') {
    const splits = p.splits as string[];
    body = `{${idPart}, "status": "${p.status}", "num_epochs": ${p.num_epochs}, "current_epoch": ${p.current_epoch}, "splits": [${splits.map((x) => `"${x}"`).join(', ')}], "current_split": "${p.current_split}", "num_batches": ${p.num_batches}, "current_batch": ${p.current_batch}}`;
  } else if (ev.event_type === 'evaluation_result') {
    const m = (p.metric_scores as { metric: string; split: string; score: number }[]).map((x) => `{"metric": "${x.metric}", "split": "${x.split}", "score": ${py(x.score)}}`).join(', ');
    const l = (p.loss_scores as { loss: string; split: string; score: number }[]).map((x) => `{"loss": "${x.loss}", "split": "${x.split}", "score": ${py(x.score)}}`).join(', ');
    body = `{${idPart}, "epoch": ${p.epoch}, "metric_scores": [${m}], "loss_scores": [${l}]}`;
  }
  if (body === undefined) return formatEvent(ev, format, eventId);
  const inner = `{"event_type": "${ev.event_type}", "creation_ts": ${ev.creation_ts}, "payload": ${body}}`;
  return format === 'head' ? inner : `{"event_id": ${eventId}, "data": ${inner}}`;
}

/** Scores that look like training: converging for small learning rates, stuck for lr = 0.1 (as in the real run). */
function scoreModel(i: number, rand: () => number) {
  const { lr } = hyperparameters(i);
  const diverged = lr >= 0.1;
  const ceiling = diverged ? 0.1 : 0.99 - 0.02 * Math.abs(Math.log10(lr) + 3) - rand() * 0.02;
  const tau = 1 + 3 * Math.abs(Math.log10(lr) + 3) + rand();
  return (epoch: number, split: string, tag: string, kind: 'metric' | 'loss'): number => {
    const gap = split === 'train' ? 0 : 0.015;
    const noise = (rand() - 0.5) * 0.01;
    if (kind === 'loss') {
      if (diverged) return 31.7 + (rand() - 0.5) * 0.3;
      return Math.max(0.001, 0.02 + gap + 2.28 * Math.exp(-epoch / tau) + noise);
    }
    if (diverged) return 0.08 + rand() * 0.03;
    const tagShift = tag.startsWith('PRECISION') ? 0.004 : tag.startsWith('RECALL') ? -0.003 : 0;
    return Math.min(1, Math.max(0, ceiling - gap + tagShift - (ceiling - 0.1) * Math.exp(-epoch / tau) + noise));
  };
}

/** The events of one experiment's job, in the order it emits them (docs/mlgym.md §3.3 "Typical order"). */
function* experimentEvents(i: number, r: Resolved, legacy: boolean, rand: () => number, now: () => number): Generator<Omit<RawEvent, 'creation_ts'> & { creation_ts?: number }> {
  const gs = r.gridSearchId;
  const expId: number | string = legacy ? `${gs}/conv_net/${i}` : i;
  // Payloads are written out key by key: object spread here made generation ~20x slower (V8 deopt).
  const status = (phase: string, epoch: number, splits: string[], split: string, numBatches: number, batch: number) =>
    legacy
      ? { experiment_id: expId, status: phase, num_epochs: r.epochs, current_epoch: epoch, splits, current_split: split, num_batches: numBatches, current_batch: batch }
      : { grid_search_id: gs, experiment_id: expId, status: phase, num_epochs: r.epochs, current_epoch: epoch, splits, current_split: split, num_batches: numBatches, current_batch: batch };
  const result = (epoch: number, split: string) => {
    const metric_scores = r.metrics.map((metric) => ({ metric, split, score: score(epoch, split, metric, 'metric') }));
    const loss_scores = r.losses.map((loss) => ({ loss, split, score: score(epoch, split, loss, 'loss') }));
    return legacy ? { experiment_id: expId, epoch, metric_scores, loss_scores } : { grid_search_id: gs, experiment_id: expId, epoch, metric_scores, loss_scores };
  };
  const trainSplits = [r.splits[0]];
  const job = (status: string, starting: number, finishing: number, error: string | null = null, stacktrace: string | null = null) => ({
    event_type: 'job_status',
    payload: legacy
      ? { job_id: i, job_type: 1, status, experiment_id: expId, starting_time: starting, finishing_time: finishing, device: status === 'INIT' ? '' : 'cuda:0', error, stacktrace }
      : { job_id: `${gs}-${i}`, job_type: 1, status, grid_search_id: gs, experiment_id: expId, starting_time: starting, finishing_time: finishing, error, stacktrace },
  });
  const started = now() / 1e6;
  if (r.processCount > 0) yield job('RUNNING', started, -1);
  const score = scoreModel(i, rand);
  const failAt = r.failing.includes(i) ? Math.floor(r.epochs / 2) : -1;
  for (let epoch = 0; epoch < r.epochs; epoch++) {
    for (const b of progressBatches(r.numBatches, false)) {
      yield { event_type: 'experiment_status', payload: status('train', epoch, trainSplits, r.splits[0], r.numBatches, b) };
    }
    if (epoch === failAt) {
      if (r.processCount > 0) {
        const trace = 'Traceback (most recent call last):\n  File "gym_job.py", line 70, in execute\nRuntimeError: CUDA out of memory.';
        yield job('DONE', started, now() / 1e6, 'CUDA out of memory.', trace);
      }
      return;
    }
    for (const split of r.splits) {
      const nb = r.evalBatches[split] ?? 50;
      for (const b of progressBatches(nb, true)) {
        yield { event_type: 'experiment_status', payload: status('evaluation', epoch, r.splits, split, nb, b) };
      }
      yield { event_type: 'evaluation_result', payload: result(epoch, split) };
    }
  }
  if (r.processCount > 0) yield job('DONE', started, now() / 1e6);
}

/** All events of a run in log order (multiprocessing interleaving), stamped with the simulated or given clock. */
export function* generateEvents(options: GeneratorOptions & { format?: WireFormat } = {}): Generator<RawEvent> {
  const r = resolve(options);
  const legacy = options.format === 'legacy2022';
  const rand = rng(r.seed);
  let ts = r.startTs;
  const now = r.clock ?? (() => ts);
  const tick = () => { ts += 1000 + Math.floor(rand() * 9000); };
  let emitted = 0;
  const limit = r.targetEvents ?? Number.POSITIVE_INFINITY;
  const stamp = (e: Omit<RawEvent, 'creation_ts'> & { creation_ts?: number }): RawEvent => {
    tick();
    emitted++;
    return { event_type: e.event_type, creation_ts: now(), payload: e.payload };
  };
  const gs = r.gridSearchId;
  // 2022 logs have no experiment_config events (the dump holds only job, progress and result lines).
  if (!legacy) {
    for (let i = 0; i < r.experiments && emitted < limit; i++) {
      yield stamp({ event_type: 'experiment_config', payload: { grid_search_id: gs, experiment_id: i, job_id: i, config: experimentConfig(i, options) } });
    }
  }
  if (r.processCount > 0) {
    for (let i = 0; i < r.experiments && emitted < limit; i++) {
      const payload = legacy
        ? { job_id: i, job_type: 1, status: 'INIT', experiment_id: `${gs}/conv_net/${i}`, starting_time: -1, finishing_time: -1, device: '', error: null, stacktrace: null }
        : { job_id: `${gs}-${i}`, job_type: 1, status: 'INIT', grid_search_id: gs, experiment_id: i, starting_time: -1, finishing_time: -1, error: null, stacktrace: null };
      yield stamp({ event_type: 'job_status', payload });
    }
    if (legacy) {
      // 2022 logs also announce the TERMINATE jobs (job_type 2, no experiment), one per worker.
      for (let k = 0; k < r.processCount && emitted < limit; k++) {
        yield stamp({ event_type: 'job_status', payload: { job_id: r.experiments + k, job_type: 2, status: 'INIT', experiment_id: null, starting_time: -1, finishing_time: -1, device: '', error: null, stacktrace: null } });
      }
    }
  }
  const slots = Math.max(1, r.processCount);
  let next = 0;
  const running: Generator<Omit<RawEvent, 'creation_ts'> & { creation_ts?: number }>[] = [];
  while (emitted < limit && (next < r.experiments || running.length > 0)) {
    while (running.length < slots && next < r.experiments) running.push(experimentEvents(next++, r, legacy, rand, now));
    const k = Math.floor(rand() * running.length);
    const step = running[k].next();
    if (step.done) { running.splice(k, 1); continue; }
    yield stamp(step.value);
  }
}

/**
 * Writes `<root>/<grid_search_id>/` with the log, the stored configs and the experiment folders. The log is
 * streamed to disk in large writes, so multi-GB logs need little memory.
 */
export function writeEventStorage(root: string, options: WriteOptions = {}): WrittenStorage {
  const r = resolve(options);
  const format = options.format ?? 'head';
  const style = options.style ?? 'python';
  const dir = join(root, r.gridSearchId);
  mkdirSync(dir, { recursive: true });
  // MLboard's side effects: the publishers join these rooms, which creates empty logs (docs/mlgym.md §3.1).
  for (const side of ['mlgym_event_publishers', 'mlgym_streamed_logger']) {
    mkdirSync(join(root, side), { recursive: true });
    writeFileSync(join(root, side, 'event_storage.log'), '');
  }
  writeFileSync(join(dir, 'grid_search_config.yml'), gridSearchConfigYaml(options));
  writeFileSync(join(dir, 'run_config.yml'), runConfigYaml({ ...options, epochs: r.epochs }));
  for (let i = 0; i < r.experiments; i++) {
    const ed = join(dir, String(i));
    mkdirSync(ed, { recursive: true });
    writeFileSync(join(ed, 'experiment_config.json'), toJson(experimentConfig(i, options)));
    writeFileSync(join(ed, 'system_info.json'), toJson(systemInfo(i)));
  }
  const logPath = join(dir, 'event_storage.log');
  const fd = openSync(logPath, 'w');
  let events = 0;
  let bytes = 0;
  let pending: string[] = [];
  let pendingLen = 0;
  const flush = () => {
    if (!pending.length) return;
    const buf = Buffer.from(pending.join(''), 'utf8');
    writeSync(fd, buf);
    bytes += buf.length;
    pending = [];
    pendingLen = 0;
  };
  const finished = new Set<number>();
  try {
    for (const ev of generateEvents({ ...options, format })) {
      const line = (style === 'python' ? formatGeneratedEvent(ev, format, events) : formatEvent(ev, format, events, style)) + '\n';
      pending.push(line);
      pendingLen += line.length;
      events++;
      if (pendingLen > 4 * 1024 * 1024) flush();
      if (ev.event_type === 'job_status' && ev.payload.status === 'DONE' && !ev.payload.error) {
        const id = ev.payload.experiment_id;
        finished.add(typeof id === 'number' ? id : Number(String(id).split('/').pop()));
      }
    }
    flush();
  } finally {
    closeSync(fd);
  }
  if (r.processCount === 0 && r.targetEvents === undefined) {
    // A sequential run has no job events: every experiment that did not fail finished.
    for (let i = 0; i < r.experiments; i++) if (!r.failing.includes(i)) finished.add(i);
  }
  const epochs = options.checkpointEpochs ?? [r.epochs - 1];
  for (const i of finished) {
    for (const epoch of epochs) {
      if (epoch < 0 || epoch >= r.epochs) continue;
      const cd = join(dir, String(i), String(epoch));
      mkdirSync(cd, { recursive: true });
      for (const f of ['model.pickle', 'optimizer.pickle', 'lr_scheduler.pickle', 'stateful_components.pickle']) {
        writeFileSync(join(cd, f), `placeholder ${f} of experiment ${i}, epoch ${epoch} (generated by CubeLab)\n`);
      }
    }
  }
  return { dir, logPath, events, bytes, epochs: r.epochs };
}

/**
 * A large HEAD log, fast: one generated block of `blockExperiments` experiments is written again and again with
 * the experiment (and job) ids shifted, until the file reaches `targetBytes`. The payloads are the generator's;
 * only timestamps repeat between blocks. Used by the bounded-memory test, where generating every event of a
 * 200 MB–1 GB log one by one would take most of the test's time.
 */
export function writeReplicatedLog(path: string, targetBytes: number, options: { blockExperiments?: number; blockEpochs?: number; seed?: number } = {}): { events: number; bytes: number; blocks: number; experiments: number } {
  const per = options.blockExperiments ?? 5;
  const gs = DEFAULTS.gridSearchId;
  let block = '';
  let blockEvents = 0;
  for (const ev of generateEvents({ experiments: per, epochs: options.blockEpochs ?? 50, processCount: per, seed: options.seed ?? 7 })) {
    block += formatGeneratedEvent(ev, 'head', blockEvents++) + '\n';
  }
  const blockBytes = Buffer.byteLength(block);
  const blocks = Math.max(1, Math.ceil(targetBytes / blockBytes));
  const ids = new RegExp(`("experiment_id": |"job_id": |"job_id": "${gs}-)(\\d+)`, 'g');
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    for (let b = 0; b < blocks; b++) {
      const text = b === 0 ? block : block.replace(ids, (_m, key: string, id: string) => key + String(Number(id) + b * per));
      bytes += writeSync(fd, text);
    }
  } finally {
    closeSync(fd);
  }
  return { events: blockEvents * blocks, bytes, blocks, experiments: blocks * per };
}
