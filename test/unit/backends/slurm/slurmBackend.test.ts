/** What the Slurm backend refuses before anything is submitted (no cluster needed: nothing is contacted). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlurmBackend, compactKeys } from '../../../../client/src/backends/slurm/slurmBackend';
import { makePlan } from '../planFixture';

const job = { runId: 'r1', manifest: '/w/mlcube.yaml', task: 't', plan: makePlan() };

test('Slurm: a cluster whose nodes do not share the filesystem is refused before submission, with the reason', () => {
  const b = new SlurmBackend({ name: 'hpc', sharedFilesystem: false });
  assert.throws(() => b.validate(job), /do not share a filesystem with the login node \(sharedFilesystem: false\), so the task's outputs could not come back and CubeLab does not submit it/);
});

test('Slurm: bad settings are refused with every problem named (options the script sets itself among them)', () => {
  const b = new SlurmBackend({ name: 'hpc', timeLimit: 'soon', memory: 'lots', extraArgs: ['--constraint=a100; rm -rf ~', '--array=0-3'] });
  assert.throws(() => b.validate(job), (e: Error) => {
    assert.match(e.message, /time limit "soon"/);
    assert.match(e.message, /memory "lots"/);
    assert.match(e.message, /--array=0-3.*sets --array/);
    return true;
  });
  assert.throws(() => new SlurmBackend({ name: 'hpc', runtime: 'lxc' as never }).validate(job), /container runtime/);
});

test('Slurm: a sweep\'s stop cancels each array once, by its id', () => {
  assert.deepEqual(compactKeys(['100_0', '100_7', '100_12', '101_0', '205']), ['100', '101', '205']);
});

test('Slurm: the target a record names is the backend\'s only when kind, name and login node match', () => {
  const local = new SlurmBackend({ name: 'cluster' });
  const remote = new SlurmBackend({ name: 'cluster', host: 'login1' });
  assert.ok(local.owns({ kind: 'slurm', name: 'cluster', jobId: '1' }));
  assert.ok(!local.owns({ kind: 'slurm', name: 'cluster', host: 'login1', jobId: '1' }));
  assert.ok(remote.owns({ kind: 'slurm', name: 'cluster', host: 'login1' }));
  assert.ok(!remote.owns({ kind: 'docker', name: 'cluster', engine: '' }));
  void remote.dispose(); void local.dispose();
});
