// `npm run bench:live`: a growing event log watched with the Metrics, Experiments table and Model card panels open.
//
// Issue 21's live target: append -> chart p95 < 10 ms at 5,000 events/s with the three panels open.
//
// Per run: a grid search folder (configs, experiment folders) whose log already holds 20,000 events of a running
// grid search (100 experiments, 10 processes), then a writer process (bench/lib/eventGenerator.mjs append)
// appends 5,000 events/s for CUBELAB_BENCH_LIVE_SECONDS (5) s, one write every 5 ms, each event stamped with the
// wall clock when it is generated.
// Extension side, in a child process of its own (as VS Code's extension host is), wired as
// client/src/webviews/panels.ts and modelCardPanel.ts wire it: one RunSession (fs.watch + 500 ms poll, flush after
// each read) with three listeners: the Metrics feed (appends of typed arrays), the Experiments feed (changed rows)
// and the model card of experiment 0 (rebuilt from its files and the live aggregate at most every 250 ms). The
// panels' hosts (vscode.WebviewPanel) cannot run outside VS Code: the child's messages go over Node's IPC
// (structured clone, typed arrays kept) to this process, which delivers them to the real bundles in headless
// Chromium (test/webviews/harness.ts, same HTML and CSP) as a `message` event, via Playwright's evaluate: the
// stand-in for VS Code's IPC hop to a webview (the code-server e2e tier exercises the real one).
// Measured for every evaluation_result event (the events that become chart points): from its creation_ts to
//   - "sent": the Metrics feed's message posted by the extension side;
//   - "applied": the Metrics page has handled the message (its data is in the chart's model);
//   - "drawn": the animation frame after that, where the page draws live data (once per frame).
// Alternative, in the same runs: the Metrics panel resent whole (`init`) on every change instead of appends, the
// other two panels the same (CUBELAB_BENCH_WHOLE_RUNS, 1, runs). Median of CUBELAB_BENCH_RUNS (5) runs, with min-max;
// load average. CUBELAB_BENCH_PROFILE=<dir>: a CPU profile of the extension side of each run.
import { fork, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunSession } from '../client/src/webviews/runSession.ts';
import { MetricsFeed } from '../client/src/webviews/metricsData.ts';
import { ExperimentsFeed } from '../client/src/webviews/experimentsData.ts';
import { cardFromFiles, experimentAggregate, loadCardFiles } from '../client/src/modelcard/load.ts';
import { runConfigYaml, writeEventStorage } from '../test/helpers/eventGenerator.ts';
import { fmt, median } from './lib/stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { openWebview, startHarness } = createRequire(import.meta.url)('../test/webviews/harness.ts');
const RUNS = Number(process.env.CUBELAB_BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.CUBELAB_BENCH_LIVE_SECONDS ?? 5);
const RATE = Number(process.env.CUBELAB_BENCH_LIVE_RATE ?? 5000);
const PREFILL = 20_000;
/** Runs of the alternative (its backlog takes minutes to drain on a loaded machine). */
const WHOLE_RUNS = Number(process.env.CUBELAB_BENCH_WHOLE_RUNS ?? 1);
const gen = join(root, 'bench/lib/eventGenerator.mjs');
const self = fileURLToPath(import.meta.url);

function runNode(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => { out += b; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${args.join(' ')} exited with ${code}`))));
  });
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : Number.NaN; };
const nowMs = () => performance.timeOrigin + performance.now();

/**
 * A page and its messages, in order (VS Code delivers a panel's messages in order). Messages posted while the
 * previous delivery is in flight go together in the next one, each still its own `message` event: one Playwright
 * evaluate per message would cost this process more than VS Code's IPC costs the extension host.
 */
function channel(p) {
  let queue = [];
  let flying = Promise.resolve();
  let busy = false;
  const pump = () => {
    if (busy || queue.length === 0) return;
    busy = true;
    const batch = queue;
    queue = [];
    flying = p.page.evaluate((ms) => { for (const m of ms) window.postMessage(m, '*'); }, batch)
      .finally(() => { busy = false; pump(); });
  };
  return {
    p,
    // Delivered from a later macrotask: Playwright's own cost of an evaluate (its serialiser, a stack trace per
    // call) is the stand-in's, not the extension's, and must not count as the session's flush cost.
    send(m) { queue.push(m); if (queue.length === 1) setImmediate(pump); },
    async drain() { while (busy || queue.length) { await flying; await new Promise((r) => setImmediate(r)); } },
  };
}

/**
 * The extension side, in a process of its own as VS Code's extension host is: the session and the three panels'
 * listeners as client/src/webviews/panels.ts and modelCardPanel.ts wire them; each message goes to the parent
 * (the stand-in for VS Code's IPC to the webviews, structured clone keeps typed arrays) with, for the Metrics
 * panel's data messages, when it was posted and the creation times of the chart points it carries.
 */
async function extensionHost(gridSearchDir, logPath, variant, width) {
  const session = new RunSession(logPath, { pollMs: 500 });
  let live = false;
  let pending = [];
  const agg = session.aggregator;
  const apply = agg.apply.bind(agg);
  agg.apply = (ev, line, offset) => { apply(ev, line, offset); if (live && ev.type === 'evaluation_result') pending.push(ev.ts / 1000); };
  let hostBusy = 0;
  const post = (to, msg, meta) => process.send({ to, msg, meta });
  const mf = new MetricsFeed(width);
  const sendMetrics = (m) => { post('metrics', m, { type: m.type, at: nowMs(), ts: pending }); pending = []; };
  const metricsInit = () => sendMetrics(mf.init(agg, logPath, session.title, session.selection));
  const ef = new ExperimentsFeed();
  const files = await loadCardFiles(gridSearchDir, '0');
  let cardTimer; let lastCard = 0;
  const sendCard = () => {
    cardTimer = undefined;
    lastCard = Date.now();
    const t0 = performance.now();
    post('card', { type: 'card', card: cardFromFiles(files, agg, session.reader.stats.badLines), gridSearchDir });
    hostBusy += performance.now() - t0;
  };
  const flushes = { n: 0, ms: 0 };
  const flush = session.flush.bind(session);
  session.flush = () => { const t = performance.now(); flush(); flushes.n++; flushes.ms += performance.now() - t; };
  session.add({
    reset: metricsInit,
    changed: (ids) => {
      const t0 = performance.now();
      if (variant === 'whole') metricsInit();
      else for (const m of mf.append(agg, ids)) sendMetrics(m);
      hostBusy += performance.now() - t0;
    },
  });
  const panels = (process.env.CUBELAB_BENCH_LIVE_PANELS ?? 'metrics,table,card').split(',');
  if (panels.includes('table')) session.add({
    reset: () => post('table', ef.init(agg, logPath, session.title, session.selection)),
    changed: (ids) => { const t0 = performance.now(); const m = ef.update(agg, ids); if (m) post('table', m); hostBusy += performance.now() - t0; },
  });
  if (panels.includes('card')) session.add({
    reset: () => { if (!cardTimer) cardTimer = setTimeout(sendCard, 0); },
    changed: (ids) => { if (cardTimer || !experimentAggregate(agg, '0') || !ids.includes('0')) return; cardTimer = setTimeout(sendCard, Math.max(0, lastCard + 250 - Date.now())); },
  });
  await session.ready;
  // As the hosts do on each page's `ready`: everything once.
  metricsInit();
  if (panels.includes('table')) post('table', ef.init(agg, logPath, session.title, session.selection));
  if (panels.includes('card')) sendCard();
  process.send({ ready: true });
  process.on('message', async (m) => {
    if (m === 'live') { live = true; hostBusy = 0; flushes.n = 0; flushes.ms = 0; process.send({ live: true }); return; }
    if (m === 'finish') {
      await session.reader.read();
      session.flush();
      clearTimeout(cardTimer);
      const lines = session.reader.stats.lines;
      await session.dispose();
      if (process.env.CUBELAB_BENCH_DEBUG) console.log('extension side:', JSON.stringify(flushes));
      process.send({ done: { lines, hostBusy } }, () => process.exit(0));
    }
  });
}

async function oneRun(h, variant) {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-bench-live-'));
  let child;
  try {
    // The folder the writer's grid search would have: configs and experiment folders (the writer's run: 100
    // experiments, 1,000 epochs, 10 processes), the log with its first PREFILL events.
    const storage = writeEventStorage(dir, { experiments: 100, epochs: 2, processCount: 10 });
    writeFileSync(join(storage.dir, 'run_config.yml'), runConfigYaml({ experiments: 100, epochs: 1000, processCount: 10 }));
    writeFileSync(storage.logPath, '');
    await runNode(['--import', 'tsx', gen, 'append', storage.logPath, '--prefill', String(PREFILL), '--seconds', '0']);

    const pages = {
      metrics: channel(await openWebview(h, 'metrics', { viewport: { width: 1200, height: 800 } })),
      table: channel(await openWebview(h, 'experiments', { viewport: { width: 1200, height: 800 } })),
      card: channel(await openWebview(h, 'modelcard', { viewport: { width: 1000, height: 800 } })),
    };
    const width = (await pages.metrics.p.posted())[0].width;
    // In the Metrics page, after its own listener: when each data message was handled, and the frame after.
    await pages.metrics.p.page.evaluate(() => {
      const live = [];
      window.__live = live;
      window.addEventListener('message', (e) => {
        const t = e.data && e.data.type;
        if (t !== 'append' && t !== 'chart' && t !== 'init') return;
        const entry = [t, performance.timeOrigin + performance.now(), 0];
        live.push(entry);
        queueMicrotask(() => requestAnimationFrame(() => { entry[2] = performance.timeOrigin + performance.now(); }));
      });
    });

    child = fork(self, ['--child', storage.dir, storage.logPath, variant, String(width)], { execArgv: ['--import', 'tsx', ...(process.env.CUBELAB_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.CUBELAB_BENCH_PROFILE] : [])], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    /** Per data message to the Metrics page, in order: its type, when it was posted, the points' creation times. */
    const sent = [];
    const events = new EventEmitter();
    child.on('message', (m) => {
      if (m.to) { if (m.meta) sent.push(m.meta); pages[m.to].send(m.msg); return; }
      events.emit('control', m);
    });
    const exited = new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the extension side exited with ${code}`)))));
    const control = (key) => new Promise((resolve, reject) => {
      const on = (m) => { if (m[key] !== undefined) { events.off('control', on); resolve(m[key]); } };
      events.on('control', on);
      exited.catch(reject);
    });
    await control('ready');
    const drainAll = () => Promise.all(Object.values(pages).map((c) => c.drain()));
    await drainAll();
    await pages.metrics.p.page.waitForFunction(() => window.__live.length > 0 && window.__live[window.__live.length - 1][2] > 0);

    // Main-thread busy time of each page during the live part (Chromium's TaskDuration).
    const cdp = await Promise.all(Object.values(pages).map(async (c) => {
      const session = await c.p.page.context().newCDPSession(c.p.page);
      await session.send('Performance.enable');
      return session;
    }));
    const taskSeconds = async () => Promise.all(cdp.map(async (s) => (await s.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value));
    const tasksBefore = await taskSeconds();
    const liveAck = control('live');
    child.send('live');
    await liveAck;
    const firstLive = sent.length;
    const t0 = performance.now();
    const writer = await runNode(['--import', 'tsx', gen, 'append', storage.logPath, '--skip', String(PREFILL), '--rate', String(RATE), '--seconds', String(SECONDS)]);
    const writeMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    const pageBusy = (await taskSeconds()).map((t, i) => (t - tasksBefore[i]) * 1000 / (performance.now() - t0));
    const done = control('done');
    child.send('finish');
    const { lines, hostBusy } = await done;
    await exited;
    await drainAll();
    await new Promise((r) => setTimeout(r, 200));
    const pageLog = await pages.metrics.p.page.evaluate(() => window.__live);
    if (pageLog.length !== sent.length) throw new Error(`the Metrics page saw ${pageLog.length} data messages, ${sent.length} were sent`);
    const toSent = []; const toApplied = []; const toDrawn = [];
    for (let i = firstLive; i < sent.length; i++) {
      const [, applied, drawn] = pageLog[i];
      for (const ts of sent[i].ts) { toSent.push(sent[i].at - ts); toApplied.push(applied - ts); toDrawn.push(drawn - ts); }
    }
    if (lines !== PREFILL + writer.events) throw new Error(`read ${lines} lines, written ${PREFILL + writer.events}`);
    const errors = [];
    for (const c of Object.values(pages)) { errors.push(...c.p.errors, ...(await c.p.cspViolations())); await c.p.page.close(); }
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return {
      points: toDrawn.length, messages: sent.length - firstLive, events: writer.events,
      sentP50: pct(toSent, 0.5), sentP95: pct(toSent, 0.95), appliedP50: pct(toApplied, 0.5), appliedP95: pct(toApplied, 0.95), drawnP50: pct(toDrawn, 0.5), drawnP95: pct(toDrawn, 0.95),
      drawnMax: pct(toDrawn, 1), hostBusyShare: hostBusy / writeMs, pageBusy,
    };
  } finally {
    if (child && child.exitCode === null) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [gridSearchDir, logPath, variant, width] = process.argv.slice(childAt + 1);
  await extensionHost(gridSearchDir, logPath, variant, Number(width));
} else {
const h = await startHarness();
const results = { append: [], whole: [] };
try {
  console.log(`live: ${RATE} events/s for ${SECONDS} s, ${RUNS} runs per variant (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on 2 CPUs)`);
  for (let i = 0; i < RUNS; i++) {
    for (const variant of (process.env.CUBELAB_BENCH_LIVE_VARIANTS ?? 'append,whole').split(',')) {
      if (variant === 'whole' && i >= WHOLE_RUNS) continue;
      const r = await oneRun(h, variant);
      results[variant].push(r);
      console.log(`  run ${i + 1} ${variant}: ${r.points} chart points in ${r.messages} messages; p95 sent ${fmt(r.sentP95)} / applied ${fmt(r.appliedP95)} / drawn ${fmt(r.drawnP95)} ms; extension side busy ${(100 * r.hostBusyShare).toFixed(1)} %; pages busy: metrics ${(100 * r.pageBusy[0]).toFixed(0)} %, experiments ${(100 * r.pageBusy[1]).toFixed(0)} %, model card ${(100 * r.pageBusy[2]).toFixed(0)} %`);
    }
  }
} finally {
  await h.close();
}
const row = (label, f, unit = ' ms') => {
  const a = results.append.map(f); const w = results.whole.map(f);
  return `| ${label} | ${fmt(median(a))}${unit} (${fmt(Math.min(...a))}-${fmt(Math.max(...a))}) | ${fmt(median(w))}${unit} (${fmt(Math.min(...w))}-${fmt(Math.max(...w))}) | ${(median(w) / median(a)).toFixed(2)} |`;
};
console.log(`\n### Live: append -> chart with Metrics, Experiments and Model card open (${RATE} events/s, ${SECONDS} s; median of ${RUNS} runs, min-max; load average ${loadavg()[0].toFixed(1)} on 2 CPUs)\n`);
console.log('| Measure (per evaluation result, from its creation_ts) | CubeLab (appends) | Metrics resent whole on each change | Ratio |');
console.log('|---|---|---|---|');
console.log(row('to the Metrics message posted by the extension side, p50', (r) => r.sentP50));
console.log(row('to the Metrics message posted by the extension side, p95', (r) => r.sentP95));
console.log(row('to the data in the page\'s chart, p50', (r) => r.appliedP50));
console.log(row('to the data in the page\'s chart, p95', (r) => r.appliedP95));
console.log(row('to the frame that draws it, p50', (r) => r.drawnP50));
console.log(row('to the frame that draws it, p95', (r) => r.drawnP95));
console.log(row('extension side busy in the panels\' listeners', (r) => 100 * r.hostBusyShare, ' %'));
for (const [i, name] of ['Metrics', 'Experiments', 'Model card'].entries()) console.log(row(`${name} page's main thread busy`, (r) => 100 * r.pageBusy[i], ' %'));
const p95 = median(results.append.map((r) => r.drawnP95));
const applied95 = median(results.append.map((r) => r.appliedP95));
console.log(`\nTarget append -> chart p95 < 10 ms: to the data in the chart ${fmt(applied95)} ms ${applied95 < 10 ? 'met' : 'MISSED'}; to the drawn frame ${fmt(p95)} ms ${p95 < 10 ? 'met' : 'MISSED'}.`);
console.log(`bench:live drawn p95 ${fmt(p95)} ms applied p95 ${fmt(applied95)} ms (whole: ${fmt(median(results.whole.map((r) => r.drawnP95)))} ms)`);
}
