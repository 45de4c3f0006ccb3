import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { tempWorkspace, shellPlan, CollectingSink, waitFor, docker, BASE_IMAGE, repoRoot } from './helpers';
import { DockerTestRunner as DockerRunner } from './helpers';

// A second, private engine WITHOUT --live-restore (a user's default): its containers die with it.
const base = join(repoRoot, 'test', 'out', 'dockerd-no-live-restore');
const sock = join(base, 'docker.sock');
let daemon: ChildProcess | undefined;

function startDaemon(): ChildProcess {
  mkdirSync(base, { recursive: true });
  const log = openSync(join(base, 'dockerd.log'), 'a');
  return spawn('/usr/sbin/dockerd', [
    '--host', `unix://${sock}`, '--data-root', join(base, 'root'), '--exec-root', join(base, 'exec'), '--pidfile', join(base, 'docker.pid'),
    '--bridge=none', '--iptables=false', '--ip-masq=false', '--shutdown-timeout=1',
  ], { stdio: ['ignore', log, log] });
}

async function stopDaemon(d: ChildProcess | undefined): Promise<void> {
  if (!d || d.exitCode !== null) return;
  const exited = new Promise((r) => d.once('exit', r));
  d.kill('SIGTERM');
  await exited;
}

after(async () => {
  await stopDaemon(daemon);
  rmSync(base, { recursive: true, force: true });
});

test('an engine without --live-restore going away mid-run: the run is recorded as failed, with the reason', async () => {
  rmSync(base, { recursive: true, force: true });
  daemon = startDaemon();
  const second = new Dockerode({ socketPath: sock });
  await waitFor(() => second.ping().then(() => true, () => false), 30000, 'the second engine');
  await second.loadImage(await docker.getImage(BASE_IMAGE).get());

  const { dir, store } = tempWorkspace('no-live-restore');
  const runner = new DockerRunner(store, { hostSetting: `unix://${sock}`, engineRetryMs: 250 });
  const sink = new CollectingSink();
  const h = await runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 'slow', defaultNetwork: 'none', keepContainer: true,
    plan: shellPlan('i=0; while [ $i -lt 600 ]; do i=$((i+1)); echo "tick $i"; sleep 0.05; done') }, sink);
  await waitFor(() => sink.lines.length >= 10, 20000, '10 lines');
  // Without --live-restore the engine kills the container first, then goes away; the run ends either way
  // (seen dead before the engine leaves, or after it comes back), and its record says why.
  const stopping = stopDaemon(daemon);
  const o = await h.done;
  await stopping;
  assert.equal(o.status, 'failed');
  assert.notEqual(o.exitCode, 0);
  assert.match(o.reason ?? '', /^The Docker engine went away during the run and the container ended with code \d+ \(an engine without --live-restore stops its containers when it stops\)\.$/);
  const rec = await store.read(h.runId);
  assert.equal(rec.status, 'failed');
  assert.equal(rec.reason, o.reason);
  assert.ok(sink.lines.length < 600, 'the task did not get to finish');
});
