/**
 * The Model card panel's message contract and the card's data shape (docs/mlgym.md §4), imported by
 * the card builder (client/src/modelcard), the panel (client/src/webviews/modelCardPanel.ts) and the webview
 * (webviews/modelcard). The card is also what the JSON export writes, so its guard doubles as the check of a
 * card read back from disk.
 */
import {
  hasFields, isArrayOf, isBoolean, isNullable, isNumber, isNumberArray, isObject, isString, isStringArray, messageValidator,
} from './guards';

export const MODEL_CARD_VIEW_TYPE = 'cubelab.modelCard';
export const MODEL_CARD_FORMAT = 'cubelab.modelCard';

export type Scalar = string | number | boolean | null;
/** A configuration value flattened to one line (`params.lr`, `0.1`); lists are JSON text. */
export interface KeyValue { key: string; value: Scalar }

/** Where the training dates came from: the event log (correct), the job events, or MLgym's card (its generation date). */
export type TrainDateSource = 'events' | 'modelCard' | 'unknown';
/** Where the environment came from: the training host's system_info.json, or MLgym's card (the REST server's host). */
export type EnvironmentSource = 'system_info.json' | 'model_card.json' | 'none';

export interface PipelineNode {
  /** The component name (the key in experiment_config). */
  id: string;
  /** component_type_key, e.g. `DATA_LOADER`; empty for a required component that is not in the config. */
  type: string;
  variant: string;
  /** 0 for components without requirements; else one more than the deepest requirement. */
  layer: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** A requirement names this component but the config has none (MLgym would fail to build it). */
  missing: boolean;
}

export interface PipelineEdge {
  /** The required component. */
  from: string;
  /** The component that requires it. */
  to: string;
  /** The requirement's name inside `to`. */
  name: string;
  /** The subscription (splits, a model key), as text; null when none. */
  subscription: string | null;
  /** Part of a requirement cycle (drawn, but ignored for layering). */
  cycle: boolean;
  /** SVG path data, in the graph's coordinates. */
  d: string;
}

export interface PipelineGraph {
  nodes: PipelineNode[];
  edges: PipelineEdge[];
  width: number;
  height: number;
  layers: number;
}

export interface FinalScore {
  /** `<split>_<tag>`. */
  key: string;
  split: string;
  tag: string;
  /** The highest epoch with a value, and that value (null if it was not finite, e.g. a diverged loss). */
  epoch: number;
  value: number | null;
}

export interface ResultSeries {
  key: string;
  split: string;
  tag: string;
  /** Ascending epochs (numeric order) and their finite values. */
  epochs: number[];
  values: number[];
}

export interface ModelCardData {
  format: typeof MODEL_CARD_FORMAT;
  version: 1;
  gridSearchId: string;
  experimentId: string;
  /** ISO time the card was built. */
  generatedAt: string;
  model: {
    /** The model registry subscription (e.g. `conv_net`), else the component's variant. */
    name: string | null;
    description: string | null;
    version: string | null;
    sourceRepo: string | null;
    variant: string | null;
    layers: { type: string; params: KeyValue[] }[];
    /** Trainable parameters computed from the layer config when every layer is a known kind; MLgym always says 0. */
    parameterCount: number | null;
  };
  dataset: {
    name: string | null;
    /** `split_configs` of the DATASET_ITERATORS component. */
    splits: string[];
    /** Splits subscribed to by the SPLITTED_DATASET_ITERATORS components. */
    subscription: string[];
    /** One entry per split that is split again: `train` → `{train: 0.7, val: 0.3}`. */
    percentages: { component: string; source: string; parts: { split: string; fraction: number }[] }[];
  };
  training: {
    optimizer: string | null;
    hyperparams: KeyValue[];
    lossFunction: string | null;
    lrScheduler: string | null;
    batchSize: number | null;
    numEpochs: number | null;
    earlyStopping: KeyValue[];
    checkpointing: string | null;
    /** The values of this experiment for the parameters the grid search sweeps. */
    gridParams: KeyValue[];
    /** ISO times of the first and last event of the experiment (or its job's start and end). */
    startedAt: string | null;
    finishedAt: string | null;
    /** `YYYY-MM-DD` of the training (the start). */
    trainDate: string | null;
    trainDateSource: TrainDateSource;
    status: string;
    /** Highest epoch with an evaluation result. */
    lastEpoch: number | null;
    /** Highest checkpointed epoch, compared as numbers. */
    latestCheckpointEpoch: number | null;
    checkpoints: { epoch: number; files: string[] }[];
  };
  evaluation: {
    lossFunctions: string[];
    metrics: { name: string; key: string | null; params: KeyValue[] }[];
    splits: string[];
  };
  pipeline: PipelineGraph;
  results: {
    finalEpoch: number | null;
    scores: FinalScore[];
    series: ResultSeries[];
  };
  environment: {
    source: EnvironmentSource;
    fields: KeyValue[];
    cudaDevices: { name: string; totalMemory: string | null; multiProcCount: number | null }[];
    pythonPackages: { name: string; version: string }[];
    carbonFootprint: string | null;
    entryPoint: string | null;
  };
  /** What this card states differently from MLgym's own model_card.json, and why. */
  corrections: string[];
  /** Missing or unreadable inputs. */
  problems: string[];
}

/** What the page keeps with getState/setState, handed to the serializer after a reload. */
export interface ModelCardViewState {
  gridSearchDir: string;
  experimentId: string;
}

export type ModelCardToWebview =
  | { type: 'card'; card: ModelCardData; gridSearchDir: string }
  | { type: 'status'; text: string };

export type ModelCardFromWebview =
  | { type: 'ready' }
  | { type: 'exportHtml' }
  | { type: 'exportJson' }
  | { type: 'refresh' }
  | { type: 'stateChanged'; state: ModelCardViewState };

// ---- guards ------------------------------------------------------------------------------------------------

const isScalar = (v: unknown): v is Scalar => v === null || isString(v) || isBoolean(v) || isNumber(v);
const isKeyValue = (v: unknown): v is KeyValue => hasFields(v, { key: isString, value: isScalar });
const isKeyValues = isArrayOf(isKeyValue);
const isNullString = isNullable(isString);
const isNullNumber = isNullable(isNumber);
const isSameLength = (a: unknown, b: unknown) => Array.isArray(a) && Array.isArray(b) && a.length === b.length;

const isPipelineNode = (v: unknown): v is PipelineNode => hasFields(v, {
  id: isString, type: isString, variant: isString, layer: isNumber, x: isNumber, y: isNumber, width: isNumber, height: isNumber, missing: isBoolean,
});
// Path data is drawn with setAttribute; still, only the commands the layout writes are accepted.
const isPathData = (v: unknown): v is string => isString(v) && /^[MLCQZ0-9 .,\-]*$/.test(v);
const isPipelineEdge = (v: unknown): v is PipelineEdge => hasFields(v, {
  from: isString, to: isString, name: isString, subscription: isNullString, cycle: isBoolean, d: isPathData,
});
export const isPipelineGraph = (v: unknown): v is PipelineGraph => hasFields(v, {
  nodes: isArrayOf(isPipelineNode), edges: isArrayOf(isPipelineEdge), width: isNumber, height: isNumber, layers: isNumber,
});

const isFinalScore = (v: unknown): v is FinalScore => hasFields(v, { key: isString, split: isString, tag: isString, epoch: isNumber, value: isNullNumber });
const isResultSeries = (v: unknown): v is ResultSeries =>
  hasFields(v, { key: isString, split: isString, tag: isString, epochs: isNumberArray, values: isNumberArray }) && isSameLength(v.epochs, v.values);

const TRAIN_DATE_SOURCES: ReadonlySet<unknown> = new Set(['events', 'modelCard', 'unknown']);
const ENV_SOURCES: ReadonlySet<unknown> = new Set(['system_info.json', 'model_card.json', 'none']);

export function isModelCardData(v: unknown): v is ModelCardData {
  if (!hasFields(v, {
    format: (x) => x === MODEL_CARD_FORMAT, version: (x) => x === 1, gridSearchId: isString, experimentId: isString, generatedAt: isString,
    model: isObject, dataset: isObject, training: isObject, evaluation: isObject, pipeline: isPipelineGraph, results: isObject,
    environment: isObject, corrections: isStringArray, problems: isStringArray,
  })) return false;
  const c = v as unknown as Record<string, Record<string, unknown>>;
  return hasFields(c.model, {
    name: isNullString, description: isNullString, version: isNullString, sourceRepo: isNullString, variant: isNullString,
    layers: isArrayOf((l): l is unknown => hasFields(l, { type: isString, params: isKeyValues })), parameterCount: isNullNumber,
  }) && hasFields(c.dataset, {
    name: isNullString, splits: isStringArray, subscription: isStringArray,
    percentages: isArrayOf((p): p is unknown => hasFields(p, {
      component: isString, source: isString, parts: isArrayOf((x): x is unknown => hasFields(x, { split: isString, fraction: isNumber })),
    })),
  }) && hasFields(c.training, {
    optimizer: isNullString, hyperparams: isKeyValues, lossFunction: isNullString, lrScheduler: isNullString, batchSize: isNullNumber,
    numEpochs: isNullNumber, earlyStopping: isKeyValues, checkpointing: isNullString, gridParams: isKeyValues, startedAt: isNullString,
    finishedAt: isNullString, trainDate: isNullString, trainDateSource: (x) => TRAIN_DATE_SOURCES.has(x), status: isString,
    lastEpoch: isNullNumber, latestCheckpointEpoch: isNullNumber,
    checkpoints: isArrayOf((x): x is unknown => hasFields(x, { epoch: isNumber, files: isStringArray })),
  }) && hasFields(c.evaluation, {
    lossFunctions: isStringArray, splits: isStringArray,
    metrics: isArrayOf((x): x is unknown => hasFields(x, { name: isString, key: isNullString, params: isKeyValues })),
  }) && hasFields(c.results, {
    finalEpoch: isNullNumber, scores: isArrayOf(isFinalScore), series: isArrayOf(isResultSeries),
  }) && hasFields(c.environment, {
    source: (x) => ENV_SOURCES.has(x), fields: isKeyValues, carbonFootprint: isNullString, entryPoint: isNullString,
    cudaDevices: isArrayOf((x): x is unknown => hasFields(x, { name: isString, totalMemory: isNullString, multiProcCount: isNullNumber })),
    pythonPackages: isArrayOf((x): x is unknown => hasFields(x, { name: isString, version: isString })),
  });
}

export function isModelCardViewState(v: unknown): v is ModelCardViewState {
  return hasFields(v, { gridSearchDir: isString, experimentId: isString });
}

export const isModelCardToWebview = messageValidator<ModelCardToWebview>({
  card: { card: isModelCardData, gridSearchDir: isString },
  status: { text: isString },
});

export const isModelCardFromWebview = messageValidator<ModelCardFromWebview>({
  ready: {},
  exportHtml: {},
  exportJson: {},
  refresh: {},
  stateChanged: { state: isModelCardViewState },
});
