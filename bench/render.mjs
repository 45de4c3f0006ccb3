// `npm run bench:render`: time to draw 100 series × 10,000 points in the Metrics panel, in Chromium.
//
// The data is one grid search of 100 experiments with 10,000 epochs each of one score (`val_F1_SCORE_macro`:
// one chart, 100 lines), built in a RunAggregator. Two ways to draw it, each in a fresh page of the real
// metrics bundle (dist/webviews/metrics.js, loaded as test/webviews/harness.ts does, with its CSP):
//   - CubeLab: the `init` message of MetricsFeed (client/src/webviews/metricsData.ts), i.e. the series
//     min/max-downsampled in the extension host (client/src/webviews/downsample.ts);
//   - the obvious alternative: the same `init` with every point (1,000,000) handed to uPlot.
// Measured in the page: from `window.postMessage(init)` (the delivery VS Code does, structured clone included)
// to a requestAnimationFrame after uPlot's draw; the page's validation, alignment and uPlot's build and draw
// are inside. In Node: the JSON serialisation VS Code does when the extension posts (both), and the
// downsampling (CubeLab); the totals add them. Median of CUBELAB_BENCH_RUNS
// (default 5) runs each, alternating. Environment: CUBELAB_BENCH_SERIES (100), CUBELAB_BENCH_POINTS (10000).
import { RunAggregator } from '../client/src/events/aggregate.ts';
import { MetricsFeed } from '../client/src/webviews/metricsData.ts';
import { median, fmt } from './lib/stats.mjs';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Loaded as CommonJS (tsx's require hook): the harness finds dist/webviews from its own __dirname.
const { openWebview, startHarness } = createRequire(import.meta.url)('../test/webviews/harness.ts');
const SERIES = Number(process.env.CUBELAB_BENCH_SERIES ?? 100);
const POINTS = Number(process.env.CUBELAB_BENCH_POINTS ?? 10000);
const RUNS = Number(process.env.CUBELAB_BENCH_RUNS ?? 5);
const KEY = 'val_F1_SCORE_macro';

if (!existsSync(join(root, 'dist', 'webviews', 'metrics.js'))) {
  console.error('dist/webviews/metrics.js is missing: run `npm run build` first.');
  process.exit(1);
}

/** Training-like curves: a rise towards a plateau per experiment, noise, and a few spikes that must survive. */
function buildAggregator() {
  const agg = new RunAggregator();
  let seed = 12345;
  const rnd = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
  for (let e = 0; e < SERIES; e++) {
    const plateau = 0.6 + 0.35 * rnd();
    const rate = 200 + 2000 * rnd();
    for (let epoch = 0; epoch < POINTS; epoch++) {
      let y = plateau * (1 - Math.exp(-epoch / rate)) + 0.02 * (rnd() - 0.5);
      if (rnd() < 0.0005) y -= 0.3;
      agg.apply({ type: 'evaluation_result', experimentId: String(e), ts: 1, epoch, scores: [{ split: 'val', tag: 'F1_SCORE_macro', kind: 'metric', score: y }] });
    }
  }
  return agg;
}

/** Posts `message` in the page and resolves with the ms until a frame after the chart was drawn. */
async function timeRender(h, message, expectLines) {
  const p = await openWebview(h, 'metrics');
  // The data crosses into the page before the clock starts (in VS Code it is the extension's postMessage).
  await p.page.evaluate((m) => { window.__benchMessage = m; }, message);
  const ms = await p.page.evaluate(() => new Promise((resolve) => {
    const m = window.__benchMessage;
    window.__benchMessage = undefined;
    // Registered after the page's own listener, so it runs after the handler that builds the charts;
    // uPlot commits its draw in a microtask queued by that handler, before the one queued here.
    window.addEventListener('message', () => {
      queueMicrotask(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
    }, { once: true });
    const t0 = performance.now();
    window.postMessage(m, '*');
  }));
  // What uPlot holds, summarised in the page (sending a million values back would dwarf the measure).
  const chart = await p.page.evaluate((key) => {
    const c = (window.cubelabMetricsProbe?.charts() ?? []).find((x) => x.key === key);
    return c && { lines: c.labels.length, xs: c.data[0].length, points: c.data.slice(1).reduce((n, col) => n + col.filter((v) => v !== null).length, 0) };
  }, KEY);
  if (!chart || chart.lines !== expectLines) throw new Error(`the chart was not drawn with ${expectLines} lines`);
  const errors = [...p.errors, ...(await p.cspViolations())];
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  await p.page.close();
  return { ms, xs: chart.xs, points: chart.points };
}

const agg = buildAggregator();
const source = '/bench/event_storage/2024-02-14--22-15-46/event_storage.log';
const downsampleMs = [];
let sampled;
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  sampled = new MetricsFeed().init(agg, source, 'bench', []);
  downsampleMs.push(performance.now() - t);
}
const full = new MetricsFeed(Number.POSITIVE_INFINITY).init(agg, source, 'bench', []);
const mb = (m) => (Buffer.byteLength(JSON.stringify(m)) / 1024 / 1024).toFixed(1);
// VS Code's webview.postMessage serialises the message as JSON in the extension host: part of posting.
const serializeMs = (m) => median(Array.from({ length: RUNS }, () => { const t = performance.now(); JSON.stringify(m); return performance.now() - t; }));
const serializeSampled = serializeMs(sampled);
const serializeFull = serializeMs(full);

const h = await startHarness();
const cubelab = [];
const alternative = [];
let cubelabInfo;
let alternativeInfo;
try {
  // One warm-up of each (bundle compile, first canvas), then alternating runs.
  await timeRender(h, sampled, SERIES);
  await timeRender(h, full, SERIES);
  for (let i = 0; i < RUNS; i++) {
    cubelabInfo = await timeRender(h, sampled, SERIES);
    cubelab.push(cubelabInfo.ms);
    alternativeInfo = await timeRender(h, full, SERIES);
    alternative.push(alternativeInfo.ms);
  }
} finally {
  await h.close();
}

const ds = median(downsampleMs);
const cl = median(cubelab);
const alt = median(alternative);
const total = ds + serializeSampled + cl;
const altTotal = serializeFull + alt;
const count = (m) => m.series.reduce((n, s) => n + s.x.length, 0).toLocaleString('en');
console.log(`\nRender ${SERIES} series × ${POINTS.toLocaleString('en')} points (one chart), headless Chromium, median of ${RUNS} runs`);
console.log('| | CubeLab (min/max downsampled) | all points to uPlot |');
console.log('|---|---:|---:|');
console.log(`| points sent | ${count(sampled)} | ${count(full)} |`);
console.log(`| message (JSON) | ${mb(sampled)} MB | ${mb(full)} MB |`);
console.log(`| x values after alignment (uPlot's data length) | ${cubelabInfo.xs.toLocaleString('en')} | ${alternativeInfo.xs.toLocaleString('en')} |`);
console.log(`| downsampling (extension host) | ${fmt(ds)} ms | — |`);
console.log(`| JSON serialisation (extension host) | ${fmt(serializeSampled)} ms | ${fmt(serializeFull)} ms |`);
console.log(`| postMessage → chart drawn (page) | ${fmt(cl)} ms | ${fmt(alt)} ms |`);
console.log(`| total | ${fmt(total)} ms | ${fmt(altTotal)} ms |`);
console.log(`\nbench:render ${SERIES}x${POINTS}: CubeLab ${fmt(total)} ms vs all points ${fmt(altTotal)} ms (${(altTotal / total).toFixed(1)}x); page only ${fmt(cl)} vs ${fmt(alt)} ms (${(alt / cl).toFixed(1)}x)`);
console.log(`page runs (ms): CubeLab ${cubelab.map(fmt).join(', ')}; all points ${alternative.map(fmt).join(', ')}`);
