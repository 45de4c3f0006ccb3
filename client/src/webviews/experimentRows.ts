/**
 * Builds the Experiments table's rows from the aggregates (pure): status, progress, the hyperparameters
 * flattened from experiment_config, latest scores; and which parameters vary between experiments.
 */
import type { ExperimentAggregate } from '../events/index';
import type { CellValue, ExperimentRow } from '../../../shared/webview-protocol/experiments';

/** `{a: {b: 1}, c: [1, 2]}` → `{"a.b": 1, "c": "[1,2]"}`; lists stay one cell. */
export function flattenConfig(config: Record<string, unknown>, prefix = '', out: Record<string, CellValue> = {}): Record<string, CellValue> {
  for (const [k, v] of Object.entries(config)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenConfig(v as Record<string, unknown>, key, out);
    else if (v === null || typeof v === 'string' || typeof v === 'boolean') out[key] = v;
    else if (typeof v === 'number') out[key] = Number.isFinite(v) ? v : String(v);
    else out[key] = JSON.stringify(v) ?? null;
  }
  return out;
}

/**
 * Flattened configs by config object: an experiment's config is set once, while its row is rebuilt on every
 * change of a live run (the same params object each time, which also tells the feed the columns did not change).
 */
const flattened = new WeakMap<Record<string, unknown>, Record<string, CellValue>>();
function paramsOf(config: Record<string, unknown>): Record<string, CellValue> {
  let p = flattened.get(config);
  if (!p) { p = flattenConfig(config); flattened.set(config, p); }
  return p;
}

export function experimentRow(e: ExperimentAggregate): ExperimentRow {
  const p = e.progress;
  let progress: number | null = null;
  if (e.state === 'done') progress = 1;
  else if (p?.numEpochs) progress = Math.min(1, ((p.currentEpoch ?? 0) + (p.phase === 'train' ? p.batchFraction ?? 0 : 0)) / p.numEpochs);
  const scores = e.latestScores();
  for (const [k, v] of Object.entries(scores)) if (!Number.isFinite(v)) delete scores[k];
  return { id: e.id, status: e.state, progress, epoch: e.lastEpoch, params: e.config ? paramsOf(e.config) : NO_PARAMS, scores };
}

const NO_PARAMS: Record<string, CellValue> = Object.freeze({}) as Record<string, CellValue>;

/** Keys whose value is not the same in every row (a key missing from some rows varies too). */
export function varyingParams(rows: readonly ExperimentRow[]): string[] {
  const first = new Map<string, CellValue | undefined>();
  const varying = new Set<string>();
  const all = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.params)) all.add(k);
  for (const k of all) {
    let seen = false;
    for (const r of rows) {
      const v = Object.prototype.hasOwnProperty.call(r.params, k) ? r.params[k] : undefined;
      if (!seen) { first.set(k, v); seen = true; } else if (first.get(k) !== v) { varying.add(k); break; }
    }
  }
  return [...all].filter((k) => varying.has(k)).sort();
}
