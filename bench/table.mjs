// `npm run bench:table`: the Experiments table with 10,000 experiments × 30 columns, in headless Chromium.
//
// Issue 21's target: sort and filter < 50 ms; during a scripted scroll through all rows, p95 frame interval
// <= 17 ms and no long task over 50 ms (PerformanceObserver).
// The real experiments bundle (dist/webviews/experiments.js) in the page the extension serves, loaded as
// test/webviews/harness.ts does (its CSP), gets one `init` of 10,000 rows: Experiment, Status, Progress, Epoch,
// 14 varying parameters and 12 scores (30 columns). Measured in the page:
//   - sort: a click on a score column's header, to the rows laid out (the handler, then a forced layout); also to
//     the next painted frame;
//   - filter: a text typed in the filter box (one `input` event, as the box fires per keystroke) and a column
//     filter (`>0.5` on a score column), the same way; the text filter is the costly one (every cell's text);
//   - scroll: the table's viewport scrolled by 240 px (10 rows, a fast fling) per animation frame from the top to the last row; the
//     interval between frames (rAF timestamps) and every long task (PerformanceObserver 'longtask').
// The obvious alternative, in the same run and browser: a plain table with every row in the DOM (no
// virtualisation), sorted by re-appending its rows, filtered by hiding rows, scrolled the same way; it runs
// CUBELAB_BENCH_PLAIN_RUNS (1) times (a sort of it takes tens of seconds on a loaded machine). Also each action's
// main-thread CPU time (Chromium's ThreadTime), which other work on the machine inflates less than wall time.
// Median of CUBELAB_BENCH_RUNS (5) runs, min-max, load average.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { summariseProfile } from './lib/profileTop.mjs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median } from './lib/stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { openWebview, startHarness } = createRequire(import.meta.url)('../test/webviews/harness.ts');
const RUNS = Number(process.env.CUBELAB_BENCH_RUNS ?? 5);
const ROWS = Number(process.env.CUBELAB_BENCH_TABLE_ROWS ?? 10_000);
/** Pixels scrolled per frame: 10 rows, a fast fling (a wheel notch is about 100 px). */
const SCROLL_STEP = Number(process.env.CUBELAB_BENCH_SCROLL_STEP ?? 240);
/** Runs of the plain table (each costs minutes on a loaded machine: a sort re-appends 10,000 rows). */
const PLAIN_RUNS = Number(process.env.CUBELAB_BENCH_PLAIN_RUNS ?? 1);

if (!existsSync(join(root, 'dist', 'webviews', 'experiments.js'))) {
  console.error('dist/webviews/experiments.js is missing: run `npm run build` first.');
  process.exit(1);
}

const PARAMS = Array.from({ length: 14 }, (_, i) => [`optimizer.lr`, `optimizer.weight_decay`, `model.hidden`, `model.layers`, `model.dropout`, `data.batch_size`, `data.augment`, `seed`, `scheduler.gamma`, `scheduler.step`, `model.activation`, `loss.smoothing`, `data.split`, `trainer.clip`][i]);
const SPLITS = ['train', 'val', 'test'];
const TAGS = ['F1_SCORE_macro', 'PRECISION_macro', 'RECALL_macro', 'cross_entropy_loss'];
const SCORES = SPLITS.flatMap((s) => TAGS.map((t) => `${s}_${t}`));

function initMessage(n) {
  let seed = 42;
  const rnd = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
  const statuses = ['done', 'running', 'queued', 'failed'];
  const rows = Array.from({ length: n }, (_, i) => {
    const params = {};
    PARAMS.forEach((p, k) => { params[p] = k === 10 ? ['relu', 'gelu', 'tanh'][i % 3] : k === 6 ? i % 2 === 0 : Number((rnd() * 10 ** (k % 4)).toPrecision(3)); });
    const scores = {};
    for (const s of SCORES) scores[s] = rnd();
    return { id: String(i), status: statuses[i % 4], progress: (i % 11) / 10, epoch: i % 100, params, scores };
  });
  return { type: 'init', source: '/bench/event_storage.log', title: 'bench', varyingParams: [...PARAMS], scoreKeys: SCORES, rows, selected: [] };
}

/** In the page: times an action to the forced layout after it, and to the frame painted after it. */
const timeAction = (page, action) => page.evaluate((a) => new Promise((resolve) => {
  const t0 = performance.now();
  // eslint-disable-next-line no-new-func -- not used: the actions are named below
  const run = window.__benchActions[a];
  run();
  void document.body.offsetHeight; // style and layout of what the handler changed
  const laidOut = performance.now() - t0;
  requestAnimationFrame(() => setTimeout(() => resolve({ laidOut, painted: performance.now() - t0 }), 0));
}), action);

/** In the page: scrolls `scroller` one screen per frame to the end; frame intervals and long tasks. */
const scrollThrough = (page, selector) => page.evaluate(([sel, STEP]) => new Promise((resolve) => {
  const scroller = document.querySelector(sel);
  scroller.scrollTop = 0;
  const longTasks = [];
  const po = new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); });
  po.observe({ type: 'longtask' });
  const intervals = [];
  let last = 0;
  const step = () => {
    requestAnimationFrame((ts) => {
      if (last) intervals.push(ts - last);
      last = ts;
      if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1) {
        // Long tasks are reported after they end: give the observer a moment.
        setTimeout(() => { po.disconnect(); resolve({ intervals, longTasks, frames: intervals.length + 1 }); }, 100);
        return;
      }
      scroller.scrollTop += STEP;
      step();
    });
  };
  step();
}), [selector, SCROLL_STEP]);

/** The virtualised table: the real bundle. */
async function cubelabPage(h, message) {
  const p = await openWebview(h, 'experiments', { viewport: { width: 1600, height: 900 } });
  await p.send(message);
  await p.page.waitForFunction((n) => window.cubelabExperimentsProbe?.viewIds().length === n, message.rows.length, { timeout: 60_000 });
  // The page builds the text filter's search text in idle time after the rows arrive: let it.
  await p.page.evaluate(() => new Promise((r) => setTimeout(r, 1500)));
  await p.page.evaluate(() => {
    const filter = document.getElementById('filter');
    const header = (label) => Array.from(document.querySelectorAll('.header .cell')).find((c) => c.textContent.replace(/ [▲▼]$/, '') === label);
    const columnFilter = (id) => document.querySelector(`.filters vscode-textfield[data-column="${CSS.escape(id)}"]`);
    const type = (el, text) => { el.value = text; el.dispatchEvent(new Event('input', { bubbles: true })); };
    window.__benchActions = {
      sort: () => header('val_F1_SCORE_macro').click(),
      sortAgain: () => header('test_cross_entropy_loss').click(),
      textFilter: () => type(filter, '0.5'),
      clearText: () => type(filter, ''),
      columnFilter: () => type(columnFilter('score:val_RECALL_macro'), '>0.5'),
      clearColumn: () => type(columnFilter('score:val_RECALL_macro'), ''),
    };
  });
  return p;
}

/** The alternative: every row in the DOM as a plain table, built in a blank page of the same browser. */
async function plainPage(h, message) {
  const page = await h.browser.newPage({ viewport: { width: 1600, height: 900 } });
  await page.setContent('<!doctype html><html><body style="margin:0"><div id="v" style="height:800px;overflow:auto"><table id="t" style="border-collapse:collapse;font:13px sans-serif"><thead></thead><tbody></tbody></table></div></body></html>');
  await page.evaluate((m) => {
    const cols = ['id', 'status', 'progress', 'epoch', ...m.varyingParams.map((p) => `p:${p}`), ...m.scoreKeys.map((s) => `s:${s}`)];
    const text = (r, c) => {
      if (c === 'progress') return `${Math.round(r.progress * 100)} %`;
      if (c.startsWith('p:')) return String(r.params[c.slice(2)]);
      if (c.startsWith('s:')) return r.scores[c.slice(2)].toPrecision(4);
      return String(r[c]);
    };
    const value = (r, c) => (c.startsWith('s:') ? r.scores[c.slice(2)] : c.startsWith('p:') ? r.params[c.slice(2)] : r[c]);
    const thead = document.querySelector('#t thead');
    const tbody = document.querySelector('#t tbody');
    const hr = document.createElement('tr');
    for (const c of cols) { const th = document.createElement('th'); th.textContent = c; hr.append(th); }
    thead.append(hr);
    const trs = m.rows.map((r) => {
      const tr = document.createElement('tr');
      for (const c of cols) { const td = document.createElement('td'); td.textContent = text(r, c); td.style.cssText = 'padding:0 8px;height:24px;white-space:nowrap'; tr.append(td); }
      tr.__row = r;
      tbody.append(tr);
      return tr;
    });
    const filterText = (q) => { for (const tr of trs) tr.hidden = q !== '' && !tr.textContent.toLowerCase().includes(q); };
    window.__benchActions = {
      sort: () => { const s = [...trs].sort((a, b) => value(a.__row, 's:val_F1_SCORE_macro') - value(b.__row, 's:val_F1_SCORE_macro')); tbody.append(...s); },
      sortAgain: () => { const s = [...trs].sort((a, b) => value(a.__row, 's:test_cross_entropy_loss') - value(b.__row, 's:test_cross_entropy_loss')); tbody.append(...s); },
      textFilter: () => filterText('0.5'),
      clearText: () => filterText(''),
      columnFilter: () => { for (const tr of trs) tr.hidden = !(tr.__row.scores.val_RECALL_macro > 0.5); },
      clearColumn: () => { for (const tr of trs) tr.hidden = false; },
    };
  }, message);
  return { page, errors: [], cspViolations: async () => [] };
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : Number.NaN; };

/** The page's main-thread CPU time so far, ms (Chromium's ThreadTime: what the page costs, whatever else runs). */
async function threadMs(cdp) {
  return (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime').value * 1000;
}

async function measure(p, scroller, profileTo) {
  const out = {};
  const perf = await p.page.context().newCDPSession(p.page);
  await perf.send('Performance.enable');
  // CUBELAB_BENCH_PROFILE=<dir>: a CPU profile of the page (Chromium's Profiler domain) over the whole measurement.
  const cdp = profileTo ? await p.page.context().newCDPSession(p.page) : undefined;
  if (cdp) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start'); }
  for (const a of ['sort', 'sortAgain', 'textFilter', 'clearText', 'columnFilter', 'clearColumn']) {
    const c0 = await threadMs(perf);
    out[a] = await timeAction(p.page, a);
    out[a].cpu = (await threadMs(perf)) - c0;
  }
  const c0 = await threadMs(perf);
  const s = await scrollThrough(p.page, scroller);
  const scrollCpu = (await threadMs(perf)) - c0;
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop');
    mkdirSync(profileTo, { recursive: true });
    writeFileSync(join(profileTo, 'table.cpuprofile'), JSON.stringify(profile));
    writeFileSync(join(profileTo, 'table.top.txt'), summariseProfile(profile, 30));
  }
  out.scroll = { cpuPerFrame: scrollCpu / s.frames, p95: pct(s.intervals, 0.95), max: Math.max(...s.intervals), frames: s.frames, longTasks: s.longTasks.length, longest: s.longTasks.length ? Math.max(...s.longTasks) : 0 };
  return out;
}

const message = initMessage(ROWS);
const columns = 4 + message.varyingParams.length + message.scoreKeys.length;
const h = await startHarness();
const results = { cubelab: [], plain: [] };
try {
  console.log(`Experiments table: ${ROWS.toLocaleString('en')} rows x ${columns} columns, ${RUNS} runs (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on 2 CPUs)`);
  for (let i = 0; i < RUNS; i++) {
    for (const variant of (process.env.CUBELAB_BENCH_TABLE_VARIANTS ?? 'cubelab,plain').split(',')) {
      if (variant === 'plain' && i >= PLAIN_RUNS) continue;
      const t0 = performance.now();
      const p = variant === 'cubelab' ? await cubelabPage(h, message) : await plainPage(h, message);
      const loadMs = performance.now() - t0;
      const r = await measure(p, variant === 'cubelab' ? '.viewport' : '#v', variant === 'cubelab' && i === 0 ? process.env.CUBELAB_BENCH_PROFILE : undefined);
      r.loadMs = loadMs;
      const errors = [...p.errors, ...(await p.cspViolations())];
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      await p.page.close();
      results[variant].push(r);
      console.log(`  run ${i + 1} ${variant}: sort ${fmt(r.sort.laidOut)} ms (CPU ${fmt(r.sort.cpu)}), text filter ${fmt(r.textFilter.laidOut)} ms (CPU ${fmt(r.textFilter.cpu)}), column filter ${fmt(r.columnFilter.laidOut)} ms (CPU ${fmt(r.columnFilter.cpu)}); scroll CPU ${fmt(r.scroll.cpuPerFrame)} ms/frame, ${r.scroll.frames} frames, p95 interval ${fmt(r.scroll.p95)} ms, ${r.scroll.longTasks} long tasks (longest ${fmt(r.scroll.longest)} ms)`);
    }
  }
} finally {
  await h.close();
}

const row = (label, f, unit = ' ms') => {
  const a = results.cubelab.map(f); const b = results.plain.map(f);
  return `| ${label} | ${fmt(median(a))}${unit} (${fmt(Math.min(...a))}-${fmt(Math.max(...a))}) | ${fmt(median(b))}${unit} (${fmt(Math.min(...b))}-${fmt(Math.max(...b))}) | ${(median(b) / median(a)).toFixed(2)} |`;
};
console.log(`\n### Experiments table: ${ROWS.toLocaleString('en')} experiments x ${columns} columns (median of ${RUNS} runs, min-max; load average ${loadavg()[0].toFixed(1)} on 2 CPUs)\n`);
console.log('| Measure | CubeLab (virtualised) | Plain table, every row in the DOM | Ratio |');
console.log('|---|---|---|---|');
console.log(row('sort by a score column, to layout', (r) => r.sort.laidOut));
console.log(row('sort by a score column, page CPU time', (r) => r.sort.cpu));
console.log(row('sort by a score column, to the painted frame', (r) => r.sort.painted));
console.log(row('sort by another column, to layout', (r) => r.sortAgain.laidOut));
console.log(row('text filter `0.5` (every cell), to layout', (r) => r.textFilter.laidOut));
console.log(row('text filter `0.5`, to the painted frame', (r) => r.textFilter.painted));
console.log(row('text filter `0.5`, page CPU time', (r) => r.textFilter.cpu));
console.log(row('column filter `>0.5`, to layout', (r) => r.columnFilter.laidOut));
console.log(row('column filter `>0.5`, page CPU time', (r) => r.columnFilter.cpu));
console.log(row('scroll: page CPU time per frame', (r) => r.scroll.cpuPerFrame));
console.log(row('scroll through all rows: p95 frame interval', (r) => r.scroll.p95));
console.log(row('scroll: longest frame interval', (r) => r.scroll.max));
console.log(row('scroll: long tasks (> 50 ms)', (r) => r.scroll.longTasks, ''));
console.log(row('scroll: longest long task', (r) => r.scroll.longest));
console.log(row('page ready with the rows (init)', (r) => r.loadMs));
const m = (f) => median(results.cubelab.map(f));
const sortOk = m((r) => Math.max(r.sort.laidOut, r.sortAgain.laidOut)) < 50;
const filterOk = m((r) => Math.max(r.textFilter.laidOut, r.columnFilter.laidOut)) < 50;
const frameOk = m((r) => r.scroll.p95) <= 17;
const longOk = results.cubelab.every((r) => r.scroll.longTasks === 0);
console.log(`\nTargets: sort < 50 ms ${sortOk ? 'met' : 'MISSED'}; filter < 50 ms ${filterOk ? 'met' : 'MISSED'}; scroll p95 frame interval <= 17 ms ${frameOk ? 'met' : 'MISSED'}; no long task over 50 ms while scrolling ${longOk ? 'met' : 'MISSED'} (every run).`);
console.log(`bench:table sort ${fmt(m((r) => r.sort.laidOut))} ms, text filter ${fmt(m((r) => r.textFilter.laidOut))} ms, column filter ${fmt(m((r) => r.columnFilter.laidOut))} ms, scroll p95 ${fmt(m((r) => r.scroll.p95))} ms, long tasks ${results.cubelab.map((r) => r.scroll.longTasks).join('/')}`);
if (!(sortOk && filterOk && frameOk && longOk)) process.exitCode = 1;
