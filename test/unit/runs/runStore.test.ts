import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, mkdirSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePlan } from '../backends/planFixture';
import { RunStore } from '../../../client/src/runs/runStore';
import { RECORD_VERSION, type RunRecord } from '../../../client/src/runs/record';
import { readLogPosition } from '../../../client/src/backends/docker/logFrames';

function record(store: RunStore, task: string, startedAt: string): RunRecord {
  return {
    version: RECORD_VERSION, runId: store.newRunId(task), manifest: '/w/mlcube.yaml', task, target: { kind: 'docker', name: 'local', engine: 'unix:///x' },
    plan: makePlan({ image: 'i' }),
    overrides: [], image: { name: 'i' }, status: 'running', startedAt, exitCode: null, git: null, warnings: [],
  };
}

test('records are written atomically, listed newest first; corrupted ones are reported and skipped', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'cubelab-store-')), '.cubelab', 'runs');
  const store = new RunStore(root);
  const a = record(store, 'train', '2026-01-01T00:00:00.000Z');
  const b = record(store, 'evaluate', '2026-01-02T00:00:00.000Z');
  await store.create(a);
  await store.create(b);
  await Promise.all([1, 2, 3].map((n) => store.update(a.runId, { exitCode: n })));
  assert.equal(readFileSync(join(root, '.gitignore'), 'utf8').split('\n').includes('*'), true);
  assert.deepEqual(readdirSync(store.dir(a.runId)), ['run.json'], 'no temporary file left behind');
  mkdirSync(join(root, 'broken'));
  writeFileSync(join(root, 'broken', 'run.json'), '{"runId": "broken", "task": ');
  mkdirSync(join(root, 'empty'));
  const { runs, problems } = await store.list();
  assert.deepEqual(runs.map((r) => r.task), ['evaluate', 'train']);
  assert.equal(runs[1].exitCode, 3);
  assert.deepEqual(problems.map((p) => p.runId).sort(), ['broken', 'empty']);
  assert.match(problems.find((p) => p.runId === 'broken')!.error, /not valid JSON/);
});

test('log position: last container timestamp and its count; a cut last line is removed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-log-'));
  const f = join(dir, 'run.log');
  assert.equal(readLogPosition(f), undefined);
  writeFileSync(f, 'T1 out a\nT2 out b\nT2 err c\nT9 sys note\n');
  assert.deepEqual(readLogPosition(f), { ts: 'T2', countAtTs: 2 });
  appendFileSync(f, 'T3 out half');
  assert.deepEqual(readLogPosition(f), { ts: 'T2', countAtTs: 2 });
  assert.equal(readFileSync(f, 'utf8').endsWith('T9 sys note\n'), true);
  // A long log: the position is found from the tail only.
  const many = Array.from({ length: 50000 }, (_, i) => `2026-11-23T00:00:00.${String(i).padStart(9, '0')}Z out line ${i}\n`).join('');
  writeFileSync(f, many + '2026-11-23T00:00:01.000000000Z out x\n2026-11-23T00:00:01.000000000Z out y\n');
  assert.deepEqual(readLogPosition(f), { ts: '2026-11-23T00:00:01.000000000Z', countAtTs: 2 });
});
