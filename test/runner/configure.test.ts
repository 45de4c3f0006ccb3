import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempWorkspace, newRunner, shellPlan, CollectingSink, writeFiles, removeImage, docker, waitFor } from './helpers';
import { TargetError as RunnerError, type CancelToken, type RunSink } from '../../client/src/runs/backend';

class Cancel implements CancelToken {
  cancelled = false;
  private listeners: (() => void)[] = [];
  onCancel(l: () => void): void { this.listeners.push(l); }
  cancel(): void { this.cancelled = true; for (const l of this.listeners) l(); }
}

test('build_strategy pull: the image is pulled from a real registry with per-layer progress, a Dockerfile is ignored', async () => {
  const { dir, store } = tempWorkspace('pull');
  // An image with a layer of its own (random bytes), pushed to the loopback registry and removed locally.
  const remote = '127.0.0.1:5000/cubelab-test/pull-test:1';
  writeFiles(dir, { 'Dockerfile': 'FROM cubelab-test/busybox:1\nRUN head -c 3000000 /dev/urandom > /blob\n' });
  const runner = newRunner(store);
  await runner.configure(remote, { strategy: 'auto', context: dir, file: join(dir, 'Dockerfile'), args: '--no-cache' }, new CollectingSink());
  const push = await docker.getImage(remote).push({ authconfig: { serveraddress: '127.0.0.1:5000' } }) as unknown as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(push, (err: Error | null, out: { error?: string }[]) => {
    const bad = out?.find((e) => e.error);
    if (err || bad) reject(err ?? new Error(bad!.error)); else resolve();
  }));
  await removeImage(remote);

  try {
    await pullAndRun(remote, dir, store, runner);
  } finally {
    await removeImage(remote);
  }
});

async function pullAndRun(remote: string, dir: string, store: ReturnType<typeof tempWorkspace>['store'], runner: ReturnType<typeof newRunner>): Promise<void> {
  const progress: { message: string; current?: number; total?: number }[] = [];
  const sink: RunSink & CollectingSink = Object.assign(new CollectingSink(), {
    progress: (message: string, current?: number, total?: number) => { progress.push({ message, current, total }); },
  });
  const h = await runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 't', defaultNetwork: 'none',
    plan: shellPlan('wc -c < /blob', { image: remote, imageBuild: { strategy: 'pull', context: dir, file: join(dir, 'Dockerfile'), fileExists: true, buildArgs: {}, action: 'pull' } }) }, sink);
  const o = await h.done;
  assert.equal(o.status, 'succeeded', o.reason);
  assert.deepEqual(sink.lines, ['3000000']);
  assert.ok(sink.infos.some((l) => /build_strategy is "pull": ignoring .*Dockerfile/.test(l)));
  assert.ok(sink.infos.includes(`Pulled ${remote}`));
  const sized = progress.filter((p) => p.total);
  assert.ok(sized.length > 0, `byte progress was reported (${JSON.stringify(progress.slice(0, 5))})`);
  const last = progress[progress.length - 1];
  assert.match(last.message, /^Pulling 127\.0\.0\.1:5000\/cubelab-test\/pull-test:1: 3 layer\(s\)$/);
  assert.ok(last.total && last.total >= 3000000 && last.current === last.total, `all bytes accounted for (${last.current}/${last.total})`);
  const log = readFileSync(store.logPath(h.runId), 'utf8');
  assert.match(log, / sys [0-9a-f]{12}: Pull complete\n/, 'per-layer status lines in the run log');
  assert.match(log, / sys [0-9a-f]{12}: Already exists\n/, 'the busybox layer was already there');
  const img = await docker.getImage(remote).inspect();
  assert.equal((await store.read(h.runId)).image.digest, img.RepoDigests[0]);
  assert.match(img.RepoDigests[0], /^127\.0\.0\.1:5000\/cubelab-test\/pull-test@sha256:[0-9a-f]{64}$/);
}

test('configure (explicit) builds for auto and is cancellable mid-build', async () => {
  const { dir, store } = tempWorkspace('cancel-build');
  writeFiles(dir, { 'Dockerfile': 'FROM cubelab-test/busybox:1\nRUN echo step-started && sleep 30\n' });
  const image = 'cubelab-test/slow-build:1';
  const runner = newRunner(store);
  const sink = new CollectingSink();
  const cancel = new Cancel();
  const t0 = Date.now();
  const p = runner.configure(image, { strategy: 'auto', context: dir, file: join(dir, 'Dockerfile'), args: {} }, sink, cancel);
  await waitFor(() => sink.infos.includes('step-started'), 30000, 'the RUN step to start');
  cancel.cancel();
  await assert.rejects(p, (e: Error) => e instanceof RunnerError && e.code === 'cancelled' && e.message === `Build of ${image} cancelled.`);
  assert.ok(Date.now() - t0 < 20000, 'did not wait for the 30 s step');
  await assert.rejects(docker.getImage(image).inspect(), 'no image was tagged');
});
