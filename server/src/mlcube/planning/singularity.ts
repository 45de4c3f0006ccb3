/**
 * The singularity materialisation of a task plan: what `mlcube run --platform=singularity` would execute
 * (docs/mlcube.md §1.5, §3; mlcommons/mlcube runners/mlcube_singularity/mlcube_singularity/singularity_run.py and
 * singularity_client.py at 6b32fa359110b8548000b2cf4770a3f5f31d1715). `Config.merge` decides where the SIF comes
 * from: an existing `image_dir/image`, else the section's recipe (a file under the MLCube root, `docker://` or
 * `docker-archive:`), else the docker section's image (`docker://<image>`, SIF named after its letters and
 * digits). No Singularity client is consulted (clusters have their own), so the executable and build arguments are
 * the section's or the defaults. Pure.
 */
import type { SingularityPlatformPlan, TaskPlanMount } from '../../../../shared/lsp-protocol';
import type { FileAccess } from '../../service/languageService';
import { pyStr } from '../interpolation';
import { absJoin } from '../mounts';

const isDict = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** `Config.DEFAULT` of the singularity runner, with `${runtime.workspace}` filled in. */
function defaults(workspace: string): Record<string, unknown> {
  return {
    image: undefined, image_dir: `${workspace}/.image`, singularity: 'singularity', build_args: '--fakeroot', run_args: '',
    build_file: 'Singularity.recipe', '--network': null, '--security': null, '--nv': null, '--vm-ram': null, '--vm-cpu': null, '--mount_opts': '',
  };
}

const KNOWN = Object.keys(defaults(''));
const alnum = (s: string): string => [...s].filter((c) => /[\p{L}\p{N}]/u.test(c)).join('');

export interface SingularityInputs {
  /** The resolved effective configuration (its `singularity` and `docker` sections). */
  config: Record<string, unknown>;
  root: string;
  workspace: string;
  mounts: TaskPlanMount[];
  /** `[task, --p=...]` as mlcube generates them. */
  taskArgs: string[];
  /** The task's entrypoint string, if it has one. */
  entrypoint: string | null;
  /** `mlcube run` flags (network, security, gpus, memory, cpu), as singularity runner keys. */
  runnerFlags: Record<string, string>;
  fs: FileAccess;
}

export type SingularityResult = { ok: true; plan: SingularityPlatformPlan } | { ok: false; error: string };

export function planSingularity(p: SingularityInputs): SingularityResult {
  const section = isDict(p.config.singularity) ? { ...p.config.singularity } : {};
  for (const [k, v] of Object.entries(p.runnerFlags)) section[k] = v;
  const unknown = Object.keys(section).filter((k) => !KNOWN.includes(k));
  if (unknown.length) return { ok: false, error: `ConfigurationError: Unknown keys: ${pyStr(unknown)}. Namespace = runner.` };
  const base = defaults(p.workspace);
  const runner: Record<string, unknown> = { ...base };
  const merge = (s: Record<string, unknown>) => { for (const [k, v] of Object.entries(s)) runner[k] = v; };

  const imageDir = typeof section.image_dir === 'string' ? section.image_dir : String(base.image_dir);
  const existing = typeof section.image === 'string' && p.fs.exists(absJoin(absJoin(p.root, imageDir), section.image));
  const recipe = typeof section.build_file === 'string' ? section.build_file : String(base.build_file);
  const recipeOk = recipe.startsWith('docker://') || recipe.startsWith('docker-archive:') || (p.fs.exists(absJoin(p.root, recipe)) && !p.fs.isDirectory(absJoin(p.root, recipe)));
  if (existing) merge(section);
  else if (recipeOk) {
    if (section.image === undefined) section.image = `${alnum(recipe)}.sif`;
    merge(section);
  } else if (isDict(p.config.docker) && typeof p.config.docker.image === 'string') {
    const d = p.config.docker;
    section.image = `${alnum(d.image as string)}.sif`;
    section.build_file = typeof d.tar_file === 'string' ? `docker-archive:${d.tar_file}` : `docker://${String(d.image)}`;
    merge(section);
  } else {
    merge(section);
  }
  for (const key of ['image', 'image_dir', 'singularity']) {
    const v = runner[key];
    if (typeof v !== 'string') return { ok: false, error: `IllegalParameterTypeError: name=runner.${key}, actual_value=${pyStr(v ?? null)}, expected_value_type=<class 'str'> (no SIF image, no recipe and no docker image to build one from)` };
    if (v.trim() === '') return { ok: false, error: `IllegalParameterValueError: name=runner.${key}, actual_value=${v}, expected_value='non-blank string'` };
  }

  // SingularityRun._get_extra_args: `--x=v` for every set flag but --mount_opts; `--nv` bare.
  const extra = Object.entries(runner)
    .filter(([k, v]) => k.startsWith('--') && v !== null && v !== undefined && k !== '--mount_opts')
    .map(([k, v]) => (k === '--nv' ? k : `${k}=${pyStr(v)}`));
  let runArgs = pyStr(runner.run_args ?? '');
  if (extra.length) runArgs += ` ${extra.join(' ')}`;
  const binds = p.mounts.map((m) => `${m.host}:${m.container}${m.mode ? `:${m.mode}` : ''}`);
  const image = absJoin(absJoin(p.root, String(runner.image_dir)), String(runner.image));
  const exe = String(runner.singularity);
  const volumes = binds.map((b) => `--bind ${b}`).join(' ');
  const verb: 'run' | 'exec' = p.entrypoint ? 'exec' : 'run';
  // By contract, a custom entrypoint does not get the task name.
  const args = p.entrypoint ? p.taskArgs.slice(1) : p.taskArgs;
  const parts = [exe, verb, runArgs, volumes, image, ...(p.entrypoint ? [p.entrypoint] : []), args.join(' ')];
  const command = parts.map((x) => x.trim()).filter(Boolean).join(' ');
  const buildArgs = pyStr(runner.build_args ?? '');
  const buildFile = String(runner.build_file);
  const buildCommand = `cd ${p.root} ; ${[exe, 'build', buildArgs, image, buildFile].map((x) => x.trim()).filter(Boolean).join(' ')}`;
  return { ok: true, plan: { executable: exe, image, buildFile, buildArgs, runArgs: runArgs.trim(), binds, verb, buildCommand, command } };
}

/** mlcube's run flags as singularity runner keys (parser.py `parse_extra_arg` for the singularity platform). */
export function singularityRunnerFlags(options: { network?: string; security?: string; gpus?: string; memory?: string; cpu?: string }): Record<string, string> {
  const out: Record<string, string> = {};
  if (options.network) out['--network'] = options.network;
  if (options.security) out['--security'] = options.security;
  if (options.gpus !== undefined) out['--nv'] = '';
  if (options.memory) out['--vm-ram'] = options.memory;
  if (options.cpu) out['--vm-cpu'] = options.cpu;
  return out;
}
