/**
 * The Experiments tree and panels look for MLgym event storages in what recent runs wrote: for a sweep, every
 * element's own workspace (so the elements' experiments show together).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOutputDirs } from '../../../client/src/experiments/model';
import { RunStore } from '../../../client/src/runs/runStore';
import { Supervisor } from '../../../client/src/runs/supervisor';
import { MemoryBackend, MemoryWorld, memoryPlan } from '../../helpers/memoryBackend';

test('a sweep\'s elements\' workspaces are where the Experiments view looks for event storages', async () => {
  const world = new MemoryWorld();
  const backend = new MemoryBackend(world);
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-sweep-out-'));
  const store = new RunStore(join(dir, '.cubelab', 'runs'));
  const sup = new Supervisor({ store, backendFor: (t) => (backend.owns(t) ? backend : undefined), retryMs: 30 });
  const runId = store.newRunId('train');
  const ws = (i: number) => join(store.root, runId, 'elements', String(i), 'workspace');
  const elements = [0, 1, 2].map((i) => ({ overrides: [`lr=${i}`], plan: memoryPlan({ lines: ['x'] }, { workspace: ws(i), root: dir, mounts: [{ host: join(ws(i), 'out'), container: '/mlcube_io0', mode: 'rw' }] }) }));
  try {
    const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'train', elements, parallelism: 2, runId });
    assert.equal((await h.done).status, 'succeeded');
    const dirs = (await runOutputDirs([store.root])).map((d) => d.dir);
    for (let i = 0; i < 3; i++) {
      assert.ok(dirs.includes(ws(i)), `element ${i}'s workspace: ${dirs.join(', ')}`);
      assert.ok(dirs.includes(join(ws(i), 'out')));
    }
  } finally { await sup.dispose(); world.dispose(); }
});
