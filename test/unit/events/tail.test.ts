import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunAggregator } from '../../../client/src/events/aggregate';
import { EventLogReader, type ReadResult } from '../../../client/src/events/reader';
import { lines, resultEvent, tempDir } from './helpers';

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('tail: a file created later, lines appended (also in pieces), the file replaced, then closed', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'event_storage.log');
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  const updates: ReadResult[] = [];
  const tail = reader.tail({ pollMs: 100, onUpdate: (r) => updates.push(r) });
  t.after(() => tail.close());
  await tail.ready;
  assert.equal(updates.length, 0);

  const series = (id: string) => agg.experiments.get(id)?.series.get('val_F1_SCORE_macro')?.values ?? [];
  writeFileSync(path, lines([resultEvent(0, 0, 0.1)]));
  await waitFor('the first line', () => series('0').length === 1);

  const next = lines([resultEvent(0, 1, 0.2)]);
  appendFileSync(path, next.slice(0, 40));
  await new Promise((r) => setTimeout(r, 250));
  assert.deepEqual(series('0'), [0.1]); // the partial line waits
  appendFileSync(path, next.slice(40));
  await waitFor('the completed line', () => series('0').length === 2);
  assert.deepEqual(series('0'), [0.1, 0.2]);

  writeFileSync(join(dir, 'other.log'), lines([resultEvent(4, 0, 0.9), resultEvent(4, 1, 0.95)]));
  renameSync(join(dir, 'other.log'), path);
  await waitFor('the replacement', () => updates.some((u) => u.restarted === 'replaced'));
  await waitFor('the new content', () => series('4').length === 2);
  assert.equal(agg.experiments.has('0'), false);

  tail.close();
  const count = updates.length;
  appendFileSync(path, lines([resultEvent(4, 2, 0.97)]));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(updates.length, count);
  assert.deepEqual(series('4'), [0.9, 0.95]);
});

test('tail: many appends in a burst are all read, in order, and none twice', async (t) => {
  const path = join(tempDir(t), 'event_storage.log');
  writeFileSync(path, '');
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  const tail = reader.tail({ pollMs: 50 });
  t.after(() => tail.close());
  await tail.ready;
  for (let e = 0; e < 300; e++) appendFileSync(path, lines([resultEvent(1, 299 - e, e / 1000)]));
  await waitFor('300 lines', () => reader.stats.lines === 300);
  const s = agg.experiments.get('1')?.series.get('val_F1_SCORE_macro');
  assert.equal(s?.length, 300);
  assert.deepEqual(s?.epochs.slice(0, 3), [0, 1, 2]);
  assert.equal(s?.at(0), 0.299); // written last, epoch 0
  assert.equal(reader.stats.events, 300);
});

test('tail: the grid search folder itself appears later (a run that has not started yet)', async (t) => {
  const dir = join(tempDir(t), '2024-02-14--22-15-46');
  const path = join(dir, 'event_storage.log');
  const agg = new RunAggregator();
  const reader = new EventLogReader(path, agg);
  const tail = reader.tail({ pollMs: 50 });
  t.after(() => tail.close());
  await tail.ready;
  mkdirSync(dir);
  writeFileSync(path, lines([resultEvent(2, 0, 0.4)]));
  await waitFor('the first line', () => agg.experiments.get('2')?.lastEpoch === 0);
  appendFileSync(path, lines([resultEvent(2, 1, 0.6)]));
  await waitFor('the second line', () => agg.experiments.get('2')?.lastEpoch === 1);
});
