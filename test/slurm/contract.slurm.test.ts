/**
 * The run layer's contract (test/contract/runContract.ts) for Slurm, against the real single-node cluster
 * setup-slurm.sh starts, with sbatch on this machine: a task is a batch job, a sweep one job array (docker on the
 * node). "Target lost" stops slurmctld and slurmdbd (Slurm does not answer at all; the job's script goes on
 * writing its files on the node) and starts them again.
 */
import { before } from 'node:test';
import { runContract } from '../contract/runContract';
import { containersOf, localSlurm, planFor, startSlurm, stopAccounting, stopController } from './helpers';

before(() => startSlurm());

runContract({
  name: 'slurm',
  makeBackend: () => localSlurm(),
  planFor,
  loseTarget: async () => { stopController(); stopAccounting(); },
  restoreTarget: async () => { startSlurm(); },
  // The element's container (`cubelab-<run>-<element>`) on the node's engine, in any state.
  workExists: async (r) => { const [id, i] = r.runId.split('#'); return (await containersOf(id ?? r.runId)).includes(`cubelab-${id}-${i ?? 0}`); },
  retryMs: 500,
  stopGraceSeconds: 2,
  timeoutMs: 180_000,
});
