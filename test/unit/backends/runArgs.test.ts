import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translateRunArgs, splitShellWords, parseBytes, gpuDeviceRequest, type HostFacts } from '../../../shared/docker/runArgs';
import { buildContainerSpec, RUN_ID_LABEL } from '../../../shared/docker/containerSpec';
import { makePlan } from './planFixture';
import type { TaskPlan } from '../../../shared/lsp-protocol';

const host: HostFacts = { env: { HF_TOKEN: 'abc', HOME: '/home/u' }, home: '/home/u', uid: 1000, gid: 1001 };

function ok(sources: string[], gpus: string | null = null) {
  const r = translateRunArgs(sources, gpus, host);
  if (!r.ok) assert.fail(`expected ok, got ${r.error}`);
  return r.value;
}

test('shell splitting: quotes, ~, $VAR, $(id -u):$(id -g)', () => {
  assert.deepEqual(splitShellWords(`-v ~/.ssh:/root/.ssh -e "A=b c" -e 'X=$HOME' -u $(id -u):$(id -g) -e T=$HF_TOKEN`, host),
    ['-v', '/home/u/.ssh:/root/.ssh', '-e', 'A=b c', '-e', 'X=$HOME', '-u', '1000:1001', '-e', 'T=abc']);
  assert.throws(() => splitShellWords('-e X=$(whoami)', host), /command substitution/);
  assert.throws(() => splitShellWords('--shm-size=1g; rm -rf /', host), /shell operator ";"/);
  assert.throws(() => splitShellWords('-e "A=b', host), /unterminated "/);
});

test('sizes are binary units as in the docker CLI', () => {
  assert.equal(parseBytes('1g'), 1024 ** 3);
  assert.equal(parseBytes('2gb'), 2 * 1024 ** 3);
  assert.equal(parseBytes('512m'), 512 * 1024 ** 2);
  assert.equal(parseBytes('12G'), 12 * 1024 ** 3);
  assert.equal(parseBytes('100'), 100);
  assert.equal(parseBytes('lots'), undefined);
});

test('the corpus flags translate to HostConfig fields', () => {
  const v = ok(['--shm-size=1g --ipc=host --network=host --runtime=nvidia --ulimit stack=67108864 --ulimit memlock=-1 --security-opt seccomp=unconfined -v /dev/shm:/dev/shm -e HF_TOKEN -e UNSET_VAR -e A=1 --memory=8g --cpuset-cpus=0-3 --user 1000:1000']);
  assert.equal(v.hostConfig.ShmSize, 1024 ** 3);
  assert.equal(v.hostConfig.IpcMode, 'host');
  assert.equal(v.hostConfig.NetworkMode, 'host');
  assert.equal(v.hostConfig.Runtime, 'nvidia');
  assert.deepEqual(v.hostConfig.Ulimits, [{ Name: 'stack', Soft: 67108864, Hard: 67108864 }, { Name: 'memlock', Soft: -1, Hard: -1 }]);
  assert.deepEqual(v.hostConfig.SecurityOpt, ['seccomp=unconfined']);
  assert.deepEqual(v.hostConfig.Binds, ['/dev/shm:/dev/shm']);
  assert.deepEqual(v.env, ['HF_TOKEN=abc', 'A=1']);
  assert.equal(v.hostConfig.Memory, 8 * 1024 ** 3);
  assert.equal(v.hostConfig.CpusetCpus, '0-3');
  assert.equal(v.user, '1000:1000');
  assert.deepEqual(v.warnings, []);
});

test('--shm-size with a separate value, --net alias, and later values win', () => {
  const v = ok(['--shm-size 4G --net=host', '--network=none']);
  assert.equal(v.hostConfig.ShmSize, 4 * 1024 ** 3);
  assert.equal(v.hostConfig.NetworkMode, 'none');
});

test('--privileged works with a warning; --rm is ignored with a note', () => {
  const v = ok(['--rm --privileged=true']);
  assert.equal(v.hostConfig.Privileged, true);
  assert.equal(v.warnings.length, 2);
  assert.match(v.warnings[1], /--privileged: the container gets full access/);
  assert.match(v.warnings[0], /--rm is ignored/);
});

test('--gpus forms become DeviceRequests; the plan spec is appended last as mlcube does', () => {
  assert.deepEqual(ok(['--gpus all']).hostConfig.DeviceRequests, [{ Driver: '', Count: -1, Capabilities: [['gpu']] }]);
  assert.deepEqual(ok(['--gpus=2']).hostConfig.DeviceRequests, [{ Driver: '', Count: 2, Capabilities: [['gpu']] }]);
  assert.deepEqual(ok(['--gpus="device=0,2"']).hostConfig.DeviceRequests, [{ Driver: '', Count: 0, DeviceIDs: ['0', '2'], Capabilities: [['gpu']] }]);
  assert.deepEqual(ok(['--gpus=all'], '1').hostConfig.DeviceRequests, [{ Driver: '', Count: 1, Capabilities: [['gpu']] }]);
  assert.equal(ok([], '').hostConfig.DeviceRequests, undefined);
  assert.equal(gpuDeviceRequest('banana'), 'invalid');
});

test('an untranslatable flag is an error naming it', () => {
  const r = translateRunArgs(['--shm-size=1g --cgroupns=host'], null, host);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.flag, '--cgroupns');
  assert.match(r.error, /The docker flag "--cgroupns" cannot be translated/);
  const w = translateRunArgs(['--memory=8g', 'python'], null, host);
  assert.ok(!w.ok && w.flag === 'python' && /Unexpected word "python"/.test(w.error));
  const v = translateRunArgs(['--memory'], null, host);
  assert.ok(!v.ok && /needs a value/.test(v.error));
  const s = translateRunArgs(['--memory=lots'], null, host);
  assert.ok(!s.ok && /not a size/.test(s.error));
});

const plan: TaskPlan = makePlan({
  image: 'cube:1', entrypoint: [], args: ['train', '--data=/mlcube_io0', '--out=/mlcube_io1/model.bin'],
  mounts: [{ host: '/w/data', container: '/mlcube_io0', mode: 'ro' }, { host: '/w/out', container: '/mlcube_io1', mode: '' }],
  env: { A: '1' }, runArgs: '--shm-size=1g -v /x:/y', gpus: null, mkdirs: ['/w/data', '/w/out'], warnings: ['w1'],
});

test('container spec: binds (plan first), env dict, labels, task args as Cmd', () => {
  const r = buildContainerSpec(plan, { runId: 'r1', manifest: '/w/mlcube.yaml', task: 'train', defaultNetwork: 'none' }, host);
  if (!r.ok) return assert.fail(r.error);
  assert.deepEqual(r.spec.HostConfig.Binds, ['/w/data:/mlcube_io0:ro', '/w/out:/mlcube_io1', '/x:/y']);
  assert.deepEqual(r.spec.Cmd, plan.args);
  assert.equal(r.spec.Entrypoint, undefined);
  assert.deepEqual(r.spec.Env, ['A=1']);
  assert.equal(r.spec.Labels[RUN_ID_LABEL], 'r1');
  assert.equal(r.spec.HostConfig.NetworkMode, 'none');
  assert.equal(r.spec.HostConfig.ShmSize, 1024 ** 3);
  assert.deepEqual(r.warnings, ['w1']);
});

test('container spec: multi-token entrypoint, env string, run as host user', () => {
  const r = buildContainerSpec({ ...plan, entrypoint: ['python', '/w/train.py', '-v'], args: ['--a=1'], env: '-e B=2 --env C=3', platforms: { ...plan.platforms, docker: { ...plan.platforms.docker, runArgs: '' } } },
    { runId: 'r2', manifest: '/w/mlcube.yaml', task: 'train', asHostUser: true }, host);
  if (!r.ok) return assert.fail(r.error);
  assert.deepEqual(r.spec.Entrypoint, ['python']);
  assert.deepEqual(r.spec.Cmd, ['/w/train.py', '-v', '--a=1']);
  assert.deepEqual(r.spec.Env, ['B=2', 'C=3']);
  assert.equal(r.spec.User, '1000:1001');
  assert.equal(r.spec.HostConfig.NetworkMode, undefined);
});

test('build_args: a dict passes through; mlcube\'s verbatim string is read flag by flag', async () => {
  const { buildArgs } = await import('../../../client/src/backends/docker/dockerBackend');
  assert.deepEqual(buildArgs({ A: '1' }, host), { buildargs: { A: '1' }, nocache: false, pull: false });
  assert.deepEqual(buildArgs('--build-arg A=1 --build-arg=B="x y" --no-cache --pull --build-arg HF_TOKEN', host),
    { buildargs: { A: '1', B: 'x y', HF_TOKEN: 'abc' }, nocache: true, pull: true });
  assert.throws(() => buildArgs('--squash', host), /The build flag "--squash" in docker.build_args cannot be translated/);
});
