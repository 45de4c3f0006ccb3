/**
 * Types of MLgym's event storage (docs/mlgym.md §3–4). Pure data: no `vscode`, no Node APIs, so the
 * reader, the aggregator and later the webview contract can all share them.
 */

/** The two on-disk line formats: HEAD's `{event_type, creation_ts, payload}` and 2022's `{event_id, data}`. */
export type WireFormat = 'head' | 'legacy2022';

/** The event types the MLboard websocket server stores (docs/mlgym.md §3.2). Anything else is counted and ignored. */
export type StoredEventType = 'experiment_config' | 'job_status' | 'experiment_status' | 'evaluation_result';

/** One line of `event_storage.log` after JSON.parse, before normalisation (HEAD shape). */
export interface RawEvent {
  event_type: string;
  creation_ts: number;
  payload: Record<string, unknown>;
}

/** A 2022 line: the websocket wire message, `event_id` is the line index. */
export interface LegacyWireEvent {
  event_id: number;
  data: RawEvent;
}

/** Fields every normalised event carries. */
interface EventBase {
  /** The experiment as a string: `"3"` at HEAD, the path `"2022-04-29--22-25-49/conv_net/0"` in 2022 logs. */
  experimentId: string;
  /** `payload.grid_search_id` at HEAD; the first path segment of the 2022 experiment id. */
  gridSearchId?: string;
  /** `creation_ts`, microseconds since the epoch (docs/mlgym.md §3.2). */
  ts: number;
}

export interface ExperimentConfigEvent extends EventBase {
  type: 'experiment_config';
  /** The int index here, unlike `job_status.job_id` (docs/mlgym.md §3.3). */
  jobId?: number | string;
  config: Record<string, unknown>;
}

/** MLgym has no FAILED status: a failure is DONE with an error (docs/mlgym.md §3.3). */
export type JobState = 'INIT' | 'RUNNING' | 'DONE' | string;

export interface JobStatusEvent extends EventBase {
  type: 'job_status';
  jobId: number | string;
  /** 1 = CALC, 2 = TERMINATE. */
  jobType?: number;
  status: JobState;
  /** Seconds (float) or -1. */
  startingTime?: number;
  finishingTime?: number;
  error?: string | null;
  stacktrace?: string | null;
  /** Only in 2022 logs. */
  device?: string;
}

export interface ExperimentStatusEvent extends EventBase {
  type: 'experiment_status';
  /** `"train"` or `"evaluation"` (the README's TRAINING/EVALUATING is wrong). */
  phase: string;
  numEpochs?: number;
  currentEpoch?: number;
  splits?: string[];
  currentSplit?: string;
  numBatches?: number;
  currentBatch?: number;
}

export interface Score {
  split: string;
  /** The metric or loss tag, e.g. `F1_SCORE_macro`, `cross_entropy_loss`. */
  tag: string;
  kind: 'metric' | 'loss';
  /** Normally a float; a list for RECALL_AT_K (docs/mlgym.md §3.3). Non-numeric entries are dropped. */
  score: number | number[];
}

export interface EvaluationResultEvent extends EventBase {
  type: 'evaluation_result';
  epoch: number;
  scores: Score[];
}

export type NormalizedEvent = ExperimentConfigEvent | JobStatusEvent | ExperimentStatusEvent | EvaluationResultEvent;

/** A line the reader could not use, reported instead of failing the whole log. */
export interface BadLine {
  /** 1-based line number in the file (MLgym's event_id is this minus one). */
  line: number;
  reason: string;
  /** The start of the line, for the problems view. */
  excerpt: string;
}

/** `system_info.json` of the training host (docs/mlgym.md §3.5, `SystemEnv.create_system_info()`). */
export interface SystemInfo {
  platform?: string;
  'platform-release'?: string;
  architecture?: string;
  processor?: string;
  ram?: string;
  'python-version'?: string;
  'python-packages'?: { name: string; version: string }[];
  CUDNN_version?: number | string | null;
  num_cuda_device?: number;
  cuda_device_list?: { name: string; multi_proc_count?: number; total_memory?: string | number }[];
  [key: string]: unknown;
}
