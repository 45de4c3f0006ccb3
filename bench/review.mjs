// `npm run bench:review`: the Review panel and Export Labelled Data at 10,000 items.
//
// The panel, in headless Chromium with the real review bundle (dist/webviews/review.js, served as
// test/webviews/harness.ts serves it, with its CSP), times taken inside the page:
//   - first screen of 10,000 items (target < 500 ms): the extension's part in Node (read a 10,000-line
//     predictions.jsonl and a reviews.jsonl of 2,000 verdicts with the panel's own reader, build the items with
//     client/src/predictions/reviewItems.ts, serialise the `init` as VS Code's postMessage does: JSON), then the
//     page's part, from that message (parsed from JSON, as VS Code delivers it) to the frame after the first item
//     is shown; the figure is their sum;
//   - keystroke to next item painted (target p95 < 50 ms): from the `command` message an "accept and next"
//     keybinding sends to the frame after the page shows the next item, with the extension's confirmation of the
//     verdict (a `reviews` message) sent back as the panel does. The floor beside it: a message that changes
//     nothing, to the same second frame (what no page can beat). The hop from the key to the message (VS Code's
//     keybinding and the extension host) is measured in code-server by the e2e tier (test/e2e/predict.test.ts).
// The exports, in Node, 10,000 reviewed items against the obvious alternative, alternating in the same run:
//   - JSONL and CSV: exportLabelled (filters, split, a check that each file is there, export.json) vs a plain
//     loop that formats the same lines and writes them to a write stream (target ratio ≤ 1.5);
//   - class folders: exportLabelled vs `cp -r` of the same 10,000 files (target ratio ≤ 1.5).
// Median of CUBELAB_BENCH_RUNS (5) runs with min–max; the load average is printed (2 CPUs shared).
// CUBELAB_BENCH_ONLY=panel or =export runs one half.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, fmt } from './lib/stats.mjs';
import { exportLabelled, partOf, DEFAULT_FILTERS } from '../client/src/predictions/export.ts';
import { readPredictions } from '../client/src/predictions/read.ts';
import { ReviewState, ReviewsFile } from '../client/src/predictions/reviews.ts';
import { classesOf, reviewItemsOf } from '../client/src/predictions/reviewItems.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Loaded as CommonJS (tsx's require hook): the harness finds dist/webviews from its own __dirname.
const { openWebview, startHarness } = createRequire(import.meta.url)('../test/webviews/harness.ts');
const RUNS = Number(process.env.CUBELAB_BENCH_RUNS ?? 5);
const KEYS_PER_RUN = 60;
/** `panel` or `export`: only that half (while working on one). */
const ONLY = process.env.CUBELAB_BENCH_ONLY ?? '';
const N = 10_000;

if (!existsSync(join(root, 'dist', 'webviews', 'review.js'))) {
  console.error('dist/webviews/review.js is missing: run `npm run build` first.');
  process.exit(1);
}

const spread = (xs) => `${fmt(median(xs))} ms (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]; };
const classes = Array.from({ length: 10 }, (_, k) => String(k));
const MODEL = `sha256:${'e'.repeat(64)}`;
const sha = (k) => k.toString(16).padStart(64, '0');
const pathOf = (k) => `${k % 10}/digit-${String(k).padStart(5, '0')}.png`;

/** A digits-like prediction: a label, its score and the score of every class (as the demo's cube writes). */
function prediction(k) {
  const label = String((k * 7) % 10);
  const score = 0.3 + ((k * 7919) % 7_000) / 10_000;
  const scores = Object.fromEntries(classes.map((c) => [c, c === label ? score : (1 - score) / 9]));
  return { path: pathOf(k), sha256: sha(k), model: MODEL, label, score, scores };
}

// ---- the panel ---------------------------------------------------------------------------------------------------

/** The extension's part of the first screen: what ReviewPanel.sendInit does, on the real reader and builder. */
async function extensionInit(dir) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const file = await readPredictions(join(dir, 'predictions.jsonl'));
  const reviews = new ReviewsFile(join(dir, 'reviews.jsonl'));
  await reviews.refresh();
  const { items } = reviewItemsOf(file, reviews.state);
  const json = JSON.stringify({ type: 'init', source: join(dir, 'predictions.jsonl'), title: 'Review: bench', imageBase: '', maskBase: '',
    classes: classesOf(file), items, problems: [], problemCount: 0, keys: {} });
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpu: (c.user + c.system) / 1000, json, reviewed: items.filter((it) => it.verdict !== 'unreviewed').length };
}

function panelFixture(dir) {
  writeFileSync(join(dir, 'predictions.jsonl'), Array.from({ length: N }, (_, k) => JSON.stringify(prediction(k)) + '\n').join(''));
  // 2,000 verdicts already given (some undone), as a reviewer coming back to the run finds them.
  const lines = [];
  for (let k = 0; k < 2_000; k++) {
    const id = `r${k}`;
    lines.push({ v: 1, id, at: '2026-12-03T00:00:00Z', sha256: sha(k * 5), model: MODEL, verdict: k % 7 ? 'valid' : 'corrected', ...(k % 7 ? {} : { correction: { label: '1' } }) });
    if (k % 50 === 0) lines.push({ v: 1, id: `u${k}`, at: '2026-12-03T00:00:01Z', undo: id });
  }
  writeFileSync(join(dir, 'reviews.jsonl'), lines.map((l) => JSON.stringify(l) + '\n').join(''));
}

// Page code as text (no transpiler helpers leak into the page). `window.__posted.push` is wrapped so the bench sees
// the page's messages as they are posted; the wrapper answers a verdict as the extension does (a `reviews`
// message confirming it, on a later task) and resolves a waiter on the frame after the matching `painted`.
const HOOK = `(() => {
  if (window.__benchHook) return;
  const posted = window.__posted;
  const push = posted.push.bind(posted);
  window.__benchHook = { waiter: undefined };
  posted.push = (m) => {
    const n = push(m);
    if (m.type === 'verdict') setTimeout(() => window.postMessage({ type: 'reviews', updates: [{ i: m.i, verdict: m.verdict }] }, '*'), 0);
    const w = window.__benchHook.waiter;
    if (w && m.type === 'painted' && w.want(m)) { window.__benchHook.waiter = undefined; requestAnimationFrame(() => w.resolve(performance.now() - w.t0)); }
    return n;
  };
})()`;

async function firstScreen(h, json) {
  const p = await openWebview(h, 'review');
  await p.page.evaluate(HOOK);
  const ms = await p.page.evaluate(`new Promise((resolve) => {
    const t0 = performance.now();
    window.__benchHook.waiter = { t0, resolve, want: () => true };
    window.postMessage(JSON.parse(${JSON.stringify(json)}), '*');
  })`);
  return { p, ms };
}

async function keystrokes(p, count) {
  return p.page.evaluate(`(async () => {
    const keys = [], floor = [];
    const twoFrames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    await twoFrames();
    for (let k = 0; k < ${count}; k++) {
      const cur = Number(document.querySelector('.row.selected')?.dataset.i ?? -1);
      keys.push(await new Promise((resolve) => {
        window.__benchHook.waiter = { t0: performance.now(), resolve, want: (m) => m.i !== cur };
        window.postMessage({ type: 'command', command: 'acceptAndNext' }, '*');
      }));
      // The floor: a message the page ignores (an unknown item revealed), to the second frame after it.
      floor.push(await new Promise((resolve) => {
        const t0 = performance.now();
        const done = () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
        window.addEventListener('message', done, { once: true });
        window.postMessage({ type: 'reveal', i: -1 }, '*');
      }));
      await new Promise((r) => setTimeout(r, 0)); // the confirmation lands before the next key, as between two presses
    }
    return { keys, floor };
  })()`);
}

async function panelFigures(dir) {
  panelFixture(dir);
  const h = await startHarness();
  const r = { ext: [], extCpu: [], page: [], total: [], keys: [], floor: [], bytes: 0, reviewed: 0, rows: 0 };
  try {
    for (let run = 0; run < RUNS; run++) {
      const ext = await extensionInit(dir);
      const { p, ms } = await firstScreen(h, ext.json);
      r.ext.push(ext.ms); r.extCpu.push(ext.cpu); r.page.push(ms); r.total.push(ext.ms + ms);
      r.bytes = ext.json.length; r.reviewed = ext.reviewed;
      r.rows = await p.page.locator('.row').count();
      const shown = await p.page.locator('#count').textContent();
      if (!shown?.startsWith(`${N.toLocaleString('en')} of ${N.toLocaleString('en')} shown`)) throw new Error(`the page shows "${shown}"`);
      const k = await keystrokes(p, KEYS_PER_RUN);
      r.keys.push(...k.keys); r.floor.push(...k.floor);
      const verdicts = (await p.posted()).filter((m) => m.type === 'verdict').length;
      if (verdicts !== KEYS_PER_RUN) throw new Error(`${verdicts} verdicts posted for ${KEYS_PER_RUN} keystrokes`);
      if (p.errors.length || (await p.cspViolations()).length) throw new Error(`page errors: ${[...p.errors, ...(await p.cspViolations())].join('; ')}`);
      await p.page.close();
    }
  } finally {
    await h.close();
  }
  return r;
}

// ---- the exports ---------------------------------------------------------------------------------------------------

/** 10,000 small PNG-headed files in class folders, their predictions, every one reviewed valid. */
function exportFixture(dir) {
  const input = join(dir, 'input');
  const png = Buffer.alloc(600, 7);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 32, 0, 0, 0, 32]).copy(png);
  for (const c of classes) mkdirSync(join(input, c), { recursive: true });
  const predictions = [];
  const reviews = new ReviewState();
  for (let k = 0; k < N; k++) {
    const p = prediction(k);
    writeFileSync(join(input, p.path), png);
    predictions.push(p);
    reviews.apply({ v: 1, id: `r${k}`, at: '2026-12-03T00:00:00Z', sha256: p.sha256, model: MODEL, verdict: 'valid' });
  }
  return { input, src: { predictions, reviews, inputFolder: input, predictionsFile: join(dir, 'predictions.jsonl') } };
}

/** The obvious alternative for JSONL and CSV: the same lines, formatted and written one by one to a write stream. */
async function plainLoop(file, predictions, line) {
  const ws = createWriteStream(file);
  for (const p of predictions) if (!ws.write(line(p))) await new Promise((r) => ws.once('drain', r));
  await new Promise((r) => ws.end(r));
}

async function exportFigures(dir) {
  const { input, src } = exportFixture(dir);
  const jsonlLine = (p) => JSON.stringify({ path: p.path, file: join(input, p.path), sha256: p.sha256, verdict: 'valid', label: p.label }) + '\n';
  const csvLine = (p) => `${p.path},${join(input, p.path)},${p.sha256},${partOf(p.sha256, 'cubelab', 0.2)},valid,${p.label},${p.score},,,,\n`;
  const t = { jsonl: [], jsonlPlain: [], csv: [], csvPlain: [], folders: [], cp: [], cpu: { jsonl: [], jsonlPlain: [], csv: [], csvPlain: [] } };
  // Wall time, and for the in-process ones this process's CPU time (user + system, every thread): on a machine that
  // other work loads, the CPU time still says how much work each does.
  const time = async (key, fn) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    t[key].push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    if (t.cpu[key]) t.cpu[key].push((c.user + c.system) / 1000);
  };
  let counts;
  for (let r = 0; r < RUNS; r++) {
    const out = join(dir, `out-${r}`);
    mkdirSync(join(out, 'plain'), { recursive: true });
    // Each pair alternates which goes first, so neither always meets the other's writeback.
    const pair = async (first, second) => { if (r % 2) { await second(); await first(); } else { await first(); await second(); } };
    await pair(() => time('jsonl', () => exportLabelled(src, { outDir: join(out, 'jsonl'), format: 'jsonl', filters: DEFAULT_FILTERS })),
      () => time('jsonlPlain', () => plainLoop(join(out, 'plain', 'all.jsonl'), src.predictions, jsonlLine)));
    await pair(() => time('csv', () => exportLabelled(src, { outDir: join(out, 'csv'), format: 'csv', filters: DEFAULT_FILTERS })),
      () => time('csvPlain', () => plainLoop(join(out, 'plain', 'labels.csv'), src.predictions, csvLine)));
    execFileSync('sync');
    const cp = () => time('cp', () => { execFileSync('cp', ['-r', input, join(out, 'cp')]); });
    const folders = () => time('folders', async () => { counts = (await exportLabelled(src, { outDir: join(out, 'folders'), format: 'imagefolder', filters: DEFAULT_FILTERS })).counts; });
    if (r % 2) { await cp(); execFileSync('sync'); await folders(); } else { await folders(); execFileSync('sync'); await cp(); }
  }
  if (counts.train + counts.val !== N) throw new Error(`class folders exported ${counts.train + counts.val} of ${N}`);
  return t;
}

// ---- report ------------------------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'cubelab-bench-review-'));
try {
  console.log(`bench:review — ${N.toLocaleString('en')} items, ${RUNS} runs, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (2 CPUs)`);
  if (ONLY !== 'export') {
  mkdirSync(join(dir, 'panel'));
  const w = await panelFigures(join(dir, 'panel'));
  console.log(`first screen of ${N.toLocaleString('en')} items (${w.reviewed.toLocaleString('en')} already reviewed): median ${spread(w.total)} (target < 500 ms)`
    + ` = extension (read, build, ${(w.bytes / 1e6).toFixed(1)} MB JSON) ${spread(w.ext)}, CPU ${spread(w.extCpu)} + page (message to the frame after the first item) ${spread(w.page)}; ${w.rows} rows in the DOM`);
  console.log(`keystroke → next item painted (accept and next, ${w.keys.length} keystrokes): p50 ${fmt(pct(w.keys, 0.5))} ms, p95 ${fmt(pct(w.keys, 0.95))} ms, max ${fmt(Math.max(...w.keys))} ms (target p95 < 50 ms);`
    + ` floor (a message that changes nothing, to the same frame): p50 ${fmt(pct(w.floor, 0.5))} ms, p95 ${fmt(pct(w.floor, 0.95))} ms; p95 ratio ${(pct(w.keys, 0.95) / pct(w.floor, 0.95)).toFixed(2)}`);
  }
  if (ONLY !== 'panel') {
  const e = await exportFigures(join(dir, 'export'));
  const ratio = (a, b) => (median(a) / median(b)).toFixed(2);
  for (const [name, k] of [['JSONL', 'jsonl'], ['CSV', 'csv']]) {
    console.log(`export ${name}: ${spread(e[k])} vs plain write loop ${spread(e[`${k}Plain`])}: ratio ${ratio(e[k], e[`${k}Plain`])} (target ≤ 1.5);`
      + ` CPU time ${spread(e.cpu[k])} vs ${spread(e.cpu[`${k}Plain`])}: ratio ${ratio(e.cpu[k], e.cpu[`${k}Plain`])}`);
  }
  console.log(`export class folders: ${spread(e.folders)} vs cp -r of the same files ${spread(e.cp)}: ratio ${ratio(e.folders, e.cp)} (target ≤ 1.5)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
