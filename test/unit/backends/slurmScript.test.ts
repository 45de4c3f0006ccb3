/**
 * The Slurm backend's batch scripts (client/src/backends/slurm/batchScript.ts): every generated script passes
 * Debian's `shellcheck` (test/env/setup-slurm.sh installs it); the apptainer/singularity scripts are compared with
 * golden files (test/fixtures/slurm/*.golden.sh; no Apptainer is packaged for Debian 12), CUBELAB_UPDATE_GOLDEN=1
 * rewrites them; no secret value lands in a script; extra sbatch arguments are options, quoted for sbatch's parser
 * and for the shell alike. The scripts' traps are run for real with bash and a stand-in `docker`/`apptainer` on
 * the PATH (the real engines and Slurm run them in the Slurm tier).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import {
  arrayRanges, checkExtraArg, chunkOf, generateBatchScripts, sbatchQuote, shellQuote,
  type BatchScriptInput, type ContainerRuntime, type GeneratedBatch, type SbatchSettings,
} from '../../../client/src/backends/slurm/batchScript';
import { planSecrets } from '../../../client/src/runs/secrets';
import type { SingularityPlatformPlan, TaskPlan } from '../../../shared/lsp-protocol';
import { makePlan } from './planFixture';

const GOLDEN = join(__dirname, '..', '..', 'fixtures', 'slurm');
const RUN_DIR = '/scratch/runs/20240131-101500-train-a1b2c3';
const RUN_ID = '20240131-101500-train-a1b2c3';
const API_KEY = 'sk-live-7f3a9c1e5b';
const TOKEN = 'tok-4d2e8b6a0c9f';
const DIGEST = `sha256:${'ab12'.repeat(16)}`;

function singularity(over: Partial<SingularityPlatformPlan> = {}, token = true): SingularityPlatformPlan {
  const binds = ['/scratch/cube/workspace/data:/mlcube_io0:ro', '/scratch/cube/workspace/model:/mlcube_io1'];
  const image = '/scratch/cube/workspace/.image/mnist-0.0.1.sif';
  const args = ['train', '--data_dir=/mlcube_io0', ...(token ? [`--token=${TOKEN}`] : []), '--model_dir=/mlcube_io1'];
  return {
    executable: 'singularity', image, buildFile: 'docker://mlcommons/mnist:0.0.1', buildArgs: '--fakeroot',
    runArgs: '-C --writable-tmpfs --nv', binds, verb: 'run',
    buildCommand: `cd /scratch/cube ; singularity build --fakeroot ${image} docker://mlcommons/mnist:0.0.1`,
    command: `singularity run -C --writable-tmpfs --nv ${binds.map((b) => `--bind ${b}`).join(' ')} ${image} ${args.join(' ')}`,
    ...over,
  };
}

/** A plan with a secret env value and a parameter resolved from `${oc.env:TOKEN}` (a secret on the command line). */
function plan(i = 0, over: Partial<TaskPlan> = {}): TaskPlan {
  const p = makePlan({
    image: 'mlcommons/mnist:0.0.1', root: '/scratch/cube', workspace: '/scratch/cube/workspace',
    args: ['train', `--lr=0.${i + 1}`, `--token=${TOKEN}`],
    mounts: [{ host: '/scratch/cube/workspace/data', container: '/mlcube_io0', mode: 'ro' }, { host: `/scratch/cube/workspace/out-${i}`, container: '/mlcube_io1', mode: '' }],
    env: { API_KEY, MODE: 'it\'s "quoted" $HOME' },
    envRefs: [{ name: 'TOKEN', value: TOKEN }],
    runArgs: '--shm-size=1g --ipc=host -e HF_HOME=/workspace/cache --ulimit memlock=-1 --gpus=device=0,1',
    ...over,
  });
  p.platforms.singularity = singularity();
  return p;
}

function input(over: Partial<BatchScriptInput> = {}): BatchScriptInput {
  return {
    runId: RUN_ID, runDir: RUN_DIR, manifest: '/scratch/cube/mlcube.yaml', task: 'train',
    settings: {
      partition: 'gpu', timeLimit: '1-02:00:00', cpus: 4, memory: '16G', gpus: 2, account: 'proj-42', qos: 'normal',
      preamble: ['module load apptainer', 'export OMP_NUM_THREADS=4'],
      extraArgs: ['--constraint=a100&nvlink', `--comment=it's a "sweep"; #1 \\o/ $(date)`, '--exclusive'],
    },
    runtime: 'docker', elements: [{ index: 0, plan: plan(0) }], sweep: false,
    host: { env: {}, home: '/home/u' }, defaultNetwork: 'none',
    ...over,
  };
}

/** A script's text with its continuation lines joined. */
const flat = (text: string): string => text.replace(/ \\\n\s+/g, ' ');

function gen(over: Partial<BatchScriptInput> = {}): GeneratedBatch {
  const r = generateBatchScripts(input(over));
  if (!r.ok) assert.fail(r.error);
  return r.value;
}

/** A plan without any secret: no env file, no args file. */
function noSecrets(): TaskPlan {
  const p = plan(0, { env: {}, envRefs: [], args: ['train', '--lr=0.1'] });
  p.platforms.docker.runArgs = '--shm-size=1g';
  p.platforms.singularity = singularity({}, false);
  return p;
}

const sweep = (n: number, from = 0): BatchScriptInput['elements'] => Array.from({ length: n }, (_, k) => ({ index: from + k, plan: plan(from + k) }));

const CASES: { name: string; over: Partial<BatchScriptInput> }[] = [];
for (const runtime of ['docker', 'podman', 'apptainer', 'singularity'] as ContainerRuntime[]) {
  const gpus = runtime === 'podman' ? { runArgs: '--shm-size=1g -e HF_HOME=/workspace/cache --gpus=all' } : {};
  const els = (n: number) => sweep(n).map((e) => ({ ...e, plan: { ...e.plan, platforms: { ...e.plan.platforms, docker: { ...e.plan.platforms.docker, ...gpus } } } }));
  CASES.push({ name: `${runtime} task`, over: { runtime, elements: els(1) } });
  CASES.push({ name: `${runtime} sweep`, over: { runtime, elements: els(5), sweep: true, parallelism: 2 } });
  CASES.push({ name: `${runtime} chunked sweep`, over: { runtime, elements: els(5), sweep: true, parallelism: 2, maxArraySize: 2, asHostUser: true, keepContainer: true } });
  CASES.push({ name: `${runtime} without secrets`, over: { runtime, elements: [{ index: 0, plan: noSecrets() }] } });
  CASES.push({ name: `${runtime} bare settings`, over: { runtime, elements: els(1), settings: {}, ...(runtime === 'apptainer' ? { sif: { sif: '/scratch/images/x.sif' } } : {}) } });
}

function shellcheckBinary(): string {
  for (const p of ['/usr/bin/shellcheck', '/usr/local/bin/shellcheck']) if (existsSync(p)) return p;
  const r = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
  if (r.status === 0) return 'shellcheck';
  return assert.fail('shellcheck is not installed: run `bash test/env/setup-slurm.sh` (it installs Debian\'s shellcheck package), or `apt-get install shellcheck`');
}

function writeAll(root: string, b: GeneratedBatch, runDir = RUN_DIR): string[] {
  const scripts: string[] = [];
  for (const f of b.files) {
    const p = join(root, f.path.slice(runDir.length));
    mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
    writeFileSync(p, f.text, { mode: f.mode });
    chmodSync(p, f.mode);
    if (!f.secret) scripts.push(p);
  }
  return scripts;
}

test('every generated script passes shellcheck (all checks, every severity)', () => {
  const bin = shellcheckBinary();
  const root = mkdtempSync(join(tmpdir(), 'cubelab-slurm-sc-'));
  try {
    const files: string[] = [];
    CASES.forEach((c, k) => files.push(...writeAll(join(root, String(k)), gen(c.over))));
    assert.ok(files.length > 40, `${files.length} scripts`);
    const r = spawnSync(bin, ['--shell=bash', '--severity=style', '--format=gcc', ...files], { encoding: 'utf8' });
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(`${r.stdout}${r.stderr}`.split(root).join('<case>'), '');
    assert.equal(r.status, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('no secret value is written into a script; the env and args files hold them', () => {
  for (const c of CASES) {
    const b = gen(c.over);
    const secrets = c.over.elements!.flatMap((e) => planSecrets(e.plan)).map((s) => s.value);
    if (/without secrets/.test(c.name)) {
      assert.deepEqual(secrets, []);
      assert.deepEqual(b.files.filter((f) => f.secret), [], c.name);
      assert.ok(!b.files.some((f) => /ENV_FILE|ARGS_FILE|ELEMENT=/.test(f.text) && basename(f.path) === 'run.sh'), c.name);
      continue;
    }
    assert.ok(secrets.includes(API_KEY) && secrets.includes(TOKEN));
    for (const f of b.files.filter((x) => !x.secret)) {
      for (const v of [API_KEY, TOKEN, ...secrets.filter((s) => s.length >= 4)]) assert.ok(!f.text.includes(v), `${c.name}: ${f.path} holds a secret value`);
    }
    const env = b.files.filter((f) => f.secret && basename(f.path) === 'env');
    const args = b.files.filter((f) => f.secret && basename(f.path) === 'args');
    assert.equal(env.length, c.over.elements!.length, c.name);
    assert.equal(args.length, c.over.elements!.length, c.name);
    for (const f of [...env, ...args]) assert.equal(f.mode, 0o600);
    assert.match(env[0].text, new RegExp(`^API_KEY=${API_KEY}$`, 'm'));
    assert.equal(args[0].text, `${TOKEN}\0`);
    if (c.over.runtime === 'docker' || c.over.runtime === 'podman') assert.match(env[0].text, /^HF_HOME=\/workspace\/cache$/m);
  }
});

test('a secret that would land in a script is refused, naming it and not its value', () => {
  // The run folder is named in no script (they run in the job's working directory).
  assert.ok(generateBatchScripts(input({ runDir: `/scratch/${TOKEN}/run` })).ok);
  const r = generateBatchScripts(input({ settings: { preamble: [`export SOMETHING=${TOKEN}`] } }));
  assert.ok(!r.ok);
  assert.match(r.error, /oc\.env:TOKEN/);
  assert.ok(!r.error.includes(TOKEN));
  const nl = generateBatchScripts(input({ elements: [{ index: 0, plan: plan(0, { env: { K: 'two\nlines' } }) }] }));
  assert.ok(!nl.ok && /line break/.test(nl.error), !nl.ok ? nl.error : '');
});

/** sbatch's `#SBATCH` argument parser (src/sbatch/opt.c `_get_argument`), for what it reads from a line. */
function slurmArguments(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    let q = '';
    let escape = false;
    let comment = false;
    while (i < line.length && (quoted || !/\s/.test(line[i]))) {
      const c = line[i];
      if (escape) escape = false;
      else if (c === '\\') { escape = true; i++; continue; }
      else if (quoted) { if (c === q) { quoted = false; i++; continue; } }
      else if (c === '"' || c === "'") { quoted = true; q = c; i++; continue; }
      else if (c === '#') { comment = true; break; }
      arg += c; i++;
    }
    if (arg) out.push(arg);
    if (comment) break;
  }
  return out;
}

test('extra sbatch arguments: each an option, quoted for sbatch and for the shell, never one shell string', () => {
  const nasty = [`--comment=it's a "sweep"; #1 \\o/ $(date)`, '--constraint=a100&nvlink', '--mail-user=a b@c', '--x=\'\'', '--exclusive', '-N1'];
  const b = gen({ settings: { extraArgs: nasty } });
  const lines = b.chunks[0].text.split('\n').filter((l) => l.startsWith('#SBATCH '));
  for (const word of nasty) {
    const line = lines.find((l) => slurmArguments(l.slice('#SBATCH '.length))[0] === word);
    assert.ok(line, `no #SBATCH line reads as ${word}:\n${lines.join('\n')}`);
    assert.deepEqual(slurmArguments(line.slice('#SBATCH '.length)), [word]);
    const sh = spawnSync('bash', ['-c', `printf '%s\\0' ${line.slice('#SBATCH '.length)}`], { encoding: 'utf8' });
    assert.equal(sh.stdout, `${word}\0`, `the shell reads ${line} differently`);
  }
  for (const w of ['plain', 'a b', "it's", 'a\\b', '#x', '$(id)', '']) {
    assert.equal(spawnSync('bash', ['-c', `printf '%s' ${shellQuote(w)}`], { encoding: 'utf8' }).stdout, w);
    assert.deepEqual(slurmArguments(sbatchQuote(`--x=${w}`)), [`--x=${w}`]);
  }
});

test('an extra argument that is not an option, or that sets what the script sets, is refused with a message', () => {
  assert.match(checkExtraArg('; rm -rf /')!, /is not an option/);
  assert.match(checkExtraArg('a100')!, /--name=value/);
  assert.match(checkExtraArg('--array=0-3')!, /sets --array/);
  assert.match(checkExtraArg('-o')!, /sets --output/);
  assert.match(checkExtraArg('--comment=a\nb')!, /line break/);
  assert.equal(checkExtraArg('--constraint=a100'), undefined);
  assert.equal(checkExtraArg('-N2'), undefined);
  const r = generateBatchScripts(input({ settings: { extraArgs: ['--exclusive', '; rm -rf /'] } }));
  assert.ok(!r.ok);
  assert.match(r.error, /"; rm -rf \/" is not an option/);
  for (const [settings, re] of [
    [{ partition: 'gpu; rm' }, /partition/], [{ timeLimit: '2 hours' }, /time limit/], [{ cpus: 0 }, /CPUs/],
    [{ memory: '16 GB' }, /memory/], [{ gpus: 'lots' }, /GPUs/], [{ preamble: ['a\nb'] }, /preamble/],
  ] as [SbatchSettings, RegExp][]) {
    const x = generateBatchScripts(input({ settings }));
    assert.ok(!x.ok && re.test(x.error), !x.ok ? x.error : 'accepted');
  }
});

test('the #SBATCH lines: job name, output, settings; a task has no --array', () => {
  const t = gen();
  assert.equal(t.chunks.length, 1);
  assert.equal(t.chunks[0].path, `${RUN_DIR}/batch.sh`);
  const head = t.chunks[0].text.split('\n').filter((l) => l.startsWith('#SBATCH'));
  assert.deepEqual(head.slice(0, 9), [
    `#SBATCH --job-name=cubelab-${RUN_ID}`, '#SBATCH --output=slurm-%j.out', '#SBATCH --partition=gpu', '#SBATCH --time=1-02:00:00',
    '#SBATCH --cpus-per-task=4', '#SBATCH --mem=16G', '#SBATCH --gres=gpu:2', '#SBATCH --account=proj-42', '#SBATCH --qos=normal',
  ]);
  assert.ok(!t.chunks[0].text.includes('--array'));
  assert.match(t.chunks[0].text, /^INDEX=\$OFFSET$/m);
  // Every #SBATCH line comes before the first command (sbatch stops reading them there).
  const lines = t.chunks[0].text.split('\n');
  const firstCommand = lines.findIndex((l) => l && !l.startsWith('#'));
  const lastSbatch = lines.map((l, i) => (l.startsWith('#SBATCH') ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
  assert.ok(lastSbatch > 0 && lastSbatch < firstCommand);
  const files = t.files.map((f) => f.path.slice(RUN_DIR.length + 1));
  assert.deepEqual(files, ['batch.sh', 'elements/0/run.sh', 'elements/0/env', 'elements/0/args']);
});

test('a sweep is one array with its parallelism; past MaxArraySize it is split in chunks with offsets', () => {
  const one = gen({ elements: sweep(20), sweep: true, parallelism: 4 });
  assert.equal(one.chunks.length, 1);
  assert.match(one.chunks[0].text, /^#SBATCH --array=0-19%4$/m);
  assert.match(one.chunks[0].text, /^#SBATCH --output=slurm-%A_%a\.out$/m);
  const many = gen({ elements: sweep(25), sweep: true, parallelism: 4, maxArraySize: 10 });
  assert.deepEqual(many.chunks.map((c) => [c.path.slice(RUN_DIR.length + 1), c.offset, c.array, c.indices.length]), [
    ['batch-0.sh', 0, '0-9', 10], ['batch-1.sh', 10, '0-9', 10], ['batch-2.sh', 20, '0-4', 5],
  ]);
  assert.match(many.chunks[2].text, /^#SBATCH --array=0-4%4$/m);
  assert.match(many.chunks[2].text, /^OFFSET=20$/m);
  assert.match(many.chunks[2].text, /^INDEX=\$\(\(OFFSET \+ SLURM_ARRAY_TASK_ID\)\)$/m);
  // Re-running some elements: their own ids, each below MaxArraySize in its chunk.
  const some = gen({ elements: [3, 7, 8, 12, 13, 21].map((index) => ({ index, plan: plan(index) })), sweep: true, maxArraySize: 10 });
  assert.deepEqual(some.chunks.map((c) => [c.offset, c.array]), [[0, '3,7-8'], [10, '2-3'], [20, '1']]);
  assert.deepEqual(chunkOf(25, 10), { chunk: 2, offset: 20, taskId: 5 });
  assert.equal(arrayRanges([5, 1, 2, 3, 9]), '1-3,5,9');
  // Parallelism no smaller than the chunk: no %P.
  assert.match(gen({ elements: sweep(3), sweep: true, parallelism: 8 }).chunks[0].text, /^#SBATCH --array=0-2$/m);
});

test('docker/podman: the container command is rendered from the container spec', () => {
  const d = gen({ elements: sweep(1), asHostUser: true });
  const run = flat(d.files.find((f) => f.path === `${RUN_DIR}/elements/0/run.sh`)!.text);
  for (const piece of [
    'docker create --name "$NAME" --env-file "$ENV_FILE"', `--label org.cubelab.run-id=${RUN_ID}`, '--volume /scratch/cube/workspace/data:/mlcube_io0:ro',
    '--network=none', '--ipc=host', `--shm-size=${1024 ** 3}b`, '--ulimit memlock=-1:-1', `--gpus '"device=0,1"'`,
    '--user "$(id -u):$(id -g)"', 'mlcommons/mnist:0.0.1 train --lr=0.1 "--token=${ARG_SECRETS[0]}"', 'exec docker start --attach "$NAME"',
  ]) assert.ok(run.includes(piece), `missing ${piece} in\n${run}`);
  const p = gen({ runtime: 'podman', elements: [{ index: 0, plan: plan(0, { platforms: { ...plan(0).platforms, docker: { ...plan(0).platforms.docker, runArgs: '--runtime=crun --gpus=all' } } }) }] });
  const prun = flat(p.files.find((f) => basename(f.path) === 'run.sh')!.text);
  assert.ok(prun.includes('podman --runtime=crun create'), prun);
  assert.ok(prun.includes('--device nvidia.com/gpu=all'), prun);
  assert.ok(prun.includes('exec podman start --attach --sig-proxy=false "$NAME"'), prun);
  const bad = generateBatchScripts(input({ runtime: 'podman', elements: [{ index: 0, plan: plan(0, { platforms: { ...plan(0).platforms, docker: { ...plan(0).platforms.docker, runArgs: '--gpus=2' } } }) }] }));
  assert.ok(!bad.ok && /podman cannot ask for a number of GPUs/.test(bad.error));
  const flag = generateBatchScripts(input({ elements: [{ index: 0, plan: plan(0, { platforms: { ...plan(0).platforms, docker: { ...plan(0).platforms.docker, runArgs: '--oom-kill-disable' } } }) }] }));
  assert.ok(!flag.ok && /--oom-kill-disable/.test(flag.error));
});

// ---- golden files (apptainer/singularity cannot run here)

const GOLDEN_CASES: { name: string; over: Partial<BatchScriptInput> }[] = [
  { name: 'apptainer-sweep', over: { runtime: 'apptainer', elements: sweep(3), sweep: true, parallelism: 2, maxArraySize: 2, sif: { docker: `docker://mlcommons/mnist@${DIGEST}` } } },
  { name: 'singularity-task', over: { runtime: 'singularity', sifCache: '/scratch/sif-cache', elements: [{ index: 0, plan: plan(0, {}) }] } },
  { name: 'apptainer-sif-task', over: { runtime: 'apptainer', settings: { partition: 'cpu' }, sif: { sif: '/scratch/images/mnist.sif' }, elements: [{ index: 0, plan: noSecrets() }] } },
];

for (const c of GOLDEN_CASES) {
  test(`golden: ${c.name}`, () => {
    const b = gen(c.over);
    for (const f of b.files.filter((x) => !x.secret)) {
      const rel = f.path.slice(RUN_DIR.length + 1).replace(/\//g, '.').replace(/\.sh$/, '');
      const file = join(GOLDEN, `${c.name}.${rel}.golden.sh`);
      if (process.env.CUBELAB_UPDATE_GOLDEN === '1') writeFileSync(file, f.text);
      assert.ok(existsSync(file), `the golden file ${file} is missing (CUBELAB_UPDATE_GOLDEN=1 writes it; review it before committing)`);
      assert.equal(f.text, readFileSync(file, 'utf8'), `${file} differs`);
    }
  });
}

test('the golden files are all used (none left from a renamed case)', () => {
  const expected = new Set(GOLDEN_CASES.flatMap((c) => gen(c.over).files.filter((x) => !x.secret).map((f) => `${c.name}.${f.path.slice(RUN_DIR.length + 1).replace(/\//g, '.').replace(/\.sh$/, '')}.golden.sh`)));
  const found = readdirSync(GOLDEN).filter((f) => f.endsWith('.golden.sh'));
  assert.deepEqual(found.sort(), [...expected].sort());
});

test('apptainer: the SIF is pulled once per digest under flock; a plan without docker:// uses its SIF path', () => {
  const b = gen({ runtime: 'apptainer', elements: sweep(2), sweep: true, sif: { docker: `mlcommons/mnist@${DIGEST}` } });
  const run = flat(b.files.find((f) => f.path === `${RUN_DIR}/elements/1/run.sh`)!.text);
  assert.ok(run.includes(`SIF=$SIF_CACHE/${DIGEST.replace(':', '-')}.sif`), run);
  assert.ok(run.includes('SIF_CACHE="$HOME/.cache/cubelab/sif"'), run);
  assert.ok(run.includes(`apptainer pull "$SIF.part.$$" docker://mlcommons/mnist@${DIGEST}`), run);
  assert.ok(run.includes('export "APPTAINERENV_$line"'), run);
  assert.ok(/exec apptainer run -C --writable-tmpfs --nv --bind \/scratch\/cube\/workspace\/data:\/mlcube_io0:ro --bind \S+ "\$SIF" train --data_dir=\/mlcube_io0 "--token=\$\{ARG_SECRETS\[0\]\}"/.test(run), run);
  const byTag = gen({ runtime: 'singularity', elements: sweep(1) });
  assert.ok(byTag.warnings.some((w) => /no digest/.test(w)), byTag.warnings.join('\n'));
  assert.ok(byTag.files.find((f) => basename(f.path) === 'run.sh')!.text.includes('export "SINGULARITYENV_$line"'));
  const sifPlan = plan(0);
  sifPlan.platforms.singularity = singularity({ buildFile: 'Singularity.recipe' });
  const s = gen({ runtime: 'apptainer', elements: [{ index: 0, plan: sifPlan }] });
  assert.ok(flat(s.files.find((f) => basename(f.path) === 'run.sh')!.text).includes('/scratch/cube/workspace/.image/mnist-0.0.1.sif train'));
  const none = plan(0);
  none.platforms.singularity = null;
  const n = generateBatchScripts(input({ runtime: 'apptainer', elements: [{ index: 0, plan: none }] }));
  assert.ok(!n.ok && /no singularity plan/.test(n.error));
});

// ---- the scripts' behaviour, with bash and stand-ins for the engines

const FAKE_ENGINE = `#!/bin/bash
# A stand-in for docker/podman: logs its calls; "start" prints, then exits with $FAKE_CODE or sleeps.
echo "$(basename "$0") $*" >>"$FAKE_LOG"
case " $* " in
  *" create "*)
    for a in "$@"; do [ "$prev" = --env-file ] && cp "$a" "$FAKE_LOG.env"; prev=$a; done
    echo "created" ;;
  *" start "*)
    echo "container output"; echo "container error" >&2
    [ -n "\${FAKE_SLEEP:-}" ] && exec sleep "$FAKE_SLEEP"
    exit "\${FAKE_CODE:-0}" ;;
esac
exit 0
`;

const FAKE_APPTAINER = `#!/bin/bash
echo "apptainer $*" >>"$FAKE_LOG"
if [ "$1" = pull ]; then echo sif >"$2"; exit 0; fi
echo "key=\${APPTAINERENV_API_KEY:-unset} mode=\${APPTAINERENV_MODE:-unset}"
for a in "$@"; do echo "arg=$a"; done
exit "\${FAKE_CODE:-0}"
`;

interface Ran { dir: string; code: number | null; log: string; root: string }

/** Runs chunk `k`'s script for array task `taskId` as Slurm would (in the run folder), with fakes on the PATH. */
async function runElement(b: GeneratedBatch, runtime: ContainerRuntime, taskId: number | undefined, env: Record<string, string>, signalAfterMs?: number, k = 0, reuse?: string): Promise<Ran> {
  const root = reuse ?? mkdtempSync(join(tmpdir(), 'cubelab-slurm-run-'));
  const bin = join(root, '.bin');
  if (!reuse) {
    writeAll(root, b);
    mkdirSync(bin);
    writeFileSync(join(bin, runtime === 'apptainer' ? 'apptainer' : runtime), runtime === 'apptainer' ? FAKE_APPTAINER : FAKE_ENGINE, { mode: 0o755 });
  }
  const log = join(root, '.calls');
  const batch = join(root, b.chunks[k].path.slice(RUN_DIR.length));
  const child = spawn('bash', [batch], {
    cwd: root, stdio: 'ignore',
    env: {
      PATH: `${bin}:/usr/bin:/bin`, HOME: root, FAKE_LOG: log, SLURM_JOB_ID: '77',
      ...(taskId !== undefined ? { SLURM_ARRAY_JOB_ID: '70', SLURM_ARRAY_TASK_ID: String(taskId) } : {}),
      ...env,
    },
  });
  if (signalAfterMs !== undefined) setTimeout(() => child.kill('SIGTERM'), signalAfterMs);
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  return { dir: root, code, log: existsSync(log) ? readFileSync(log, 'utf8') : '', root };
}

test('an element that ends: its output and exit code land in its folder, its container and secret files go', async () => {
  const b = gen({ elements: sweep(12), sweep: true, maxArraySize: 10, parallelism: 3, settings: { preamble: ['echo "preamble of $INDEX"'] } });
  // Chunk 1 (offset 10), array task 1: element 11.
  const r = await runElement(b, 'docker', 1, { FAKE_CODE: '3' }, undefined, 1);
  try {
    const el = join(r.root, 'elements', '11');
    assert.equal(r.code, 3);
    assert.equal(readFileSync(join(el, 'exit_code'), 'utf8'), '3\n');
    assert.equal(readFileSync(join(el, 'output.log'), 'utf8'), 'preamble of 11\ncontainer output\ncontainer error\n');
    assert.ok(!existsSync(join(el, 'env')) && !existsSync(join(el, 'args')), 'the secret files are deleted');
    assert.ok(existsSync(join(r.root, 'elements', '0', 'env')), 'other elements keep theirs');
    assert.match(readFileSync(`${join(r.root, '.calls')}.env`, 'utf8'), new RegExp(`^API_KEY=${API_KEY}$`, 'm'));
    const calls = r.log.trim().split('\n');
    assert.equal(calls[0], `docker rm -f cubelab-${RUN_ID}-11`, 'a container of an earlier attempt is removed first');
    assert.match(calls[1], new RegExp(`^docker create --name cubelab-${RUN_ID}-11 --env-file \\S+/elements/11/env .* --token=${TOKEN}$`));
    assert.equal(calls[2], `docker start --attach cubelab-${RUN_ID}-11`);
    assert.equal(calls[3], `docker rm -f cubelab-${RUN_ID}-11`);
    assert.ok(!existsSync(join(r.root, 'slurm-70_1.out')), 'an empty job output file is removed');
  } finally { rmSync(r.root, { recursive: true, force: true }); }
});

test('a signalled element (scancel, time limit): exit code 143, its container stopped and removed at once', async () => {
  for (const runtime of ['docker', 'podman'] as const) {
    const b = gen({ runtime, elements: sweep(1), stopGraceSeconds: 3 });
    const t0 = Date.now();
    const r = await runElement(b, runtime, undefined, { FAKE_SLEEP: '30' }, 800);
    try {
      assert.ok(Date.now() - t0 < 10_000, 'the trap does not wait for the container');
      assert.equal(r.code, 143);
      assert.equal(readFileSync(join(r.root, 'elements', '0', 'exit_code'), 'utf8'), '143\n');
      const calls = r.log.trim().split('\n');
      const name = `cubelab-${RUN_ID}-0`;
      assert.ok(calls.includes(`${runtime} stop --time=3 ${name}`), calls.join('\n'));
      assert.equal(calls.at(-1), runtime === 'podman' ? `podman rm -f -t 0 ${name}` : `docker rm -f ${name}`);
      assert.ok(!existsSync(join(r.root, 'elements', '0', 'env')));
    } finally { rmSync(r.root, { recursive: true, force: true }); }
  }
});

test('keepContainer keeps an element that ended, and still stops a signalled one', async () => {
  const b = gen({ elements: sweep(1), keepContainer: true });
  const r = await runElement(b, 'docker', undefined, {});
  try {
    assert.equal(r.code, 0);
    assert.ok(!r.log.trim().split('\n').slice(1).some((l) => l.startsWith('docker rm')), r.log);
  } finally { rmSync(r.root, { recursive: true, force: true }); }
});

test('apptainer: the environment reaches the container as APPTAINERENV_*, secrets as arguments, files deleted', async () => {
  const b = gen({ runtime: 'apptainer', elements: sweep(2), sweep: true, sif: { docker: `docker://mlcommons/mnist@${DIGEST}` } });
  const r = await runElement(b, 'apptainer', 1, { FAKE_CODE: '5' });
  try {
    const el = join(r.root, 'elements', '1');
    assert.equal(r.code, 5);
    assert.equal(readFileSync(join(el, 'exit_code'), 'utf8'), '5\n');
    const out = readFileSync(join(el, 'output.log'), 'utf8');
    assert.ok(out.includes(`key=${API_KEY} mode=it's "quoted" $HOME`), out);
    assert.ok(out.includes(`arg=--token=${TOKEN}`), out);
    assert.ok(!existsSync(join(el, 'env')) && !existsSync(join(el, 'args')));
    const sif = join(r.root, '.cache', 'cubelab', 'sif', `${DIGEST.replace(':', '-')}.sif`);
    assert.ok(statSync(sif).size > 0, 'the SIF is in the cache');
    // Another element of the same cluster finds it: no second pull.
    const again = await runElement(b, 'apptainer', 0, {}, undefined, 0, r.root);
    assert.equal(again.code, 0);
    assert.equal(again.log.split('\n').filter((l) => l.startsWith('apptainer pull')).length, 1, again.log);
    assert.match(readFileSync(join(r.root, 'elements', '0', 'output.log'), 'utf8'), /key=sk-live/);
  } finally { rmSync(r.root, { recursive: true, force: true }); }
});

test('a job submitted from elsewhere says so in its job output and writes no exit code', async () => {
  const b = gen({ elements: sweep(1) });
  const root = mkdtempSync(join(tmpdir(), 'cubelab-slurm-wrongdir-'));
  try {
    const script = join(root, 'batch.sh');
    writeFileSync(script, b.chunks[0].text, { mode: 0o700 });
    const r = spawnSync('bash', [script], { cwd: root, env: { PATH: '/usr/bin:/bin', SLURM_JOB_ID: '5' }, encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /run\.sh is missing: was the job submitted from its run folder\?/);
  } finally { rmSync(root, { recursive: true, force: true }); }
});
