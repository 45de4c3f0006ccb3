/**
 * Slurm through a login node over SSH: the real sshd of the remote test host (setup-remote.sh), whose account
 * submits to the real cluster (setup-slurm.sh). Files go up with the SSH layer (cube folder, each element's
 * folders), outputs come back when an element ends. The account's docker talks to the remote host's engine
 * (DOCKER_HOST from its ~/.ssh/environment, exported by sbatch to the job), so containers are looked for there.
 * "Target lost" ends the account's SSH sessions and refuses logins until restored: the jobs go on meanwhile.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runContract } from '../contract/runContract';
import { elementLogText } from '../contract/elementLog';
import { allowLogins, dropSessions, remoteDocker } from '../remote/helpers';
import { Lines, planFor, sshSlurm, startRemote, startSlurm, supervisorFor, workspace } from './helpers';

before(() => { startRemote(); startSlurm(); });

async function remoteContainers(runId: string): Promise<string[]> {
  const list = await remoteDocker.listContainers({ all: true, filters: { name: [`cubelab-${runId}-`] } });
  return list.map((c) => (c.Names[0] ?? '').replace(/^\//, ''));
}

runContract({
  name: 'slurm-ssh',
  makeBackend: () => sshSlurm(),
  planFor,
  loseTarget: async () => { dropSessions(); },
  restoreTarget: async () => { allowLogins(); },
  workExists: async (r) => { const [id, i] = r.runId.split('#'); return (await remoteContainers(id ?? r.runId)).includes(`cubelab-${id}-${i ?? 0}`); },
  retryMs: 500,
  stopGraceSeconds: 2,
  timeoutMs: 180_000,
});

test('a sweep through the login node: each element\'s outputs come back to this machine', async () => {
  const { dir, store } = workspace('ssh-sweep');
  const backend = sshSlurm();
  const sup = supervisorFor(store, backend);
  const elements = Array.from({ length: 5 }, (_, i) => {
    const ws = join(dir, `el${i}`);
    mkdirSync(join(ws, 'out'), { recursive: true });
    return { overrides: [`i=${i}`], plan: planFor({ lines: [`x${i}`], lineMs: 0, exitCode: 0, output: { file: 'result.txt', content: `element ${i} on the cluster` } }, ws) };
  });
  const h = await sup.startSweep({ backend, manifest: join(dir, 'mlcube.yaml'), task: 'ssh', elements, parallelism: 5, defaultNetwork: 'none' }, new Lines());
  try {
    const o = await h.done;
    assert.equal(o.status, 'succeeded', o.reason);
    for (let i = 0; i < 5; i++) {
      assert.equal(readFileSync(join(dir, `el${i}`, 'out', 'result.txt'), 'utf8'), `element ${i} on the cluster`, `element ${i}'s output came back`);
      assert.deepEqual(elementLogText(store, h.runId, i), [`x${i}`]);
      const e = await store.readElement(h.runId, i);
      assert.equal(e?.target?.kind === 'slurm' && e.target.host, 'cubelab-remote');
    }
    assert.deepEqual(await remoteContainers(h.runId), []);
  } finally { await sup.dispose(); await backend.dispose(); }
});
