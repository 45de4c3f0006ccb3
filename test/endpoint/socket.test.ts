/**
 * The websocket side of the MLboard-compatible endpoint, driven by Debian's python-socketio 5.x client
 * (the library MLgym publishes with), connecting with transports=["websocket"] as MLgym does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventLogReader, RunAggregator } from '../../client/src/events/index';
import { GS, lastJson, runPython, startTestEndpoint } from './helpers';

interface PublishResult {
  sent: number;
  types: Record<string, number>;
}
interface WatchResult {
  messages: { kind: 'batched' | 'live'; ids: number[] }[];
  events: { event_id: number; data: { event_type: string; payload: Record<string, unknown> } }[];
  pongs: number;
  logs: string[];
}

function logLines(root: string, gs = GS): string[] {
  return readFileSync(join(root, gs, 'event_storage.log'), 'utf8').split('\n').filter((l) => l !== '');
}

test('a python-socketio publisher logs a whole run: the standard event_storage.log, read back into series', async (t) => {
  const { endpoint, root, logs } = await startTestEndpoint(t);
  const pub = lastJson<PublishResult>(await runPython('publish_run.py', [endpoint.url, GS, '3', '3']));
  // 3 configs, 1 job_scheduled (dropped), 3 INIT + 3 RUNNING + 3 DONE, per experiment and epoch 2 train +
  // 3 evaluation progress lines and 3 results.
  assert.deepEqual(pub.types, { experiment_config: 3, job_scheduled: 1, job_status: 9, experiment_status: 45, evaluation_result: 27 });
  assert.equal(endpoint.stats.stored, 84);
  assert.equal(endpoint.stats.dropped, 1);
  assert.ok(logs.some((l) => l.includes('Dropped mlgym_event of unsupported type job_scheduled')), logs.join('\n'));

  const lines = logLines(root);
  assert.equal(lines.length, 84);
  const events = lines.map((l) => JSON.parse(l) as { event_type: string; creation_ts: number; payload: Record<string, unknown> });
  assert.deepEqual(events.slice(0, 6).map((e) => e.event_type), ['experiment_config', 'experiment_config', 'experiment_config', 'job_status', 'job_status', 'job_status']);
  assert.ok(!events.some((e) => e.event_type === 'job_scheduled'));
  assert.deepEqual(Object.keys(events[0]), ['event_type', 'creation_ts', 'payload']);
  assert.match(String(events[0].creation_ts), /^\d{16}$/, 'creation_ts stays in microseconds');
  // Written as Python's json.dumps writes it (MLboard's DiscEventStorage): ", " / ": " and ensure_ascii.
  assert.ok(lines[0].startsWith('{"event_type": "experiment_config", "creation_ts": '), lines[0]);
  assert.ok(lines[0].includes('"note": "Gr\\u00f6\\u00dfe \\u00b5"'), lines[0]);
  assert.ok(lines.every((l) => !l.includes('"grid_search_id":"')));
  // MLboard's side effects of the publisher's join.
  for (const room of ['mlgym_event_publishers', 'mlgym_streamed_logger']) assert.equal(readFileSync(join(root, room, 'event_storage.log'), 'utf8'), '');

  const agg = new RunAggregator();
  const reader = new EventLogReader(join(root, GS, 'event_storage.log'), agg);
  await reader.read({ final: true });
  assert.equal(reader.stats.badLines, 0);
  assert.equal(reader.stats.lines, 84);
  assert.deepEqual([...agg.experiments.keys()].sort(), ['0', '1', '2']);
  assert.deepEqual(agg.seriesKeys(), ['test_F1_SCORE_macro', 'test_cross_entropy_loss', 'train_F1_SCORE_macro', 'train_cross_entropy_loss', 'val_F1_SCORE_macro', 'val_cross_entropy_loss']);
  const e1 = agg.experiments.get('1');
  assert.deepEqual(e1?.series.get('val_F1_SCORE_macro')?.epochs, [0, 1, 2]);
  assert.deepEqual(e1?.series.get('val_F1_SCORE_macro')?.values, [0.2, 0.21, 0.22]);
  assert.deepEqual(e1?.series.get('test_cross_entropy_loss')?.values, [9, 8, 7]);
  assert.deepEqual(e1?.config?.optimizer, { component_type_key: 'OPTIMIZER', variant_key: 'DEFAULT', config: { optimizer_key: 'ADAM', params: { lr: 0.2 } } });
  assert.equal(agg.experiments.get('0')?.state, 'done');
  assert.equal(agg.experiments.get('2')?.state, 'failed');
  assert.equal(agg.experiments.get('2')?.job?.error, 'CUDA out of memory');
  assert.equal(agg.experiments.get('2')?.progress?.currentSplit, 'test');
  assert.equal(agg.experiments.get('2')?.lastEpoch, 2);
});

test('a client joining a room gets its history replayed in order, then the live events, without gaps or duplicates', async (t) => {
  // Small history batches, so the replay spans several batched_events messages.
  const { endpoint, root } = await startTestEndpoint(t, { historyBatch: 16 });
  lastJson<PublishResult>(await runPython('publish_run.py', [endpoint.url, GS, '2', '2']));
  const first = logLines(root).length;
  assert.equal(first, 2 + 6 + 2 * 2 * (2 + 3 + 3));

  // A continuation (epochs 2-3): job RUNNING/DONE and 2 epochs per experiment.
  const more = 2 * (2 + 2 * (2 + 3 + 3));
  let markReady!: (n: number) => void;
  const ready = new Promise<number>((resolve) => (markReady = resolve));
  const watching = runPython('watch_room.py', [endpoint.url, GS, String(first + more), '30'], (line) => {
    if (line.startsWith('ready ')) markReady(Number(line.slice(6)));
  });
  const readyOrExit = await Promise.race([ready, watching.then((r) => { throw new Error(`watcher exited early: ${r.stderr}`); })]);
  assert.equal(readyOrExit, first, 'the whole history arrives before "ready"');
  lastJson<PublishResult>(await runPython('publish_run.py', [endpoint.url, GS, '2', '2', '2']));
  const watched = lastJson<WatchResult>(await watching);

  const batched = watched.messages.filter((m) => m.kind === 'batched');
  const live = watched.messages.filter((m) => m.kind === 'live');
  assert.equal(batched.length, Math.ceil(first / 16));
  assert.deepEqual(batched.flatMap((m) => m.ids), [...Array(first).keys()]);
  assert.deepEqual(live.flatMap((m) => m.ids), [...Array(more).keys()].map((i) => first + i));
  assert.ok(watched.messages.indexOf(live[0]) > watched.messages.indexOf(batched[batched.length - 1]));
  // Each event as received is the stored line with its line index as event_id.
  const stored = logLines(root).map((l) => JSON.parse(l) as unknown);
  assert.equal(stored.length, first + more);
  for (const ev of watched.events) assert.deepEqual(ev.data, stored[ev.event_id], `event ${ev.event_id}`);
  assert.ok(watched.logs.some((l) => l === `Replayed ${first} events of room ${GS}; live events follow.`), watched.logs.join('\n'));
  assert.ok(watched.pongs >= 1, 'ping is answered with pong');

  // A late client gets the whole run as history.
  const late = lastJson<WatchResult>(await runPython('watch_room.py', [endpoint.url, GS, String(first + more), '10']));
  assert.deepEqual(late.events.map((e) => e.event_id), [...Array(first + more).keys()]);
  assert.ok(late.messages.every((m) => m.kind === 'batched'));
});

test('rooms and grid_search_ids that would leave the storage are refused; nothing is written outside', async (t) => {
  const { endpoint, root, parent } = await startTestEndpoint(t);
  const logs = lastJson<string[]>(await runPython('bad_events.py', [endpoint.url]));
  assert.deepEqual(readdirSync(parent), ['event_storage']);
  assert.deepEqual(readdirSync(root), []);
  assert.equal(existsSync('/tmp/cubelab-abs-room'), false);
  assert.equal(existsSync('/tmp/cubelab-abs-gs'), false);
  assert.equal(endpoint.stats.stored, 0);
  assert.equal(endpoint.stats.rejected, 3 + 4 + 2);
  assert.ok(logs.includes('Refused room "../escape-room": not a folder name inside the event storage.'), logs.join('\n'));
  assert.ok(logs.includes('Refused grid_search_id "../escape-gs": not a folder name inside the event storage.'), logs.join('\n'));
  assert.ok(logs.includes('mlgym_event needs event_type and payload.grid_search_id'), logs.join('\n'));
});

test('a bound on rooms per join: a join naming more than the bound is refused whole, nothing is created', async (t) => {
  const { endpoint, root, logs } = await startTestEndpoint(t);
  const refused = lastJson<string[]>(await runPython('join_rooms.py', [endpoint.url, 'flood-', '17']));
  assert.ok(refused.includes('Refused the join: 17 rooms, at most 16 per join.'), refused.join('\n'));
  assert.deepEqual(readdirSync(root), [], 'no room folder was created');
  assert.equal(endpoint.stats.rejected, 1);
  assert.equal(endpoint.stats.joins, 0);
  assert.ok(logs.some((l) => l.startsWith('Refused a join of 17 rooms from client many-rooms')), logs.join('\n'));
  const accepted = lastJson<string[]>(await runPython('join_rooms.py', [endpoint.url, 'room-', '16']));
  assert.ok(accepted.some((l) => l.startsWith('Client many-rooms joined rooms: room-0, ')), accepted.join('\n'));
  assert.equal(readdirSync(root).length, 16);
});

test('rooms and grid_search_ids starting with "." are refused', async (t) => {
  const { endpoint, root } = await startTestEndpoint(t);
  const logs = lastJson<string[]>(await runPython('join_rooms.py', [endpoint.url, '.git', '1']));
  assert.ok(logs.includes('Refused room ".git0": not a folder name inside the event storage.'), logs.join('\n'));
  assert.equal((await runPython('publish_with_token.py', [endpoint.url, '.hidden', 'none'])).stdout.trim(), 'stored');
  assert.deepEqual(readdirSync(root), []);
  assert.equal(endpoint.stats.stored, 0);
});
