import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, openSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { RunAggregator } from '../../../client/src/events/aggregate';
import { EventIndexStore, HEAD_HASH_BYTES, decodeIndex, openFromIndex, saveToIndex } from '../../../client/src/events/eventIndex';
import { writeEventStorage } from '../../helpers/eventGenerator';
import { EventLogReader } from '../../../client/src/events/reader';
import { RunSession } from '../../../client/src/webviews/runSession';
import { lines, resultEvent, statusEvent, tempDir } from './helpers';

/**
 * Everything an aggregate holds that the panels and the card read, the index's own offsets included (as JSON: a
 * field that is undefined and one that is absent read the same). Not the applied-event counts: superseded progress
 * lines are skipped per read, so how many are applied depends on how the log was split into reads.
 */
function full(agg: RunAggregator): unknown {
  return JSON.parse(JSON.stringify({
    counts: { ...agg.counts, experiment_status: undefined },
    experiments: agg.sortedExperiments().map((e) => ({
      id: e.id, state: e.state, gridSearchId: e.gridSearchId, config: e.config, job: e.job, progress: e.progress,
      firstTs: e.firstTs, lastTs: e.lastTs, trainingFirstTs: e.trainingFirstTs, trainingLastTs: e.trainingLastTs,
      firstOffset: e.firstOffset, lastOffset: e.lastOffset, lastEpoch: e.lastEpoch,
      series: [...e.series.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => [k, s.epochs, s.values, s.edits, s.lastOffset]),
    })),
  }));
}

async function coldRead(path: string) {
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  await reader.read();
  return { agg, reader };
}

/** Opens `path` as a panel does: from the index if it can, then reads what the index does not cover. */
async function openIndexed(store: EventIndexStore, path: string) {
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  const open = await openFromIndex(store, reader, agg);
  const read = await reader.read();
  return { agg, reader, open, read };
}

function storage(t: { after(fn: () => void): void }, experiments = 5, epochs = 6) {
  const dir = tempDir(t);
  const w = writeEventStorage(join(dir, 'storage'), { experiments, epochs, seed: 5, failing: [1] });
  const store = new EventIndexStore(join(dir, 'index'), 64 * 1024 * 1024);
  return { dir, log: w.logPath, store };
}

test('a log opened before is restored from its index without reading a byte, with the same aggregate', async (t) => {
  const { log, store } = storage(t);
  const first = await openIndexed(store, log);
  assert.equal(first.open.outcome, 'none');
  assert.equal(first.read.bytes, statSync(log).size);
  assert.equal(await saveToIndex(store, first.reader, first.agg), true);
  assert.ok(existsSync(store.fileFor(log)));

  const again = await openIndexed(store, log);
  assert.equal(again.open.outcome, 'unchanged');
  assert.equal(again.open.fromOffset, statSync(log).size);
  assert.equal(again.read.bytes, 0, 'nothing of the log is read again');
  assert.deepEqual(full(again.agg), full(first.agg));
  assert.deepEqual(again.reader.stats, first.reader.stats);
  // The card's training dates and the index's offsets are part of what is kept.
  const e0 = again.agg.experiments.get('0');
  assert.ok(e0 && e0.trainingFirstTs > 0 && e0.trainingLastTs >= e0.trainingFirstTs && e0.lastOffset > e0.firstOffset);
});

test('a log that grew is read only from where its index ends, and ends up as a full read would', async (t) => {
  const { log, store } = storage(t);
  const first = await openIndexed(store, log);
  await saveToIndex(store, first.reader, first.agg);
  const sizeBefore = statSync(log).size;
  const more = lines([statusEvent(0, 7, 10), resultEvent(0, 7, 0.91), resultEvent(3, 8, 0.42), statusEvent(3, 8, 20)]);
  appendFileSync(log, more);

  const again = await openIndexed(store, log);
  assert.equal(again.open.outcome, 'grown');
  assert.equal(again.open.fromOffset, sizeBefore);
  assert.equal(again.read.bytes, Buffer.byteLength(more), 'only the appended bytes are read');
  assert.equal(again.read.lines, 4);
  const cold = await coldRead(log);
  assert.deepEqual(full(again.agg), full(cold.agg));
  assert.deepEqual(again.reader.stats, cold.reader.stats);
  assert.equal(again.agg.experiments.get('0')?.series.get('val_F1_SCORE_macro')?.latest()?.value, 0.91);
});

test('an index saved while the last line was unfinished resumes at that line, which is then read whole', async (t) => {
  const { log, store } = storage(t);
  const line = lines([resultEvent(2, 9, 0.77)]);
  appendFileSync(log, line.slice(0, 40));
  const first = await openIndexed(store, log);
  assert.equal(first.reader.pendingBytes, 40);
  await saveToIndex(store, first.reader, first.agg);
  appendFileSync(log, line.slice(40));
  const again = await openIndexed(store, log);
  assert.equal(again.open.outcome, 'grown');
  assert.equal(again.read.lines, 1);
  assert.equal(again.agg.experiments.get('2')?.series.get('val_F1_SCORE_macro')?.at(9), 0.77);
  assert.deepEqual(full(again.agg), full((await coldRead(log)).agg));
});

test('a truncated log is detected and read again from its start', async (t) => {
  const { log, store } = storage(t);
  const first = await openIndexed(store, log);
  await saveToIndex(store, first.reader, first.agg);
  const text = readFileSync(log, 'utf8');
  truncateSync(log, text.indexOf('\n', Math.floor(text.length / 2)) + 1);

  const again = await openIndexed(store, log);
  assert.equal(again.open.outcome, 'truncated');
  assert.equal(again.open.fromOffset, 0);
  assert.equal(again.read.bytes, statSync(log).size, 'the whole log is read again');
  assert.deepEqual(full(again.agg), full((await coldRead(log)).agg));
  assert.ok(!existsSync(store.fileFor(log)), 'the stale index is dropped');
});

test('a log rewritten to the very same size and time is detected by its head', async (t) => {
  const { log, store } = storage(t);
  const first = await openIndexed(store, log);
  await saveToIndex(store, first.reader, first.agg);
  const st = statSync(log);
  // Another run: the first line's creation_ts differs in one digit, nothing else (same size, same mtime).
  const bytes = readFileSync(log);
  const at = bytes.indexOf('"creation_ts": ') + '"creation_ts": '.length + 12;
  bytes[at] = bytes[at] === 0x39 ? 0x38 : bytes[at] + 1;
  writeFileSync(log, bytes);
  utimesSync(log, st.atime, st.mtime);

  const again = await openIndexed(store, log);
  assert.equal(again.open.outcome, 'rewritten');
  assert.equal(again.read.bytes, st.size);
});

test('a log rewritten past its head (same head, other last lines) is detected by the bytes before the index end', async (t) => {
  const { log, store } = storage(t, 40, 30);
  assert.ok(statSync(log).size > HEAD_HASH_BYTES + 4096, 'the log is longer than the hashed head');
  const first = await openIndexed(store, log);
  await saveToIndex(store, first.reader, first.agg);
  const size = statSync(log).size;
  // A score near the end changes, keeping the size: 0.1234… → 0.9234…
  const fd = openSync(log, 'r+');
  const tail = Buffer.alloc(2000);
  const { length } = tail;
  const n = (await import('node:fs')).readSync(fd, tail, 0, length, size - length);
  const i = tail.subarray(0, n).lastIndexOf('"score": 0.');
  assert.ok(i > 0);
  writeSync(fd, Buffer.from('9'), 0, 1, size - length + i + '"score": 0.'.length);
  closeSync(fd);

  const again = await openIndexed(store, log);
  assert.equal(again.open.outcome, 'rewritten');
  assert.deepEqual(full(again.agg), full((await coldRead(log)).agg));
});

test('a damaged or foreign index file is not used, is removed, and the log is read from its start', async (t) => {
  const { log, store } = storage(t);
  const first = await openIndexed(store, log);
  await saveToIndex(store, first.reader, first.agg);
  const file = store.fileFor(log);
  const bytes = readFileSync(file);
  writeFileSync(file, bytes.subarray(0, bytes.length - 9)); // cut inside the series
  assert.equal(decodeIndex(readFileSync(file)), undefined);
  const again = await openIndexed(store, log);
  assert.equal(again.open.outcome, 'unreadable');
  assert.equal(again.read.bytes, statSync(log).size);
  assert.deepEqual(full(again.agg), full(first.agg));
  assert.ok(!existsSync(file));
});

test('the store keeps under its size cap by removing the least recently used index', async (t) => {
  const dir = tempDir(t);
  const logs = ['a', 'b', 'c'].map((name, i) => writeEventStorage(join(dir, name), { experiments: 4, epochs: 5, seed: i + 1 }).logPath);
  const probe = new EventIndexStore(join(dir, 'probe'), 1e9);
  const one = await openIndexed(probe, logs[0]);
  await saveToIndex(probe, one.reader, one.agg);
  const size = statSync(probe.fileFor(logs[0])).size;
  // Room for two indexes of this size, not three.
  const store = new EventIndexStore(join(dir, 'index'), Math.floor(size * 2.5));
  const save = async (log: string) => { const r = await openIndexed(store, log); await saveToIndex(store, r.reader, r.agg); };
  await save(logs[0]);
  await new Promise((r) => setTimeout(r, 20));
  await save(logs[1]);
  await new Promise((r) => setTimeout(r, 20));
  // Using a's index makes b the least recently used.
  assert.equal((await openIndexed(store, logs[0])).open.outcome, 'unchanged');
  await new Promise((r) => setTimeout(r, 20));
  await save(logs[2]);
  assert.ok(existsSync(store.fileFor(logs[0])), 'a was used last but one: kept');
  assert.ok(!existsSync(store.fileFor(logs[1])), 'b was the least recently used: removed');
  assert.ok(existsSync(store.fileFor(logs[2])), 'c was just written: kept');
  const stats = await store.stats();
  assert.equal(stats.files, 2);
  assert.ok(stats.bytes <= store.maxBytes);
  // A cap of 0 keeps nothing.
  const none = new EventIndexStore(join(dir, 'none'), 0);
  const r = await openIndexed(none, logs[0]);
  await saveToIndex(none, r.reader, r.agg);
  assert.deepEqual(await none.stats(), { files: 0, bytes: 0 });
});

test('a run session saves the index after its first read; the next session of that log is ready from it', async (t) => {
  const { log, store } = storage(t);
  const a = new RunSession(log, { index: store, pollMs: 50 });
  await a.ready;
  assert.equal(a.indexOpen?.outcome, 'none');
  await a.dispose();
  assert.ok(existsSync(store.fileFor(log)));
  const b = new RunSession(log, { index: store, pollMs: 50 });
  await b.ready;
  t.after(() => b.dispose());
  assert.equal(b.indexOpen?.outcome, 'unchanged');
  assert.deepEqual(full(b.aggregator), full((await coldRead(log)).agg));
  // Live lines after the restore still arrive.
  const changed: string[][] = [];
  b.add({ reset: () => undefined, changed: (ids) => changed.push([...ids]) });
  appendFileSync(log, lines([resultEvent(4, 50, 0.5)]));
  const deadline = Date.now() + 5000;
  while (!changed.some((c) => c.includes('4')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(b.aggregator.experiments.get('4')?.series.get('val_F1_SCORE_macro')?.at(50), 0.5);
});
