/**
 * A sweep of 20 elements on the Kubernetes backend, against the STAND-IN API server (test/kubernetes/standin/):
 * one Indexed Job, five pods at a time, each element its own command line (through the per-index launcher) and
 * its own output folder (subPathExpr), one shared input folder. Meanwhile every log follow is dropped after a
 * few lines (the backend resumes with sinceTime) and the watch history is compacted once (the backend's next
 * watch gets 410 Gone and lists again). Every element's log must be whole, once, in order, and its output there.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../../client/src/runs/runStore';
import { Supervisor } from '../../client/src/runs/supervisor';
import { elementLogText } from '../contract/elementLog';
import { claimFolder, k8sBackend, pullTestImage, shellPlan, startStandin, until, type Standin } from './helpers';

let s: Standin;
before(async () => { await pullTestImage(); s = await startStandin(); });
after(async () => { await s?.stop(); });

const N = 20, LINES = 25;

test('a sweep of 20 elements completes as one Indexed Job: every element\'s log whole and its outputs written, through dropped log follows and a 410 Gone', { timeout: 170_000 }, async () => {
  const dir = claimFolder(s, 'sweep20');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'data.txt'), 'shared input\n');
  const store = new RunStore(join(dir, '.cubelab', 'runs'));
  const backend = k8sBackend(s);
  const sup = new Supervisor({ store, backendFor: (t) => (backend.owns(t) ? backend : undefined), retryMs: 200, stopGraceSeconds: 2 });
  s.server.dropFollowAfterLines = 7;
  const elements = Array.from({ length: N }, (_, i) => {
    const ws = join(dir, 'elements', String(i), 'workspace');
    mkdirSync(join(ws, 'out'), { recursive: true });
    const script = `for n in $(seq 1 ${LINES}); do echo "e${i} lr=0.${i} line $n"; sleep 0.02; done; `
      + `{ echo "element ${i}"; cat /mlcube_io1/data.txt; } > /mlcube_io0/result.txt`;
    return {
      overrides: [`lr=0.${i}`],
      plan: shellPlan(script, { root: dir, workspace: ws, mounts: [{ host: join(ws, 'out'), container: '/mlcube_io0', mode: '', io: 'output' }, { host: join(dir, 'data'), container: '/mlcube_io1', mode: 'ro', io: 'input' }] }),
    };
  });
  const infos: string[] = [];
  const t0 = Date.now();
  const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'train', elements, parallelism: 5, source: 'lr=0.0..0.19' }, { line: () => undefined, info: (t) => infos.push(t) });
  try {
    // Once a few elements are done, the API server forgets its watch history: the backend's watch comes back with
    // its resource version, is told 410 Gone, and lists the pods again.
    await until(async () => (await store.read(h.runId)).sweep?.counts.succeeded !== undefined, 90_000, 'the first element to succeed');
    const listsBefore = backend.watch.lists;
    s.server.cluster.compact();
    const o = await h.done;
    const secs = (Date.now() - t0) / 1000;
    assert.equal(o.status, 'succeeded', o.reason);
    const r = await store.read(h.runId);
    assert.deepEqual(r.sweep?.counts, { succeeded: N });
    const els = await store.readElements(h.runId, N);
    for (let i = 0; i < N; i++) {
      assert.deepEqual(elementLogText(store, h.runId, i), Array.from({ length: LINES }, (_, n) => `e${i} lr=0.${i} line ${n + 1}`), `element ${i}'s log: whole, once, in order`);
      assert.equal(readFileSync(join(dir, 'elements', String(i), 'workspace', 'out', 'result.txt'), 'utf8'), `element ${i}\nshared input\n`, `element ${i}'s output`);
      assert.deepEqual([els[i]?.status, els[i]?.exitCode, els[i]?.overrides], ['succeeded', 0, [`lr=0.${i}`]]);
      const target = els[i]?.target;
      assert.equal(target?.kind === 'kubernetes' ? target.index : -1, i, 'the element is its completion index');
    }
    // One Job for the sweep, one watch for all its elements, and what was sent passed strict validation.
    assert.equal(s.server.count('POST', /\/jobs$/), 1, 'one Job');
    const job = s.server.requests.find((q) => q.method === 'POST')?.body as { spec: { completionMode: string; completions: number; parallelism: number } };
    assert.deepEqual([job.spec.completionMode, job.spec.completions, job.spec.parallelism], ['Indexed', N, 5]);
    assert.deepEqual(s.server.refused, [], 'every object passed the API server\'s strict validation');
    assert.equal(s.server.maxOpenWatches, 1, 'one watch for every element of the sweep');
    assert.ok(backend.watch.lists > listsBefore, `the 410 Gone made the backend list again (${listsBefore} → ${backend.watch.lists} lists)`);
    const resumed = s.server.count('GET', /\/log$/, (q) => !!q.sinceTime);
    assert.ok(resumed >= N, `dropped follows were resumed with sinceTime (${resumed} times)`);
    // Every element succeeded: nothing is left on the cluster.
    await until(() => s.server.cluster.jobs.size === 0 && s.server.cluster.pods.size === 0, 20_000, 'the Job and its pods to be deleted');
    console.log(`sweep of ${N} elements (5 at a time, ${LINES} lines each): ${secs.toFixed(1)} s; ${s.server.count('GET', /\/log$/)} log requests, ${resumed} resumed; ${backend.watch.watches} watch request(s), ${backend.watch.lists} list(s)`);
  } finally {
    s.server.dropFollowAfterLines = undefined;
    await sup.dispose(); await backend.dispose();
  }
});
