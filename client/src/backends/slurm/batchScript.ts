/**
 * The batch scripts of a Slurm run: one task, or a sweep as one job array (several, in chunks, where the sweep
 * has more elements than the cluster's MaxArraySize), and each element's container command. Pure: strings in,
 * strings out; the backend writes the files and submits them.
 *
 * Layout in the run folder on the cluster (created mode 0700 by the caller; the scripts name no absolute path
 * of it: they run in the job's working directory, so submit from the run folder, `cd RUN && sbatch batch.sh`,
 * or with `sbatch --chdir=RUN RUN/batch.sh`):
 *
 *   batch.sh                      one chunk (a task, or a sweep that fits in one array)
 *   batch-<k>.sh                  chunk k of a sweep split in several arrays
 *   slurm-<job>[_<task>].out      the job's own output (Slurm's messages); removed by the script when empty
 *   elements/<i>/run.sh           element i's container command (`run.sh ELEMENT_FOLDER`)
 *   elements/<i>/env              element i's container environment (mode 0600; deleted once read)
 *   elements/<i>/args             secret values the element's command line needs (mode 0600; deleted once read)
 *   elements/<i>/output.log       element i's output (stdout and stderr of the container, and of the preamble)
 *   elements/<i>/exit_code        element i's exit code once it ended: the container's, or 128+signal (143 for
 *                                 SIGTERM: scancel, a time limit); written even when the job is cancelled
 *
 * A task is element 0 of a job without `--array`. A sweep's chunk is one array job whose task ids are the
 * element indices minus the chunk's offset (element index = offset + SLURM_ARRAY_TASK_ID): chunk k holds the
 * elements k*M .. k*M+M-1 (M = MaxArraySize), so every chunk's ids stay below MaxArraySize. The element's output
 * is redirected inside the script (a `--output` pattern with %a cannot add the offset).
 *
 * Secrets: no value of the plan's environment (nor any other value `planSecrets` names) is written into a script.
 * The container environment goes to `elements/<i>/env` (docker's --env-file format, `NAME=value` lines), which
 * docker/podman read at `create` and apptainer/singularity get as APPTAINERENV_/SINGULARITYENV_ variables; a
 * secret value inside a command-line word (a parameter resolved from `${oc.env:…}`) is read from
 * `elements/<i>/args` (NUL-terminated values) into a shell array. Both files are deleted before the container runs.
 *
 * Termination: the batch script traps TERM, INT and EXIT; it removes the element's container
 * (`docker|podman rm -f cubelab-<runId>-<i>`; apptainer processes belong to the job and die with it) and writes
 * the exit code file, so nothing outlives a cancelled, failed or timed-out element.
 */
import type { TaskPlan } from '../../../../shared/lsp-protocol';
import { buildContainerSpec, type ContainerSpec } from '../../../../shared/docker/containerSpec';
import { splitShellWords, translateRunArgs, type HostFacts } from '../../../../shared/docker/runArgs';
import { planSecrets, type Secret } from '../../runs/secrets';

export type ContainerRuntime = 'docker' | 'podman' | 'apptainer' | 'singularity';
export const CONTAINER_RUNTIMES: readonly ContainerRuntime[] = ['docker', 'podman', 'apptainer', 'singularity'];

/** What the user sets for a Slurm target (each becomes one `#SBATCH` line). */
export interface SbatchSettings {
  partition?: string;
  /** `--time`: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or UNLIMITED. */
  timeLimit?: string;
  /** `--cpus-per-task`. */
  cpus?: number;
  /** `--mem`: a number of megabytes or a size with K, M, G or T. */
  memory?: string;
  /** `--gres=gpu:N`; a string `TYPE:N` gives `--gres=gpu:TYPE:N`. 0 asks for none. */
  gpus?: number | string;
  account?: string;
  qos?: string;
  /** Shell lines run before the element (`module load apptainer`), in the element's output. */
  preamble?: string[];
  /** More sbatch options, one word each (`--constraint=a100`, `--exclusive`); never one shell string. */
  extraArgs?: string[];
}

/** Where an apptainer/singularity element's image comes from. */
export type SifSource =
  /** A SIF file on the cluster, used where it is. */
  | { sif: string }
  /** An OCI image (`docker://name@sha256:…` or `name@sha256:…`), pulled once into the cache as `sha256-<hex>.sif`. */
  | { docker: string; digest?: string };

export interface ScriptElement {
  /** The element's index in the sweep (0 for a task): its folder is `elements/<index>`. */
  index: number;
  /** The element's plan (real values: its secrets go to the env and args files, never into a script). */
  plan: TaskPlan;
}

export interface BatchScriptInput {
  runId: string;
  /** Defaults to `cubelab-<runId>` (every chunk of a sweep has the same name: one sacct/squeue filter finds all). */
  jobName?: string;
  /** The run folder on the cluster: only the returned files' paths use it. */
  runDir: string;
  manifest: string;
  task: string;
  settings: SbatchSettings;
  runtime: ContainerRuntime;
  /** One element for a task, the sweep's elements (or the ones to run again) for a sweep. */
  elements: ScriptElement[];
  /** Whether this is a sweep (a job array, even of one element) or a task (a plain job, element 0). */
  sweep: boolean;
  /** Elements of one array that run at once (`%P`); unbounded when unset. */
  parallelism?: number;
  /** The cluster's MaxArraySize (`scontrol show config`); Slurm's default 1001 when unset. */
  maxArraySize?: number;
  /** For `$VAR` and `-e NAME` in the plan's docker flags. */
  host: HostFacts;
  /** Run the container as the job's user (`--user "$(id -u):$(id -g)"`, evaluated on the node). */
  asHostUser?: boolean;
  /** Network mode when the plan's flags name none. */
  defaultNetwork?: string;
  /** Keep an element's container after it ended normally (a signalled one is still killed). */
  keepContainer?: boolean;
  /** Seconds a signalled element's container has between TERM and KILL (default 5; keep it below the cluster's KillWait). */
  stopGraceSeconds?: number;
  /** apptainer/singularity: the image (default: the plan's `docker://` build source, else its SIF path). */
  sif?: SifSource;
  /** apptainer/singularity: the SIF cache folder on the cluster (default `$HOME/.cache/cubelab/sif`, expanded on the node). */
  sifCache?: string;
}

export interface GeneratedFile {
  path: string;
  text: string;
  /** 0o700 for scripts, 0o600 for the secret files. */
  mode: number;
  /** Holds secret values: write it with mode 0600, never show or log it. */
  secret: boolean;
}

export interface BatchChunk {
  /** The script's path (`<runDir>/batch.sh`, or `<runDir>/batch-<k>.sh` when there are several chunks). */
  path: string;
  text: string;
  /** Element index = offset + SLURM_ARRAY_TASK_ID (0 for a task). */
  offset: number;
  /** The elements this chunk runs. */
  indices: number[];
  /** The `--array` value (without `%P`), absent for a task. */
  array?: string;
}

export interface GeneratedBatch {
  chunks: BatchChunk[];
  /** Everything to write: the chunks, then per element its run.sh and, where needed, its env and args files. */
  files: GeneratedFile[];
  warnings: string[];
}

export type BatchResult = { ok: true; value: GeneratedBatch } | { ok: false; error: string };

export const DEFAULT_STOP_GRACE = 5;
/** Slurm's default MaxArraySize. */
export const DEFAULT_MAX_ARRAY_SIZE = 1001;
export const ELEMENT_FILES = { script: 'run.sh', env: 'env', args: 'args', output: 'output.log', exitCode: 'exit_code' } as const;

const trimSlash = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);
export const elementDir = (runDir: string, index: number): string => `${trimSlash(runDir)}/elements/${index}`;
export const defaultJobName = (runId: string): string => `cubelab-${runId}`;
export const containerName = (runId: string, index: number): string => `cubelab-${runId}-${index}`;
/** The chunk that holds an element, and its array task id there (chunks of `maxArraySize` indices). */
export function chunkOf(index: number, maxArraySize = DEFAULT_MAX_ARRAY_SIZE): { chunk: number; offset: number; taskId: number } {
  const chunk = Math.floor(index / maxArraySize);
  return { chunk, offset: chunk * maxArraySize, taskId: index - chunk * maxArraySize };
}

// ---- quoting

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word for a POSIX shell: bare when it is plain, else in single quotes. */
export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * One word for an `#SBATCH` line, read by sbatch's own parser (quotes group, a backslash escapes the next
 * character even inside quotes, an unquoted `#` starts a comment) and meaning the same to a shell: single quotes
 * around everything but `'` and `\`, which are backslash-escaped outside them.
 */
export function sbatchQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  let out = '';
  let run = '';
  const flush = (): void => { if (run) out += `'${run}'`; run = ''; };
  for (const c of word) {
    if (c === "'" || c === '\\') { flush(); out += `\\${c}`; } else run += c;
  }
  flush();
  return out || "''";
}

/** Inside double quotes. */
const dq = (s: string): string => s.replace(/[\\"$`]/g, (c) => `\\${c}`);

// ---- settings

/** Options the generated script sets itself: an extra argument may not set them again. */
const RESERVED: Record<string, string> = {
  '--job-name': 'job-name', '-J': 'job-name', '--output': 'output', '-o': 'output', '--error': 'error', '-e': 'error',
  '--array': 'array', '-a': 'array', '--chdir': 'chdir', '-D': 'chdir', '--wrap': 'wrap', '--input': 'input', '-i': 'input',
  '--parsable': 'parsable', '--wait': 'wait', '-W': 'wait',
};

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.,+@-]*$/;
const TIME_RE = /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|UNLIMITED|unlimited|INFINITE|infinite)$/;
const MEM_RE = /^\d+[KMGTkmgt]?$/;
const GPU_RE = /^([A-Za-z0-9_.-]+:)?\d+$/;

/** Checks one extra sbatch argument; returns why it is refused, or undefined. */
export function checkExtraArg(word: string): string | undefined {
  if (typeof word !== 'string' || word === '') return 'an extra sbatch argument is empty';
  if (/[\n\r\0]/.test(word)) return `the extra sbatch argument ${JSON.stringify(word)} holds a line break`;
  const m = /^(--[A-Za-z][A-Za-z0-9-]*)(=.*)?$/s.exec(word) ?? /^(-[A-Za-z])(.*)$/s.exec(word);
  if (!m) return `the extra sbatch argument ${JSON.stringify(word)} is not an option: each word must be an option such as --constraint=a100 or --exclusive (write a value as --name=value, in the same word)`;
  const reserved = m[1] !== undefined ? RESERVED[m[1]] : undefined;
  if (reserved) return `the extra sbatch argument ${JSON.stringify(word)} sets --${reserved}, which CubeLab's batch script sets itself`;
  if (/packjob/i.test(word)) return `the extra sbatch argument ${JSON.stringify(word)} contains "packjob", which sbatch's script parser blanks out`;
  return undefined;
}

/** Every problem of a target's sbatch settings, as sentences (empty when they are fine). */
export function checkSettings(s: SbatchSettings): string[] {
  const errors: string[] = [];
  for (const key of ['partition', 'account', 'qos'] as const) {
    const v = s[key];
    if (v !== undefined && v !== '' && !NAME_RE.test(v)) errors.push(`the Slurm ${key} ${JSON.stringify(v)} is not a name (letters, digits, _ . , + @ -)`);
  }
  if (s.timeLimit !== undefined && s.timeLimit !== '' && !TIME_RE.test(s.timeLimit)) {
    errors.push(`the time limit ${JSON.stringify(s.timeLimit)} is not one of Slurm's forms: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or UNLIMITED`);
  }
  if (s.cpus !== undefined && (!Number.isInteger(s.cpus) || s.cpus < 1)) errors.push(`the number of CPUs ${String(s.cpus)} is not a whole number of at least 1`);
  if (s.memory !== undefined && s.memory !== '' && !MEM_RE.test(s.memory)) errors.push(`the memory ${JSON.stringify(s.memory)} is not a size (a number of megabytes, or with K, M, G or T: 4G)`);
  if (s.gpus !== undefined && s.gpus !== '') {
    const ok = typeof s.gpus === 'number' ? Number.isInteger(s.gpus) && s.gpus >= 0 : GPU_RE.test(s.gpus);
    if (!ok) errors.push(`the GPUs ${JSON.stringify(s.gpus)} are neither a number nor TYPE:NUMBER`);
  }
  for (const line of s.preamble ?? []) {
    if (typeof line !== 'string' || /[\n\r\0]/.test(line)) errors.push(`the preamble line ${JSON.stringify(line)} must be one line`);
  }
  for (const a of s.extraArgs ?? []) { const e = checkExtraArg(a); if (e) errors.push(e); }
  return errors;
}

/** The `#SBATCH` option words of the settings, in a fixed order. */
export function sbatchOptions(s: SbatchSettings): string[] {
  const out: string[] = [];
  if (s.partition) out.push(`--partition=${s.partition}`);
  if (s.timeLimit) out.push(`--time=${s.timeLimit}`);
  if (s.cpus !== undefined) out.push(`--cpus-per-task=${s.cpus}`);
  if (s.memory) out.push(`--mem=${s.memory}`);
  if (s.gpus !== undefined && s.gpus !== '' && s.gpus !== 0 && s.gpus !== '0') out.push(`--gres=gpu:${s.gpus}`);
  if (s.account) out.push(`--account=${s.account}`);
  if (s.qos) out.push(`--qos=${s.qos}`);
  out.push(...(s.extraArgs ?? []));
  return out;
}

/** `0-19`, `3,7,12-14`: consecutive ids as ranges. */
export function arrayRanges(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++; // j < sorted.length
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(',');
}

// ---- words: literal strings (quoted, secrets replaced by shell expansions) or shell text

type Word = string | { sh: string };

/** The secret values of an element and the shell array entries they are read into. */
class SecretWords {
  /** Values, longest first, so that a value holding another is replaced whole. */
  private readonly values: string[];
  readonly used: string[] = [];
  constructor(secrets: readonly Secret[]) {
    this.values = [...new Set(secrets.map((s) => s.value).filter((v) => v.length >= MIN_SECRET))].sort((a, b) => b.length - a.length);
  }
  render(w: Word): string {
    if (typeof w !== 'string') return w.sh;
    const parts: (string | number)[] = [];
    let rest = w;
    while (rest) {
      let best: { at: number; value: string } | undefined;
      for (const v of this.values) {
        const at = rest.indexOf(v);
        if (at >= 0 && (!best || at < best.at)) best = { at, value: v };
      }
      if (!best) { parts.push(rest); break; }
      if (best.at > 0) parts.push(rest.slice(0, best.at));
      let slot = this.used.indexOf(best.value);
      if (slot < 0) { slot = this.used.length; this.used.push(best.value); }
      parts.push(slot);
      rest = rest.slice(best.at + best.value.length);
    }
    if (parts.every((p) => typeof p === 'string')) return shellQuote(w);
    return `"${parts.map((p) => (typeof p === 'number' ? `\${ARG_SECRETS[${p}]}` : dq(p))).join('')}"`;
  }
}

/** Secret values shorter than this are not searched for in command-line words (secrets.ts masks from 6 on). */
const MIN_SECRET = 4;

// ---- container commands

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkEnv(entries: string[], forShell: boolean): string | undefined {
  for (const e of entries) {
    const eq = e.indexOf('=');
    const name = eq < 0 ? e : e.slice(0, eq);
    if (/[\n\r\0]/.test(e)) return `the value of the environment variable ${name} holds a line break, which an env file cannot carry; Slurm runs need one-line values`;
    if (forShell ? !ENV_NAME.test(name) : (name === '' || /\s/.test(name))) return `the environment variable name ${JSON.stringify(name)} cannot be passed to the container`;
  }
  return undefined;
}

/** A GPU request as `docker --gpus` reads it (a CSV of count/device/driver). */
function dockerGpus(req: NonNullable<ContainerSpec['HostConfig']['DeviceRequests']>[number]): string {
  const parts: string[] = [];
  if (req.Driver) parts.push(`driver=${req.Driver}`);
  if (req.DeviceIDs?.length) parts.push(`"device=${req.DeviceIDs.join(',')}"`);
  else parts.push(req.Count < 0 ? (parts.length ? 'count=all' : 'all') : parts.length ? `count=${req.Count}` : String(req.Count));
  return parts.join(',');
}

/**
 * The `docker create` / `podman create` words for a container spec (without the engine, `create`, `--name`
 * and `--env-file`), rendering every field the translation fills. Errors name what the engine cannot do.
 */
export function engineCreateWords(spec: ContainerSpec, engine: 'docker' | 'podman', user: Word | undefined): { ok: true; global: Word[][]; words: Word[][] } | { ok: false; error: string } {
  const hc = spec.HostConfig;
  // Groups of words kept on one line of the script (an option and its value).
  const w: Word[][] = [];
  const global: Word[][] = [];
  for (const [k, v] of Object.entries(spec.Labels)) w.push(['--label', `${k}=${v}`]);
  for (const b of hc.Binds) w.push(['--volume', b]);
  if (hc.NetworkMode) w.push([`--network=${hc.NetworkMode}`]);
  if (hc.IpcMode) w.push([`--ipc=${hc.IpcMode}`]);
  if (hc.PidMode) w.push([`--pid=${hc.PidMode}`]);
  if (hc.UTSMode) w.push([`--uts=${hc.UTSMode}`]);
  if (hc.ShmSize !== undefined) w.push([`--shm-size=${hc.ShmSize}b`]);
  if (hc.Memory !== undefined) w.push([`--memory=${hc.Memory}b`]);
  if (hc.NanoCpus !== undefined) w.push([`--cpus=${hc.NanoCpus / 1e9}`]);
  if (hc.CpusetCpus) w.push([`--cpuset-cpus=${hc.CpusetCpus}`]);
  for (const o of hc.SecurityOpt ?? []) w.push(['--security-opt', o]);
  if (hc.Privileged) w.push(['--privileged']);
  for (const u of hc.Ulimits ?? []) w.push(['--ulimit', `${u.Name}=${u.Soft}:${u.Hard}`]);
  for (const c of hc.CapAdd ?? []) w.push(['--cap-add', c]);
  for (const c of hc.CapDrop ?? []) w.push(['--cap-drop', c]);
  for (const d of hc.Devices ?? []) w.push(['--device', `${d.PathOnHost}:${d.PathInContainer}:${d.CgroupPermissions}`]);
  if (hc.Runtime) {
    if (engine === 'docker') w.push([`--runtime=${hc.Runtime}`]);
    else global.push([`--runtime=${hc.Runtime}`]);
  }
  for (const req of hc.DeviceRequests ?? []) {
    if (engine === 'docker') { w.push(['--gpus', dockerGpus(req)]); continue; }
    // podman 4 has no --gpus: GPUs are CDI devices.
    if (req.DeviceIDs?.length) for (const id of req.DeviceIDs) w.push(['--device', `nvidia.com/gpu=${id}`]);
    else if (req.Count < 0) w.push(['--device', 'nvidia.com/gpu=all']);
    else return { ok: false, error: `podman cannot ask for a number of GPUs (--gpus=${req.Count}); use --gpus=all or --gpus=device=ID in the cube's flags, or docker` };
  }
  if (user !== undefined) w.push(['--user', user]);
  if (spec.WorkingDir) w.push([`--workdir=${spec.WorkingDir}`]);
  if (spec.Hostname) w.push([`--hostname=${spec.Hostname}`]);
  if (spec.Entrypoint) w.push([`--entrypoint=${spec.Entrypoint[0] ?? ''}`]);
  w.push([spec.Image], ...spec.Cmd.map((c) => [c]));
  return { ok: true, global, words: w };
}

const HEADER = '#!/bin/bash';

function lines(...ls: (string | false | undefined)[]): string {
  return ls.filter((l): l is string => typeof l === 'string').join('\n') + '\n';
}

/** Renders groups of words (each group kept on one line) into `cmd \` continuation lines. */
function commandLines(groups: string[][], indent = '  '): string {
  const out: string[] = [];
  let cur = '';
  for (const w of groups.map((g) => g.join(' '))) {
    if (cur && cur.length + 1 + w.length > 100) { out.push(`${cur} \\`); cur = `${indent}${w}`; } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) out.push(cur);
  return out.join('\n');
}

interface ElementFiles { runSh: string; env?: string; args?: string; warnings: string[] }

const ARGS_READER = [
  'ARG_SECRETS=()',
  'if [ -f "$ARGS_FILE" ]; then',
  '  while IFS= read -r -d \'\' value; do ARG_SECRETS+=("$value"); done <"$ARGS_FILE"',
  '  rm -f "$ARGS_FILE"',
  'else',
  '  echo "cubelab: $ARGS_FILE is missing: the command line cannot be completed" >&2',
  '  exit 125',
  'fi',
];

function elementFiles(input: BatchScriptInput, el: ScriptElement): { ok: true; value: ElementFiles } | { ok: false; error: string } {
  const secrets = new SecretWords(planSecrets(el.plan));
  const name = containerName(input.runId, el.index);
  const warnings: string[] = [];
  const head = [
    HEADER,
    `# CubeLab run ${input.runId}, element ${el.index}: the container command (generated; the batch script runs it).`,
    '# Usage: run.sh ELEMENT_FOLDER (the folder holding this script and its env/args files).',
  ];
  const elementArg = 'ELEMENT=${1:?the element folder}';
  if (input.runtime === 'docker' || input.runtime === 'podman') {
    const engine = input.runtime;
    const r = buildContainerSpec(el.plan, { runId: input.runId, manifest: input.manifest, task: input.task, defaultNetwork: input.defaultNetwork }, input.host);
    if (!r.ok) return { ok: false, error: `element ${el.index}: ${r.error}` };
    warnings.push(...r.warnings);
    const envProblem = checkEnv(r.spec.Env, false);
    if (envProblem) return { ok: false, error: `element ${el.index}: ${envProblem}` };
    const user: Word | undefined = input.asHostUser ? { sh: '"$(id -u):$(id -g)"' } : r.spec.User;
    const c = engineCreateWords(r.spec, engine, user);
    if (!c.ok) return { ok: false, error: `element ${el.index}: ${c.error}` };
    const hasEnv = r.spec.Env.length > 0;
    const render = (g: Word[]): string[] => g.map((x) => secrets.render(x));
    const create: string[][] = [[engine, ...c.global.flatMap(render), 'create', '--name', '"$NAME"', ...(hasEnv ? ['--env-file', '"$ENV_FILE"'] : [])], ...c.words.map(render)];
    const body = [
      ...(hasEnv || secrets.used.length ? [elementArg] : []),
      `NAME=${shellQuote(name)}`,
      ...(hasEnv ? ['ENV_FILE=$ELEMENT/env', '[ -f "$ENV_FILE" ] || { echo "cubelab: $ENV_FILE is missing: the container\'s environment cannot be passed" >&2; exit 125; }'] : []),
      ...(secrets.used.length ? ['ARGS_FILE=$ELEMENT/args', ...ARGS_READER] : []),
      `${commandLines(create)} >/dev/null || exit 125`,
      ...(hasEnv ? ['rm -f "$ENV_FILE"'] : []),
      ...(engine === 'podman'
        ? ['# The batch script stops the container on a signal: podman does not forward it (its helpers get the job\'s signals too).', 'exec podman start --attach --sig-proxy=false "$NAME"']
        : ['exec docker start --attach "$NAME"']),
    ];
    return {
      ok: true,
      value: {
        runSh: lines(...head, ...body),
        env: hasEnv ? r.spec.Env.join('\n') + '\n' : undefined,
        args: secrets.used.length ? secrets.used.map((v) => `${v}\0`).join('') : undefined,
        warnings,
      },
    };
  }

  // apptainer / singularity: the run layer's singularity plan, with the cluster's executable.
  const sp = el.plan.platforms.singularity;
  if (!sp) return { ok: false, error: `element ${el.index}: the cube has no singularity plan (${el.plan.warnings.find((w) => /singularity/i.test(w)) ?? 'its singularity settings cannot be planned'})` };
  let all: string[];
  let exe: string[];
  let runArgs: string[];
  try {
    all = splitShellWords(sp.command, input.host);
    exe = splitShellWords(sp.executable, input.host);
    runArgs = splitShellWords(sp.runArgs, input.host);
  } catch (e) {
    return { ok: false, error: `element ${el.index}: cannot read the singularity command line: ${(e as Error).message}` };
  }
  const prefix = [...exe, sp.verb, ...runArgs, ...sp.binds.flatMap((b) => ['--bind', b]), sp.image];
  if (prefix.some((w, i) => all[i] !== w)) {
    return { ok: false, error: `element ${el.index}: the singularity command line does not have the expected form (${sp.command})` };
  }
  const tail = all.slice(prefix.length);
  if (exe.join(' ') !== 'singularity' && exe.join(' ') !== input.runtime) warnings.push(`The cube's singularity executable "${sp.executable}" is replaced by the target's runtime "${input.runtime}".`);
  let env: string[] = [];
  if (typeof el.plan.env === 'string') {
    const t = translateRunArgs(el.plan.env.trim() ? [el.plan.env] : [], null, input.host);
    if (!t.ok) return { ok: false, error: `element ${el.index}: ${t.error}` };
    env = t.value.env;
  } else env = Object.entries(el.plan.env).map(([k, v]) => `${k}=${v}`);
  const envProblem = checkEnv(env, true);
  if (envProblem) return { ok: false, error: `element ${el.index}: ${envProblem}` };
  const source: SifSource = input.sif ?? (sp.buildFile.startsWith('docker://') ? { docker: sp.buildFile } : { sif: sp.image });
  const prefixVar = input.runtime === 'apptainer' ? 'APPTAINERENV_' : 'SINGULARITYENV_';
  const body: string[] = [];
  let imageWord: Word;
  if ('sif' in source) {
    imageWord = source.sif;
  } else {
    const ref = source.docker.startsWith('docker://') ? source.docker : `docker://${source.docker}`;
    const digest = source.digest ?? /@(sha256:[0-9a-f]{64})$/.exec(ref)?.[1];
    let key: string;
    if (digest && /^sha256:[0-9a-f]{64}$/.test(digest)) key = digest.replace(':', '-');
    else {
      key = `ref-${[...ref].map((c) => (/[A-Za-z0-9_.-]/.test(c) ? c : '_')).join('')}`;
      warnings.push(`The image ${ref} has no digest: its SIF is cached by name, and a moved tag is not pulled again.`);
    }
    const cache = input.sifCache ? shellQuote(trimSlash(input.sifCache)) : '"$HOME/.cache/cubelab/sif"';
    body.push(
      `SIF_CACHE=${cache}`,
      `SIF=$SIF_CACHE/${key}.sif`,
      'mkdir -p "$SIF_CACHE" || exit 125',
      '# One pull per image for all elements and jobs: the first takes the lock, the others wait and find the SIF.',
      '(',
      '  flock 9 || exit 125',
      '  if [ ! -s "$SIF" ]; then',
      `    ${input.runtime} pull "$SIF.part.$$" ${secrets.render(ref)} && mv -f "$SIF.part.$$" "$SIF"`,
      '    status=$?',
      '    rm -f "$SIF.part.$$"',
      '    exit $status',
      '  fi',
      ') 9>"$SIF.lock" || { echo "cubelab: could not pull the image into $SIF" >&2; exit 125; }',
    );
    imageWord = { sh: '"$SIF"' };
  }
  if (env.length) {
    body.push(
      'ENV_FILE=$ELEMENT/env',
      '[ -f "$ENV_FILE" ] || { echo "cubelab: $ENV_FILE is missing: the container\'s environment cannot be passed" >&2; exit 125; }',
      '# NAME=value lines, exported for the container without being evaluated.',
      'while IFS= read -r line || [ -n "$line" ]; do',
      `  case $line in *=*) export "${prefixVar}$line" ;; esac`,
      'done <"$ENV_FILE"',
      'rm -f "$ENV_FILE"',
    );
  }
  const groups: Word[][] = [...runArgs.map((a) => [a]), ...sp.binds.map((b) => ['--bind', b]), [imageWord], ...tail.map((t) => [t])];
  const rendered: string[][] = [[input.runtime, sp.verb], ...groups.map((g) => g.map((x) => secrets.render(x)))];
  const argsLines = secrets.used.length ? ['ARGS_FILE=$ELEMENT/args', ...ARGS_READER] : [];
  return {
    ok: true,
    value: {
      runSh: lines(...head, ...(env.length || secrets.used.length ? [elementArg] : []), ...body, ...argsLines, `exec ${commandLines(rendered)}`),
      env: env.length ? env.join('\n') + '\n' : undefined,
      args: secrets.used.length ? secrets.used.map((v) => `${v}\0`).join('') : undefined,
      warnings,
    },
  };
}

/** The batch script of one chunk (or of a task). */
function chunkScript(input: BatchScriptInput, jobName: string, chunk: { offset: number; indices: number[]; array?: string }, k: number, chunks: number, total: number): string {
  const s = input.settings;
  const array = chunk.array !== undefined;
  const p = input.parallelism;
  const sb: string[] = [
    `--job-name=${jobName}`,
    array ? '--output=slurm-%A_%a.out' : '--output=slurm-%j.out',
    ...(array ? [`--array=${chunk.array}${p !== undefined && p < chunk.indices.length ? `%${p}` : ''}`] : []),
    ...sbatchOptions(s),
  ];
  const engine = input.runtime === 'docker' || input.runtime === 'podman' ? input.runtime : undefined;
  const what = array
    ? `element${chunk.indices.length > 1 ? 's' : ''} ${arrayRanges(chunk.indices)} of ${total}${chunks > 1 ? ` (chunk ${k + 1} of ${chunks})` : ''}; element = ${chunk.offset} + array task id`
    : `task ${input.task}, element ${chunk.indices[0]}`;
  const grace = input.stopGraceSeconds ?? DEFAULT_STOP_GRACE;
  const rm = engine === 'podman' ? 'podman rm -f -t 0' : 'docker rm -f';
  // A signalled element's container gets TERM and `grace` seconds (less than the cluster's KillWait, after which
  // Slurm kills this script too), then goes; one that ended by itself is only removed (unless kept).
  const remove = engine
    ? [
      '  if [ "${2:-}" = signal ]; then',
      `    ${engine} stop --time=${grace} "$NAME" >/dev/null 2>&1`,
      ...(input.keepContainer ? ['  fi'] : ['  fi', `  ${rm} "$NAME" >/dev/null 2>&1`]),
    ]
    : ['  # apptainer/singularity processes belong to the job: Slurm ends them with it.'];
  return lines(
    HEADER,
    ...sb.map((o) => `#SBATCH ${sbatchQuote(o)}`),
    `# CubeLab run ${input.runId}: ${what} (generated by CubeLab).`,
    '# Submit from the run folder (cd RUN_FOLDER && sbatch THIS_SCRIPT): every path is relative to the job\'s working directory.',
    '# Element i writes elements/i/output.log and elements/i/exit_code (the container\'s code, or 128+signal).',
    `OFFSET=${chunk.offset}`,
    array ? 'INDEX=$((OFFSET + SLURM_ARRAY_TASK_ID))' : 'INDEX=$OFFSET',
    'ELEMENT=$PWD/elements/$INDEX',
    array ? 'JOB_OUT=$PWD/slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.out' : 'JOB_OUT=$PWD/slurm-${SLURM_JOB_ID}.out',
    ...(engine ? [`NAME=${shellQuote(`cubelab-${input.runId}-`)}$INDEX`] : []),
    'CODE=',
    'CHILD=',
    '',
    '# Runs once, however the element ends (its end, a failure, scancel, a time limit): the container goes, the code stays.',
    'finish() {',
    '  trap \'\' TERM INT',
    '  trap - EXIT',
    '  [ -n "$CODE" ] || CODE=$1',
    '  rm -f "$ELEMENT/env" "$ELEMENT/args"',
    '  if [ -d "$ELEMENT" ]; then',
    '    printf \'%s\\n\' "$CODE" >"$ELEMENT/exit_code.tmp" && mv -f "$ELEMENT/exit_code.tmp" "$ELEMENT/exit_code"',
    '  fi',
    '  [ -n "$CHILD" ] && kill "$CHILD" 2>/dev/null',
    ...remove,
    '  [ -s "$JOB_OUT" ] || rm -f "$JOB_OUT"',
    '  exit "$CODE"',
    '}',
    'trap \'finish 143 signal\' TERM',
    'trap \'finish 130 signal\' INT',
    'trap \'finish $?\' EXIT',
    '',
    'if [ ! -x "$ELEMENT/run.sh" ]; then',
    '  echo "cubelab: $ELEMENT/run.sh is missing: was the job submitted from its run folder?" >&2',
    '  finish 2',
    'fi',
    'rm -f "$ELEMENT/exit_code"',
    'exec >>"$ELEMENT/output.log" 2>&1',
    ...(s.preamble?.length ? ['# Preamble (the target\'s settings).', ...s.preamble] : []),
    ...(engine ? ['# A container left by an earlier attempt of this element (a requeued job).', `${engine} rm -f "$NAME" >/dev/null 2>&1`] : []),
    '# In the background, so that a signal reaches the trap at once (Slurm kills the job KillWait seconds after TERM).',
    'bash "$ELEMENT/run.sh" "$ELEMENT" &',
    'CHILD=$!',
    'wait "$CHILD"',
    'CODE=$?',
    'CHILD=',
    'finish "$CODE"',
  );
}

/**
 * Generates the batch scripts and element files of a task or a sweep. Nothing is written; every problem (a
 * setting, a flag the engine cannot take, a secret that would land in a script) is a sentence in `error`.
 */
export function generateBatchScripts(input: BatchScriptInput): BatchResult {
  const fail = (error: string): BatchResult => ({ ok: false, error });
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(input.runId)) return fail(`the run id ${JSON.stringify(input.runId)} cannot name a job or a container`);
  if (!CONTAINER_RUNTIMES.includes(input.runtime)) return fail(`the container runtime ${JSON.stringify(input.runtime)} is none of ${CONTAINER_RUNTIMES.join(', ')}`);
  const jobName = input.jobName ?? defaultJobName(input.runId);
  if (!/^[A-Za-z0-9_.+-]+$/.test(jobName)) return fail(`the job name ${JSON.stringify(jobName)} must be letters, digits and _ . + -`);
  const problems = checkSettings(input.settings);
  if (problems.length) return fail(`The Slurm settings cannot be used: ${problems.join('; ')}.`);
  if (!input.elements.length) return fail('there is no element to run');
  if (!input.sweep && (input.elements.length !== 1)) return fail('a task runs exactly one element (a sweep runs several)');
  const seen = new Set<number>();
  for (const e of input.elements) {
    if (!Number.isInteger(e.index) || e.index < 0) return fail(`the element index ${e.index} is not a whole number of at least 0`);
    if (seen.has(e.index)) return fail(`element ${e.index} is listed twice`);
    seen.add(e.index);
  }
  const p = input.parallelism;
  if (p !== undefined && (!Number.isInteger(p) || p < 1)) return fail(`the parallelism ${p} is not a whole number of at least 1`);
  const g = input.stopGraceSeconds;
  if (g !== undefined && (!Number.isInteger(g) || g < 0)) return fail(`the stop grace ${g} is not a whole number of seconds`);
  const max = input.maxArraySize ?? DEFAULT_MAX_ARRAY_SIZE;
  if (!Number.isInteger(max) || max < 1) return fail(`MaxArraySize ${max} is not a whole number of at least 1`);

  const warnings: string[] = [];
  const files: GeneratedFile[] = [];
  const chunks: BatchChunk[] = [];
  const runDir = trimSlash(input.runDir);
  const indices = input.elements.map((e) => e.index).sort((a, b) => a - b);
  const groups = new Map<number, number[]>();
  if (input.sweep) {
    for (const i of indices) { const c = chunkOf(i, max); groups.set(c.chunk, [...(groups.get(c.chunk) ?? []), i]); }
  }
  const plan: { offset: number; indices: number[]; array?: string }[] = input.sweep
    ? [...groups.entries()].map(([c, ids]) => ({ offset: c * max, indices: ids, array: arrayRanges(ids.map((i) => i - c * max)) }))
    : [{ offset: indices[0] ?? 0, indices }];
  plan.forEach((c, k) => {
    const path = `${runDir}/${plan.length === 1 ? 'batch.sh' : `batch-${k}.sh`}`;
    const text = chunkScript(input, jobName, c, k, plan.length, input.elements.length);
    chunks.push({ path, text, offset: c.offset, indices: c.indices, ...(c.array !== undefined ? { array: c.array } : {}) });
    files.push({ path, text, mode: 0o700, secret: false });
  });
  const secretFiles: { el: number; secrets: Secret[] }[] = [];
  for (const el of [...input.elements].sort((a, b) => a.index - b.index)) {
    const r = elementFiles(input, el);
    if (!r.ok) return fail(r.error);
    for (const w of r.value.warnings) if (!warnings.includes(w)) warnings.push(w);
    const dir = elementDir(runDir, el.index);
    files.push({ path: `${dir}/${ELEMENT_FILES.script}`, text: r.value.runSh, mode: 0o700, secret: false });
    if (r.value.env !== undefined) files.push({ path: `${dir}/${ELEMENT_FILES.env}`, text: r.value.env, mode: 0o600, secret: true });
    if (r.value.args !== undefined) files.push({ path: `${dir}/${ELEMENT_FILES.args}`, text: r.value.args, mode: 0o600, secret: true });
    secretFiles.push({ el: el.index, secrets: planSecrets(el.plan) });
  }
  // The promise of this module: no secret value in a script, whatever the plan holds.
  for (const { el, secrets } of secretFiles) {
    for (const s of secrets) {
      if (s.value.length < MIN_SECRET) continue;
      const hit = files.find((f) => !f.secret && f.text.includes(s.value));
      if (hit) return fail(`the value of ${s.name} (element ${el}) would be written into ${hit.path.slice(runDir.length + 1)}; it may not appear in the run's settings, names or paths`);
    }
  }
  return { ok: true, value: { chunks, files, warnings } };
}
