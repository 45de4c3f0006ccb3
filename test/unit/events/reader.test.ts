import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunAggregator } from '../../../client/src/events/aggregate';
import { generateEvents, writeEventStorage, type WriteOptions } from '../../helpers/eventGenerator';
import { EventLogReader } from '../../../client/src/events/reader';
import { dump, lines, resultEvent, statusEvent, tempDir } from './helpers';

async function readAll(path: string, options = {}) {
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg, options);
  const r = await reader.read({ final: true });
  return { agg, reader, r };
}

for (const format of ['head', 'legacy2022'] as const) {
  test(`a generated ${format} log gives the generator's scores, aligned by epoch, and its statuses`, async (t) => {
    const dir = tempDir(t);
    const opts: WriteOptions = { experiments: 7, epochs: 6, failing: [2], seed: 3, format };
    const w = writeEventStorage(dir, opts);
    // Ground truth from the same deterministic generator.
    const expected = new Map<string, number[]>();
    const ids = new Map<number, string>();
    for (const ev of generateEvents(opts)) {
      if (ev.event_type !== 'evaluation_result') continue;
      const p = ev.payload as { experiment_id: number | string; epoch: number; loss_scores: { split: string; score: number }[] };
      const key = String(p.experiment_id);
      ids.set(Number(key.split('/').pop()), key);
      const val = p.loss_scores.find((s) => s.split === 'val');
      if (val) (expected.get(key) ?? expected.set(key, []).get(key)!)[p.epoch] = val.score;
    }
    const { agg, reader, r } = await readAll(w.logPath);
    assert.equal(r.lines, w.events);
    assert.equal(reader.stats.badLines, 0);
    assert.equal(reader.stats.formats[format], w.events);
    assert.equal(agg.experiments.size, 7);
    assert.equal(agg.seriesKeys().length, 12);
    for (const [key, values] of expected) {
      const s = agg.experiments.get(key)?.series.get('val_cross_entropy_loss');
      assert.deepEqual(s?.values, values, key);
      assert.deepEqual(s?.epochs, values.map((_, i) => i));
    }
    const states = [...ids.entries()].sort(([a], [b]) => a - b).map(([, key]) => agg.experiments.get(key)?.state);
    assert.deepEqual(states, ['done', 'done', 'failed', 'done', 'done', 'done', 'done']);
    const failed = agg.experiments.get(ids.get(2)!);
    assert.equal(failed?.job?.error, 'CUDA out of memory.');
    assert.equal(failed?.lastEpoch, 2); // fails in epoch 3 (epochs / 2), after epoch 2's results
    const done = agg.experiments.get(ids.get(0)!);
    assert.equal(done?.progress?.currentEpoch, 5);
    assert.equal(done?.progress?.phase, 'evaluation');
    assert.equal(done?.progress?.currentSplit, 'test');
    assert.equal(done?.gridSearchId, '2024-02-14--22-15-46');
    if (format === 'head') assert.equal(agg.counts.experiment_config, 7);
    else assert.equal(reader.stats.ignored, 5); // the 2022 TERMINATE job lines
  });
}

test('tiny chunks, default chunks and validate: "all" give the same aggregate', async (t) => {
  const dir = tempDir(t);
  const w = writeEventStorage(dir, { experiments: 4, epochs: 5, seed: 11 });
  const a = await readAll(w.logPath);
  const b = await readAll(w.logPath, { chunkSize: 1024 });
  const c = await readAll(w.logPath, { validate: 'all' });
  assert.deepEqual(dump(b.agg), dump(a.agg));
  assert.deepEqual(dump(c.agg), dump(a.agg));
  assert.equal(b.reader.stats.lines, w.events);
  assert.equal(c.reader.stats.events, a.reader.stats.events);
  // Fast mode parsed only the latest progress line of each experiment per chunk.
  assert.ok(a.agg.counts.experiment_status < c.agg.counts.experiment_status / 10, `${a.agg.counts.experiment_status} vs ${c.agg.counts.experiment_status}`);
});

test('a partial last line waits for its newline, even when cut inside a UTF-8 character', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  const job = '{"event_type": "job_status", "creation_ts": 7, "payload": {"job_id": "gs-1", "job_type": 1, "status": "DONE", "grid_search_id": "gs", "experiment_id": 1, "starting_time": 1.5, "finishing_time": 9.5, "error": "Données absentes", "stacktrace": null}}\n';
  const bytes = Buffer.from(job, 'utf8');
  const cut = bytes.indexOf(Buffer.from('é', 'utf8')) + 1; // between the two bytes of "é"
  writeFileSync(path, lines([resultEvent(1, 0, 0.5)]));
  appendFileSync(path, bytes.subarray(0, cut));
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  let r = await reader.read();
  assert.equal(r.lines, 1);
  assert.equal(reader.pendingBytes, cut);
  assert.equal(agg.experiments.get('1')?.job, undefined);
  r = await reader.read();
  assert.deepEqual(r, { bytes: 0, lines: 0 });
  appendFileSync(path, bytes.subarray(cut));
  r = await reader.read();
  assert.equal(r.lines, 1);
  assert.equal(reader.pendingBytes, 0);
  assert.equal(agg.experiments.get('1')?.job?.error, 'Données absentes');
  assert.equal(agg.experiments.get('1')?.state, 'failed');
  assert.equal(reader.stats.badLines, 0);
});

test('a last line without a newline is taken only with final: true', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  writeFileSync(path, lines([resultEvent(0, 0, 0.1), resultEvent(0, 1, 0.2)]).trimEnd());
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  await reader.read();
  assert.deepEqual(agg.experiments.get('0')?.series.get('val_F1_SCORE_macro')?.epochs, [0]);
  await reader.read({ final: true });
  assert.deepEqual(agg.experiments.get('0')?.series.get('val_F1_SCORE_macro')?.epochs, [0, 1]);
});

test('truncation is detected and the file is read again from the start', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  writeFileSync(path, lines([0, 1, 2, 3].map((e) => resultEvent(0, e, e / 10))));
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  await reader.read();
  assert.equal(agg.experiments.get('0')?.series.get('val_F1_SCORE_macro')?.length, 4);
  truncateSync(path, 0);
  appendFileSync(path, lines([resultEvent(5, 0, 0.9)]));
  const r = await reader.read();
  assert.equal(r.restarted, 'truncated');
  assert.deepEqual([...agg.experiments.keys()], ['5']);
  assert.equal(reader.stats.lines, 1);
  assert.equal(reader.stats.restarts, 1);
});

test('replacement by another file (rename over it) is detected, even when the new file is longer', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'event_storage.log');
  writeFileSync(path, lines([resultEvent(0, 0, 0.1)]));
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  await reader.read();
  writeFileSync(join(dir, 'next.log'), lines([resultEvent(1, 0, 0.3), resultEvent(1, 1, 0.4), resultEvent(1, 2, 0.5)]));
  renameSync(join(dir, 'next.log'), path);
  const r = await reader.read();
  assert.equal(r.restarted, 'replaced');
  assert.deepEqual([...agg.experiments.keys()], ['1']);
  assert.deepEqual(agg.experiments.get('1')?.series.get('val_F1_SCORE_macro')?.values, [0.3, 0.4, 0.5]);
});

test('a file rewritten in place to a longer content (same inode) is detected by its first bytes', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  writeFileSync(path, lines([resultEvent(0, 0, 0.1, 'val', 1707945370000001)]));
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  await reader.read();
  writeFileSync(path, lines([resultEvent(0, 0, 0.7, 'val', 1707945370000099), resultEvent(0, 1, 0.8)])); // O_TRUNC, same inode
  const r = await reader.read();
  assert.equal(r.restarted, 'rewritten');
  assert.deepEqual(agg.experiments.get('0')?.series.get('val_F1_SCORE_macro')?.values, [0.7, 0.8]);
});

test('bad lines are counted and reported with line number and reason; reading goes on', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  const good = lines([resultEvent(0, 0, 0.1)]).trimEnd();
  const content = [
    good, // 1
    'this is not json', // 2
    good.slice(0, 60), // 3: cut by a crash
    '{"event_type": "evaluation_result", "creation_ts": 1, "payload": {"experiment_id": 0}}', // 4
    '', // 5: blank, ignored
    '{"event_type": "job_scheduled", "creation_ts": 1, "payload": {}}', // 6: a type MLboard drops
    lines([resultEvent(0, 1, 0.2)]).trimEnd(), // 7
    '[]', // 8
  ].join('\r\n') + '\r\n';
  writeFileSync(path, content);
  for (const validate of ['fast', 'all'] as const) {
    const { agg, reader } = await readAll(path, { validate });
    assert.deepEqual(reader.badLines.map((b) => [b.line, b.reason]), [
      [2, "invalid JSON: Unexpected token 'h', \"this is not json\" is not valid JSON"],
      [3, reader.badLines[1].reason.startsWith('invalid JSON: ') ? reader.badLines[1].reason : 'invalid JSON'],
      [4, 'evaluation_result: "payload.epoch" is missing or not a non-negative int'],
      [8, 'the line is not a JSON object'],
    ], validate);
    assert.equal(reader.badLines[1].excerpt, good.slice(0, 60));
    assert.equal(reader.stats.badLines, 4);
    assert.equal(reader.stats.ignored, 1);
    assert.equal(reader.stats.lines, 8);
    assert.deepEqual(agg.experiments.get('0')?.series.get('val_F1_SCORE_macro')?.values, [0.1, 0.2]);
  }
});

test('a broken progress line: cut lines are always reported; a superseded one with intact braces only by validate: "all"', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  const s1 = lines([statusEvent(3, 0, 10)]).trimEnd().replace('"current_batch": 10', '"current_batch": 1O');
  const cut = lines([statusEvent(4, 0, 10)]).trimEnd().slice(0, 90);
  writeFileSync(path, [s1, cut, lines([statusEvent(3, 0, 20)]).trimEnd()].join('\n') + '\n');
  const fast = await readAll(path);
  assert.deepEqual(fast.reader.badLines.map((b) => b.line), [2]);
  assert.equal(fast.agg.experiments.get('3')?.progress?.currentBatch, 20);
  const all = await readAll(path, { validate: 'all' });
  assert.deepEqual(all.reader.badLines.map((b) => b.line), [1, 2]);
  assert.equal(all.agg.experiments.get('3')?.progress?.currentBatch, 20);
});

test('the latest progress line of an experiment is reported when it is broken', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  const broken = lines([statusEvent(3, 0, 30)]).trimEnd().replace('"num_epochs": 10', '"num_epochs": 10,,');
  writeFileSync(path, lines([statusEvent(3, 0, 20)]) + broken + '\n');
  const { agg, reader } = await readAll(path);
  assert.deepEqual(reader.badLines.map((b) => b.line), [2]);
  assert.equal(reader.stats.events, 1);
  // The broken line superseded the good one within the chunk, so no progress is shown rather than a wrong one.
  assert.equal(agg.experiments.get('3')?.progress, undefined);
});

test('a line longer than maxLineBytes is reported and skipped; line numbers stay right', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  const huge = '{"event_type": "experiment_config", "creation_ts": 1, "payload": {"experiment_id": 9, "config": {"x": "' + 'a'.repeat(10000) + '"}}}';
  writeFileSync(path, lines([resultEvent(0, 0, 0.1)]) + huge + '\n' + lines([resultEvent(0, 1, 0.2)]) + 'oops\n');
  const { agg, reader } = await readAll(path, { chunkSize: 1024, maxLineBytes: 4096 });
  assert.deepEqual(reader.badLines.map((b) => [b.line, b.reason]), [
    [2, 'line longer than 4096 bytes, skipped'],
    [4, "invalid JSON: Unexpected token 'o', \"oops\" is not valid JSON"],
  ]);
  assert.equal(reader.stats.lines, 4);
  assert.deepEqual(agg.experiments.get('0')?.series.get('val_F1_SCORE_macro')?.values, [0.1, 0.2]);
  assert.equal(agg.experiments.has('9'), false);
  // With room for it, the same line is read.
  const roomy = await readAll(path, { chunkSize: 1024, maxLineBytes: 65536 });
  assert.equal(roomy.reader.stats.badLines, 1);
  assert.equal(roomy.agg.experiments.get('9')?.state, 'configured');
});

test('a missing file is reported as missing, then read once it appears; both formats may share a log', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  assert.deepEqual(await reader.read(), { bytes: 0, lines: 0, missing: true });
  writeFileSync(path, lines([resultEvent(0, 0, 0.1)], 'head') + lines([resultEvent(0, 1, 0.2)], 'legacy2022', 1));
  const r = await reader.read();
  assert.equal(r.lines, 2);
  assert.deepEqual(reader.stats.formats, { head: 1, legacy2022: 1 });
  assert.deepEqual(agg.experiments.get('0')?.series.get('val_F1_SCORE_macro')?.values, [0.1, 0.2]);
});

test('a long line arriving in pieces is carried whole across reads, beyond the chunk size', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  const config = '{"event_type": "experiment_config", "creation_ts": 1, "payload": {"experiment_id": 3, "config": {"note": "' + 'b'.repeat(5000) + '"}}}\n';
  writeFileSync(path, config.slice(0, 3000));
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg, { chunkSize: 1024, maxLineBytes: 65536 });
  await reader.read();
  assert.equal(reader.pendingBytes, 3000);
  appendFileSync(path, config.slice(3000) + lines([resultEvent(3, 0, 0.5)]));
  await reader.read();
  assert.equal(reader.pendingBytes, 0);
  assert.equal(reader.stats.badLines, 0);
  assert.equal((agg.experiments.get('3')?.config?.note as string).length, 5000);
  assert.equal(agg.experiments.get('3')?.series.get('val_F1_SCORE_macro')?.at(0), 0.5);
});

test('a rewrite to the very same size is detected too (changed mtime, then other first bytes)', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  writeFileSync(path, lines([resultEvent(0, 0, 0.25, 'val', 1707945370000001)]));
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  await reader.read();
  assert.deepEqual(await reader.read(), { bytes: 0, lines: 0 });
  await new Promise((r) => setTimeout(r, 30)); // past the file system's timestamp granularity
  writeFileSync(path, lines([resultEvent(0, 0, 0.75, 'val', 1707945370000002)]));
  const r = await reader.read();
  assert.equal(r.restarted, 'rewritten');
  assert.deepEqual(agg.experiments.get('0')?.series.get('val_F1_SCORE_macro')?.values, [0.75]);
});
