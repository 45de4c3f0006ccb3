/**
 * The Experiments table's message contract, imported by the extension (client/src/webviews) and the webview
 * (webviews/experiments). One discriminated union each way and a validator per direction.
 */
import { isArrayOf, isBoolean, isNullable, isNumber, isObject, isOptional, isRecordOf, isString, isStringArray, messageValidator } from './guards';

export const EXPERIMENTS_VIEW_TYPE = 'cubelab.experiments';

export type ExperimentStatus = 'configured' | 'queued' | 'running' | 'done' | 'failed' | 'unknown';
export type CellValue = string | number | boolean | null;

export interface ExperimentRow {
  id: string;
  status: ExperimentStatus;
  /** 0..1 (epochs done / epochs), null when unknown. */
  progress: number | null;
  /** Highest epoch with a result, -1 if none. */
  epoch: number;
  /** Hyperparameters flattened from experiment_config (`a.b.c` keys). */
  params: Record<string, CellValue>;
  /** Latest score of every `<split>_<tag>` (value at the highest epoch). */
  scores: Record<string, number>;
}

export interface ExperimentsViewState {
  source: string;
  filter: string;
  sort: { column: string; descending: boolean } | null;
  selected: string[];
  /** Per-column filter text keyed by column id (`score:val_F1`); optional, so a state saved before it restores. */
  columnFilters?: Record<string, string>;
}

export type ExperimentsToWebview =
  | {
      type: 'init';
      source: string;
      title: string;
      /** Flattened config keys whose value differs between experiments: the default columns. */
      varyingParams: string[];
      scoreKeys: string[];
      rows: ExperimentRow[];
      selected: string[];
    }
  /** Rows added or changed (matched by id); the key lists are the complete new lists. */
  | { type: 'update'; varyingParams: string[]; scoreKeys: string[]; rows: ExperimentRow[] }
  | { type: 'select'; ids: string[] };

export type ExperimentsFromWebview =
  | { type: 'ready' }
  | { type: 'selectExperiments'; ids: string[] }
  /** Opens the experiment's experiment_config.json (Alt+double-click). */
  | { type: 'openExperiment'; id: string }
  /** Opens the experiment's model card (double-click): `cubelab.openModelCard` with the panel's grid search. */
  | { type: 'openModelCard'; id: string }
  | { type: 'stateChanged'; state: ExperimentsViewState };

const STATUSES: ReadonlySet<string> = new Set(['configured', 'queued', 'running', 'done', 'failed', 'unknown']);
const isCell = (v: unknown): v is CellValue => v === null || isString(v) || isBoolean(v) || isNumber(v);

export function isExperimentRow(v: unknown): v is ExperimentRow {
  if (!isObject(v)) return false;
  return isString(v.id) && isString(v.status) && STATUSES.has(v.status) && isNullable(isNumber)(v.progress)
    && isNumber(v.epoch) && isRecordOf(isCell)(v.params) && isRecordOf(isNumber)(v.scores);
}

export function isExperimentsViewState(v: unknown): v is ExperimentsViewState {
  if (!isObject(v)) return false;
  const sortOk = v.sort === null || (isObject(v.sort) && isString(v.sort.column) && isBoolean(v.sort.descending));
  return isString(v.source) && isString(v.filter) && sortOk && isStringArray(v.selected)
    && isOptional(isRecordOf(isString))(v.columnFilters);
}

export const isExperimentsToWebview = messageValidator<ExperimentsToWebview>({
  init: { source: isString, title: isString, varyingParams: isStringArray, scoreKeys: isStringArray, rows: isArrayOf(isExperimentRow), selected: isStringArray },
  update: { varyingParams: isStringArray, scoreKeys: isStringArray, rows: isArrayOf(isExperimentRow) },
  select: { ids: isStringArray },
});

export const isExperimentsFromWebview = messageValidator<ExperimentsFromWebview>({
  ready: {},
  selectExperiments: { ids: isStringArray },
  openExperiment: { id: isString },
  openModelCard: { id: isString },
  stateChanged: { state: isExperimentsViewState },
});
