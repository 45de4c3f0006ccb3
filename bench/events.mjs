// `npm run bench:events`: reading MLgym event logs (client/src/events/).
//
// 1. Generates an event storage with a 1,000,000-event log of 100 experiments (bench/lib/eventGenerator.mjs).
// 2. First open, each in a fresh process, CUBELAB_BENCH_RUNS (5) times: the floor (fixed 16 MB reads, split on
//    newlines, JSON.parse of every line, nothing else) three times, its median, then at once CubeLab's reader +
//    aggregator (parses only what it keeps); the ratio reader / floor of each run, and the median of the runs with
//    their spread (min-max). Also once: the reader with `validate: 'all'`. Memory: peak RSS and its growth during
//    ingestion (must stay under half the file size).
// 3. Re-open: the first open's event index (client/src/events/eventIndex.ts) saved, then CUBELAB_BENCH_RUNS fresh
//    processes open the log from it (index loaded and checked, log stat'ed, nothing to read): time to ready
//    series. Then 10,000 events appended: the re-open reads only them (bytes read printed).
// 4. Live tail: a writer process appends 5,000 events per second; the tailing reader (fs.watch + poll)
//    stamps when each evaluation result reaches the series; latency = that time - the event's creation_ts.
// Prints markdown tables. Targets (issue 21): first open <= 0.4 x the floor; re-open < 200 ms.
// Environment: CUBELAB_BENCH_EVENTS (default 1000000), CUBELAB_BENCH_EXPERIMENTS (100), CUBELAB_BENCH_RUNS (5),
// CUBELAB_BENCH_TAIL_SECONDS (5), CUBELAB_BENCH_TAIL_RATE (5000).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);
const MB = 1024 * 1024;

function runNode(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => { out += b; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited with ${code}`));
      const last = out.trim().split('\n').pop();
      resolve(JSON.parse(last));
    });
  });
}

/** Peak RSS in bytes: the kernel's high-water mark, and our own samples. */
function peakRss(sampled) {
  return Math.max(sampled, process.resourceUsage().maxRSS * 1024);
}

// ---------------------------------------------------------------- children
function childFloor(logPath) {
  const base = process.memoryUsage().rss;
  let sampled = base;
  const t0 = performance.now();
  const fd = openSync(logPath, 'r');
  const buf = Buffer.allocUnsafe(16 * MB);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lines = 0;
  let n;
  while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) {
    const parts = (rest + decoder.write(buf.subarray(0, n))).split('\n');
    rest = parts.pop();
    for (const line of parts) if (line) { JSON.parse(line); lines++; }
    sampled = Math.max(sampled, process.memoryUsage().rss);
  }
  if (rest) { JSON.parse(rest); lines++; }
  closeSync(fd);
  const ms = performance.now() - t0;
  return { ms, lines, baseRss: base, peakRss: peakRss(sampled) };
}

async function childReader(logPath, validate) {
  const { EventLogReader } = await import('../client/src/events/reader.ts');
  const { RunAggregator } = await import('../client/src/events/aggregate.ts');
  const base = process.memoryUsage().rss;
  let sampled = base;
  const timer = setInterval(() => { sampled = Math.max(sampled, process.memoryUsage().rss); }, 5);
  const t0 = performance.now();
  const agg = new RunAggregator();
  const reader = new EventLogReader(logPath, agg, { validate });
  await reader.read({ final: true });
  // "Ready series": every chart key known and each series' latest point resolved.
  const keys = agg.seriesKeys();
  let points = 0;
  for (const e of agg.experiments.values()) { e.latestScores(); for (const s of e.series.values()) points += s.length; }
  const ms = performance.now() - t0;
  clearInterval(timer);
  sampled = Math.max(sampled, process.memoryUsage().rss);
  return {
    ms, lines: reader.stats.lines, badLines: reader.stats.badLines, experiments: agg.experiments.size, seriesKeys: keys.length, points,
    baseRss: base, peakRss: peakRss(sampled),
  };
}

/** Cold read, then the index saved (what a panel does after its first read). */
async function childSave(logPath, indexDir) {
  const { EventLogReader, RunAggregator, EventIndexStore, saveToIndex } = await import('../client/src/events/index.ts');
  const store = new EventIndexStore(indexDir, 1024 * 1024 * 1024);
  const agg = new RunAggregator();
  const reader = new EventLogReader(logPath, agg);
  await reader.read();
  const t0 = performance.now();
  const saved = await saveToIndex(store, reader, agg);
  const ms = performance.now() - t0;
  return { saved, ms, bytes: (await store.stats()).bytes };
}

/** A panel's open of a log it saw before: index loaded and checked, then the read of whatever it does not cover. */
async function childReopen(logPath, indexDir) {
  const { EventLogReader, RunAggregator, EventIndexStore, openFromIndex } = await import('../client/src/events/index.ts');
  const store = new EventIndexStore(indexDir, 1024 * 1024 * 1024);
  const t0 = performance.now();
  const agg = new RunAggregator();
  const reader = new EventLogReader(logPath, agg);
  const open = await openFromIndex(store, reader, agg);
  const read = await reader.read();
  const keys = agg.seriesKeys();
  let points = 0;
  for (const e of agg.experiments.values()) { e.latestScores(); for (const s of e.series.values()) points += s.length; }
  const ms = performance.now() - t0;
  return { ms, outcome: open.outcome, indexMs: open.ms, bytesRead: read.bytes, lines: reader.stats.lines, seriesKeys: keys.length, points };
}

async function childTail(dir, seconds, rate) {
  const { EventLogReader } = await import('../client/src/events/reader.ts');
  const { RunAggregator } = await import('../client/src/events/aggregate.ts');
  const logPath = join(dir, 'live', 'event_storage.log');
  mkdirSync(dirname(logPath), { recursive: true });
  writeFileSync(logPath, '');
  const agg = new RunAggregator();
  const chart = [];
  const all = [];
  const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;
  const sink = {
    apply(ev, line) {
      agg.apply(ev, line);
      const lat = (nowUs() - ev.ts) / 1000;
      all.push(lat);
      if (ev.type === 'evaluation_result') chart.push(lat);
    },
    reset() { agg.reset(); },
  };
  // The run is already under way when the tail starts (its configs and first 20,000 events are there):
  // the catch-up read also warms the reader up, as it would be after opening a running grid search.
  const gen = join(root, 'bench/lib/eventGenerator.mjs');
  const prefill = 20000;
  await runNode(['--import', 'tsx', gen, 'append', logPath, '--prefill', String(prefill), '--seconds', '0']);
  const reader = new EventLogReader(logPath, sink);
  const tail = reader.tail({ pollMs: 250 });
  await tail.ready;
  const liveFrom = reader.stats.lines;
  chart.length = 0;
  all.length = 0;
  const writer = await runNode(['--import', 'tsx', gen, 'append', logPath, '--skip', String(prefill), '--rate', String(rate), '--seconds', String(seconds)]);
  await new Promise((r) => setTimeout(r, 600));
  tail.close();
  await reader.read();
  const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };
  return {
    written: writer.events, lines: reader.stats.lines - liveFrom, caughtUp: liveFrom, chartPoints: chart.length,
    p50: pct(chart, 0.5), p95: pct(chart, 0.95), max: pct(chart, 1), allP50: pct(all, 0.5), allP95: pct(all, 0.95),
  };
}

// ---------------------------------------------------------------- main
async function main() {
  const events = Number(process.env.CUBELAB_BENCH_EVENTS ?? 1_000_000);
  const experiments = Number(process.env.CUBELAB_BENCH_EXPERIMENTS ?? 100);
  const runs = Math.max(1, Number(process.env.CUBELAB_BENCH_RUNS ?? 5));
  const tailSeconds = Number(process.env.CUBELAB_BENCH_TAIL_SECONDS ?? 5);
  const tailRate = Number(process.env.CUBELAB_BENCH_TAIL_RATE ?? 5000);
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-bench-events-'));
  try {
    console.log(`generating ${events} events, ${experiments} experiments in ${dir} ...`);
    const g0 = performance.now();
    const gen = await runNode(['--import', 'tsx', join(root, 'bench/lib/eventGenerator.mjs'), 'generate', dir, '--events', String(events), '--experiments', String(experiments)]);
    console.log(`  ${gen.events} events, ${(gen.bytes / MB).toFixed(1)} MB, ${gen.epochs} epochs, in ${((performance.now() - g0) / 1000).toFixed(1)} s`);

    const spread = (xs, f) => `${f(Math.min(...xs))}-${f(Math.max(...xs))}`;
    const runsOut = [];
    for (let i = 0; i < runs; i++) {
      const floors = [];
      for (let k = 0; k < 3; k++) floors.push(await runNode([self, '--child', 'floor', gen.logPath]));
      const floorMs = median(floors.map((f) => f.ms));
      const reader = await runNode(['--import', 'tsx', self, '--child', 'reader', gen.logPath, 'fast']);
      if (reader.lines !== floors[0].lines) throw new Error(`reader saw ${reader.lines} lines, floor ${floors[0].lines}`);
      runsOut.push({ floorMs, floor: floors[0], reader, ratio: reader.ms / floorMs });
      console.log(`  run ${i + 1}: floor ${floors.map((f) => (f.ms / 1000).toFixed(2)).join('/')} s (median ${(floorMs / 1000).toFixed(2)}), reader ${(reader.ms / 1000).toFixed(2)} s, ratio ${(reader.ms / floorMs).toFixed(3)}`);
    }
    const strict = await runNode(['--import', 'tsx', self, '--child', 'reader', gen.logPath, 'all']);
    const byRatio = [...runsOut].sort((a, b) => a.ratio - b.ratio);
    const mid = byRatio[byRatio.length >> 1];
    const floor = mid.floor;
    const reader = mid.reader;
    console.log(`  reader: ${reader.experiments} experiments, ${reader.seriesKeys} series keys, ${reader.points} points, ${reader.badLines} bad lines`);

    console.log('re-open from the event index ...');
    const indexDir = join(dir, 'index');
    const saved = await runNode(['--import', 'tsx', self, '--child', 'save', gen.logPath, indexDir]);
    if (!saved.saved) throw new Error('the index was not saved');
    const reopens = [];
    for (let i = 0; i < runs; i++) {
      const r = await runNode(['--import', 'tsx', self, '--child', 'reopen', gen.logPath, indexDir]);
      if (r.outcome !== 'unchanged' || r.bytesRead !== 0 || r.points !== reader.points || r.lines !== reader.lines) throw new Error(`re-open: ${JSON.stringify(r)}`);
      reopens.push(r);
    }
    const sizeBefore = statSync(gen.logPath).size;
    await runNode(['--import', 'tsx', join(root, 'bench/lib/eventGenerator.mjs'), 'append', gen.logPath, '--prefill', '10000', '--seconds', '0']);
    const appended = statSync(gen.logPath).size - sizeBefore;
    const grown = [];
    for (let i = 0; i < runs; i++) {
      const r = await runNode(['--import', 'tsx', self, '--child', 'reopen', gen.logPath, indexDir]);
      if (r.outcome !== 'grown' || r.bytesRead !== appended || r.lines !== reader.lines + 10000) throw new Error(`grown re-open: ${JSON.stringify(r)} (appended ${appended})`);
      grown.push(r);
    }

    console.log(`live tail: ${tailRate} events/s for ${tailSeconds} s ...`);
    const tail = await runNode(['--import', 'tsx', self, '--child', 'tail', dir, String(tailSeconds), String(tailRate)]);
    if (tail.lines !== tail.written) throw new Error(`tail read ${tail.lines} lines of ${tail.written}`);

    const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
    const m = (b) => `${(b / MB).toFixed(0)} MB`;
    const ms = (x) => `${x.toFixed(0)} ms`;
    const growth = (r) => r.peakRss - r.baseRss;
    const half = gen.bytes / 2;
    const ratios = runsOut.map((r) => r.ratio);
    const readerMs = median(runsOut.map((r) => r.reader.ms));
    const floorMs = median(runsOut.map((r) => r.floorMs));
    const ratio = median(ratios);
    const reopenMs = median(reopens.map((r) => r.ms));
    const grownMs = median(grown.map((r) => r.ms));
    console.log(`\n### Event log: ${gen.events.toLocaleString('en')} events, ${experiments} experiments, ${(gen.bytes / MB).toFixed(0)} MB (median of ${runs} runs, min-max; load average ${loadavg()[0].toFixed(1)} on 2 CPUs)\n`);
    console.log('| Measure | Floor (16 MB reads + JSON.parse every line; median of 3 before each run) | CubeLab reader | Ratio (reader / floor) | Reader, validate: all |');
    console.log('|---|---|---|---|---|');
    console.log(`| First open: time to ready series | ${s(floorMs)} (${spread(runsOut.map((r) => r.floorMs), s)}) | ${s(readerMs)} (${spread(runsOut.map((r) => r.reader.ms), s)}) | ${ratio.toFixed(3)} (${spread(ratios, (x) => x.toFixed(3))}) | ${s(strict.ms)} |`);
    console.log(`| Throughput | ${(gen.bytes / MB / (floorMs / 1000)).toFixed(0)} MB/s | ${(gen.bytes / MB / (readerMs / 1000)).toFixed(0)} MB/s |  | ${(gen.bytes / MB / (strict.ms / 1000)).toFixed(0)} MB/s |`);
    console.log(`| Peak RSS | ${m(floor.peakRss)} | ${m(reader.peakRss)} | ${(reader.peakRss / floor.peakRss).toFixed(2)} | ${m(strict.peakRss)} |`);
    console.log(`| RSS growth during ingestion (limit ${m(half)}) | ${m(growth(floor))} | ${m(growth(reader))} | ${(growth(reader) / growth(floor)).toFixed(2)} | ${m(growth(strict))} |`);
    console.log(`\n### Re-open from the event index (${(saved.bytes / MB).toFixed(1)} MB index, saved in ${ms(saved.ms)}; median of ${runs} fresh processes, min-max)\n`);
    console.log('| Measure | Time to ready series | vs first open (same run) | Log bytes read |');
    console.log('|---|---|---|---|');
    console.log(`| Unchanged log | ${ms(reopenMs)} (${spread(reopens.map((r) => r.ms), ms)}); index load and checks ${ms(median(reopens.map((r) => r.indexMs)))} | ${(reopenMs / readerMs).toFixed(3)} | 0 |`);
    console.log(`| Log grown by 10,000 events (${(appended / MB).toFixed(1)} MB) | ${ms(grownMs)} (${spread(grown.map((r) => r.ms), ms)}) | ${(grownMs / readerMs).toFixed(3)} | ${appended.toLocaleString('en')} (only the appended bytes) |`);
    console.log(`\n### Live tail: ${tailRate} events/s for ${tailSeconds} s (${tail.written} events; fs.watch + 250 ms poll)\n`);
    console.log('| Latency, append to series | p50 | p95 | max |');
    console.log('|---|---|---|---|');
    console.log(`| Chart points (${tail.chartPoints} evaluation results) | ${tail.p50.toFixed(1)} ms | ${tail.p95.toFixed(1)} ms | ${tail.max.toFixed(1)} ms |`);
    console.log(`| Every applied event | ${tail.allP50.toFixed(1)} ms | ${tail.allP95.toFixed(1)} ms | |`);
    const firstOk = ratio <= 0.4;
    const reopenOk = reopenMs < 200;
    const memOk = growth(reader) < half;
    console.log(`\nTargets: first open <= 0.4 x the floor: ${firstOk ? 'yes' : 'NO'} (${ratio.toFixed(3)}); re-open < 200 ms: ${reopenOk ? 'yes' : 'NO'} (${ms(reopenMs)}); RSS growth under half the file: ${memOk ? 'yes' : 'NO'}.`);
    console.log(`bench:events first-open ratio ${ratio.toFixed(3)} [${spread(ratios, (x) => x.toFixed(3))}] reader ${s(readerMs)} floor ${s(floorMs)}; re-open ${ms(reopenMs)} [${spread(reopens.map((r) => r.ms), ms)}]; grown re-open ${ms(grownMs)}`);
    if (!(firstOk && reopenOk && memOk)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const i = process.argv.indexOf('--child');
if (i >= 0) {
  const [kind, a, b, c] = process.argv.slice(i + 1);
  const result = kind === 'floor' ? childFloor(a) : kind === 'reader' ? await childReader(a, b) : kind === 'save' ? await childSave(a, b)
    : kind === 'reopen' ? await childReopen(a, b) : await childTail(a, Number(b), Number(c));
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  await main();
}
