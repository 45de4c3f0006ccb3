/**
 * Turns the aggregates into the Metrics panel's messages (pure, no `vscode`): the full `init` and the
 * `append` of what changed since. Series longer than `maxPoints` are sent downsampled (min/max buckets); live
 * points after the last epoch sent are appended as they are, and a series is re-sampled once enough raw
 * points piled up behind its sample, or when a point lands before the last epoch sent.
 */
import type { EpochSeries, RunAggregator } from '../events/index';
import type { MetricsToWebview, SeriesData, SeriesPoints } from '../../../shared/webview-protocol/metrics';
import { downsampleMinMax } from './downsample';

export const DEFAULT_MAX_POINTS = 2000;

function sample(s: EpochSeries, maxPoints: number): { x: number[]; y: number[] } {
  return s.length > maxPoints ? downsampleMinMax(s.epochs, s.values, Math.floor(maxPoints / 2)) : { x: s.epochs.slice(), y: s.values.slice() };
}

interface Sent {
  /** Points of the series when it was last sent or appended to. */
  count: number;
  lastEpoch: number;
  /** Raw points appended since the last (re-)sample of a downsampled series. */
  rawSinceSample: number;
  /** The series' `edits` when sent: a re-evaluated epoch keeps the count but changes a value. */
  edits: number;
}

export class MetricsFeed {
  private sent = new Map<string, Sent>();

  constructor(private readonly maxPoints = DEFAULT_MAX_POINTS) {}

  init(agg: RunAggregator, source: string, title: string, selected: string[]): Extract<MetricsToWebview, { type: 'init' }> {
    this.sent.clear();
    const series: SeriesData[] = [];
    const experiments = agg.sortedExperiments();
    for (const e of experiments) {
      for (const [key, s] of e.series) {
        if (s.length === 0) continue;
        series.push({ experiment: e.id, key, ...sample(s, this.maxPoints), total: s.length });
        this.sent.set(`${e.id}\u0000${key}`, { count: s.length, lastEpoch: s.epochs[s.length - 1], rawSinceSample: 0, edits: s.edits });
      }
    }
    return { type: 'init', source, title, keys: agg.seriesKeys(), experiments: experiments.map((e) => e.id), series, selected };
  }

  /** What changed in `changedIds` since the last init/append; undefined when nothing did. */
  append(agg: RunAggregator, changedIds: readonly string[]): Extract<MetricsToWebview, { type: 'append' }> | undefined {
    const points: SeriesPoints[] = [];
    for (const id of changedIds) {
      const e = agg.experiments.get(id);
      if (!e) continue;
      for (const [key, s] of e.series) {
        const n = s.length;
        if (n === 0) continue;
        const k = `${id}\u0000${key}`;
        const prev = this.sent.get(k);
        if (prev && prev.count === n && prev.edits === s.edits) continue;
        const onlyNewer = prev !== undefined && n > prev.count && prev.edits === s.edits && s.epochs[prev.count - 1] === prev.lastEpoch;
        const added = prev ? n - prev.count : n;
        if (onlyNewer && (n <= this.maxPoints || prev.rawSinceSample + added <= this.maxPoints / 2)) {
          points.push({ experiment: id, key, x: s.epochs.slice(prev.count), y: s.values.slice(prev.count) });
          this.sent.set(k, { count: n, lastEpoch: s.epochs[n - 1], rawSinceSample: n > this.maxPoints ? prev.rawSinceSample + added : 0, edits: s.edits });
        } else {
          points.push({ experiment: id, key, ...sample(s, this.maxPoints), replace: true });
          this.sent.set(k, { count: n, lastEpoch: s.epochs[n - 1], rawSinceSample: 0, edits: s.edits });
        }
      }
    }
    if (points.length === 0) return undefined;
    return { type: 'append', experiments: agg.sortedExperiments().map((e) => e.id), keys: agg.seriesKeys(), points };
  }
}

/** All series at full resolution as CSV (`experiment,key,epoch,value`), optionally only one key. */
export function metricsCsv(agg: RunAggregator, key?: string): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['experiment,key,epoch,value'];
  for (const e of agg.sortedExperiments()) {
    for (const k of [...e.series.keys()].sort()) {
      if (key !== undefined && k !== key) continue;
      const s = e.series.get(k) as EpochSeries;
      for (let i = 0; i < s.length; i++) lines.push(`${quote(e.id)},${quote(k)},${s.epochs[i]},${s.values[i]}`);
    }
  }
  return lines.join('\n') + '\n';
}
