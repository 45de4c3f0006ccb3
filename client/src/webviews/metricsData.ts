/**
 * Turns the aggregates into the Metrics panel's messages (pure, no `vscode`): the `init` with one chart per key
 * (chartData.ts: shared bucket edges, typed arrays, about one x value per pixel of the page's plot), the live
 * changes since, and the answers to the page's zooms.
 *
 * Live: a chart sent `raw` gets new points as `append`s of typed arrays while its distinct epochs stay within
 * the budget; past it, or when a point lands before the last epoch sent, or for a `minmax` chart, the chart is
 * sent again whole (the session's flush already spaces flushes out when they get expensive).
 */
import type { EpochSeries, RunAggregator } from '../events/index';
import type { ChartData, MetricsToWebview, SeriesPoints } from '../../../shared/webview-protocol/metrics';
import { buildChart, type LineInput } from './chartData';

/** Plot width assumed until the page says (the panel's default layout: 420 px columns). */
export const DEFAULT_WIDTH = 600;

interface SentLine {
  count: number;
  lastEpoch: number | undefined; // undefined: the series was empty
  edits: number;
}

interface SentChart {
  resolution: ChartData['resolution'];
  /** Distinct epochs the page holds for a raw chart. */
  epochs: Set<number>;
  lines: Map<string, SentLine>;
}

type Init = Extract<MetricsToWebview, { type: 'init' }>;
type Chart = Extract<MetricsToWebview, { type: 'chart' }>;
type Append = Extract<MetricsToWebview, { type: 'append' }>;

export class MetricsFeed {
  private sent = new Map<string, SentChart>();
  /** Plot width in pixels: about the number of x values a chart gets. */
  width = DEFAULT_WIDTH;

  constructor(width?: number) {
    if (width !== undefined && width > 0) this.width = width;
  }

  private linesOf(agg: RunAggregator, key: string): LineInput[] {
    const lines: LineInput[] = [];
    for (const e of agg.sortedExperiments()) {
      const s = e.series.get(key);
      if (s && s.length) lines.push({ experiment: e.id, x: s.epochs, y: s.values });
    }
    return lines;
  }

  /** Builds a key's full-range chart and remembers what the page then holds. */
  private chart(agg: RunAggregator, key: string): ChartData {
    const c = buildChart(key, this.linesOf(agg, key), { maxValues: this.width });
    const lines = new Map<string, SentLine>();
    for (const e of agg.experiments.values()) {
      const s = e.series.get(key);
      if (s && s.length) lines.set(e.id, sentLine(s));
    }
    this.sent.set(key, { resolution: c.resolution, epochs: c.resolution === 'raw' ? new Set(c.x) : new Set(), lines });
    return c;
  }

  init(agg: RunAggregator, source: string, title: string, selected: string[], width?: number): Init {
    if (width !== undefined && width > 0) this.width = width;
    this.sent.clear();
    const keys = agg.seriesKeys();
    return {
      type: 'init', source, title, keys, experiments: agg.sortedExperiments().map((e) => e.id),
      charts: keys.map((k) => this.chart(agg, k)), selected,
    };
  }

  /** A zoom (or its end: min and max null) of one chart: that range at the resolution its points allow. */
  range(agg: RunAggregator, key: string, min: number | null, max: number | null, width: number, request: number): Chart {
    if (width > 0) this.width = width;
    const whole = min === null || max === null;
    const chart = whole ? this.chart(agg, key) : buildChart(key, this.linesOf(agg, key), { maxValues: this.width, range: [Math.min(min, max), Math.max(min, max)], request });
    chart.request = request;
    return { type: 'chart', experiments: agg.sortedExperiments().map((e) => e.id), keys: agg.seriesKeys(), chart };
  }

  /** What changed in `changedIds` since the last init/append: an append of points, and charts sent again whole. */
  append(agg: RunAggregator, changedIds: readonly string[]): (Append | Chart)[] {
    const points: SeriesPoints[] = [];
    const whole = new Set<string>();
    const byKey = new Map<string, { id: string; s: EpochSeries; prev?: SentLine }[]>();
    for (const id of changedIds) {
      const e = agg.experiments.get(id);
      if (!e) continue;
      for (const [key, s] of e.series) {
        if (s.length === 0) continue;
        const sent = this.sent.get(key);
        const prev = sent?.lines.get(id);
        if (prev && prev.count === s.length && prev.edits === s.edits) continue;
        let list = byKey.get(key);
        if (!list) { list = []; byKey.set(key, list); }
        list.push({ id, s, prev });
      }
    }
    for (const [key, list] of byKey) {
      const sent = this.sent.get(key);
      if (!sent || sent.resolution !== 'raw') { whole.add(key); continue; }
      // Only newer epochs, and few enough distinct ones: points; anything else: the chart again.
      const onlyNewer = list.every(({ s, prev }) => prev === undefined
        ? true
        : s.length > prev.count && s.edits === prev.edits && s.epochs[prev.count - 1] === prev.lastEpoch);
      if (!onlyNewer) { whole.add(key); continue; }
      const epochs = new Set(sent.epochs);
      for (const { s, prev } of list) for (const e of s.epochs.slice(prev?.count ?? 0)) epochs.add(e);
      if (epochs.size > this.width) { whole.add(key); continue; }
      sent.epochs = epochs;
      for (const { id, s, prev } of list) {
        const from = prev?.count ?? 0;
        points.push({ experiment: id, key, x: Float64Array.from(s.epochs.slice(from)), y: Float64Array.from(s.values.slice(from)) });
        sent.lines.set(id, sentLine(s));
      }
    }
    const out: (Append | Chart)[] = [];
    const experiments = agg.sortedExperiments().map((e) => e.id);
    const keys = agg.seriesKeys();
    if (points.length) out.push({ type: 'append', experiments, keys, points });
    for (const key of whole) out.push({ type: 'chart', experiments, keys, chart: this.chart(agg, key) });
    return out;
  }
}

function sentLine(s: EpochSeries): SentLine {
  return { count: s.length, lastEpoch: s.epochs[s.length - 1], edits: s.edits };
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
