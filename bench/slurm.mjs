// `npm run bench:remote` (second part) or `npm run bench:slurm`: Slurm submission and polling at scale, on the
// real single-node cluster of test/env/setup-slurm.sh (sbatch on this machine).
//   1. A 1,000-element sweep submitted as ONE job array (CubeLab's backend: scripts written, one sbatch) vs
//      1,000 single `sbatch` calls of the same element scripts, in the same run. Jobs are held (--hold) so that
//      nothing runs; both are cancelled afterwards. Target: the array under 1 s; ratio printed.
//   2. While the 1,000-element array is active: scheduler calls per minute made by CubeLab's watch (one squeue
//      per poll, whatever N is; every call is logged by a shim on the PATH) and polls per minute.
//   3. Time from the start of a submission to the first status shown (the first element's state known).
//   4. Cancelling the array: one scancel, its time.
// Median of RUNS (CUBELAB_BENCH_SLURM_RUNS, default 3), spread printed.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.CUBELAB_BENCH_SLURM_RUNS ?? 3);
const N = 1000;
const WATCH_SECONDS = Number(process.env.CUBELAB_BENCH_SLURM_WATCH ?? 60);

execFileSync('bash', [join(root, 'test/env/setup-slurm.sh')], { stdio: 'inherit' });
const { SlurmBackend } = await import(join(root, 'client/src/backends/slurm/slurmBackend.ts'));
const { LocalShell } = await import(join(root, 'client/src/backends/slurm/clusterShell.ts'));
const { makePlan } = await import(join(root, 'test/unit/backends/planFixture.ts'));

mkdirSync(join(root, 'bench/out'), { recursive: true });
const work = mkdtempSync(join(root, 'bench/out/slurm-'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const spread = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

// A shim on the PATH logs every scheduler command CubeLab runs.
const shim = join(work, 'shim');
const calls = join(work, 'calls.log');
mkdirSync(shim);
for (const cmd of ['sbatch', 'squeue', 'sacct', 'scancel', 'scontrol']) {
  writeFileSync(join(shim, cmd), `#!/bin/sh\nprintf '%s %s\\n' "$(date +%s.%N)" "${cmd}" >> '${calls}'\nexec /usr/bin/${cmd} "$@"\n`);
  chmodSync(join(shim, cmd), 0o755);
}
const env = { PATH: `${shim}:${process.env.PATH}` };
const quiet = { info: () => undefined, detail: () => undefined, warn: () => undefined, progress: () => undefined };
const plan = (i) => makePlan({ image: 'cubelab-test/busybox:1', entrypoint: ['/bin/sh', '-c', 'sleep 600'], args: ['task'], root: work, workspace: join(work, `w${i}`) });
const backend = () => new SlurmBackend({ name: 'bench', workDir: join(work, 'cluster'), partition: 'debug', extraArgs: ['--hold'] }, { stopGraceSeconds: 2 }, { localEnv: env, minPollMs: 500 });
const shell = new LocalShell(env);
const countCalls = (cmd, since = 0) => readFileSync(calls, 'utf8').split('\n').filter((l) => l.endsWith(` ${cmd}`) && Number(l.split(' ')[0]) >= since).length;
writeFileSync(calls, '');

const arrayMs = [], singleMs = [], firstStatusMs = [], cancelMs = [];
let perMinute;
for (let run = 1; run <= RUNS; run++) {
  const b = backend();
  await b.probe();
  // 1. The array.
  const runId = `bench-${run}-${Date.now()}`;
  const t0 = performance.now();
  const sub = await b.submitArray({ runId, manifest: join(work, 'mlcube.yaml'), task: 'bench', elements: Array.from({ length: N }, (_, i) => ({ index: i, plan: plan(i) })), parallelism: N, defaultNetwork: 'none' }, quiet);
  arrayMs.push(performance.now() - t0);
  // 3. The first status (the watch's first poll after the submission).
  const first = sub.targets.get(0);
  const st = await b.poll(first);
  firstStatusMs.push(performance.now() - t0);
  if (st.state !== 'queued') throw new Error(`the held element is ${st.state}`);
  // 2. Scheduler calls while the array is active (first run only: it takes a minute).
  if (run === 1) {
    const since = Date.now() / 1000;
    const polls0 = b.watch.stats.polls;
    await new Promise((r) => setTimeout(r, WATCH_SECONDS * 1000));
    const minutes = WATCH_SECONDS / 60;
    perMinute = { squeue: countCalls('squeue', since) / minutes, sacct: countCalls('sacct', since) / minutes, polls: (b.watch.stats.polls - polls0) / minutes };
  }
  // 4. Cancel the array: one call.
  const c0 = performance.now();
  await b.cancelMany([...sub.targets.values()]);
  cancelMs.push(performance.now() - c0);
  await b.dispose();

  // 1'. The same element scripts, one sbatch each (what a backend without arrays does).
  const dir = join(work, 'cluster', 'runs', runId);
  for (let i = 0; i < N; i++) writeFileSync(join(dir, 'elements', String(i), 'single.sh'), `#!/bin/bash\n#SBATCH --job-name=cubelab-single-${runId}\n#SBATCH --output=/dev/null\n#SBATCH --hold\nbash "$PWD/elements/${i}/run.sh" "$PWD/elements/${i}"\n`);
  const ids = [];
  const s0 = performance.now();
  for (let i = 0; i < N; i++) {
    const r = await shell.run(`cd '${dir}' && sbatch --parsable elements/${i}/single.sh`);
    ids.push(r.stdout.toString().trim());
  }
  singleMs.push(performance.now() - s0);
  execFileSync('scancel', ['--name', `cubelab-single-${runId}`]);
}
rmSync(work, { recursive: true, force: true });

const row = (name, a, b) => `| ${name} | ${median(a).toFixed(0)} ms (${spread(a)}) | ${median(b).toFixed(0)} ms (${spread(b)}) | ${(median(a) / median(b)).toFixed(3)} |`;
console.log(`\n| Slurm (median of ${RUNS}, spread) | CubeLab | alternative | ratio |`);
console.log('|---|---|---|---|');
console.log(row(`${N}-element sweep submitted (one array vs ${N} single sbatch calls)`, arrayMs, singleMs));
console.log(`| submission to the first status on screen | ${median(firstStatusMs).toFixed(0)} ms (${spread(firstStatusMs)}) | | |`);
console.log(`| cancel the ${N}-element array (one scancel) | ${median(cancelMs).toFixed(0)} ms (${spread(cancelMs)}) | | |`);
console.log(`| scheduler calls per minute while the array is active (${WATCH_SECONDS} s) | ${perMinute.squeue.toFixed(1)} squeue + ${perMinute.sacct.toFixed(1)} sacct, ${perMinute.polls.toFixed(1)} polls | ${N} jobs | |`);
