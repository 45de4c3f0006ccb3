// Command-line front of the MLgym event-storage generator (test/helpers/eventGenerator.ts), for the benchmark
// and for making demo data by hand. Needs the tsx loader:
//   node --import tsx bench/lib/eventGenerator.mjs generate <root> [--events N] [--experiments N] [--epochs N]
//        [--format head|legacy2022] [--style python|compact] [--process-count N] [--seed N]
//   node --import tsx bench/lib/eventGenerator.mjs append <log> --rate 5000 --seconds 5 [--experiments N]
//        [--prefill N] [--skip N]
//   node --import tsx bench/lib/eventGenerator.mjs big <log> --mb N      (one block of 5 experiments, repeated
//        with shifted ids: a large log quickly; prints {events, bytes, blocks, experiments})
// `generate` writes <root>/<grid_search_id>/ and prints {dir, logPath, events, bytes, epochs} as JSON.
// `append` appends events to an existing log at the given rate, stamped with the real time (microseconds),
// and prints {events, seconds} when done. The events continue one deterministic run: `--prefill N` first writes
// its next N events at once (a run already under way), `--skip N` starts N events into it.
import { closeSync, openSync, writeSync } from 'node:fs';
import { formatEvent, formatGeneratedEvent, generateEvents, writeEventStorage, writeReplicatedLog } from '../../test/helpers/eventGenerator.ts';

export { formatEvent, formatGeneratedEvent, generateEvents, writeEventStorage, writeReplicatedLog };

function flags(args) {
  const out = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) out[args[i].slice(2)] = args[i + 1], i++;
  }
  return out;
}

const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

async function append(logPath, f) {
  const rate = Number(f.rate ?? 5000);
  const seconds = Number(f.seconds ?? 5);
  const events = generateEvents({ experiments: Number(f.experiments ?? 100), epochs: 1000, processCount: 10, seed: 99, clock: nowUs });
  const fd = openSync(logPath, 'a');
  let lineIndex = 0;
  for (let k = Number(f.skip ?? 0); k > 0; k--) { events.next(); lineIndex++; }
  const prefill = Number(f.prefill ?? 0);
  if (prefill > 0) {
    let text = '';
    for (let k = 0; k < prefill; k++) {
      const step = events.next();
      if (step.done) break;
      text += formatGeneratedEvent(step.value, 'head', lineIndex++) + '\n';
      if (text.length > 4 * 1024 * 1024) { writeSync(fd, text); text = ''; }
    }
    writeSync(fd, text);
  }
  const t0 = performance.now();
  let written = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - t0) / 1000;
      const due = Math.min(Math.floor(elapsed * rate), Math.floor(seconds * rate)) - written;
      if (seconds <= 0) { clearInterval(timer); resolve(); return; }
      let text = '';
      for (let k = 0; k < due; k++) {
        const step = events.next();
        if (step.done) break;
        text += formatGeneratedEvent(step.value, "head", lineIndex++) + '\n';
      }
      // One write per tick, as a buffered Python writer flushing would do.
      if (text) writeSync(fd, text);
      written += due;
      if (elapsed >= seconds) { clearInterval(timer); resolve(); }
    }, 5);
  });
  closeSync(fd);
  return { events: written + prefill, prefill, seconds };
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop());
if (isMain) {
  const [cmd, target, ...rest] = process.argv.slice(2);
  const f = flags(rest);
  if (cmd === 'generate' && target) {
    const r = writeEventStorage(target, {
      targetEvents: f.events ? Number(f.events) : undefined,
      experiments: f.experiments ? Number(f.experiments) : undefined,
      epochs: f.epochs ? Number(f.epochs) : undefined,
      format: f.format,
      style: f.style,
      processCount: f['process-count'] !== undefined ? Number(f['process-count']) : undefined,
      seed: f.seed ? Number(f.seed) : undefined,
    });
    process.stdout.write(JSON.stringify(r) + '\n');
  } else if (cmd === 'big' && target) {
    process.stdout.write(JSON.stringify(writeReplicatedLog(target, Number(f.mb ?? 200) * 1024 * 1024)) + '\n');
  } else if (cmd === 'append' && target) {
    process.stdout.write(JSON.stringify(await append(target, f)) + '\n');
  } else {
    console.error('usage: node --import tsx bench/lib/eventGenerator.mjs generate <root> [--events N] ... | append <log> --rate N --seconds N');
    process.exit(2);
  }
}
