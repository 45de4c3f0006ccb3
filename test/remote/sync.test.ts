/**
 * Docker over SSH, files and images: the cube folder and the inputs go up (only what changed, with the ignore
 * rules), the outputs come back (a local file changed since the last sync is not overwritten without asking),
 * data that already lives on the remote host is mounted where it is, the container runs as the remote account,
 * a full remote disk and a folder without permission are messages naming the path, GPU requests are checked
 * against the remote engine's runtimes, and a link dropped mid-run for longer than the keepalive loses nothing.
 * Against the real sshd and second Docker engine of test/env/setup-remote.sh.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { shellPlan } from '../runner/helpers';
import { TargetError } from '../../client/src/runs/backend';
import type { TaskPlan } from '../../shared/lsp-protocol';
import { REMOTE_HOME, linkDown, linkUp, remoteDocker, sshBackend, startRemote, supervisorFor, waitFor, workspace } from './helpers';
import { storedText } from '../contract/runContract';

before(() => startRemote());

function cube(dir: string, files: number): void {
  mkdirSync(join(dir, 'workspace', 'data'), { recursive: true });
  mkdirSync(join(dir, 'workspace', 'out'), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, 'workspace', 'data', `f${i}.txt`), `file ${i} `.repeat(50));
  writeFileSync(join(dir, 'mlcube.yaml'), 'name: remote-test\n');
}

function planIn(dir: string, script: string, over: Partial<TaskPlan> = {}): TaskPlan {
  return shellPlan(script, {
    root: dir, workspace: join(dir, 'workspace'),
    mounts: [
      { host: join(dir, 'workspace', 'data'), container: '/mlcube_io0', mode: 'ro', io: 'input' },
      { host: join(dir, 'workspace', 'out'), container: '/mlcube_io1', mode: '', io: 'output' },
    ],
    ...over,
  });
}

for (const method of ['rsync', 'builtin'] as const) {
  test(`${method}: outputs come back with their content; a second run sends only the changed files (bytes counted)`, { timeout: 120_000 }, async () => {
    const { dir, store } = workspace(`sync-${method}`);
    cube(dir, 40);
    writeFileSync(join(dir, '.cubelabignore'), 'secrets.env\n');
    writeFileSync(join(dir, 'secrets.env'), 'TOKEN=x\n');
    mkdirSync(join(dir, '.cubelab', 'notes'), { recursive: true });
    writeFileSync(join(dir, '.cubelab', 'notes', 'n.txt'), 'never sent');
    const b = sshBackend({ sync: method });
    const sup = supervisorFor(store, b);
    try {
      const script = 'cat /mlcube_io0/f3.txt | wc -c > /mlcube_io1/size.txt; id -u > /mlcube_io1/uid.txt; ls /mlcube_io0 | wc -l';
      const h1 = await sup.start({ backend: b, manifest: join(dir, 'mlcube.yaml'), task: 't', plan: planIn(dir, script), defaultNetwork: 'none', asHostUser: true });
      assert.equal((await h1.done).status, 'succeeded');
      assert.equal(readFileSync(join(dir, 'workspace', 'out', 'size.txt'), 'utf8').trim(), String('file 3 '.length * 50));
      const uid = execFileSync('id', ['-u', 'cubelab-remote']).toString().trim();
      assert.equal(readFileSync(join(dir, 'workspace', 'out', 'uid.txt'), 'utf8').trim(), uid, 'the container ran as the remote account');
      assert.deepEqual(storedText(store, h1.runId), ['40']);
      const first = b.syncs.get(h1.runId)!;
      assert.equal(first[0]!.method, method);
      const sent1 = first[0]!.files;
      assert.ok(sent1.includes('workspace/data/f0.txt') && sent1.includes('mlcube.yaml'));
      assert.ok(!sent1.includes('secrets.env'), '.cubelabignore is honoured');
      assert.ok(!sent1.some((f) => f.startsWith('.cubelab/')), '.cubelab/ is never sent');
      const r1 = await store.read(h1.runId);
      assert.equal(r1.outputs?.length, 1);
      assert.match(r1.outputs![0]!.location, /^cubelab-remote:\/home\/cubelab-remote\/cubelab-tests\/sync-.*\/workspace\/out$/);
      // Two files change; the second run sends those two only.
      writeFileSync(join(dir, 'workspace', 'data', 'f3.txt'), 'changed');
      writeFileSync(join(dir, 'workspace', 'data', 'new.txt'), 'new file');
      const h2 = await sup.start({ backend: b, manifest: join(dir, 'mlcube.yaml'), task: 't', plan: planIn(dir, script), defaultNetwork: 'none' });
      assert.equal((await h2.done).status, 'succeeded');
      const second = b.syncs.get(h2.runId)![0]!;
      assert.deepEqual(second.files.filter((f) => f.startsWith('workspace/data/')).sort(), ['workspace/data/f3.txt', 'workspace/data/new.txt']);
      assert.equal(second.bytes, second.files.reduce((n, f) => n + (f.startsWith('workspace/data/') ? (f.endsWith('f3.txt') ? 7 : 8) : readFileSync(join(dir, f)).length), 0));
      assert.equal(readFileSync(join(dir, 'workspace', 'out', 'size.txt'), 'utf8').trim(), '7');
    } finally { await sup.dispose(); await b.dispose(); }
  });
}

test('a local output changed since the last sync is not overwritten without asking', { timeout: 120_000 }, async () => {
  const { dir, store } = workspace('overwrite');
  cube(dir, 1);
  const answers: string[][] = [];
  let allow = false;
  const b = sshBackend({}, { confirmOverwrite: async (files) => { answers.push(files); return allow; } });
  const sup = supervisorFor(store, b);
  const run = async (text: string) => {
    const h = await sup.start({ backend: b, manifest: join(dir, 'mlcube.yaml'), task: 't', plan: planIn(dir, `echo ${text} > /mlcube_io1/result.txt`), defaultNetwork: 'none' });
    assert.equal((await h.done).status, 'succeeded');
    return h.runId;
  };
  try {
    await run('first');
    const out = join(dir, 'workspace', 'out', 'result.txt');
    assert.equal(readFileSync(out, 'utf8'), 'first\n');
    // The user edits the synced output; a later run would bring another one back.
    writeFileSync(out, 'my notes');
    const later = new Date(Date.now() + 5000);
    utimesSync(out, later, later);
    // The record of the first run is what the next sync compares with: its outputs were synced before the edit.
    await run('second');
    assert.equal(readFileSync(out, 'utf8'), 'my notes', 'kept: the user said no');
    assert.deepEqual(answers, [['result.txt']]);
  } finally { await sup.dispose(); await b.dispose(); }
});

test('data that already lives on the remote host (pathMappings) is mounted where it is, never copied', { timeout: 60_000 }, async () => {
  const { dir, store } = workspace('mapped');
  cube(dir, 1);
  const remoteData = `${REMOTE_HOME}/shared-datasets/mnist`;
  execFileSync('su', ['cubelab-remote', '-c', `mkdir -p ${remoteData} && echo remote-only > ${remoteData}/README`]);
  const localView = '/datasets/mnist'; // does not exist on this machine: it is the remote host's
  const b = sshBackend({ pathMappings: [{ local: '/datasets', remote: `${REMOTE_HOME}/shared-datasets` }] });
  const sup = supervisorFor(store, b);
  try {
    const plan = planIn(dir, 'cat /mlcube_io2/README', { mounts: [...planIn(dir, '').mounts, { host: localView, container: '/mlcube_io2', mode: 'ro', io: 'input' }] });
    const h = await sup.start({ backend: b, manifest: join(dir, 'mlcube.yaml'), task: 't', plan, defaultNetwork: 'none' });
    assert.equal((await h.done).status, 'succeeded');
    assert.deepEqual(storedText(store, h.runId), ['remote-only']);
    assert.ok(!b.syncs.get(h.runId)!.some((s) => s.files.some((f) => f.includes('README'))), 'nothing of the mapped folder was sent');
    assert.equal(existsSync(localView), false);
  } finally { await sup.dispose(); await b.dispose(); }
});

test('a full remote disk and a remote folder without permission: messages that name the path', { timeout: 60_000 }, async () => {
  const { dir, store } = workspace('full');
  cube(dir, 1);
  writeFileSync(join(dir, 'workspace', 'data', 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
  for (const method of ['rsync', 'builtin'] as const) {
    const b = sshBackend({ workDir: '/var/lib/cubelab-remote/tiny', sync: method });
    const sup = supervisorFor(store, b);
    try {
      await assert.rejects(sup.start({ backend: b, manifest: join(dir, 'mlcube.yaml'), task: 't', plan: planIn(dir, 'true'), defaultNetwork: 'none' }),
        (e: Error) => e instanceof TargetError && /The disk of cubelab-remote is full while writing \/var\/lib\/cubelab-remote\/tiny/.test(e.message));
    } finally { await sup.dispose(); await b.dispose(); }
  }
  const denied = sshBackend({ workDir: '/var/lib/cubelab-remote/ssh/runs' });
  const sup = supervisorFor(store, denied);
  try {
    await assert.rejects(sup.start({ backend: denied, manifest: join(dir, 'mlcube.yaml'), task: 't', plan: planIn(dir, 'true'), defaultNetwork: 'none' }),
      (e: Error) => e instanceof TargetError && /refuses to write \/var\/lib\/cubelab-remote\/ssh.* \(permission denied\)/.test(e.message));
  } finally { await sup.dispose(); await denied.dispose(); }
});

test('GPUs requested where the remote engine has no GPU runtime: refused before anything starts, naming its runtimes', async () => {
  const { dir, store } = workspace('gpu');
  cube(dir, 1);
  const b = sshBackend();
  const sup = supervisorFor(store, b);
  try {
    await assert.rejects(sup.start({ backend: b, manifest: join(dir, 'mlcube.yaml'), task: 't', plan: planIn(dir, 'true', { gpus: '1' }), defaultNetwork: 'none' }),
      (e: Error) => e instanceof TargetError && e.code === 'gpu' && /the Docker engine on cubelab-remote has no GPU runtime \(its runtimes: .*runc/.test(e.message));
  } finally { await sup.dispose(); await b.dispose(); }
});

test('the link dropped mid-run for longer than the keepalive: target-unreachable, the container keeps running, re-attached with every line once', { timeout: 180_000 }, async () => {
  const { dir, store } = workspace('linkdrop');
  cube(dir, 1);
  const b = sshBackend();
  const sup = supervisorFor(store, b, 1000);
  const lines: string[] = [];
  const h = await sup.start({ backend: b, manifest: join(dir, 'mlcube.yaml'), task: 't', defaultNetwork: 'none',
    plan: planIn(dir, 'i=0; while [ $i -lt 90 ]; do i=$((i+1)); echo "tick $i"; sleep 0.5; done') }, { line: (t) => lines.push(t), info: () => undefined });
  const id = h.target.kind === 'docker-ssh' ? h.target.containerId! : '';
  try {
    await waitFor(() => lines.length >= 5, 30_000, 'the first lines');
    linkDown();
    await waitFor(async () => (await store.read(h.runId)).status === 'target-unreachable', 45_000, 'target-unreachable');
    assert.equal((await remoteDocker.getContainer(id).inspect()).State.Running, true, 'the container keeps running on the remote host');
    linkUp();
    const o = await h.done;
    assert.deepEqual([o.status, o.exitCode], ['succeeded', 0]);
    assert.deepEqual(storedText(store, h.runId), Array.from({ length: 90 }, (_, i) => `tick ${i + 1}`));
  } finally {
    linkUp();
    await remoteDocker.getContainer(id).remove({ force: true }).catch(() => undefined);
    await sup.dispose(); await b.dispose();
  }
});

test('an image that exists only in the local engine is copied to the remote one over the connection (save | load, streamed)', { timeout: 120_000 }, async () => {
  const image = 'cubelab-test/local-only:1';
  execFileSync('/usr/bin/docker', ['tag', 'cubelab-test/busybox:1', image]);
  await remoteDocker.getImage(image).remove({ force: true }).catch(() => undefined);
  const b = sshBackend();
  const infos: string[] = [];
  try {
    const { DockerBackend } = await import('../../client/src/backends/docker/dockerBackend');
    const local = new DockerBackend({ name: 'local' });
    await b.copyImageFromLocal(image, local.engine, { info: (t) => infos.push(t), detail: () => undefined, warn: () => undefined, progress: () => undefined });
    const there = await remoteDocker.getImage(image).inspect();
    const here = await local.engine.getImage(image).inspect();
    assert.equal(there.Id, here.Id, 'the same image, byte for byte');
    assert.deepEqual(infos, [`Copying ${image} from the local engine to cubelab-remote`, `Copied ${image} to cubelab-remote`]);
  } finally {
    await b.dispose();
    await remoteDocker.getImage(image).remove({ force: true }).catch(() => undefined);
    execFileSync('/usr/bin/docker', ['rmi', image]);
  }
});
