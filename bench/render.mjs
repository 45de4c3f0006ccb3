// `npm run bench:render`: time to draw big charts in the Metrics panel, in Chromium.
//
// Two cases, each one chart (one score) of training-like curves built in a RunAggregator:
//   A. 100 experiments × 10,000 epochs      (targets: < 100 ms from the message's arrival, < 150 ms from the request)
//   B. 1,000 experiments × 1,000 epochs     (target: < 300 ms from the request)
// Each drawn in a fresh page of the real metrics bundle (dist/webviews/metrics.js, loaded as test/webviews/harness.ts
// does, with its CSP), at the plot width the page reports in its `ready`:
//   - CubeLab: the `init` of MetricsFeed (client/src/webviews/metricsData.ts → chartData.ts): one shared axis of
//     about one x value per pixel (min/max per shared bucket when there are more epochs), numbers in typed arrays;
//   - the obvious alternative, in the same process and runs: every point to uPlot, as JSON arrays on the union
//     of the epochs (what a chart without bucketing gets).
// Measured: in the extension host (Node), building the message and serialising it as VS Code's webview
// postMessage does (JSON.stringify with typed arrays replaced by references to their buffers, which travel as
// they are; for the alternative a plain JSON.stringify); in the page, from `window.postMessage` (the delivery VS Code
// does, structured clone included) to a frame after uPlot drew ("from the message's arrival"). "From the request"
// = build + serialise + page (the page's request is answered at once; the IPC hop is measured end to end in
// code-server by the e2e tier). Median of CUBELAB_BENCH_RUNS (5) alternating runs, with min-max.
// Environment: CUBELAB_BENCH_RUNS (5).
import { RunAggregator } from '../client/src/events/aggregate.ts';
import { MetricsFeed } from '../client/src/webviews/metricsData.ts';
import { median, fmt } from './lib/stats.mjs';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Loaded as CommonJS (tsx's require hook): the harness finds dist/webviews from its own __dirname.
const { openWebview, startHarness } = createRequire(import.meta.url)('../test/webviews/harness.ts');
const RUNS = Number(process.env.CUBELAB_BENCH_RUNS ?? 5);
const KEY = 'val_F1_SCORE_macro';

if (!existsSync(join(root, 'dist', 'webviews', 'metrics.js'))) {
  console.error('dist/webviews/metrics.js is missing: run `npm run build` first.');
  process.exit(1);
}

/** Training-like curves: a rise towards a plateau per experiment, noise, and a few dips that must survive. */
function buildAggregator(series, points) {
  const agg = new RunAggregator();
  let seed = 12345;
  const rnd = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
  for (let e = 0; e < series; e++) {
    const plateau = 0.6 + 0.35 * rnd();
    const rate = points / 50 + (points / 5) * rnd();
    for (let epoch = 0; epoch < points; epoch++) {
      let y = plateau * (1 - Math.exp(-epoch / rate)) + 0.02 * (rnd() - 0.5);
      if (rnd() < 0.0005) y -= 0.3;
      agg.apply({ type: 'evaluation_result', experimentId: String(e), ts: 1, epoch, scores: [{ split: 'val', tag: 'F1_SCORE_macro', kind: 'metric', score: y }] });
    }
  }
  return agg;
}

/** VS Code's serialisation of a webview message (extHostWebviewMessaging): typed arrays become references to their buffers. */
function serializeLikeVsCode(message) {
  const buffers = [];
  const json = JSON.stringify(message, (_key, value) => {
    if (ArrayBuffer.isView(value)) {
      let index = buffers.indexOf(value.buffer);
      if (index < 0) { index = buffers.length; buffers.push(value.buffer); }
      return { $$ref: index, type: value.constructor.name, byteOffset: value.byteOffset, byteLength: value.byteLength };
    }
    return value;
  });
  return { jsonBytes: Buffer.byteLength(json), bufferBytes: buffers.reduce((n, b) => n + b.byteLength, 0) };
}

/** The alternative: every point of every line on the union of the epochs, as JSON arrays (null: no point). */
function allPointsMessage(agg, source) {
  const c = new MetricsFeed(Number.MAX_SAFE_INTEGER).init(agg, source, 'bench', []);
  const charts = c.charts.map((ch) => ({ ...ch, x: Array.from(ch.x), y: Array.from(ch.y, (v) => (Number.isNaN(v) ? null : v)) }));
  return { ...c, charts };
}

/** Opens a page, posts `message` in it, and resolves with the ms from posting to a frame after the chart was drawn. */
async function timeRender(h, message, expectLines, alternative) {
  const p = await openWebview(h, 'metrics');
  // The data crosses into the page before the clock starts (in VS Code it is the extension's postMessage).
  await p.page.evaluate((m) => { window.__benchMessage = m; }, message);
  const ms = await p.page.evaluate((alt) => new Promise((resolve) => {
    let m = window.__benchMessage;
    window.__benchMessage = undefined;
    if (alt) {
      // The alternative's JSON arrays: the page turns them into what it draws (its typed arrays here) inside the clock.
      const t0 = performance.now();
      m = { ...m, charts: m.charts.map((c) => ({ ...c, x: Float64Array.from(c.x), y: Float64Array.from(c.y, (v) => (v === null ? NaN : v)) })) };
      window.addEventListener('message', () => queueMicrotask(() => requestAnimationFrame(() => resolve(performance.now() - t0))), { once: true });
      window.postMessage(m, '*');
      return;
    }
    // Registered after the page's own listener, so it runs after the handler that builds the charts;
    // uPlot commits its draw in a microtask queued by that handler, before the one queued here.
    window.addEventListener('message', () => {
      queueMicrotask(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
    }, { once: true });
    const t0 = performance.now();
    window.postMessage(m, '*');
  }), alternative);
  // What uPlot holds, summarised in the page (sending a million values back would dwarf the measure).
  const chart = await p.page.evaluate((key) => {
    const c = (window.cubelabMetricsProbe?.charts() ?? []).find((x) => x.key === key);
    return c && { lines: c.labels.length, xs: c.data[0].length, resolution: c.resolution };
  }, KEY);
  if (!chart || chart.lines !== expectLines) throw new Error(`the chart was not drawn with ${expectLines} lines`);
  const errors = [...p.errors, ...(await p.cspViolations())];
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  await p.page.close();
  return { ms, xs: chart.xs, resolution: chart.resolution };
}

async function pageWidth(h) {
  const p = await openWebview(h, 'metrics');
  const ready = (await p.posted())[0];
  await p.page.close();
  return ready.width;
}

const spread = (xs) => `${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}`;

async function runCase(h, width, series, points) {
  const agg = buildAggregator(series, points);
  const source = '/bench/event_storage/2024-02-14--22-15-46/event_storage.log';
  const build = [], serialize = [], altSerialize = [];
  let message, sizes;
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    message = new MetricsFeed(width).init(agg, source, 'bench', []);
    build.push(performance.now() - t);
    t = performance.now();
    sizes = serializeLikeVsCode(message);
    serialize.push(performance.now() - t);
  }
  const alt = allPointsMessage(agg, source);
  let altBytes = 0;
  for (let i = 0; i < RUNS; i++) { const t = performance.now(); altBytes = JSON.stringify(alt).length; altSerialize.push(performance.now() - t); }
  // One warm-up of each (bundle compile, first canvas), then alternating runs.
  await timeRender(h, message, series, false);
  await timeRender(h, alt, series, true);
  const page = [], altPage = [];
  let info, altInfo;
  for (let i = 0; i < RUNS; i++) {
    info = await timeRender(h, message, series, false);
    page.push(info.ms);
    altInfo = await timeRender(h, alt, series, true);
    altPage.push(altInfo.ms);
  }
  const fromRequest = build.map((b, i) => b + serialize[i] + page[i]);
  const altFromRequest = altSerialize.map((s, i) => s + altPage[i]);
  return {
    series, points, width, info, altInfo, sizes, altBytes,
    build, serialize, page, fromRequest, altSerialize, altPage, altFromRequest,
  };
}

const h = await startHarness();
let a, b, width;
try {
  width = await pageWidth(h);
  a = await runCase(h, width, 100, 10_000);
  b = await runCase(h, width, 1000, 1000);
} finally {
  await h.close();
}

const MB = 1024 * 1024;
console.log(`\nMetrics chart render, headless Chromium, plot width ${width} px, median of ${RUNS} runs (min-max); load average ${loadavg()[0].toFixed(1)} on 2 CPUs`);
for (const r of [a, b]) {
  console.log(`\n#### ${r.series.toLocaleString('en')} series × ${r.points.toLocaleString('en')} points (one chart)\n`);
  console.log('| | CubeLab (shared buckets, typed arrays) | every point, JSON arrays | ratio |');
  console.log('|---|---:|---:|---:|');
  console.log(`| resolution sent | ${r.info.resolution} | raw | |`);
  console.log(`| x values (uPlot's data length) | ${r.info.xs.toLocaleString('en')} | ${r.altInfo.xs.toLocaleString('en')} | |`);
  console.log(`| message | ${(r.sizes.jsonBytes / 1024).toFixed(1)} KB JSON + ${(r.sizes.bufferBytes / MB).toFixed(2)} MB buffers | ${(r.altBytes / MB).toFixed(1)} MB JSON | |`);
  console.log(`| build (extension host) | ${fmt(median(r.build))} ms | — | |`);
  console.log(`| serialise as VS Code does (extension host) | ${fmt(median(r.serialize))} ms | ${fmt(median(r.altSerialize))} ms | |`);
  console.log(`| message arrival → chart drawn (page) | ${fmt(median(r.page))} ms (${spread(r.page)}) | ${fmt(median(r.altPage))} ms (${spread(r.altPage)}) | ${(median(r.altPage) / median(r.page)).toFixed(1)}x |`);
  console.log(`| request → chart drawn | ${fmt(median(r.fromRequest))} ms (${spread(r.fromRequest)}) | ${fmt(median(r.altFromRequest))} ms (${spread(r.altFromRequest)}) | ${(median(r.altFromRequest) / median(r.fromRequest)).toFixed(1)}x |`);
}
const okA = median(a.page) < 100 && median(a.fromRequest) < 150;
const okB = median(b.fromRequest) < 300;
console.log(`\nTargets: 100×10,000 < 100 ms from arrival (${fmt(median(a.page))}) and < 150 ms from the request (${fmt(median(a.fromRequest))}): ${okA ? 'yes' : 'NO'}; 1,000×1,000 < 300 ms (${fmt(median(b.fromRequest))}): ${okB ? 'yes' : 'NO'}.`);
console.log(`bench:render 100x10000: arrival ${fmt(median(a.page))} ms [${spread(a.page)}], request ${fmt(median(a.fromRequest))} ms, all points ${fmt(median(a.altFromRequest))} ms (${(median(a.altFromRequest) / median(a.fromRequest)).toFixed(1)}x); 1000x1000: request ${fmt(median(b.fromRequest))} ms [${spread(b.fromRequest)}], all points ${fmt(median(b.altFromRequest))} ms (${(median(b.altFromRequest) / median(b.fromRequest)).toFixed(1)}x)`);
if (!(okA && okB)) process.exitCode = 1;
