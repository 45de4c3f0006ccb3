// `npm run bench:remote`: Docker over SSH against the obvious alternatives, on the remote host the tests use
// (test/env/setup-remote.sh: sshd and a second Docker engine in a namespace, reached over a veth pair).
//   1. Run to first log line, cold (no SSH connection yet) and warm: CubeLab's run supervisor with the
//      docker-ssh backend vs `docker -H ssh://cubelab-remote run` with ControlMaster auto and ControlPersist in
//      the SSH config it uses (the CLI's best case). Target: ratio <= 1.0 for both.
//   2. Sync of a 1,000-file workspace after 10 files changed: CubeLab's rsync path and its own transfer
//      (no rsync) vs `rsync -az` over the same SSH, bytes counted on the wire by a ProxyCommand of the
//      benchmark's own (bench/lib/countingProxy.mjs), each on a fresh connection. Targets: rsync path <= 1.2x
//      bytes and time; own transfer <= 1.2x bytes and <= 1.5x time.
// Median of RUNS (CUBELAB_BENCH_REMOTE_RUNS, default 5), spread printed.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const RUNS = Number(process.env.CUBELAB_BENCH_REMOTE_RUNS ?? 5);
const FILES = 1000, CHANGED = 10;
const CLIENT = '/var/lib/cubelab-remote/client';
const SOCK = '/run/cubelab-remote/docker.sock';
const IMAGE = 'cubelab-test/busybox:1';

execFileSync('bash', [join(root, 'test/env/setup-remote.sh')], { stdio: 'inherit' });
execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'ignore' });
const { Supervisor, RunStore, DockerSshBackend } = require(join(root, 'dist/runner.js'));
const { SshConnection } = await import(join(root, 'client/src/backends/ssh/connection.ts'));
const sync = await import(join(root, 'client/src/backends/ssh/sync.ts'));

mkdirSync(join(root, 'bench/out'), { recursive: true });
const work = mkdtempSync(join(root, 'bench/out/remote-'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const spread = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

// An SSH config for the CLI: the tests' one plus connection sharing, in a home of the benchmark's own.
const home = join(work, 'home');
mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
writeFileSync(join(home, '.ssh', 'config'), readFileSync(join(CLIENT, 'ssh_config'), 'utf8').replace(/^Host cubelab-remote$/m,
  `Host cubelab-remote\n  ControlMaster auto\n  ControlPath ${join(home, '.ssh', 'cm-%C')}\n  ControlPersist 600`));
// ssh reads ~ from the account database, not $HOME: an `ssh` first on the CLI's PATH adds -F with that config.
mkdirSync(join(home, 'bin'), { recursive: true });
writeFileSync(join(home, 'bin', 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${join(home, '.ssh', 'config')} "$@"\n`, { mode: 0o755 });
const cliEnv = { ...process.env, HOME: home, PATH: `${join(home, 'bin')}:${process.env.PATH}` };

function cliFirstLine() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('/usr/bin/docker', ['-H', 'ssh://cubelab-remote', 'run', '--rm', '--network', 'none', IMAGE, 'echo', 'first'], { env: cliEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let got = false, err = '';
    p.stdout.on('data', (b) => { if (!got && b.toString().includes('first')) { got = true; resolve(performance.now() - t0); } });
    p.stderr.on('data', (b) => { err += b; });
    p.on('close', (code) => { if (!got) reject(new Error(`docker -H ssh:// exited ${code}: ${err}`)); });
  });
}
const cliCold = () => { try { execFileSync(join(home, 'bin', 'ssh'), ['-O', 'exit', 'cubelab-remote'], { env: cliEnv, stdio: 'ignore' }); } catch { /* no master */ } };

const cube = join(work, 'cube');
mkdirSync(join(cube, 'workspace', 'out'), { recursive: true });
writeFileSync(join(cube, 'mlcube.yaml'), 'name: bench\n');
const plan = {
  taskName: 'bench', image: IMAGE, root: cube, workspace: join(cube, 'workspace'), entrypoint: ['/bin/sh', '-c', 'echo first'], args: ['bench'], paramArgs: [],
  mounts: [{ host: join(cube, 'workspace', 'out'), container: '/mlcube_io0', mode: '', io: 'output' }], env: {}, gpus: null, mkdirs: [], workspaceSync: [], warnings: [],
  platforms: { docker: { tool: 'docker', runArgs: '--network=none', command: '', imageBuild: { strategy: 'pull', context: cube, file: join(cube, 'Dockerfile'), fileExists: false, buildArgs: {}, action: 'pull' } }, singularity: null },
};
const newBackend = () => new DockerSshBackend({ name: 'bench', host: 'cubelab-remote', socket: SOCK, workDir: '~/cubelab-bench' }, { stopGraceSeconds: 2 }, { configFile: join(CLIENT, 'ssh_config') });

async function cubelabFirstLine(backend) {
  const store = new RunStore(join(work, 'runs'));
  const sup = new Supervisor({ store, backendFor: (t) => (backend.owns(t) ? backend : undefined) });
  const t0 = performance.now();
  let first;
  const seen = new Promise((r) => { first = r; });
  const h = await sup.start({ backend, manifest: join(cube, 'mlcube.yaml'), task: 'bench', plan }, { line: () => first(performance.now() - t0), info: () => undefined });
  const ms = await seen;
  await h.done;
  await sup.dispose();
  return ms;
}

// Warm-ups (image layers cached, the remote cube folder created).
{ const b = newBackend(); await cubelabFirstLine(b); await b.dispose(); cliCold(); await cliFirstLine(); }

const cold = { cubelab: [], cli: [] }, warm = { cubelab: [], cli: [] };
const warmBackend = newBackend();
await cubelabFirstLine(warmBackend);
await cliFirstLine();
for (let i = 0; i < RUNS; i++) {
  const b = newBackend();
  cold.cubelab.push(await cubelabFirstLine(b));
  await b.dispose();
  cliCold();
  cold.cli.push(await cliFirstLine());
  warm.cubelab.push(await cubelabFirstLine(warmBackend));
  warm.cli.push(await cliFirstLine());
}
await warmBackend.dispose();
cliCold();

// ---- sync
const ws = join(work, 'ws');
for (let i = 0; i < FILES; i++) {
  const d = join(ws, `d${i % 20}`);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, `f${i}.txt`), `${i} `.repeat(600 + (i % 50) * 20));
}
const counts = join(work, 'wire.txt');
const proxyOpts = [`ProxyCommand=${process.execPath} ${join(root, 'bench/lib/countingProxy.mjs')} %h %p ${counts}`];
const wire = async (work) => {
  writeFileSync(counts, '');
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  // The proxy writes its count when the connection closes.
  for (let i = 0; i < 100 && readFileSync(counts, 'utf8').trim() === ''; i++) await new Promise((r) => setTimeout(r, 20));
  const bytes = readFileSync(counts, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' ').map(Number)).reduce((n, [s, r]) => n + s + r, 0);
  return { ms, bytes };
};
const cubelabSync = (method, remote) => wire(async () => {
  const c = new SshConnection({ host: 'cubelab-remote', configFile: join(CLIENT, 'ssh_config'), options: proxyOpts });
  const files = await sync.listLocal(ws);
  await sync.push(c, ws, remote, files, method);
  await c.dispose();
});
const rsyncSync = (remote) => wire(() => new Promise((resolve, reject) => {
  const e = `ssh -F ${join(CLIENT, 'ssh_config')} -o ${JSON.stringify(proxyOpts[0])}`;
  const p = spawn('rsync', ['-az', '-e', e, `${ws}/`, `cubelab-remote:${remote}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (b) => { err += b; });
  p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`rsync: ${err}`))));
}));
const touch = (round) => { for (let i = 0; i < CHANGED; i++) writeFileSync(join(ws, `d${(i * 7) % 20}`, `f${(i * 97 + round) % FILES}.txt`), `changed ${round} ${i} `.repeat(700)); };

const remoteBase = `/home/cubelab-remote/cubelab-bench-sync`;
execFileSync('ssh', ['-F', join(CLIENT, 'ssh_config'), 'cubelab-remote', `rm -rf ${remoteBase}`]);
// Initial copies (not measured).
await cubelabSync('rsync', `${remoteBase}/c-rsync`); await cubelabSync('builtin', `${remoteBase}/c-own`); await rsyncSync(`${remoteBase}/r`);
const res = { rsync: [], own: [], ref: [] };
for (let round = 1; round <= RUNS; round++) {
  touch(round);
  res.ref.push(await rsyncSync(`${remoteBase}/r`));
  res.rsync.push(await cubelabSync('rsync', `${remoteBase}/c-rsync`));
  res.own.push(await cubelabSync('builtin', `${remoteBase}/c-own`));
}
rmSync(work, { recursive: true, force: true });

const row = (name, a, b, unit = 'ms') => `| ${name} | ${median(a).toFixed(0)} ${unit} (${spread(a)}) | ${median(b).toFixed(0)} ${unit} (${spread(b)}) | ${(median(a) / median(b)).toFixed(2)} |`;
console.log(`\n| measure (median of ${RUNS}, spread) | CubeLab | alternative | ratio |`);
console.log('|---|---|---|---|');
console.log(row('run to first log line, cold (vs docker -H ssh://, ControlMaster)', cold.cubelab, cold.cli));
console.log(row('run to first log line, warm (vs docker -H ssh://, ControlMaster)', warm.cubelab, warm.cli));
const ms = (xs) => xs.map((x) => x.ms), by = (xs) => xs.map((x) => x.bytes);
console.log(row(`sync ${FILES} files, ${CHANGED} changed: rsync path, time (vs rsync -az)`, ms(res.rsync), ms(res.ref)));
console.log(row('same, bytes on the wire', by(res.rsync), by(res.ref), 'B'));
console.log(row('sync, own transfer (no rsync), time (vs rsync -az)', ms(res.own), ms(res.ref)));
console.log(row('same, bytes on the wire', by(res.own), by(res.ref), 'B'));
