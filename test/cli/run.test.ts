/**
 * `cubelab run` against the real local Docker engine (test/env/setup-docker.sh starts it; image
 * cubelab-test/busybox:1): the task's output streamed, its exit code, the record in the workspace folder's run store
 * (the one the editor's Runs view reads), Ctrl+C (SIGINT mid-run) stopping the run as the Stop button does, host
 * access refused without --allow-host-access, targets from .vscode/settings.json, and no prompt without a terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, removeDir, startCli, tempDir, writeFiles } from './helpers';

const MANIFEST = (cpuArgs = '--network=none') => `name: cli-run
docker:
  image: cubelab-test/busybox:1
  cpu_args: ${cpuArgs}
tasks:
  hello:
    entrypoint: /bin/sh /mlcube_io0/hello.sh
    parameters:
      inputs:
        script: {type: file, default: hello.sh}
      outputs:
        out: {type: directory, default: out}
  fail:
    entrypoint: /bin/sh /mlcube_io0/fail.sh
    parameters:
      inputs:
        script: {type: file, default: fail.sh}
  serve:
    entrypoint: /bin/sh /mlcube_io0/serve.sh
    parameters:
      inputs:
        script: {type: file, default: serve.sh}
`;

const SCRIPTS = {
  'workspace/hello.sh': 'echo "hello from the cube"\necho "a line on stderr" >&2\nout="${2#--out=}"\necho "result" > "$out/result.txt"\necho "bye"\n',
  'workspace/fail.sh': 'echo "failing on purpose"\nexit 7\n',
  'workspace/serve.sh': "trap 'echo got-term; exit 3' TERM\necho ready\nwhile true; do sleep 0.1; done\n",
};

/** A repository (a `.git` folder) with the cube in a sub folder: the workspace folder is the repository's root. */
function repoWithCube(name: string, manifest = MANIFEST()): { repo: string; cube: string; manifest: string } {
  const repo = tempDir(name);
  mkdirSync(join(repo, '.git'));
  const cube = join(repo, 'cubes', 'demo');
  writeFiles(cube, { 'mlcube.yaml': manifest, ...SCRIPTS });
  return { repo, cube, manifest: join(cube, 'mlcube.yaml') };
}

interface Record { runId: string; status: string; exitCode: number | null; stopRequested?: boolean; reason?: string; task: string; manifest: string; grants?: { items: string[] } }

function onlyRun(store: string): { id: string; record: Record; log: string } {
  const ids = readdirSync(store).filter((n) => !n.startsWith('.'));
  assert.equal(ids.length, 1, `one run in ${store}: ${ids.join(', ')}`);
  const dir = join(store, ids[0]);
  return { id: ids[0], record: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Record, log: readFileSync(join(dir, 'run.log'), 'utf8') };
}

test('run: streams the output, exits with the task\'s code, records the run in the repository\'s run store', { timeout: 120_000 }, async (t) => {
  const { repo, cube, manifest } = repoWithCube('run-ok');
  t.after(() => removeDir(repo));
  const r = await cli(['run', manifest, 'hello'], { cwd: cube });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello from the cube\nbye\n', 'the task\'s stdout, and nothing else, on stdout');
  assert.match(r.stderr, /^a line on stderr$/m);
  const store = join(repo, '.cubelab', 'runs');
  const { id, record, log } = onlyRun(store);
  assert.match(r.stderr, new RegExp(`^cubelab: run ${id} on local Docker engine`, 'm'));
  assert.match(r.stderr, new RegExp(`^cubelab: record: .*${id}/run\\.json$`, 'm'));
  assert.deepEqual([record.status, record.exitCode, record.task, record.manifest], ['succeeded', 0, 'hello', manifest]);
  assert.match(log, / out hello from the cube\n/);
  assert.match(log, / err a line on stderr\n/);
  assert.equal(readFileSync(join(cube, 'workspace', 'out', 'result.txt'), 'utf8'), 'result\n');
  assert.ok(existsSync(join(store, '.gitignore')), 'the store keeps runs out of git, as the editor\'s does');
  assert.doesNotMatch(r.stdout + r.stderr, /\r|\x1b\[/, 'no progress line when stdout is not a terminal');
});

test('run: a failing task\'s exit code is the CLI\'s; --workspace and the folder\'s settings (JSONC) choose the store', { timeout: 120_000 }, async (t) => {
  const { repo, manifest } = repoWithCube('run-fail');
  t.after(() => removeDir(repo));
  const other = join(repo, 'elsewhere');
  writeFiles(other, { '.vscode/settings.json': '{\n  // runs kept apart\n  "cubelab.runs.folder": "my-runs",\n  "cubelab.docker.stopGraceSeconds": 2, /* short */\n}\n' });
  const r = await cli(['run', manifest, 'fail', '--workspace', other], { cwd: repo });
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.stdout, 'failing on purpose\n');
  assert.match(r.stderr, /The task exited with code 7\./);
  const { record } = onlyRun(join(other, 'my-runs'));
  assert.deepEqual([record.status, record.exitCode], ['failed', 7]);
  assert.equal(existsSync(join(repo, '.cubelab')), false, 'nothing in the repository\'s own store');
});

test('run: Ctrl+C (SIGINT) mid-run stops the run as the Stop button does, and the CLI exits once the record is final', { timeout: 120_000 }, async (t) => {
  const { repo, manifest } = repoWithCube('run-stop');
  t.after(() => removeDir(repo));
  const { child, result } = startCli(['run', manifest, 'serve'], { cwd: repo });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the task did not start: ${out}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('ready\n')) { clearTimeout(timer); resolve(); } });
  });
  child.kill('SIGINT');
  const r = await result;
  assert.equal(r.code, 3, `the task's own exit code after SIGTERM\n${r.stderr}`);
  assert.equal(r.stdout, 'ready\ngot-term\n');
  assert.match(r.stderr, /SIGINT: stopping the run \(SIGTERM, then SIGKILL after 10 s\)/);
  assert.match(r.stderr, /Stopped by the user: ended after SIGTERM \(exit code 3\)\./);
  const { record, log } = onlyRun(join(repo, '.cubelab', 'runs'));
  assert.deepEqual([record.status, record.exitCode, record.stopRequested], ['stopped', 3, true]);
  assert.match(log, / out got-term\n/);
});

test('run: host access is refused without --allow-host-access, and recorded as granted with it', { timeout: 120_000 }, async (t) => {
  const { repo, manifest } = repoWithCube('run-grants', MANIFEST('--network=none --cap-add=SYS_ADMIN'));
  t.after(() => removeDir(repo));
  const refused = await cli(['run', manifest, 'hello'], { cwd: repo });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /refused: task hello of .* grants the container access to the host:\n {2}- adds the capability SYS_ADMIN\nRun it with --allow-host-access/);
  assert.equal(existsSync(join(repo, '.cubelab', 'runs')), false, 'nothing recorded');
  const allowed = await cli(['run', manifest, 'hello', '--allow-host-access'], { cwd: repo });
  assert.equal(allowed.code, 0, allowed.stderr);
  const { record } = onlyRun(join(repo, '.cubelab', 'runs'));
  assert.deepEqual(record.grants?.items, ['cap-add=SYS_ADMIN']);
});

test('run: targets: an unknown name is a usage error; a cubelab.targets entry is used, and nothing is asked without a terminal', { timeout: 120_000 }, async (t) => {
  const { repo, manifest } = repoWithCube('run-targets');
  t.after(() => removeDir(repo));
  const unknown = await cli(['run', manifest, 'hello', '--target', 'gpu-box'], { cwd: repo });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /there is no target named "gpu-box" \(targets: local; more in cubelab\.targets\)/);
  // A Docker host over SSH that does not answer (port 1 on the loopback): the run fails, it never waits for a password.
  writeFiles(repo, { '.vscode/settings.json': '{"cubelab.targets": [{"name": "gpu-box", "kind": "docker-ssh", "host": "nobody@127.0.0.1:1", "sshConfig": "/dev/null"}]}' });
  const ssh = await cli(['run', manifest, 'hello', '--target', 'gpu-box'], { cwd: repo, timeoutMs: 90_000 });
  assert.equal(ssh.code, 1, ssh.stderr);
  assert.match(ssh.stderr, /^cubelab run: .*(127\.0\.0\.1|gpu-box)/m);
  assert.doesNotMatch(ssh.stderr, /there is no target/);
});

test('run: usage and I/O errors: no task, a missing manifest, a plan mlcube refuses', async (t) => {
  const { repo, manifest } = repoWithCube('run-usage');
  t.after(() => removeDir(repo));
  const noTask = await cli(['run', manifest], { cwd: repo });
  assert.equal(noTask.code, 2);
  assert.match(noTask.stderr, /cubelab run: which task\?/);
  const missing = await cli(['run', join(repo, 'nope', 'mlcube.yaml'), 'hello'], { cwd: repo });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\/mlcube\.yaml: no such file/);
  const badTask = await cli(['run', manifest, 'nosuch'], { cwd: repo });
  assert.equal(badTask.code, 1);
  assert.match(badTask.stderr, /task nosuch/);
  assert.equal(existsSync(join(repo, '.cubelab')), false);
});
