/**
 * The Metrics panel's message contract, imported by the extension (client/src/webviews) and the webview
 * (webviews/metrics). One discriminated union each way and a validator per direction: every message a side
 * receives goes through its validator first; invalid ones are dropped and counted.
 */
import { isArrayOf, isBoolean, isNullable, isNumber, isNumberArray, isOptional, isString, isStringArray, messageValidator } from './guards';

export const METRICS_VIEW_TYPE = 'cubelab.metrics';

/**
 * One chart's data (client/src/webviews/chartData.ts builds it): every line of `key` on one shared x axis, the
 * numbers in typed arrays (VS Code's webview postMessage transfers their buffers as they are, without JSON).
 */
export interface ChartData {
  key: string;
  /** One line each, in the order of the rows of `y`. */
  experiments: string[];
  /** Ascending. `raw`: the epochs of the points; `minmax`: two slots per bucket (edges shared by every line). */
  x: Float64Array;
  /** `experiments.length` rows of `x.length` values, row after row; NaN where a line has no point. */
  y: Float64Array;
  /** Points of each line in the range (before bucketing). */
  totals: number[];
  /** `raw`: every point of the range; `minmax`: each line's minimum and maximum per bucket. */
  resolution: 'raw' | 'minmax';
  /** The epochs covered: null for all of them, else the zoomed [min, max] the page asked for. */
  range: [number, number] | null;
  /** The page's `requestRange` this answers; 0 when the extension sent it on its own. */
  request: number;
}

/** Live points of one line of a `raw` chart; `replace` swaps the whole line (a middle epoch changed). */
export interface SeriesPoints {
  experiment: string;
  key: string;
  x: Float64Array;
  y: Float64Array;
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
      /** Experiment ids in numeric order (their colours). */
      experiments: string[];
      /** One per key, for every epoch. */
      charts: ChartData[];
      /** Experiments to show (empty: all). */
      selected: string[];
    }
  /** New data for one chart (it changed too much for points, or it answers a zoom). */
  | { type: 'chart'; experiments: string[]; keys: string[]; chart: ChartData }
  | { type: 'append'; experiments: string[]; keys: string[]; points: SeriesPoints[] }
  | { type: 'select'; experiments: string[] }
  | { type: 'status'; text: string; badLines: number };

export type MetricsFromWebview =
  /** `width`: the plot's width in CSS pixels, so that the data sent has about one x value per pixel. */
  | { type: 'ready'; width?: number }
  /** The page zoomed (or came back from a zoom: min and max null): data for that range, at its resolution. */
  | { type: 'requestRange'; key: string; min: number | null; max: number | null; width: number; request: number }
  | { type: 'selectExperiments'; experiments: string[] }
  /** All series, or only those of `key`. */
  | { type: 'exportCsv'; key?: string }
  | { type: 'exportPng'; key: string; dataUrl: string }
  | { type: 'stateChanged'; state: MetricsViewState };

/** A Float64Array of this realm or another (structured clone makes them in the receiver's realm anyway). */
export const isFloat64Array = (v: unknown): v is Float64Array => Object.prototype.toString.call(v) === '[object Float64Array]';

/** Ascending finite numbers. */
function isAxis(v: unknown): v is Float64Array {
  if (!isFloat64Array(v)) return false;
  let previous = -Infinity;
  for (const x of v) {
    if (!Number.isFinite(x) || x < previous) return false;
    previous = x;
  }
  return true;
}

const isRange = (v: unknown): v is [number, number] | null => v === null || (Array.isArray(v) && v.length === 2 && isNumber(v[0]) && isNumber(v[1]) && v[0] <= v[1]);

export function isChartData(v: unknown): v is ChartData {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return isString(c.key) && isStringArray(c.experiments) && isAxis(c.x) && isFloat64Array(c.y)
    && c.y.length === c.experiments.length * c.x.length && isNumberArray(c.totals) && c.totals.length === c.experiments.length
    && (c.resolution === 'raw' || c.resolution === 'minmax') && isRange(c.range) && isNumber(c.request);
}

const isSeriesPoints = (v: unknown): v is SeriesPoints => {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return isString(s.experiment) && isString(s.key) && isAxis(s.x) && isFloat64Array(s.y) && s.x.length === s.y.length
    && isOptional(isBoolean)(s.replace);
};

export function isMetricsViewState(v: unknown): v is MetricsViewState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return isString(s.source) && isNumber(s.smoothing) && s.smoothing >= 0 && s.smoothing < 1 && isBoolean(s.logScale) && isStringArray(s.selected);
}

/** Validates what the extension sends; the webview drops anything else. */
export const isMetricsToWebview = messageValidator<MetricsToWebview>({
  init: { source: isString, title: isString, keys: isStringArray, experiments: isStringArray, charts: isArrayOf(isChartData), selected: isStringArray },
  chart: { experiments: isStringArray, keys: isStringArray, chart: isChartData },
  append: { experiments: isStringArray, keys: isStringArray, points: isArrayOf(isSeriesPoints) },
  select: { experiments: isStringArray },
  status: { text: isString, badLines: isNumber },
});

/** Validates what the webview sends; the extension drops anything else. */
export const isMetricsFromWebview = messageValidator<MetricsFromWebview>({
  ready: { width: isOptional((v): v is number => isNumber(v) && v > 0) },
  requestRange: {
    key: isString, min: isNullable(isNumber), max: isNullable(isNumber), width: (v) => isNumber(v) && v > 0, request: (v) => isNumber(v) && v > 0,
  },
  selectExperiments: { experiments: isStringArray },
  exportCsv: { key: isOptional(isString) },
  // A PNG data URL only: the extension decodes it and writes the bytes, nothing else.
  exportPng: { key: isString, dataUrl: (v) => isString(v) && v.startsWith('data:image/png;base64,') },
  stateChanged: { state: isMetricsViewState },
});
