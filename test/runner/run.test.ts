import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempWorkspace, newRunner, shellPlan, CollectingSink, writeFiles, docker, removeImage } from './helpers';
import { TargetError as RunnerError } from '../../client/src/runs/backend';
import { DockerTestRunner as DockerRunner } from './helpers';
import { RUN_ID_LABEL } from '../../shared/docker/containerSpec';

const IMAGE = 'cubelab-test/cube-run:1';
after(() => removeImage(IMAGE));

test('a cube task builds (auto), mounts ro/rw, gets its args and env, and writes its outputs', async () => {
  const { dir, store } = tempWorkspace('outputs');
  const cube = join(dir, 'cube');
  writeFiles(cube, {
    'mlcube.yaml': 'name: t\n',
    'build/Dockerfile': 'FROM cubelab-test/busybox:1\nARG GREETING=none\nENV GREETING=$GREETING\nCOPY task.sh /task.sh\nENTRYPOINT ["/bin/sh", "/task.sh"]\n',
    'build/task.sh': [
      'set -e',
      'echo "task=$1"; shift',
      'for a in "$@"; do case "$a" in --data=*) data="${a#--data=}";; --out=*) out="${a#--out=}";; esac; done',
      'echo "args=$*" > "$out/args.txt"',
      'cat "$data/input.txt" > "$out/copied.txt"',
      'if touch "$data/should-fail" 2>/dev/null; then echo data-writable >> "$out/checks.txt"; else echo data-readonly >> "$out/checks.txt"; fi',
      'if [ -e /secret.txt ]; then echo secret-present >> "$out/checks.txt"; else echo secret-ignored >> "$out/checks.txt"; fi',
      'echo "greeting=$GREETING env=$MY_ENV" >> "$out/checks.txt"',
      'echo "id=$(id -u):$(id -g)" >> "$out/checks.txt"',
      'echo to-stderr >&2',
    ].join('\n') + '\n',
    'build/secret.txt': 'do not send',
    'build/.dockerignore': 'secret.txt\n',
    'workspace/data/input.txt': 'hello data\n',
  });
  await removeImage(IMAGE);
  const runner = newRunner(store);
  const sink = new CollectingSink();
  const data = join(cube, 'workspace', 'data');
  const out = join(cube, 'workspace', 'out');
  const handle = await runner.run({
    manifest: join(cube, 'mlcube.yaml'), task: 'train', defaultNetwork: 'none', asHostUser: false,
    plan: shellPlan('', {
      image: IMAGE, entrypoint: [], args: ['train', '--data=/mlcube_io0', '--out=/mlcube_io1'],
      mounts: [{ host: data, container: '/mlcube_io0', mode: 'ro' }, { host: out, container: '/mlcube_io1', mode: 'rw' }],
      env: { MY_ENV: 'from-plan' }, runArgs: '--shm-size=64m --network=none', mkdirs: [data, out],
      imageBuild: { strategy: 'auto', context: join(cube, 'build'), file: join(cube, 'build', 'Dockerfile'), fileExists: true, buildArgs: '--build-arg GREETING=hi', action: 'build' },
    }),
  }, sink);
  const outcome = await handle.done;
  assert.deepEqual([outcome.status, outcome.exitCode], ['succeeded', 0], outcome.reason);
  assert.equal(readFileSync(join(out, 'args.txt'), 'utf8'), 'args=--data=/mlcube_io0 --out=/mlcube_io1\n');
  assert.equal(readFileSync(join(out, 'copied.txt'), 'utf8'), 'hello data\n');
  assert.deepEqual(readFileSync(join(out, 'checks.txt'), 'utf8').trim().split('\n'),
    ['data-readonly', 'secret-ignored', 'greeting=hi env=from-plan', 'id=0:0']);
  assert.deepEqual([...sink.lines].sort(), ['task=train', 'to-stderr'], 'stdout and stderr (their relative order is not kept by the engine)');
  assert.ok(sink.infos.some((l) => /Building cubelab-test\/cube-run:1/.test(l)), 'the image was built (auto, missing)');

  const rec = await store.read(handle.runId);
  assert.equal(rec.status, 'succeeded');
  assert.equal(rec.exitCode, 0);
  assert.match(rec.image.id ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual([rec.target.kind, rec.target.kind === 'docker' && rec.target.engine], ['docker', 'unix:///var/run/docker.sock']);
  assert.ok(rec.endedAt && rec.endedAt >= rec.startedAt);
  assert.deepEqual(rec.plan.args, ['train', '--data=/mlcube_io0', '--out=/mlcube_io1']);
  assert.match(rec.git?.commit ?? '', /^[0-9a-f]{40}$/, 'the workspace commit is recorded');
  assert.equal(typeof rec.git?.dirty, 'boolean');
  const log = readFileSync(store.logPath(handle.runId), 'utf8');
  assert.match(log, /^\S+Z out task=train$/m);
  assert.match(log, /^\S+Z err to-stderr$/m);
  // The container is removed once its log is on disk.
  const left = await docker.listContainers({ all: true, filters: { label: [`${RUN_ID_LABEL}=${handle.runId}`] } });
  assert.equal(left.length, 0);

  // auto: the image now exists, so the second run does not build.
  const sink2 = new CollectingSink();
  const h2 = await runner.run({ manifest: join(cube, 'mlcube.yaml'), task: 'train', defaultNetwork: 'none', asHostUser: true,
    plan: shellPlan('echo "id=$(id -u):$(id -g)"; touch /mlcube_io0/owned', { mounts: [{ host: out, container: '/mlcube_io0', mode: 'rw' }] }),
    build: { strategy: 'auto', context: join(cube, 'build'), file: join(cube, 'build', 'Dockerfile'), args: {} } }, sink2);
  assert.equal((await h2.done).status, 'succeeded');
  assert.ok(!sink2.infos.some((l) => /Building/.test(l)), 'auto does not rebuild an existing image');
  assert.deepEqual(sink2.lines, [`id=${process.getuid!()}:${process.getgid!()}`]);
  assert.equal(statSync(join(out, 'owned')).uid, process.getuid!());
});

test('build_strategy always rebuilds before every run; pull without a registry says how to build instead', async () => {
  const { dir, store } = tempWorkspace('strategies');
  writeFiles(dir, { 'build/Dockerfile': 'FROM cubelab-test/busybox:1\nENTRYPOINT ["echo", "built"]\n' });
  const build = { context: join(dir, 'build'), file: join(dir, 'build', 'Dockerfile'), args: {} };
  const runner = newRunner(store);
  for (let i = 0; i < 2; i++) {
    const sink = new CollectingSink();
    const h = await runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 't', defaultNetwork: 'none',
      plan: shellPlan('', { image: IMAGE + '-always', entrypoint: [], args: [] }), build: { strategy: 'always', ...build } }, sink);
    assert.equal((await h.done).status, 'succeeded');
    assert.ok(sink.infos.some((l) => /Building cubelab-test\/cube-run:1-always/.test(l)), `run ${i + 1} built the image`);
    assert.deepEqual(sink.lines, ['built']);
  }
  await removeImage(IMAGE + '-always');

  const missing = 'cubelab-test/never-built:1';
  await assert.rejects(runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 't', defaultNetwork: 'none',
    plan: shellPlan('', { image: missing }), build: { strategy: 'pull', ...build } }, new CollectingSink()),
  (e: Error) => e instanceof RunnerError && /Cannot pull cubelab-test\/never-built:1: .*set docker.build_strategy to auto/s.test(e.message));
  const { runs } = await store.list();
  const failed = runs.find((r) => r.plan.image === missing)!;
  assert.equal(failed.status, 'failed');
  assert.match(failed.reason ?? '', /Cannot pull/);
});

test('a failing task records its exit code and reason', async () => {
  const { dir, store } = tempWorkspace('failing');
  const runner = newRunner(store);
  const h = await runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 'broken', defaultNetwork: 'none', plan: shellPlan('echo about to fail; exit 42') }, new CollectingSink());
  const o = await h.done;
  assert.deepEqual([o.status, o.exitCode], ['failed', 42]);
  const rec = await store.read(h.runId);
  assert.equal(rec.exitCode, 42);
  assert.equal(rec.reason, 'The task exited with code 42.');
});

test('a flag CubeLab cannot translate fails before anything starts, naming the flag', async () => {
  const { dir, store } = tempWorkspace('badflag');
  const runner = newRunner(store);
  const before = (await docker.listContainers({ all: true })).length;
  await assert.rejects(runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 't', plan: shellPlan('echo hi', { runArgs: '--shm-size=1g --cgroupns=host' }) }, new CollectingSink()),
    (e: Error) => e instanceof RunnerError && e.code === 'bad-flag' && /"--cgroupns"/.test(e.message));
  assert.equal((await docker.listContainers({ all: true })).length, before);
  assert.equal(existsSync(store.root) ? readdirSync(store.root).filter((n) => !n.startsWith('.')).length : 0, 0, 'no run record');
});

test('GPUs requested where the engine has no GPU runtime: a clear message, a failed record', async () => {
  const { dir, store } = tempWorkspace('gpu');
  const runner = newRunner(store);
  await assert.rejects(runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 't', defaultNetwork: 'none', plan: shellPlan('echo hi', { gpus: 'all' }) }, new CollectingSink()),
    (e: Error) => e instanceof RunnerError && e.code === 'gpu' && /requests GPUs, but the Docker engine has no GPU runtime/.test(e.message) && /could not select device driver/.test(e.message));
  const { runs } = await store.list();
  assert.equal(runs[0].status, 'failed');
  const left = await docker.listContainers({ all: true, filters: { label: [`${RUN_ID_LABEL}=${runs[0].runId}`] } });
  assert.equal(left.length, 0, 'the container that could not start is removed');
});

test('no engine at the configured host: an actionable message, not a stack trace', async () => {
  const { dir, store } = tempWorkspace('noengine');
  const runner = new DockerRunner(store, { hostSetting: `unix://${dir}/no-docker.sock` });
  await assert.rejects(runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 't', plan: shellPlan('echo hi') }, new CollectingSink()),
    (e: Error) => e instanceof RunnerError && e.code === 'missing' && e.message.startsWith(`No Docker engine at unix://${dir}/no-docker.sock (from cubelab.docker.host)`));
});
