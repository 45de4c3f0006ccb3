/**
 * Turns one parsed `event_storage.log` line (either wire format, docs/mlgym.md §3.2–3.3) into a typed event.
 * Tolerant where MLgym versions differ (key order, missing optional keys, int vs string ids), strict where
 * a value is needed to draw something (an evaluation result without an epoch is reported, not guessed).
 */
import type { NormalizedEvent, Score, StoredEventType, WireFormat } from './types';

export type NormalizeResult =
  | { ok: true; event: NormalizedEvent; format: WireFormat }
  /** A well-formed event of a type the server does not store (e.g. `job_scheduled`): counted, not an error. */
  | { ok: 'ignored'; eventType: string; format: WireFormat }
  | { ok: false; reason: string };

const STORED: ReadonlySet<string> = new Set<StoredEventType>(['experiment_config', 'job_status', 'experiment_status', 'evaluation_result']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Experiment ids are ints at HEAD and path strings in 2022; both become strings so they can key maps. */
function experimentKey(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'string' && v.length > 0) return v;
  return undefined;
}

/** Unwraps the 2022 `{event_id, data}` wire message; HEAD lines are returned as they are. */
export function unwrap(value: unknown): { raw: Record<string, unknown>; format: WireFormat } | string {
  if (!isObject(value)) return 'the line is not a JSON object';
  if ('event_type' in value) return { raw: value, format: 'head' };
  if ('data' in value && isObject(value.data)) return { raw: value.data, format: 'legacy2022' };
  return 'no "event_type" (HEAD) or "data" (2022 format) key';
}

export function normalize(value: unknown): NormalizeResult {
  const u = unwrap(value);
  if (typeof u === 'string') return { ok: false, reason: u };
  const { raw, format } = u;
  const eventType = raw.event_type;
  if (typeof eventType !== 'string') return { ok: false, reason: '"event_type" is missing or not a string' };
  if (!STORED.has(eventType)) return { ok: 'ignored', eventType, format };
  const p = raw.payload;
  if (!isObject(p)) return { ok: false, reason: `${eventType}: "payload" is missing or not an object` };
  const ts = num(raw.creation_ts) ?? (typeof raw.creation_ts === 'string' ? Number(raw.creation_ts) || 0 : 0);
  const experimentId = experimentKey(p.experiment_id);
  if (experimentId === undefined) {
    // 2022 TERMINATE jobs carry experiment_id null; HEAD does not log them at all (docs/mlgym.md §3.3).
    if (eventType === 'job_status' && p.experiment_id === null) return { ok: 'ignored', eventType, format };
    return { ok: false, reason: `${eventType}: "payload.experiment_id" is missing or not an int/string` };
  }
  const gridSearchId = str(p.grid_search_id) ?? (format === 'legacy2022' && experimentId.includes('/') ? experimentId.split('/')[0] : undefined);
  const base = { experimentId, gridSearchId, ts };

  switch (eventType) {
    case 'experiment_config': {
      if (!isObject(p.config)) return { ok: false, reason: 'experiment_config: "payload.config" is missing or not an object' };
      const jobId = num(p.job_id) ?? str(p.job_id);
      return { ok: true, format, event: { type: 'experiment_config', ...base, jobId, config: p.config } };
    }
    case 'job_status': {
      const status = str(p.status);
      if (status === undefined) return { ok: false, reason: 'job_status: "payload.status" is missing or not a string' };
      const jobId = num(p.job_id) ?? str(p.job_id) ?? experimentId;
      return {
        ok: true,
        format,
        event: {
          type: 'job_status', ...base, jobId, status, jobType: num(p.job_type),
          startingTime: num(p.starting_time), finishingTime: num(p.finishing_time),
          error: str(p.error) ?? null, stacktrace: str(p.stacktrace) ?? null, device: str(p.device),
        },
      };
    }
    case 'experiment_status': {
      const splits = Array.isArray(p.splits) ? p.splits.filter((s): s is string => typeof s === 'string') : undefined;
      return {
        ok: true,
        format,
        event: {
          type: 'experiment_status', ...base, phase: str(p.status) ?? '',
          numEpochs: num(p.num_epochs), currentEpoch: num(p.current_epoch), splits, currentSplit: str(p.current_split),
          numBatches: num(p.num_batches), currentBatch: num(p.current_batch),
        },
      };
    }
    default: {
      // evaluation_result
      const epoch = num(p.epoch);
      if (epoch === undefined || !Number.isInteger(epoch) || epoch < 0) {
        return { ok: false, reason: 'evaluation_result: "payload.epoch" is missing or not a non-negative int' };
      }
      const scores: Score[] = [];
      collectScores(p.metric_scores, 'metric', scores);
      collectScores(p.loss_scores, 'loss', scores);
      return { ok: true, format, event: { type: 'evaluation_result', ...base, epoch, scores } };
    }
  }
}

function collectScores(list: unknown, kind: 'metric' | 'loss', out: Score[]): void {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    if (!isObject(item)) continue;
    const tag = str(item[kind]);
    const split = str(item.split);
    if (tag === undefined || split === undefined) continue;
    const s = scoreValue(item.score);
    if (typeof s === 'number') out.push({ split, tag, kind, score: s });
    else if (Array.isArray(item.score)) {
      const list = item.score.map(scoreValue).filter((x): x is number => typeof x === 'number');
      out.push({ split, tag, kind, score: list });
    }
  }
}

/**
 * Python's json.dumps writes a diverged loss as a bare `NaN`/`Infinity`; parseLine turns those tokens into
 * strings so the line still parses, and they come back as numbers here.
 */
function scoreValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
  if (v === null) return Number.NaN;
  return undefined;
}
