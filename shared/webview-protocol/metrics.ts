/**
 * The Metrics panel's message contract, imported by the extension (client/src/webviews) and the webview
 * (webviews/metrics). One discriminated union each way and a validator per direction: every message a side
 * receives goes through its validator first; invalid ones are dropped and counted.
 */
import { isArrayOf, isBoolean, isNumber, isNumberArray, isOptional, isString, isStringArray, messageValidator } from './guards';

export const METRICS_VIEW_TYPE = 'cubelab.metrics';

/**
 * One line of one chart: the scores of `key` (`<split>_<tag>`) of one experiment, sorted by epoch. Large
 * series arrive downsampled (min/max per bucket), so `x` may skip epochs; `total` is the full count.
 */
export interface SeriesData {
  experiment: string;
  key: string;
  x: number[];
  y: number[];
  total: number;
}

/** New points of a series; `replace` swaps the whole series (it was re-sampled, or a middle epoch changed). */
export interface SeriesPoints {
  experiment: string;
  key: string;
  x: number[];
  y: number[];
  replace?: boolean;
}

/** What the webview keeps with getState/setState and the serializer gets back after a reload. */
export interface MetricsViewState {
  /** The event log shown (`.../event_storage/<grid_search_id>/event_storage.log`). */
  source: string;
  smoothing: number;
  logScale: boolean;
  selected: string[];
}

export type MetricsToWebview =
  | {
      type: 'init';
      source: string;
      title: string;
      /** Every `<split>_<tag>`, sorted: one chart each. */
      keys: string[];
      /** Experiment ids in numeric order: one line each. */
      experiments: string[];
      series: SeriesData[];
      /** Experiments to show (empty: all). */
      selected: string[];
    }
  | { type: 'append'; experiments: string[]; keys: string[]; points: SeriesPoints[] }
  | { type: 'select'; experiments: string[] }
  | { type: 'status'; text: string; badLines: number };

export type MetricsFromWebview =
  | { type: 'ready' }
  | { type: 'selectExperiments'; experiments: string[] }
  /** All series, or only those of `key`. */
  | { type: 'exportCsv'; key?: string }
  | { type: 'exportPng'; key: string; dataUrl: string }
  | { type: 'stateChanged'; state: MetricsViewState };

const isSeriesData = (v: unknown): v is SeriesData =>
  hasSeriesShape(v) && isNumber((v as { total?: unknown }).total);
const isSeriesPoints = (v: unknown): v is SeriesPoints =>
  hasSeriesShape(v) && isOptional(isBoolean)((v as { replace?: unknown }).replace);

function hasSeriesShape(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return isString(s.experiment) && isString(s.key) && isNumberArray(s.x) && isNumberArray(s.y) && s.x.length === s.y.length;
}

export function isMetricsViewState(v: unknown): v is MetricsViewState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return isString(s.source) && isNumber(s.smoothing) && s.smoothing >= 0 && s.smoothing < 1 && isBoolean(s.logScale) && isStringArray(s.selected);
}

/** Validates what the extension sends; the webview drops anything else. */
export const isMetricsToWebview = messageValidator<MetricsToWebview>({
  init: { source: isString, title: isString, keys: isStringArray, experiments: isStringArray, series: isArrayOf(isSeriesData), selected: isStringArray },
  append: { experiments: isStringArray, keys: isStringArray, points: isArrayOf(isSeriesPoints) },
  select: { experiments: isStringArray },
  status: { text: isString, badLines: isNumber },
});

/** Validates what the webview sends; the extension drops anything else. */
export const isMetricsFromWebview = messageValidator<MetricsFromWebview>({
  ready: {},
  selectExperiments: { experiments: isStringArray },
  exportCsv: { key: isOptional(isString) },
  // A PNG data URL only: the extension decodes it and writes the bytes, nothing else.
  exportPng: { key: isString, dataUrl: (v) => isString(v) && v.startsWith('data:image/png;base64,') },
  stateChanged: { state: isMetricsViewState },
});
