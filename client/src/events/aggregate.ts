/**
 * Folds normalised events into what the views show: per experiment, one series per `<split>_<tag>` aligned
 * by epoch (numeric order, whatever the arrival order: MLboard appends in arrival order, docs/mlgym.md §3.6), the job
 * status, the latest progress, and the configuration. Only these aggregates are kept, never the events,
 * so memory follows the number of points, not the size of the log.
 */
import type { EvaluationResultEvent, JobState, NormalizedEvent } from './types';

/**
 * What the reader feeds; `reset` is called when the log was truncated or replaced and is read again. `offset` is
 * the byte offset of the event's line in the log.
 */
export interface EventSink {
  apply(event: NormalizedEvent, line: number, offset?: number): void;
  reset(): void;
}

/** Scores of one `<split>_<tag>` for one experiment, sorted by epoch; one value per epoch. */
export class EpochSeries {
  /** `epochs` ascending and one value each (the event index restores series this way). */
  constructor(readonly epochs: number[] = [], readonly values: number[] = []) {}
  /** Changes that were not appends (a value replaced, a point inserted before the last): readers of the series compare it. */
  edits = 0;
  /** Byte offset in the log of the line that last set a value (-1: unknown), for the event index. */
  lastOffset = -1;

  /** A later value for an epoch already present replaces it (a warm start re-evaluates that epoch). */
  set(epoch: number, value: number): void {
    const n = this.epochs.length;
    const highest = this.epochs[n - 1];
    if (highest === undefined || epoch > highest) {
      this.epochs.push(epoch);
      this.values.push(value);
      return;
    }
    this.edits++;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.epochs[mid]! < epoch) lo = mid + 1; // mid < n
      else hi = mid;
    }
    if (this.epochs[lo] === epoch) this.values[lo] = value;
    else {
      this.epochs.splice(lo, 0, epoch);
      this.values.splice(lo, 0, value);
    }
  }

  get length(): number {
    return this.epochs.length;
  }

  /** The value at the highest epoch (not the last to arrive). */
  latest(): { epoch: number; value: number } | undefined {
    const n = this.epochs.length;
    const epoch = this.epochs[n - 1], value = this.values[n - 1];
    return epoch !== undefined && value !== undefined ? { epoch, value } : undefined;
  }

  at(epoch: number): number | undefined {
    const i = this.epochs.indexOf(epoch);
    return i < 0 ? undefined : this.values[i];
  }
}

export interface JobInfo {
  jobId: number | string;
  jobType?: number;
  status: JobState;
  startingTime?: number;
  finishingTime?: number;
  error: string | null;
  stacktrace: string | null;
  device?: string;
}

export interface Progress {
  phase: string;
  currentEpoch?: number;
  numEpochs?: number;
  currentSplit?: string;
  splits?: string[];
  currentBatch?: number;
  numBatches?: number;
  /** current_epoch / num_epochs, as MLboard computes it (docs/mlgym.md §3.6). */
  epochFraction?: number;
  /** current_batch / num_batches. */
  batchFraction?: number;
}

/**
 * `queued`/`running`/`done`/`failed` come from job_status (multiprocessing only, docs/mlgym.md §3.3); a DONE job with an
 * error is `failed`. Without job events (sequential gyms) an experiment with progress is `running`.
 */
export type ExperimentState = 'configured' | 'queued' | 'running' | 'done' | 'failed' | 'unknown';

export class ExperimentAggregate {
  gridSearchId?: string;
  config?: Record<string, unknown>;
  job?: JobInfo;
  progress?: Progress;
  readonly series = new Map<string, EpochSeries>();
  /** Microsecond creation timestamps of the first and last event seen (the training dates of the card). */
  firstTs = Number.POSITIVE_INFINITY;
  lastTs = 0;
  /**
   * First and last timestamps of its training events (all but experiment_config, which MLgym writes for every
   * experiment when the grid search starts, docs/mlgym.md §3.3): the card's training dates. 0 when none.
   */
  trainingFirstTs = 0;
  trainingLastTs = 0;
  /** Byte offsets of the first and last of its lines that were applied (-1: none), for the event index. */
  firstOffset = -1;
  lastOffset = -1;
  /** Highest epoch with an evaluation result, -1 if none. */
  lastEpoch = -1;
  events = 0;

  constructor(readonly id: string) {}

  get state(): ExperimentState {
    if (this.job) {
      if (this.job.status === 'DONE') return this.job.error ? 'failed' : 'done';
      if (this.job.status === 'RUNNING') return 'running';
      if (this.job.status === 'INIT') return 'queued';
      return 'unknown';
    }
    if (this.progress || this.lastEpoch >= 0) return 'running';
    return this.config ? 'configured' : 'unknown';
  }

  /** The value at the highest epoch of every series: the table's "latest scores". */
  latestScores(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, s] of this.series) {
      const l = s.latest();
      if (l) out[key] = l.value;
    }
    return out;
  }
}

export class RunAggregator implements EventSink {
  readonly experiments = new Map<string, ExperimentAggregate>();
  /** Bumped on every change; views compare it to skip redraws. */
  version = 0;
  /** Experiments changed since the last `takeChanged()`. */
  private changed = new Set<string>();
  counts = { experiment_config: 0, job_status: 0, experiment_status: 0, evaluation_result: 0 };

  /** Replaces everything with aggregates restored from the event index (nothing is reported as changed). */
  load(experiments: readonly ExperimentAggregate[], counts: RunAggregator['counts']): void {
    this.experiments.clear();
    for (const e of experiments) this.experiments.set(e.id, e);
    this.changed.clear();
    this.counts = { ...counts };
    this.version++;
  }

  reset(): void {
    this.experiments.clear();
    this.changed.clear();
    this.counts = { experiment_config: 0, job_status: 0, experiment_status: 0, evaluation_result: 0 };
    this.version++;
  }

  experiment(id: string): ExperimentAggregate {
    let e = this.experiments.get(id);
    if (!e) {
      e = new ExperimentAggregate(id);
      this.experiments.set(id, e);
    }
    return e;
  }

  apply(ev: NormalizedEvent, _line?: number, offset?: number): void {
    const e = this.experiment(ev.experimentId);
    if (ev.gridSearchId !== undefined) e.gridSearchId = ev.gridSearchId;
    if (ev.ts > 0) {
      if (ev.ts < e.firstTs) e.firstTs = ev.ts;
      if (ev.ts > e.lastTs) e.lastTs = ev.ts;
      if (ev.type !== 'experiment_config') {
        if (e.trainingFirstTs === 0 || ev.ts < e.trainingFirstTs) e.trainingFirstTs = ev.ts;
        if (ev.ts > e.trainingLastTs) e.trainingLastTs = ev.ts;
      }
    }
    // Progress lines are applied when a read ends, after later lines: min and max, not first and last applied.
    if (offset !== undefined && offset >= 0) {
      if (e.firstOffset < 0 || offset < e.firstOffset) e.firstOffset = offset;
      if (offset > e.lastOffset) e.lastOffset = offset;
    }
    e.events++;
    this.counts[ev.type]++;
    switch (ev.type) {
      case 'experiment_config':
        e.config = ev.config;
        break;
      case 'job_status':
        e.job = {
          jobId: ev.jobId, jobType: ev.jobType, status: ev.status, startingTime: ev.startingTime,
          finishingTime: ev.finishingTime, error: ev.error ?? null, stacktrace: ev.stacktrace ?? null, device: ev.device,
        };
        break;
      case 'experiment_status':
        e.progress = {
          phase: ev.phase, currentEpoch: ev.currentEpoch, numEpochs: ev.numEpochs, currentSplit: ev.currentSplit,
          splits: ev.splits, currentBatch: ev.currentBatch, numBatches: ev.numBatches,
          epochFraction: ev.currentEpoch !== undefined && ev.numEpochs ? ev.currentEpoch / ev.numEpochs : undefined,
          batchFraction: ev.currentBatch !== undefined && ev.numBatches ? ev.currentBatch / ev.numBatches : undefined,
        };
        break;
      case 'evaluation_result':
        addScores(e, ev, offset ?? -1);
        break;
    }
    this.changed.add(ev.experimentId);
    this.version++;
  }

  takeChanged(): string[] {
    const out = [...this.changed];
    this.changed.clear();
    return out;
  }

  /** Every `<split>_<tag>` seen in the run, sorted: one chart each. */
  seriesKeys(): string[] {
    const keys = new Set<string>();
    for (const e of this.experiments.values()) for (const k of e.series.keys()) keys.add(k);
    return [...keys].sort();
  }

  /** Experiments in numeric id order when ids are numbers (`"10"` after `"9"`), else text order. */
  sortedExperiments(): ExperimentAggregate[] {
    return [...this.experiments.values()].sort((a, b) => compareIds(a.id, b.id));
  }
}

export function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a.localeCompare(b, undefined, { numeric: true });
}

function seriesFor(e: ExperimentAggregate, key: string): EpochSeries {
  let s = e.series.get(key);
  if (!s) {
    s = new EpochSeries();
    e.series.set(key, s);
  }
  return s;
}

/**
 * `<split>_<tag>` strings made once: a fresh concatenation per score would be flattened and hashed again by every
 * map lookup (a 1M-event log has hundreds of thousands of scores).
 */
const seriesKeys = new Map<string, Map<string, string>>();
function seriesKey(split: string, tag: string): string {
  let bySplit = seriesKeys.get(tag);
  if (!bySplit) { bySplit = new Map(); seriesKeys.set(tag, bySplit); }
  let key = bySplit.get(split);
  if (key === undefined) {
    key = `${split}_${tag}`;
    // Bounded: the names come from the log; past this many the strings are simply made each time.
    if (bySplit.size < 256 && seriesKeys.size < 4096) bySplit.set(split, key);
  }
  return key;
}

function addScores(e: ExperimentAggregate, ev: EvaluationResultEvent, offset: number): void {
  if (ev.epoch > e.lastEpoch) e.lastEpoch = ev.epoch;
  for (const sc of ev.scores) {
    const key = seriesKey(sc.split, sc.tag);
    if (typeof sc.score === 'number') {
      const s = seriesFor(e, key);
      s.set(ev.epoch, sc.score);
      s.lastOffset = offset;
    } else {
      // RECALL_AT_K gives one score per k: one series per position.
      sc.score.forEach((v, i) => { const s = seriesFor(e, `${key}[${i}]`); s.set(ev.epoch, v); s.lastOffset = offset; });
    }
  }
}
