/**
 * The task plan (cubelab/taskPlan): what `mlcube run --platform=docker --task=T` would do for one task, computed
 * the way mlcube HEAD does it (docs/mlcube.md §1.1, §1.6, §1.7, §2.1–2.4), or the error it would stop with.
 *
 * Steps, in mlcube's order: effective config (manifest + `-P` + runtime + docker runner) → runner validation →
 * task normalisation (`check_parameters`, `name=value` overrides) → `OmegaConf.resolve` → task selection →
 * workspace sync → mounts and args → GPU spec and run args → entrypoint.
 */
import type { TaskPlan, TaskPlanImageBuild, TaskPlanParams, TaskPlanResult } from '../../../shared/lsp-protocol';
import type { AnalyzedDocument, FileAccess, ServiceContext } from '../service/languageService';
import {
  dockerDefaults, effectiveConfig, pyStr, resolveConfig, resolveValue, type ResolutionError,
} from './interpolation';
import { parseOverrides, type RunOptionName } from './overrides';
import {
  absJoin, expandUser, generateMountsAndArgs, isAbsolute, joinPosix, normalizePosix, normpathPosix, splitPosix, type ParamDef,
} from './mounts';
import { loadManifest, orderedEntries, type KeyOrder, type KeyTypes } from './planning/manifest';
import { dockerGpus, gpuSpecFromConfig } from './planning/gpus';
import { needsShellQuoting, shlexSplit } from './planning/shlex';
import { planSingularity, singularityRunnerFlags } from './planning/singularity';

export interface PlanOptions {
  /** Absolute path of the manifest file; its folder is the MLCube root. */
  manifestPath: string;
  task: string;
  overrides?: readonly string[];
  workspace?: string;
  env: Record<string, string | undefined>;
  fs: FileAccess;
  /** YAML key order of the manifest (see planning/manifest.ts); JS order when absent. */
  keyOrder?: KeyOrder;
  /** Python types of non-string keys (see planning/manifest.ts); all keys are strings when absent. */
  keyTypes?: KeyTypes;
}

type Fail = { ok: false; error: string; code: string; warnings?: string[] };
const fail = (code: string, error: string, warnings?: string[]): Fail => ({ ok: false, code, error, ...(warnings?.length ? { warnings } : {}) });
const isDict = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Python's type name of a config value, for mlcube's error messages. */
function pyType(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  return Array.isArray(v) ? 'ListConfig' : 'DictConfig';
}

function interpolationError(e: ResolutionError, path?: readonly string[]): string {
  return `${e.message}${path && path.length ? `\n    full_key: ${path.join('.')}` : ''}`;
}

/** The request handler: the open document's manifest, planned. */
export function planTask(doc: AnalyzedDocument, params: TaskPlanParams, ctx: ServiceContext): TaskPlanResult {
  if (!doc.path || !isAbsolute(doc.path.replace(/\\/g, '/').replace(/^[A-Za-z]:/, ''))) {
    return fail('document', `${doc.uri} is not a file on disk; mlcube runs only local manifests.`);
  }
  const loaded = loadManifest(doc.parsed);
  if (!loaded.ok) return fail('yaml', loaded.error);
  return planFromManifest(loaded.value, {
    manifestPath: doc.path.replace(/\\/g, '/'),
    task: params.task,
    overrides: params.overrides,
    workspace: params.workspace,
    env: ctx.env,
    fs: ctx.fs,
    keyOrder: loaded.keyOrder,
    keyTypes: loaded.keyTypes,
  });
}

/** mlcube's run flags → docker runner keys (parser.py `parse_extra_arg`; falsy values are ignored except `--gpus`). */
function runnerFlags(options: Partial<Record<RunOptionName, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  if (options.network) out['--network'] = options.network;
  if (options.security) out['--security-opt'] = options.security;
  if (options.gpus !== undefined) out['--gpus'] = options.gpus.trim();
  if (options.memory) out['--memory'] = options.memory;
  if (options.cpu) out['--cpuset-cpus'] = options.cpu;
  if (options.mount) out['--mount_opts'] = options.mount;
  return out;
}

export function planFromManifest(manifest: Record<string, unknown>, opts: PlanOptions): TaskPlanResult {
  const warnings: string[] = [];
  const { env, fs } = opts;
  const order = opts.keyOrder ?? (() => undefined);
  const keyTypes: KeyTypes = opts.keyTypes ?? (() => ({}));

  // ---- CLI ----
  const parsedArgs = parseOverrides(opts.overrides ?? []);
  if (parsedArgs.errors.length) return fail('overrides', parsedArgs.errors.join('\n'));
  const root = normpathPosix(splitPosix(opts.manifestPath)[0] || '.');
  let workspace: string | undefined;
  const wsArg = opts.workspace ?? parsedArgs.options.workspace;
  if (wsArg !== undefined && wsArg !== '') {
    if (wsArg.startsWith('storage:')) return fail('config', 'ValueError: Storage schema is not yet supported');
    workspace = absJoin(root, expandUser(wsArg, env)); // relative to the MLCube root here, to the cwd in mlcube
  }

  // ---- Effective config (docs/mlcube.md §1.1) ----
  const cfg = effectiveConfig(manifest, { root, workspace, configOverrides: parsedArgs.config, runnerFlags: runnerFlags(parsedArgs.options) });
  const invalid = validateRunner(cfg, env);
  if (invalid) return invalid;

  // ---- Tasks (config.py: ensure_values_exist / check_parameters) ----
  if (!('tasks' in cfg)) return fail('config', 'ConfigAttributeError: Missing key tasks');
  const tasks = cfg.tasks;
  if (Array.isArray(tasks)) return fail('config', 'ConfigAttributeError: ListConfig does not support attribute access (`tasks` is a list: a v1 manifest?)');
  if (!isDict(tasks)) return fail('config', `AttributeError: '${pyType(tasks)}' object has no attribute 'keys' (\`tasks\` must be a mapping)`);
  const taskNames = orderedEntries(tasks, order(['tasks'])).map(([k]) => k);
  const taskKeyTypes = keyTypes(['tasks']);
  for (const name of taskNames) {
    if (taskKeyTypes[name]) return fail('config', nonStringKey(taskKeyTypes[name], `task name ${name}`), warnings);
    const err = normaliseTask(cfg, name, parsedArgs.params, env, warnings, keyTypes, order);
    if (err) return fail(err.code, err.error, warnings);
  }

  // ---- OmegaConf.resolve ----
  const resolved = resolveConfig(cfg, env);
  if (!resolved.ok) return fail('interpolation', interpolationError(resolved.error, resolved.path), warnings);
  const rc = resolved.value;
  // A resolved value that still holds `${` (from an escaped `\${`) is resolved again when mlcube reads it.
  const read = (path: string[]): { ok: true; value: unknown } | Fail => {
    const v = path.reduce<unknown>((o, k) => (isDict(o) ? o[k] : undefined), rc);
    if (typeof v !== 'string' || !v.includes('${')) return { ok: true, value: v };
    const r = resolveValue(v, rc, env, { path });
    return r.ok ? r : fail('interpolation', interpolationError(r.error, path), warnings);
  };

  // ---- Task selection (__main__.py run) ----
  const rtasks = rc.tasks as Record<string, unknown>;
  let taskName = opts.task;
  if (!taskName) {
    if (taskNames.length !== 1) return fail('task', `Task name could not be automatically resolved (supported tasks = ${pyStr(taskNames)}).`, warnings);
    taskName = taskNames[0]!; // exactly one, checked just above
  }
  if (!Object.prototype.hasOwnProperty.call(rtasks, taskName)) {
    return fail('task', `Unknown tasks have been requested: supported tasks = ${pyStr(taskNames)}, requested tasks = ${pyStr([taskName])}, unknown tasks = ${pyStr([taskName])}.`, warnings);
  }
  const task = rtasks[taskName] as Record<string, unknown>;

  // ---- Workspace ----
  const wsValue = read(['runtime', 'workspace']);
  if (!wsValue.ok) return wsValue;
  const ws = normpathPosix(typeof wsValue.value === 'string' ? wsValue.value : pyStr(wsValue.value));
  const mkdirs: string[] = [];
  if (!fs.isDirectory(ws)) mkdirs.push(ws);

  // ---- Parameters, read as mlcube reads them ----
  const paramList = (io: 'inputs' | 'outputs'): [string, ParamDef][] | Fail => {
    const section = (task.parameters as Record<string, unknown>)[io] as Record<string, unknown>;
    const out: [string, ParamDef][] = [];
    for (const [name] of orderedEntries(section, order(['tasks', taskName, 'parameters', io]))) {
      const base = ['tasks', taskName, 'parameters', io, name];
      const d = read([...base, 'default']);
      if (!d.ok) return d;
      const t = read([...base, 'type']);
      if (!t.ok) return t;
      const o = read([...base, 'opts']);
      if (!o.ok) return o;
      if (typeof d.value !== 'string') {
        return fail('params', `TypeError: expected str, bytes or os.PathLike object, not ${pyType(d.value)} (the default of parameter ${name} of task ${taskName} is ${pyStr(d.value)}, not a path)`, warnings);
      }
      out.push([name, { type: t.value, default: d.value, opts: o.value }]);
    }
    return out;
  };
  const inputs = paramList('inputs');
  if (!Array.isArray(inputs)) return inputs;
  const outputs = paramList('outputs');
  if (!Array.isArray(outputs)) return outputs;

  // ---- Workspace sync (shell.py sync_workspace) ----
  const sync = planWorkspaceSync(root, ws, inputs, rtasks, fs);
  const mountOpts = read(['runner', '--mount_opts']);
  if (!mountOpts.ok) return mountOpts;
  const m = generateMountsAndArgs({
    task: taskName, inputs, outputs, workspace: ws, mountOpts: mountOpts.value, env, fs,
    existingDirs: sync.filter((s) => s.kind === 'directory').map((s) => s.to),
    existingFiles: sync.filter((s) => s.kind === 'file').map((s) => s.to),
  });
  if (!m.ok) return fail('mounts', m.error, warnings);
  warnings.push(...m.value.warnings);
  for (const d of m.value.mkdirs) if (!mkdirs.includes(d)) mkdirs.push(d);

  // ---- GPUs and run args (docker_run.py run) ----
  const platform = rc.platform;
  if (platform !== undefined && platform !== null && !isDict(platform)) {
    return fail('config', `AttributeError: '${pyType(platform)}' object has no attribute 'get' (\`platform\` must be a mapping)`, warnings);
  }
  const acc = read(['platform', 'accelerator_count']);
  if (!acc.ok) return acc;
  const gpuFlag = read(['runner', '--gpus']);
  if (!gpuFlag.ok) return gpuFlag;
  const g = gpuSpecFromConfig(acc.value, gpuFlag.value);
  if (!g.ok) return fail('gpus', g.error, warnings);
  warnings.push(...g.warnings);
  const gpus = dockerGpus(g.spec);
  const runnerValues: Record<string, unknown> = {};
  for (const key of Object.keys(rc.runner as Record<string, unknown>)) {
    const r = read(['runner', key]);
    if (!r.ok) return r;
    runnerValues[key] = r.value;
  }
  let runArgs = pyStr(gpus === null ? runnerValues.cpu_args : runnerValues.gpu_args);
  const extra = Object.entries(runnerValues)
    .filter(([k, v]) => k.startsWith('--') && v !== null && v !== undefined && k !== '--mount_opts' && k !== '--gpus')
    .map(([k, v]) => `${k}=${pyStr(v)}`);
  if (extra.length) runArgs += ' ' + extra.join(' ');
  if (gpus !== null && /(^|\s)--gpus(\s|=|$)/.test(pyStr(runnerValues.gpu_args))) {
    warnings.push(`gpu_args already contains --gpus and mlcube appends --gpus=${gpus}: docker receives two --gpus flags (the last one wins).`);
  }

  // ---- Entrypoint ----
  let ep: EntrypointPlan = { entrypoint: [], args: [taskName, ...m.value.paramArgs], flag: null, rest: '' };
  if (Object.prototype.hasOwnProperty.call(task, 'entrypoint')) {
    const e = read(['tasks', taskName, 'entrypoint']);
    if (!e.ok) return e;
    const planned = planEntrypoint(e.value, taskName, m.value.paramArgs, warnings);
    if ('ok' in planned) return planned;
    ep = planned;
  }

  // ---- Env, build, command ----
  const envValue = runnerValues.env_args;
  const env_: Record<string, string> | string = isDict(envValue)
    ? Object.fromEntries(Object.entries(envValue).map(([k, v]) => [k, pyStr(v)]))
    : pyStr(envValue ?? '');
  const imageBuild = planImageBuild(root, runnerValues, fs, warnings);
  const image = pyStr(runnerValues.image);
  const docker = pyStr(runnerValues.docker);
  for (const mt of m.value.mounts) {
    if (/\s/.test(mt.host)) warnings.push(`The host path "${mt.host}" contains whitespace: mlcube's unquoted --volume flag breaks on it.`);
  }
  const command = dockerCommand({ docker, image, runArgs, gpus, ep, env: env_, mounts: m.value.mounts });

  // ---- The same task on the singularity platform (clusters) ----
  const entrypointValue = Object.prototype.hasOwnProperty.call(task, 'entrypoint') ? read(['tasks', taskName, 'entrypoint']) : { ok: true as const, value: null };
  const sing = planSingularity({
    config: rc, root, workspace: ws, mounts: m.value.mounts, taskArgs: [taskName, ...m.value.paramArgs],
    entrypoint: entrypointValue.ok && typeof entrypointValue.value === 'string' && entrypointValue.value !== '' ? entrypointValue.value : null,
    runnerFlags: singularityRunnerFlags(parsedArgs.options), fs,
  });
  const singularity = sing.ok ? sing.plan : null;
  const hasSingularity = isDict(manifest.singularity);
  if (!sing.ok && hasSingularity) warnings.push(`The singularity platform cannot run this task: ${sing.error}`);

  const plan: TaskPlan = {
    taskName,
    image,
    root,
    workspace: ws,
    entrypoint: ep.entrypoint,
    args: ep.args,
    paramArgs: m.value.paramArgs,
    mounts: m.value.mounts,
    env: env_,
    gpus,
    mkdirs,
    workspaceSync: sync,
    ...(envRefsOf(manifest, opts.overrides ?? [], env)),
    platforms: { docker: { tool: docker, runArgs, imageBuild, command }, singularity },
    warnings,
  };
  return { ok: true, plan };
}

/**
 * The environment variables the manifest (or an override) reads through `${oc.env:NAME}` / `${env:NAME}`, with
 * their values: the client keeps these out of run records and logs.
 */
function envRefsOf(manifest: Record<string, unknown>, overrides: readonly string[], env: Record<string, string | undefined>): { envRefs?: { name: string; value: string }[] } {
  const text = JSON.stringify(manifest) + overrides.join(' ');
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{\s*(?:oc\.env|env)\s*:\s*([A-Za-z_][A-Za-z0-9_]*)/g)) if (m[1]) names.add(m[1]);
  const refs = [...names].filter((n) => typeof env[n] === 'string' && env[n] !== '').map((n) => ({ name: n, value: env[n] as string }));
  return refs.length ? { envRefs: refs } : {};
}

/** docker_run.py `Config.validate`: no unknown runner keys; image, docker and build_strategy non-blank strings. */
function validateRunner(cfg: Record<string, unknown>, env: Record<string, string | undefined>): Fail | undefined {
  const runner = cfg.runner;
  if (!isDict(runner)) return fail('config', 'ConfigurationError: the runner section is not a mapping.');
  const known = Object.keys(dockerDefaults());
  const unknown = Object.keys(runner).filter((k) => !known.includes(k));
  if (unknown.length) return fail('config', `ConfigurationError: Unknown keys: ${pyStr(unknown)}. Namespace = runner.`);
  for (const key of ['image', 'docker', 'build_strategy']) {
    const raw = runner[key];
    const r = typeof raw === 'string' ? resolveValue(raw, cfg, env, { path: ['runner', key] }) : { ok: true as const, value: raw };
    if (!r.ok) return fail('interpolation', interpolationError(r.error, ['runner', key]));
    if (typeof r.value !== 'string') {
      return fail('config', `IllegalParameterTypeError: name=runner.${key}, actual_value=${pyStr(r.value)}, actual_value_type=<class '${pyType(r.value)}'>, expected_value_type=<class 'str'>`);
    }
    if (/^\s+$/.test(r.value)) {
      return fail('config', `IllegalParameterValueError: name=runner.${key}, actual_value=${r.value}, actual_value_type=<class 'str'>, expected_value='non-blank string'`);
    }
    if (key === 'build_strategy' && !['pull', 'auto', 'always'].includes(r.value)) {
      return fail('config', `IllegalParameterValueError: name=build_strategy, actual_value=${r.value}, actual_value_type=<class 'str'>, expected_value=['pull', 'auto', 'always']`);
    }
  }
  return undefined;
}

interface EntrypointPlan {
  entrypoint: string[];
  args: string[];
  /** The `--entrypoint=` value mlcube adds to the run args, or null. */
  flag: string | null;
  /** The entrypoint's other tokens, re-joined with spaces as mlcube puts them after the image. */
  rest: string;
}

/** docker_run.py `run`: how a task `entrypoint` changes the command (docs/mlcube.md §2.3 step 5). */
function planEntrypoint(value: unknown, taskName: string, paramArgs: string[], warnings: string[]): EntrypointPlan | Fail {
  if (typeof value !== 'string') return fail('entrypoint', `TypeError: the entrypoint of task ${taskName} must be a string, got ${pyStr(value)} (${pyType(value)}).`, warnings);
  const sp = shlexSplit(value);
  if (!sp.ok) return fail('entrypoint', `${sp.error} (in the entrypoint of task ${taskName}: ${value})`, warnings);
  const tokens = sp.tokens;
  const [first] = tokens;
  if (first !== undefined && tokens.length > 1) {
    const odd = tokens.slice(1).filter(needsShellQuoting);
    if (odd.length) {
      warnings.push(`mlcube re-joins the entrypoint's arguments with spaces and runs the line through the shell, so ${odd.map((t) => JSON.stringify(t)).join(', ')} will not reach the container as written.`);
    }
    return { entrypoint: tokens, args: [...paramArgs], flag: first, rest: tokens.slice(1).join(' ') };
  }
  if (first !== undefined) {
    if (paramArgs.length) {
      warnings.push(`The entrypoint of task ${taskName} is a single token (${tokens[0]}): mlcube passes none of the ${paramArgs.length} parameter argument(s) (${paramArgs.join(' ')}); the volumes are still mounted.`);
    }
    return { entrypoint: tokens, args: [], flag: first, rest: '' };
  }
  warnings.push(`The entrypoint of task ${taskName} is empty: mlcube runs with --entrypoint= (the image's ENTRYPOINT is cleared) and drops the task name.`);
  return { entrypoint: [''], args: [...paramArgs], flag: '', rest: '' };
}

/** docker_run.py `configure`: build context and recipe paths, and whether mlcube builds or pulls (docs/mlcube.md §2.2). */
function planImageBuild(root: string, runner: Record<string, unknown>, fs: FileAccess, warnings: string[]): TaskPlanImageBuild {
  const context = absJoin(root, pyStr(runner.build_context));
  const recipe = absJoin(context, pyStr(runner.build_file));
  const fileExists = fs.exists(recipe);
  const strategy = runner.build_strategy as TaskPlanImageBuild['strategy'];
  const buildArgs = runner.build_args;
  if (strategy !== 'pull' && !fileExists) warnings.push(`build_strategy is ${strategy} but the recipe ${recipe} does not exist: mlcube pulls the image instead.`);
  return {
    strategy,
    context,
    file: recipe,
    fileExists,
    buildArgs: isDict(buildArgs) ? Object.fromEntries(Object.entries(buildArgs).map(([k, v]) => [k, pyStr(v)])) : pyStr(buildArgs ?? ''),
    action: strategy !== 'pull' && fileExists ? 'build' : 'pull',
  };
}

/** The line docker_run.py hands to `os.system` (Shell.run strips each part and drops the empty ones). */
function dockerCommand(p: {
  docker: string; image: string; runArgs: string; gpus: string | null; ep: EntrypointPlan;
  env: Record<string, string> | string; mounts: TaskPlan['mounts'];
}): string {
  let runArgs = p.runArgs;
  if (p.gpus !== null) runArgs += ` --gpus=${p.gpus}`;
  if (p.ep.flag !== null) runArgs += ` --entrypoint=${p.ep.flag}`;
  const env = typeof p.env === 'string' ? p.env : Object.entries(p.env).map(([k, v]) => `-e ${k}=${v}`).join(' ');
  const volumes = p.mounts.map((v) => `--volume ${v.host}:${v.container}${v.mode ? `:${v.mode}` : ''}`).join(' ');
  const { entrypoint, args, rest } = p.ep;
  // A single-token entrypoint gets nothing after the image; a multi-token one gets its other tokens, then the args.
  const tail = entrypoint.length === 1 && entrypoint[0] !== '' ? [] : entrypoint.length > 1 ? [rest, args.join(' ')] : [args.join(' ')];
  return [p.docker, 'run', runArgs, env, volumes, p.image, ...tail].map((x) => x.trim()).filter(Boolean).join(' ');
}

/**
 * config.py `check_parameters` for one task, in place on the effective config: null sections become `{}`, a
 * null entrypoint is dropped, a string param becomes `{default}`, missing `default`/`type` get the param name /
 * `unknown` (or `directory` for a trailing slash), and `name=value` overrides replace defaults.
 */
/** mlcube's `ensure_values_exist(config, key)` iterates a key that is not a `str`: YAML `1:`, `yes:`, `~:` crash it. */
function nonStringKey(pyType: string, what: string): string {
  return `TypeError: '${pyType}' object is not iterable (YAML reads the ${what} as ${pyType}, which mlcube cannot handle: quote it)`;
}

function normaliseTask(
  cfg: Record<string, unknown>, name: string, cliParams: Record<string, string>, env: Record<string, string | undefined>,
  warnings: string[], keyTypes: KeyTypes, order: KeyOrder,
): { code: string; error: string } | undefined {
  const tasks = cfg.tasks as Record<string, unknown>;
  if (tasks[name] === null || tasks[name] === undefined) tasks[name] = {};
  const task = tasks[name];
  if (!isDict(task)) return { code: 'config', error: `AttributeError: '${pyType(task)}' object has no attribute 'get' (task ${name} must be a mapping)` };
  if ('entrypoint' in task && task.entrypoint === null) {
    warnings.push(`MLCube task (${name}) specifies an entrypoint that is None: removing it (a default entrypoint will be used).`);
    delete task.entrypoint;
  }
  if (task.parameters === null || task.parameters === undefined) task.parameters = {};
  const parameters = task.parameters;
  if (!isDict(parameters)) return { code: 'config', error: `AttributeError: '${pyType(parameters)}' object has no attribute 'get' (tasks.${name}.parameters must be a mapping)` };
  for (const io of ['inputs', 'outputs'] as const) {
    if (parameters[io] === null || parameters[io] === undefined) parameters[io] = {};
    const section = parameters[io];
    if (!isDict(section)) return { code: 'config', error: `AttributeError: '${pyType(section)}' object has no attribute 'keys' (tasks.${name}.parameters.${io} must be a mapping)` };
    const types = keyTypes(['tasks', name, 'parameters', io]);
    for (const [pname] of orderedEntries(section, order(['tasks', name, 'parameters', io]))) {
      if (types[pname]) return { code: 'params', error: nonStringKey(types[pname], `parameter name ${pname} of task ${name}`) };
      const path = ['tasks', name, 'parameters', io, pname];
      let def = section[pname];
      if (def === null || def === undefined) def = section[pname] = {};
      if (typeof def === 'string') {
        const r = resolveValue(def, cfg, env, { path });
        if (!r.ok) return { code: 'interpolation', error: interpolationError(r.error, path) };
        def = section[pname] = { default: r.value };
      }
      if (!isDict(def)) {
        return { code: 'params', error: `AttributeError: '${pyType(def)}' object has no attribute 'get' (parameter ${pname} of task ${name} is ${pyStr(def)}; parameters are paths: a string or {type, default, opts})` };
      }
      if (def.default === null || def.default === undefined) def.default = pname;
      if (def.type === null || def.type === undefined) def.type = 'unknown';
      const typeNow = (): unknown => {
        if (typeof def.type !== 'string') return def.type;
        const r = resolveValue(def.type, cfg, env, { path: [...path, 'type'] });
        return r.ok ? r.value : def.type;
      };
      const trailingSlash = (): { code: string; error: string } | boolean => {
        const d = typeof def.default === 'string' ? resolveValue(def.default, cfg, env, { path: [...path, 'default'] }) : { ok: true as const, value: def.default };
        if (!d.ok) return { code: 'interpolation', error: interpolationError(d.error, [...path, 'default']) };
        if (typeof d.value !== 'string') return { code: 'params', error: `AttributeError: '${pyType(d.value)}' object has no attribute 'endswith' (the default of parameter ${pname} of task ${name} is ${pyStr(d.value)}, not a path)` };
        return d.value.endsWith('/') || d.value.endsWith('\\');
      };
      if (typeNow() === 'unknown') {
        const t = trailingSlash();
        if (typeof t !== 'boolean') return t;
        if (t) def.type = 'directory';
      }
      if (Object.prototype.hasOwnProperty.call(cliParams, pname)) def.default = cliParams[pname];
      if (typeNow() === 'unknown') {
        const t = trailingSlash();
        if (typeof t !== 'boolean') return t;
        if (t) def.type = 'directory';
      }
    }
  }
  return undefined;
}

/**
 * shell.py `sync_workspace`: with a custom workspace, each input that exists under `<root>/workspace`, is missing
 * in the custom one, and is no task's output is copied over before the run.
 */
function planWorkspaceSync(root: string, ws: string, inputs: [string, ParamDef][], tasks: Record<string, unknown>, fs: FileAccess): TaskPlan['workspaceSync'] {
  const source = normpathPosix(`${root}/workspace`);
  if (!fs.exists(source) || source === ws) return [];
  const inside = (w: string, p: string): boolean => p === w || p.startsWith(w.endsWith('/') ? w : w + '/');
  const outputs: string[] = [];
  for (const t of Object.values(tasks)) {
    const outs = isDict(t) && isDict(t.parameters) && isDict(t.parameters.outputs) ? t.parameters.outputs : {};
    for (const d of Object.values(outs)) if (isDict(d) && typeof d.default === 'string') outputs.push(joinPosix(ws, d.default));
  }
  const out: TaskPlan['workspaceSync'] = [];
  for (const [, def] of inputs) {
    const from = joinPosix(source, def.default);
    const to = joinPosix(ws, def.default);
    if (!inside(source, normalizePosix(from)) || !fs.exists(from)) continue;
    if (!inside(ws, to) || fs.exists(to)) continue;
    if (outputs.includes(to)) continue;
    out.push({ from, to, kind: fs.isDirectory(from) ? 'directory' : 'file' });
  }
  return out;
}
