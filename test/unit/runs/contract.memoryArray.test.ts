/**
 * The run layer's contract against the in-memory backend acting as a scheduler with arrays (a test stand-in for
 * Slurm and Kubernetes, see test/helpers/memoryBackend.ts): sweeps go through `submitArray` (one submission for
 * all elements) and a sweep's stop through `cancelMany`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runContract } from '../../contract/runContract';
import { MemoryArrayBackend, MemoryWorld, memoryPlan } from '../../helpers/memoryBackend';
import { RunStore } from '../../../client/src/runs/runStore';
import { Supervisor } from '../../../client/src/runs/supervisor';

const world = new MemoryWorld();
after(() => world.dispose());

runContract({
  name: 'memory-array',
  makeBackend: () => new MemoryArrayBackend(world),
  planFor: (p, ws) => memoryPlan({ lines: p.lines, lineMs: p.lineMs, exitCode: p.exitCode, outputs: p.output ? [{ container: '/mlcube_io0', file: p.output.file, content: p.output.content }] : [] },
    { mounts: [{ host: `${ws}/out`, container: '/mlcube_io0', mode: '' }], root: ws, workspace: ws }),
  loseTarget: async () => { world.reachable = false; },
  restoreTarget: async () => { world.reachable = true; },
  workExists: async (r) => {
    const id = r.target.kind === 'memory' ? r.target.workId : undefined;
    const w = id ? world.works.get(id) : undefined;
    return !!w && w.state !== 'exited';
  },
  retryMs: 30,
  timeoutMs: 20_000,
});

test('a scheduler sweep is one submission; the elements beyond the parallelism wait with the reason; a sweep stop is one cancel', async () => {
  const w = new MemoryWorld();
  const backend = new MemoryArrayBackend(w);
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-array-'));
  const store = new RunStore(join(dir, '.cubelab', 'runs'));
  const sup = new Supervisor({ store, backendFor: (t) => (backend.owns(t) ? backend : undefined), retryMs: 30, stopGraceSeconds: 1 });
  const elements = Array.from({ length: 20 }, (_, i) => ({ overrides: [`i=${i}`], plan: memoryPlan({ lines: [`e${i}`], lineMs: 1000, exitCode: 0 }) }));
  const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 't', elements, parallelism: 3 }, { line: () => undefined, info: () => undefined });
  try {
    const by = Date.now() + 5000;
    while (!w.calls.submitArray && Date.now() < by) await new Promise((r) => setTimeout(r, 10));
    assert.equal(w.calls.submitArray, 1);
    assert.equal(w.calls.submit ?? 0, 0, 'no element is submitted on its own');
    const end = Date.now() + 5000;
    let waiting: (string | undefined)[] = [];
    while (Date.now() < end) {
      const els = await store.readElements(h.runId, 20);
      waiting = els.filter((e) => e.status === 'queued').map((e) => e.reason);
      if (els.filter((e) => e.status === 'running').length === 3 && waiting.length === 17) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(waiting.length, 17, 'seventeen wait while three run');
    assert.ok(waiting.every((r) => r === 'JobArrayTaskLimit'), `their reason: ${waiting[0]}`);
    await sup.stop(h.runId);
    const o = await h.done;
    assert.equal(o.status, 'stopped');
    assert.equal(w.calls.cancelMany, 1, 'the whole sweep is cancelled in one call');
    assert.equal(w.calls.cancel ?? 0, 0);
    const counts = (await store.read(h.runId)).sweep?.counts;
    assert.deepEqual(counts, { stopped: 20 });
  } finally { await sup.dispose(); w.dispose(); }
});
