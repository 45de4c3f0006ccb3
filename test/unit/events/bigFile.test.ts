/**
 * A large event log is read in bounded memory: resident memory grows by less than half the file size while
 * the reader ingests it. 1 GB by default (about 12 s here); CUBELAB_EVENTS_BIG_MB sets another size.
 * The log is written by a child process (bench/lib/eventGenerator.mjs big), so that its memory is not counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RunAggregator } from '../../../client/src/events/aggregate';
import { EventLogReader } from '../../../client/src/events/reader';
import { tempDir } from './helpers';

const MB = 1024 * 1024;
const SIZE_MB = Number(process.env.CUBELAB_EVENTS_BIG_MB ?? 1024);
const ROOT = join(__dirname, '..', '..', '..');

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

test(`a ${SIZE_MB} MB log is read in bounded memory (RSS growth < half the file size)`, { timeout: 10 * 60_000 }, async (t) => {
  const path = join(tempDir(t, 'cubelab-events-big-'), 'event_storage.log');
  const gen = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/lib/eventGenerator.mjs'), 'big', path, '--mb', String(SIZE_MB)], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  const written = JSON.parse(gen.stdout.trim()) as { events: number; bytes: number; experiments: number };
  const size = statSync(path).size;
  assert.equal(size, written.bytes);
  assert.ok(size >= SIZE_MB * MB, `${size} bytes written`);

  collectGarbage();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  const t0 = performance.now();
  await reader.read({ final: true });
  const ms = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const growth = peak - base;
  t.diagnostic(`${(size / MB).toFixed(0)} MB, ${written.events} events in ${(ms / 1000).toFixed(2)} s; RSS ${(base / MB).toFixed(0)} -> peak ${(peak / MB).toFixed(0)} MB (growth ${(growth / MB).toFixed(0)} MB)`);

  assert.equal(reader.stats.lines, written.events);
  assert.equal(reader.stats.badLines, 0);
  assert.equal(agg.experiments.size, written.experiments);
  // Every experiment has its 12 series, each with one point per epoch (50 in a generated block).
  for (const e of agg.experiments.values()) {
    assert.equal(e.series.size, 12, e.id);
    assert.equal(e.series.get('val_F1_SCORE_macro')?.length, 50, e.id);
  }
  assert.ok(growth < size / 2, `RSS grew by ${(growth / MB).toFixed(0)} MB reading ${(size / MB).toFixed(0)} MB`);
});
