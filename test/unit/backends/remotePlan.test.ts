import { test } from 'node:test';
import assert from 'node:assert/strict';
import { remoteLayout } from '../../../client/src/backends/docker-ssh/remotePlan';
import { makePlan } from './planFixture';

test('remote layout: the cube folder moves under the work folder, outside inputs and CubeLab\'s own folders travel apart, mapped paths stay', () => {
  const plan = makePlan({
    root: '/w/cube', workspace: '/w/cube/.cubelab/runs/r1/elements/3/workspace',
    mounts: [
      { host: '/w/cube/workspace/data', container: '/mlcube_io0', mode: 'ro', io: 'input' },
      { host: '/w/cube/.cubelab/runs/r1/elements/3/workspace/out', container: '/mlcube_io1', mode: 'rw', io: 'output' },
      { host: '/w/cube/.cubelab/runs/r1/elements/3/config', container: '/mlcube_io2', mode: 'ro', io: 'input' },
      { host: '/data/ext', container: '/mlcube_io3', mode: 'ro', io: 'input' },
      { host: '/scratch/shared/set', container: '/mlcube_io4', mode: 'ro', io: 'input' },
    ],
  });
  const l = remoteLayout(plan, '/home/u/cubelab', [{ local: '/scratch/shared', remote: '/home/u/shared' }]);
  assert.match(l.remoteRoot, /^\/home\/u\/cubelab\/cube-[0-9a-f]{10}$/);
  const hosts = l.plan.mounts.map((m) => m.host);
  assert.equal(hosts[0], `${l.remoteRoot}/workspace/data`, 'inside the cube: synced with it');
  assert.match(hosts[1] ?? '', new RegExp(`^${l.remoteRoot}/\\.cubelab-external/out-[0-9a-f]{10}$`), 'a sweep element\'s output folder travels apart (the cube sync leaves .cubelab out)');
  assert.match(hosts[2] ?? '', new RegExp(`^${l.remoteRoot}/\\.cubelab-external/config-[0-9a-f]{10}$`));
  assert.match(hosts[3] ?? '', /\.cubelab-external\/ext-[0-9a-f]{10}$/);
  assert.equal(hosts[4], '/home/u/shared/set', 'a mapped folder is used where it is');
  assert.deepEqual(l.uploads.map((u) => [u.local, u.kind]), [['/w/cube', 'cube'], ['/w/cube/.cubelab/runs/r1/elements/3/config', 'input'], ['/data/ext', 'input']]);
  assert.deepEqual(l.outputs.map((o) => o.local), ['/w/cube/.cubelab/runs/r1/elements/3/workspace/out']);
});
