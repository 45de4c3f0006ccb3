import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunAggregator, type NormalizedEvent } from '../../../client/src/events/index';
import { writeEventStorage } from '../../helpers/eventGenerator';
import { MetricsFeed, metricsCsv } from '../../../client/src/webviews/metricsData';
import { ExperimentsFeed } from '../../../client/src/webviews/experimentsData';
import { flattenConfig, varyingParams } from '../../../client/src/webviews/experimentRows';
import { RunSession } from '../../../client/src/webviews/runSession';
import { isExperimentsToWebview } from '../../../shared/webview-protocol/experiments';
import { isMetricsToWebview, type ChartData } from '../../../shared/webview-protocol/metrics';

const result = (experimentId: string, epoch: number, score: number, tag = 'F1'): NormalizedEvent =>
  ({ type: 'evaluation_result', experimentId, ts: 1, epoch, scores: [{ split: 'val', tag, kind: 'metric', score }] });

const row = (c: ChartData, experiment: string) => {
  const r = c.experiments.indexOf(experiment);
  return Array.from(c.y.subarray(r * c.x.length, (r + 1) * c.x.length));
};
const only = <T>(xs: T[]): T => { assert.equal(xs.length, 1, JSON.stringify(xs)); return xs[0]; };

test('metrics feed: init sends one chart per key in typed arrays; append sends only newer points; a middle epoch sends the chart again', () => {
  const agg = new RunAggregator();
  agg.apply(result('1', 0, 0.5));
  agg.apply(result('1', 1, 0.6));
  agg.apply(result('0', 0, 0.4));
  const feed = new MetricsFeed();
  const init = feed.init(agg, '/s', 'gs', []);
  assert.ok(isMetricsToWebview(init));
  assert.deepEqual(init.experiments, ['0', '1']);
  assert.deepEqual(init.keys, ['val_F1']);
  const c = only(init.charts);
  assert.equal(c.resolution, 'raw');
  assert.deepEqual(Array.from(c.x), [0, 1]);
  assert.deepEqual(row(c, '0'), [0.4, NaN]);
  assert.deepEqual(row(c, '1'), [0.5, 0.6]);
  assert.deepEqual(feed.append(agg, ['0', '1']), [], 'nothing new');
  agg.apply(result('1', 2, 0.7));
  agg.apply(result('1', 3, 0.8));
  const a = only(feed.append(agg, agg.takeChanged()));
  assert.ok(isMetricsToWebview(a));
  assert.equal(a.type, 'append');
  if (a.type !== 'append') return;
  assert.deepEqual(a.points, [{ experiment: '1', key: 'val_F1', x: new Float64Array([2, 3]), y: new Float64Array([0.7, 0.8]) }]);
  agg.apply(result('0', 2, 0.3));
  const b = only(feed.append(agg, agg.takeChanged()));
  assert.deepEqual(b.type === 'append' && b.points, [{ experiment: '0', key: 'val_F1', x: new Float64Array([2]), y: new Float64Array([0.3]) }]);
  agg.apply(result('0', 1, 0.35)); // arrives late: before epoch 2, which the panel already has
  const d = only(feed.append(agg, agg.takeChanged()));
  assert.equal(d.type, 'chart');
  if (d.type !== 'chart') return;
  assert.deepEqual(row(d.chart, '0'), [0.4, 0.35, 0.3, NaN]);
  assert.equal(d.chart.request, 0);
});

test('metrics feed: a re-evaluated epoch (warm start) sends the chart again although the length is unchanged', () => {
  const agg = new RunAggregator();
  agg.apply(result('0', 0, 0.4));
  agg.apply(result('0', 1, 0.5));
  const feed = new MetricsFeed();
  feed.init(agg, '/s', 'gs', []);
  agg.apply(result('0', 1, 0.55));
  const m = only(feed.append(agg, agg.takeChanged()));
  assert.deepEqual(m.type === 'chart' && row(m.chart, '0'), [0.4, 0.55]);
  assert.deepEqual(feed.append(agg, ['0']), [], 'sent once');
  // A replaced value followed by a new epoch in the same batch: the chart again, not an append on stale data.
  agg.apply(result('0', 0, 0.45));
  agg.apply(result('0', 2, 0.6));
  const n = only(feed.append(agg, agg.takeChanged()));
  assert.deepEqual(n.type === 'chart' && row(n.chart, '0'), [0.45, 0.55, 0.6]);
});

test('metrics feed: a chart past the page\'s width goes min/max per shared bucket, live changes resend it, zooms get their range', () => {
  const agg = new RunAggregator();
  for (let e = 0; e < 5000; e++) agg.apply(result('0', e, e === 2500 ? 100 : Math.sin(e / 50)));
  const feed = new MetricsFeed(200);
  const init = feed.init(agg, '/s', 'gs', []);
  const c = only(init.charts);
  assert.equal(c.resolution, 'minmax');
  assert.equal(c.x.length, 200);
  assert.deepEqual(c.totals, [5000]);
  assert.ok(row(c, '0').includes(100), 'the spike survives');
  for (let e = 5000; e < 5050; e++) agg.apply(result('0', e, 0));
  const live = only(feed.append(agg, agg.takeChanged()));
  assert.equal(live.type, 'chart');
  assert.equal(live.type === 'chart' && live.chart.x.at(-1), 5049);
  // The page zooms on epochs 1000..1100: every point of that range.
  const zoom = feed.range(agg, 'val_F1', 1000, 1100, 200, 3);
  assert.ok(isMetricsToWebview(zoom));
  assert.equal(zoom.chart.resolution, 'raw');
  assert.equal(zoom.chart.request, 3);
  assert.deepEqual(zoom.chart.range, [1000, 1100]);
  assert.deepEqual(zoom.chart.totals, [101]);
  assert.equal(zoom.chart.x.length, 103);
  // Back to the whole range, at another width.
  const all = feed.range(agg, 'val_F1', null, null, 400, 4);
  assert.equal(all.chart.range, null);
  assert.equal(all.chart.x.length, 400);
  // A raw chart whose epochs outgrow the width is sent again whole, bucketed.
  const small = new RunAggregator();
  for (let e = 0; e < 150; e++) small.apply(result('0', e, e));
  const f2 = new MetricsFeed(200);
  assert.equal(only(f2.init(small, '/s', 'gs', []).charts).resolution, 'raw');
  for (let e = 150; e < 190; e++) small.apply(result('0', e, e));
  assert.equal(only(f2.append(small, small.takeChanged())).type, 'append');
  for (let e = 190; e < 260; e++) small.apply(result('0', e, e));
  const grown = only(f2.append(small, small.takeChanged()));
  assert.equal(grown.type === 'chart' && grown.chart.resolution, 'minmax');
});

test('metrics CSV has every point at full resolution', () => {
  const agg = new RunAggregator();
  agg.apply(result('1', 0, 0.5));
  agg.apply(result('0', 1, 0.25, 'loss,x'));
  assert.equal(metricsCsv(agg), 'experiment,key,epoch,value\n0,"val_loss,x",1,0.25\n1,val_F1,0,0.5\n');
  assert.equal(metricsCsv(agg, 'val_F1'), 'experiment,key,epoch,value\n1,val_F1,0,0.5\n');
});

test('config flattening and varying parameters', () => {
  assert.deepEqual(flattenConfig({ a: { b: 1, c: { d: 'x' } }, l: [1, 2], n: null, t: true }), { 'a.b': 1, 'a.c.d': 'x', l: '[1,2]', n: null, t: true });
  const row = (params: Record<string, number | string>) => ({ id: '0', status: 'done' as const, progress: 1, epoch: 0, params, scores: {} });
  assert.deepEqual(varyingParams([row({ lr: 1, seed: 3, x: 1 }), row({ lr: 2, seed: 3 }), row({ lr: 1, seed: 3, x: 1 })]), ['lr', 'x']);
});

test('run session over a generated storage: table rows, then live lines arrive as updates and appends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-webviews-'));
  try {
    const w = writeEventStorage(dir, { experiments: 6, epochs: 3, processCount: 2, failing: [4] });
    const session = new RunSession(w.logPath, 10, 50);
    const changes: string[][] = [];
    let resets = 0;
    session.add({ reset: () => resets++, changed: (ids) => changes.push([...ids]) });
    await session.ready;
    const feed = new ExperimentsFeed();
    const init = feed.init(session.aggregator, w.logPath, session.title, []);
    assert.ok(isExperimentsToWebview(init));
    assert.equal(init.rows.length, 6);
    assert.deepEqual(init.rows.map((r) => r.status), ['done', 'done', 'done', 'done', 'failed', 'done']);
    assert.ok(init.varyingParams.length > 0, 'the generated grid varies some parameters');
    assert.ok(init.varyingParams.every((p) => !p.includes('dataset_iterators')), init.varyingParams.join());
    assert.ok(init.scoreKeys.includes('val_F1_SCORE_macro'), init.scoreKeys.join());
    const metrics = new MetricsFeed();
    metrics.init(session.aggregator, w.logPath, session.title, []);
    session.flush(); // delivers the first read's ids as a change (panels ignore it: they init on ready)
    changes.length = 0; // so the wait below is for the live line, not for the first read
    // A live line: a new epoch for experiment 0.
    appendFileSync(w.logPath, JSON.stringify({ event_type: 'evaluation_result', creation_ts: 1707945346999999, payload: {
      experiment_id: 0, grid_search_id: '2024-02-14--22-15-46', epoch: 99, metric_scores: [{ metric: 'F1_SCORE_macro', split: 'val', score: 0.123 }], loss_scores: [],
    } }) + '\n');
    const deadline = Date.now() + 5000;
    while (!changes.some((c) => c.includes('0')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(changes.some((c) => c.includes('0')), 'the change arrived');
    const append = metrics.append(session.aggregator, ['0']);
    const epoch99 = append.flatMap((m) => (m.type === 'append' ? m.points : [])).find((p) => p.key === 'val_F1_SCORE_macro');
    assert.deepEqual(epoch99, { experiment: '0', key: 'val_F1_SCORE_macro', x: new Float64Array([99]), y: new Float64Array([0.123]) });
    assert.equal(feed.update(session.aggregator, ['0'])?.rows[0].scores.val_F1_SCORE_macro, 0.123);
    assert.equal(resets, 0);
    session.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
