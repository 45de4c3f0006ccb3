import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { openWebview, startHarness, type WebviewHarness, type WebviewPage } from './harness';
import type { MetricsToWebview } from '../../shared/webview-protocol/metrics';
import { buildChart, type LineInput } from '../../client/src/webviews/chartData';
import { RunAggregator } from '../../client/src/events/aggregate';
import { MetricsFeed } from '../../client/src/webviews/metricsData';

let h: WebviewHarness;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

const F = (xs: number[]) => new Float64Array(xs);
const line = (experiment: string, x: number[], y: number[]): LineInput => ({ experiment, x, y });

const init: Extract<MetricsToWebview, { type: 'init' }> = {
  type: 'init',
  source: '/runs/event_storage/gs1/event_storage.log',
  title: 'gs1',
  keys: ['train_cross_entropy_loss', 'val_F1_SCORE_macro'],
  experiments: ['0', '1', '2'],
  selected: [],
  charts: [
    buildChart('train_cross_entropy_loss', [line('0', [0, 1, 2], [2, 1, 0.5])], { maxValues: 600 }),
    buildChart('val_F1_SCORE_macro', [line('0', [0, 1, 2], [0.5, 0.6, 0.7]), line('1', [0, 1], [0.4, 0.45]), line('2', [0, 1, 2], [0.3, 0.2, 0.1])], { maxValues: 600 }),
  ],
};

type Charts = { key: string; labels: string[]; data: (number | null)[][]; resolution: string; range: [number, number] | null; zoom: [number, number] | null; ticks: { x: string[]; y: string[] } }[];
const charts = (p: WebviewPage) => p.page.evaluate(() => window.cubelabMetricsProbe?.charts() ?? []) as Promise<Charts>;
const chart = async (p: WebviewPage, key: string) => (await charts(p)).find((c) => c.key === key);
const settled = (p: WebviewPage) => p.page.waitForFunction(() => window.cubelabMetricsProbe?.flushed());

async function clean(p: WebviewPage): Promise<void> {
  assert.deepEqual(await p.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(p.errors, [], 'no page or console errors');
}

test('posts ready with its plot width, then draws one chart per key and one line per experiment from init', async () => {
  const p = await openWebview(h, 'metrics');
  const ready = (await p.posted())[0];
  assert.equal(ready.type, 'ready');
  assert.ok(typeof ready.width === 'number' && ready.width > 100 && ready.width < 1200, `width ${ready.width}`);
  await p.send(init);
  await p.page.locator('.chart canvas').first().waitFor();
  const all = await charts(p);
  assert.deepEqual(all.map((c) => c.key), ['train_cross_entropy_loss', 'val_F1_SCORE_macro']);
  const f1 = all[1];
  assert.deepEqual(f1.labels, ['exp 0', 'exp 1', 'exp 2']);
  assert.deepEqual(f1.data, [[0, 1, 2], [0.5, 0.6, 0.7], [0.4, 0.45, null], [0.3, 0.2, 0.1]]);
  assert.deepEqual(all[0].labels, ['exp 0']);
  // The legend shows the series names (uPlot's DOM legend, where a click isolates a line).
  assert.equal(await p.page.locator('.chart[data-key="val_F1_SCORE_macro"] .u-legend .u-series').count(), 4);
  assert.equal(await p.page.locator('.chart-title').first().textContent(), 'train_cross_entropy_loss');
  await clean(p);
  await p.page.close();
});

test('live points are appended in epoch order, and a new key adds a chart', async () => {
  const p = await openWebview(h, 'metrics');
  await p.send(init);
  await p.send({ type: 'append', experiments: ['0', '1', '2'], keys: init.keys, points: [
    { experiment: '1', key: 'val_F1_SCORE_macro', x: F([2, 3]), y: F([0.5, 0.55]) },
    { experiment: '0', key: 'val_F1_SCORE_macro', x: F([1]), y: F([0.65]) }, // a re-evaluated epoch replaces its value
  ] });
  await settled(p);
  const f1 = await chart(p, 'val_F1_SCORE_macro');
  assert.deepEqual(f1?.data, [[0, 1, 2, 3], [0.5, 0.65, 0.7, null], [0.4, 0.45, 0.5, 0.55], [0.3, 0.2, 0.1, null]]);
  await p.send({ type: 'chart', experiments: ['0', '1', '2', '3'], keys: [...init.keys, 'test_F1_SCORE_macro'],
    chart: buildChart('test_F1_SCORE_macro', [line('3', [0], [0.9])], { maxValues: 600 }) });
  await settled(p);
  const t = await chart(p, 'test_F1_SCORE_macro');
  assert.deepEqual(t?.labels, ['exp 3']);
  assert.deepEqual(t?.data, [[0], [0.9]]);
  assert.equal(await p.page.locator('.chart').count(), 3);
  await clean(p);
  await p.page.close();
});

test('invalid messages are dropped and counted, and change nothing', async () => {
  const p = await openWebview(h, 'metrics');
  await p.send(init);
  const before = await charts(p);
  await p.send({ type: 'append', experiments: ['0'], keys: init.keys, points: [{ experiment: '0', key: 'val_F1_SCORE_macro', x: F([5]), y: ['high'] }] });
  await p.send({ type: 'init', source: 'x' }); // fields missing
  await p.send({ type: 'launchMissiles' });
  await p.send('init');
  await p.send({ type: 'append', experiments: [], keys: [], points: [{ experiment: '0', key: 'k', x: F([1, 2]), y: F([1]) }] }); // lengths differ
  await p.send({ type: 'append', experiments: [], keys: [], points: [{ experiment: '0', key: 'k', x: [1], y: [1] }] }); // JSON arrays
  const c = init.charts[1];
  await p.send({ type: 'chart', experiments: [], keys: init.keys, chart: { ...c, y: c.y.subarray(1) } }); // rows × x do not fit
  assert.equal(await p.page.evaluate(() => window.cubelabMetricsProbe?.dropped()), 7);
  assert.deepEqual(await charts(p), before);
  assert.deepEqual(await p.cspViolations(), []);
  await p.page.close();
});

test('selection from the extension narrows the lines; "Show all" clears it and tells the extension', async () => {
  const p = await openWebview(h, 'metrics');
  await p.send(init);
  await p.send({ type: 'select', experiments: ['2'] });
  assert.deepEqual((await chart(p, 'val_F1_SCORE_macro'))?.labels, ['exp 2']);
  assert.deepEqual((await chart(p, 'val_F1_SCORE_macro'))?.data, [[0, 1, 2], [0.3, 0.2, 0.1]]);
  await p.page.locator('#show-all').click();
  const sel = await p.waitForPosted('selectExperiments');
  assert.deepEqual(sel.experiments, []);
  assert.deepEqual((await chart(p, 'val_F1_SCORE_macro'))?.labels, ['exp 0', 'exp 1', 'exp 2']);
  await clean(p);
  await p.page.close();
});

test('log scale and smoothing change the drawn values and are kept in the view state', async () => {
  const p = await openWebview(h, 'metrics');
  await p.send({ ...init, charts: [buildChart('val_F1_SCORE_macro', [line('0', [0, 1, 2], [0, 1, 3])], { maxValues: 600 })] });
  await p.page.locator('#log-scale').click();
  await p.waitForPosted('stateChanged');
  assert.deepEqual((await chart(p, 'val_F1_SCORE_macro'))?.data, [[0, 1, 2], [null, 1, 3]], 'zero is a gap on a log scale');
  await p.page.locator('#log-scale').click();
  await p.page.locator('input[type=range]').fill('0.5');
  const y = (await chart(p, 'val_F1_SCORE_macro'))?.data[1] as number[];
  // Debiased EMA, weight 0.5: 0, (0.5·0 + 0.5·1)/0.75, ...
  assert.equal(y[0], 0);
  assert.ok(Math.abs(y[1] - 2 / 3) < 1e-9, `got ${y[1]}`);
  const state = await p.state() as { smoothing: number; logScale: boolean; source: string };
  assert.equal(state.smoothing, 0.5);
  assert.equal(state.logScale, false);
  assert.equal(state.source, init.source);
  await clean(p);
  await p.page.close();
});

test('a restored panel keeps its saved options when the same source is sent again', async () => {
  const p = await openWebview(h, 'metrics', { initialState: { source: init.source, smoothing: 0.3, logScale: true, selected: ['1'] } });
  await p.send(init);
  assert.equal(await p.page.locator('input[type=range]').inputValue(), '0.3');
  assert.deepEqual((await chart(p, 'val_F1_SCORE_macro'))?.labels, ['exp 1']);
  await clean(p);
  await p.page.close();
});

test('export buttons post exportCsv and a PNG data URL of the chart', async () => {
  const p = await openWebview(h, 'metrics');
  await p.send(init);
  await p.page.locator('#export-csv').click();
  assert.equal((await p.waitForPosted('exportCsv')).type, 'exportCsv');
  await p.page.locator('.chart[data-key="val_F1_SCORE_macro"] .export-png').click();
  const png = await p.waitForPosted('exportPng');
  assert.equal(png.key, 'val_F1_SCORE_macro');
  assert.match(String(png.dataUrl), /^data:image\/png;base64,[A-Za-z0-9+/]{100,}/);
  await clean(p);
  await p.page.close();
});

/** 100 experiments × 10,000 epochs of one score, with a spike and a dip per line. */
function bigAggregator(): RunAggregator {
  const agg = new RunAggregator();
  for (let e = 0; e < 100; e++) {
    for (let epoch = 0; epoch < 10_000; epoch++) {
      const y = Math.sin(epoch / 500 + e) + (epoch === 1000 + e ? 10 : 0) - (epoch === 9000 - e ? 10 : 0);
      agg.apply({ type: 'evaluation_result', experimentId: String(e), ts: 1, epoch, scores: [{ split: 'val', tag: 'F1', kind: 'metric', score: y }] });
    }
  }
  return agg;
}

test('100 lines × 10,000 epochs arrive in typed arrays with shared bucket edges: about one x value per pixel, every peak drawn', async () => {
  const p = await openWebview(h, 'metrics');
  const ready = (await p.posted())[0] as unknown as { width: number };
  const agg = bigAggregator();
  const feed = new MetricsFeed(ready.width);
  await p.send(feed.init(agg, '/s', 'gs', []));
  await p.page.locator('.chart canvas').first().waitFor();
  const c = await chart(p, 'val_F1');
  assert.ok(c);
  assert.equal(c.resolution, 'minmax');
  assert.equal(c.labels.length, 100);
  assert.ok(c.data[0].length <= ready.width && c.data[0].length >= ready.width - 1, `${c.data[0].length} x values for a ${ready.width} px plot`);
  for (let e = 0; e < 100; e++) {
    const col = c.data[1 + e] as number[];
    const values = agg.experiments.get(String(e))?.series.get('val_F1')?.values ?? [];
    assert.equal(Math.max(...col), Math.max(...values), `spike of line ${e}`);
    assert.equal(Math.min(...col), Math.min(...values), `dip of line ${e}`);
  }
  await clean(p);
  await p.page.close();
});

test('zooming asks for the visible range, which then shows every point; a double-click goes back to the overview', async () => {
  const p = await openWebview(h, 'metrics');
  const ready = (await p.posted())[0] as unknown as { width: number };
  const agg = bigAggregator();
  const feed = new MetricsFeed(ready.width);
  await p.send(feed.init(agg, '/s', 'gs', []));
  await p.page.locator('.chart canvas').first().waitFor();
  // What uPlot does when the user drags across epochs 4000..4100.
  await p.page.evaluate(() => window.cubelabMetricsProbe?.zoom('val_F1', 4000, 4100));
  const req = await p.waitForPosted('requestRange') as unknown as { key: string; min: number; max: number; width: number; request: number };
  assert.equal(req.key, 'val_F1');
  assert.ok(Math.abs(req.min - 4000) < 1e-6 && Math.abs(req.max - 4100) < 1e-6, JSON.stringify(req));
  assert.equal(req.width, ready.width);
  // The extension answers with that range: few epochs, so every point.
  await p.send(feed.range(agg, req.key, req.min, req.max, req.width, req.request));
  await settled(p);
  const z = await chart(p, 'val_F1');
  assert.equal(z?.resolution, 'raw');
  assert.deepEqual(z?.zoom, [req.min, req.max]);
  assert.deepEqual(z?.data[0], Array.from({ length: 103 }, (_, i) => 3999 + i));
  const e7 = agg.experiments.get('7')?.series.get('val_F1');
  assert.deepEqual(z?.data[8], e7?.values.slice(3999, 4102), 'experiment 7 at full resolution');
  // An older answer (another request) does not replace it.
  await p.send(feed.range(agg, 'val_F1', 0, 9999, req.width, req.request - 1 || 99));
  await settled(p);
  assert.equal((await chart(p, 'val_F1'))?.data[0].length, 103);
  await p.page.locator('.chart[data-key="val_F1"] .u-over').dblclick();
  await settled(p);
  const back = await chart(p, 'val_F1');
  assert.equal(back?.resolution, 'minmax');
  assert.equal(back?.zoom, null);
  assert.ok((back?.data[0].length ?? 0) >= ready.width - 1);
  await clean(p);
  await p.page.close();
});

test('axes: epochs as integers (no 0.5 tick with three epochs), values in steps of 1, 2 or 5 × 10^k', async () => {
  const p = await openWebview(h, 'metrics');
  await p.send(init);
  await p.page.locator('.chart canvas').first().waitFor();
  await settled(p);
  const nice = (labels: string[]) => {
    const vs = labels.map(Number);
    const steps = new Set(vs.slice(1).map((v, i) => Number((v - vs[i]!).toPrecision(6))));
    assert.equal(steps.size, 1, `one step between ${labels}`);
    const [step] = [...steps] as [number];
    const m = Number((step / 10 ** Math.floor(Math.log10(step))).toPrecision(6));
    assert.ok([1, 2, 5].includes(m), `step ${step} of ${labels}`);
  };
  for (const c of await charts(p)) {
    // Epochs 0, 1, 2 over a few hundred pixels: uPlot's own increments would label 0, 0.5, 1, 1.5, 2.
    assert.deepEqual(c.ticks.x, ['0', '1', '2'], c.key);
    assert.ok(c.ticks.y.length >= 3, `${c.key}: ${c.ticks.y}`);
    nice(c.ticks.y);
  }
  // Zoomed into less than one epoch, the epoch axis still shows no fractional tick.
  await p.page.evaluate(() => window.cubelabMetricsProbe?.zoom('val_F1_SCORE_macro', 0.2, 0.9));
  await p.page.waitForFunction(() => window.cubelabMetricsProbe?.charts().find((c) => c.key === 'val_F1_SCORE_macro')?.zoom !== null);
  const z = await chart(p, 'val_F1_SCORE_macro');
  assert.ok(z!.ticks.x.every((l) => /^-?\d+$/.test(l)), `integer labels only: ${z!.ticks.x}`);
  await clean(p);
  await p.page.close();
});

test('the harness does catch a CSP violation (an inline script the page did not bring)', async () => {
  const p = await openWebview(h, 'metrics');
  await p.page.evaluate(() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1'; document.body.append(s); });
  await p.page.waitForFunction(() => (window as unknown as { __cspViolations: string[] }).__cspViolations.length > 0);
  assert.match((await p.cspViolations())[0], /script-src/);
  assert.equal(await p.page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
  await p.page.close();
});
