import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { openWebview, startHarness, type WebviewHarness, type WebviewPage } from './harness';
import type { MetricsToWebview } from '../../shared/webview-protocol/metrics';

let h: WebviewHarness;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

const init: MetricsToWebview = {
  type: 'init',
  source: '/runs/event_storage/gs1/event_storage.log',
  title: 'gs1',
  keys: ['train_cross_entropy_loss', 'val_F1_SCORE_macro'],
  experiments: ['0', '1', '2'],
  selected: [],
  series: [
    { experiment: '0', key: 'val_F1_SCORE_macro', x: [0, 1, 2], y: [0.5, 0.6, 0.7], total: 3 },
    { experiment: '1', key: 'val_F1_SCORE_macro', x: [0, 1], y: [0.4, 0.45], total: 2 },
    { experiment: '2', key: 'val_F1_SCORE_macro', x: [0, 1, 2], y: [0.3, 0.2, 0.1], total: 3 },
    { experiment: '0', key: 'train_cross_entropy_loss', x: [0, 1, 2], y: [2, 1, 0.5], total: 3 },
  ],
};

type Charts = { key: string; labels: string[]; data: (number | null)[][] }[];
const charts = (p: WebviewPage) => p.page.evaluate(() => window.cubelabMetricsProbe?.charts() ?? []) as Promise<Charts>;
const chart = async (p: WebviewPage, key: string) => (await charts(p)).find((c) => c.key === key);
const settled = (p: WebviewPage) => p.page.waitForFunction(() => window.cubelabMetricsProbe?.flushed());

async function clean(p: WebviewPage): Promise<void> {
  assert.deepEqual(await p.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(p.errors, [], 'no page or console errors');
}

test('posts ready, then draws one chart per key and one line per experiment from init', async () => {
  const p = await openWebview(h, 'metrics');
  assert.equal((await p.posted())[0].type, 'ready');
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
    { experiment: '1', key: 'val_F1_SCORE_macro', x: [2, 3], y: [0.5, 0.55] },
    { experiment: '0', key: 'val_F1_SCORE_macro', x: [1], y: [0.65] }, // a re-evaluated epoch replaces its value
  ] });
  await settled(p);
  const f1 = await chart(p, 'val_F1_SCORE_macro');
  assert.deepEqual(f1?.data, [[0, 1, 2, 3], [0.5, 0.65, 0.7, null], [0.4, 0.45, 0.5, 0.55], [0.3, 0.2, 0.1, null]]);
  await p.send({ type: 'append', experiments: ['0', '1', '2', '3'], keys: [...init.keys, 'test_F1_SCORE_macro'], points: [
    { experiment: '3', key: 'test_F1_SCORE_macro', x: [0], y: [0.9] },
  ] });
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
  await p.send({ type: 'append', experiments: ['0'], keys: init.keys, points: [{ experiment: '0', key: 'val_F1_SCORE_macro', x: [5], y: ['high'] }] });
  await p.send({ type: 'init', source: 'x' }); // fields missing
  await p.send({ type: 'launchMissiles' });
  await p.send('init');
  await p.send({ type: 'append', experiments: [], keys: [], points: [{ experiment: '0', key: 'k', x: [1, 2], y: [1] }] }); // lengths differ
  assert.equal(await p.page.evaluate(() => window.cubelabMetricsProbe?.dropped()), 5);
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
  await p.send({ ...init, series: [{ experiment: '0', key: 'val_F1_SCORE_macro', x: [0, 1, 2], y: [0, 1, 3], total: 3 }] });
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

test('the harness does catch a CSP violation (an inline script the page did not bring)', async () => {
  const p = await openWebview(h, 'metrics');
  await p.page.evaluate(() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1'; document.body.append(s); });
  await p.page.waitForFunction(() => (window as unknown as { __cspViolations: string[] }).__cspViolations.length > 0);
  assert.match((await p.cspViolations())[0], /script-src/);
  assert.equal(await p.page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
  await p.page.close();
});
