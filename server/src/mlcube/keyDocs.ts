/**
 * Which keys a manifest has where, and what each one means: the table behind completion, hover and the
 * did-you-mean fix. The structure (which section holds which keys) follows mlcube's loader
 * (docs/mlcube.md §1.2-§1.6); descriptions, defaults and enums come from
 * schemas/mlcube.schema.json when that schema has them, with the short built-in text below as a fallback.
 */
import { schemaAt } from './schema';
import { editDistance } from './checkContext';

/** The kinds of maps a manifest contains; every key path maps to at most one of them. */
export type Section =
  | 'top' | 'platform' | 'docker' | 'singularity' | 'tasks' | 'task' | 'parameters' | 'params' | 'param' | 'author';

export interface KeyDoc {
  key: string;
  /** Markdown description. */
  doc: string;
  /** Default value as mlcube fills it in, when there is one. */
  default?: string;
  /** Allowed values, for keys with a closed set. */
  values?: string[];
  /** True when the key's value is a map or list (completion then inserts a new line). */
  block?: boolean;
  /** Rarely used keys are sorted after the common ones. */
  rare?: boolean;
}

const D = (key: string, doc: string, more: Partial<KeyDoc> = {}): KeyDoc => ({ key, doc, ...more });

const runnerFlag = (flag: string, cli: string): KeyDoc =>
  D(flag, `Set by \`mlcube run ${cli}\`; rendered as \`${flag}=VALUE\` on the \`docker run\` line when not null.`, { default: 'null', rare: true });

/** The built-in table; the schema's descriptions replace the `doc` strings where it has them. */
const builtin: Record<Section, KeyDoc[]> = {
  top: [
    D('name', 'Name of the MLCube. Shown by `mlcube describe`; used as the job name by the k8s and kubeflow runners and available as `${name}`.'),
    D('description', 'Free-text description of the MLCube (documentation only).'),
    D('authors', 'List of authors, each `{name, email, org}` (documentation only).', { block: true }),
    D('version', 'Version string; `mlcube describe` prints `name:version`.', { rare: true }),
    D('platform', 'Hardware the MLCube needs. Only `accelerator_count` is read by a runner (docker: it selects `gpu_args` and, in current mlcube, adds `--gpus=N`).', { block: true }),
    D('docker', 'Settings of the docker runner. Unknown keys here are a hard error on the docker platform (`ConfigurationError: Unknown keys`).', { block: true }),
    D('singularity', 'Settings of the singularity runner. Falls back to the `docker` image when no SIF or recipe exists.', { block: true, rare: true }),
    D('tasks', 'The tasks of the MLCube: a map from task name to `{entrypoint, parameters}`. Required: without it mlcube fails with "Missing key tasks".', { block: true }),
  ],
  platform: [
    D('accelerator_count', 'Number of GPUs. The docker runner uses `gpu_args` when it is > 0 and (current mlcube) adds `--gpus=N`. Must be an integer: `"1"` crashes `mlcube run`.', { default: '0' }),
    D('accelerator_maker', 'GPU vendor, e.g. `NVIDIA` (documentation only: no runner reads it).', { rare: true }),
    D('accelerator_model', 'GPU model, e.g. `A100-80GB` (documentation only).', { rare: true }),
    D('host_memory_gb', 'Host memory in GB (documentation only).', { rare: true }),
    D('need_internet_access', 'Whether the tasks need the network (documentation only).', { rare: true }),
    D('host_disk_space_gb', 'Disk space in GB (documentation only).', { rare: true }),
  ],
  docker: [
    D('image', 'Docker image name, e.g. `mlcommons/mnist:0.0.1`. Required on the docker platform (`InterpolationKeyError \'docker.image\'` otherwise); must be a string.'),
    D('build_context', 'Folder sent to `docker build`, relative to the MLCube root (the manifest\'s folder).', { default: '.' }),
    D('build_file', 'Dockerfile used by `docker build`, relative to `build_context`.', { default: 'Dockerfile' }),
    D('build_strategy', '`pull`: always `docker pull`; `auto`: build when the image is missing; `always`: build before every task. A missing recipe means pull.', { default: 'pull', values: ['pull', 'auto', 'always'] }),
    D('build_args', '`--build-arg K=V` for each entry of a map, or a string passed verbatim to `docker build`.', { default: '{}' }),
    D('gpu_args', 'Free-form `docker run` flags used when GPUs are requested (`accelerator_count > 0` or `--gpus`).', { default: "''" }),
    D('cpu_args', 'Free-form `docker run` flags used when no GPU is requested.', { default: "''" }),
    D('env_args', '`-e K=V` for each entry of a map, or a string passed verbatim to `docker run`.', { default: '{}' }),
    D('docker', 'The docker executable, e.g. `podman` or `sudo docker`.', { default: 'docker', rare: true }),
    runnerFlag('--network', '--network=X'),
    runnerFlag('--security-opt', '--security=X'),
    runnerFlag('--gpus', '--gpus=X'),
    runnerFlag('--memory', '--memory=X'),
    runnerFlag('--cpuset-cpus', '--cpu=X'),
    D('--mount_opts', 'Set by `mlcube run --mount=ro|rw`: overrides `opts` of every input parameter.', { default: "''", values: ['', 'ro', 'rw'], rare: true }),
  ],
  singularity: [
    D('image', 'SIF file name, relative to `image_dir`.'),
    D('image_dir', 'Folder where the SIF is built or looked for.', { default: '${runtime.workspace}/.image' }),
    D('build_file', 'Singularity recipe relative to the MLCube root, or `docker://IMAGE`, or `docker-archive:TAR`.', { default: 'Singularity.recipe' }),
    D('build_args', 'Arguments of `singularity build`.', { default: '--fakeroot' }),
    D('run_args', 'Arguments of `singularity run`, e.g. `--nv`.', { default: "''" }),
    D('singularity', 'The singularity executable.', { default: 'singularity', rare: true }),
    D('--network', 'Set by `mlcube run --network=X`.', { rare: true }),
    D('--security', 'Set by `mlcube run --security=X`.', { rare: true }),
    D('--nv', 'Set by `mlcube run --gpus=X`.', { rare: true }),
    D('--vm-ram', 'Set by `mlcube run --memory=X`.', { rare: true }),
    D('--vm-cpu', 'Set by `mlcube run --cpu=X`.', { rare: true }),
    D('--mount_opts', 'Set by `mlcube run --mount=ro|rw`.', { values: ['', 'ro', 'rw'], rare: true }),
  ],
  tasks: [],
  task: [
    D('parameters', 'The task\'s `inputs` and `outputs`: file-system paths mounted into the container and passed as `--name=PATH`.', { block: true }),
    D('entrypoint', 'Command that replaces the image ENTRYPOINT. With several tokens the task name is dropped from the arguments; with a single token **all** `--param` arguments are dropped.'),
  ],
  parameters: [
    D('inputs', 'Input parameters: name -> path (a string) or `{type, default, opts}`. Paths are relative to the workspace.', { block: true }),
    D('outputs', 'Output parameters: name -> path or `{type, default, opts}`. Each needs a `type` or a trailing `/`.', { block: true }),
  ],
  params: [],
  param: [
    D('type', '`file` or `directory`. A file\'s parent folder is mounted; a directory is created and mounted. Without it an input\'s type is guessed from the host path, and an output must end with `/`.', { values: ['file', 'directory'] }),
    D('default', 'Path of the parameter, relative to the workspace unless absolute or `~`; environment variables (`$HOME`) are expanded. Defaults to the parameter name.'),
    D('opts', 'Mount option of the volume: `ro` or `rw`.', { values: ['ro', 'rw'] }),
  ],
  author: [
    D('name', 'Author name.'), D('email', 'Author e-mail.'), D('org', 'Author organisation.'),
  ],
};

/** The section a map at `path` is, e.g. ['tasks', 'train', 'parameters', 'inputs', 'x'] -> 'param'. */
export function sectionAt(path: readonly (string | number)[]): Section | undefined {
  const [a, b, c, d, e, ...rest] = path;
  if (path.length === 0) return 'top';
  if (path.length === 1) {
    if (a === 'platform' || a === 'docker' || a === 'singularity' || a === 'tasks') return a;
    return undefined;
  }
  if (a === 'authors' && path.length === 2 && typeof b === 'number') return 'author';
  if (a !== 'tasks') return undefined;
  if (path.length === 2) return 'task';
  if (c !== 'parameters') return undefined;
  if (path.length === 3) return 'parameters';
  if (d !== 'inputs' && d !== 'outputs') return undefined;
  if (path.length === 4) return 'params';
  if (path.length === 5 && e !== undefined && rest.length === 0) return 'param';
  return undefined;
}

// ---- descriptions from the schema (schemas/mlcube.schema.json, through schema.ts) ---------------------

function fromSchema(path: readonly (string | number)[], base: KeyDoc): KeyDoc {
  const n = schemaAt(path);
  if (!n) return base;
  const text = n.markdownDescription ?? n.description;
  const title = n.title && text ? `${n.title}. ` : '';
  return {
    ...base,
    doc: text && text.trim() ? `${title}${text}` : base.doc,
    default: n.default !== undefined ? (typeof n.default === 'string' ? (n.default === '' ? "''" : n.default) : JSON.stringify(n.default)) : base.default,
    values: Array.isArray(n.enum) && n.enum.length ? n.enum.map((v) => String(v ?? '')) : base.values,
  };
}

/** Representative path for a section, to look its keys up in the schema. */
function samplePath(section: Section): (string | number)[] {
  switch (section) {
    case 'top': return [];
    case 'platform': case 'docker': case 'singularity': case 'tasks': return [section];
    case 'task': return ['tasks', 'task'];
    case 'parameters': return ['tasks', 'task', 'parameters'];
    case 'params': return ['tasks', 'task', 'parameters', 'inputs'];
    case 'param': return ['tasks', 'task', 'parameters', 'inputs', 'param'];
    case 'author': return ['authors', 0];
  }
}

const cache = new Map<Section, KeyDoc[]>();

/** The keys a map of this section may hold, with their documentation. */
export function keysOf(section: Section): KeyDoc[] {
  let hit = cache.get(section);
  if (!hit) {
    const base = samplePath(section);
    hit = builtin[section].map((k) => fromSchema([...base, k.key], k));
    cache.set(section, hit);
  }
  return hit;
}

/** Documentation of the key at `path` (its last element), or undefined for names (tasks, parameters) and unknown keys. */
export function keyDocAt(path: readonly (string | number)[]): KeyDoc | undefined {
  if (!path.length) return undefined;
  const section = sectionAt(path.slice(0, -1));
  const last = path[path.length - 1];
  if (!section || typeof last !== 'string') return undefined;
  const known = keysOf(section).find((k) => k.key === last);
  if (known) return known;
  // Keys completion does not offer (ignored or reserved ones such as `runtime` or `k8s`) still get the
  // schema's word on them in a hover.
  const n = samplePath(section).length === path.length - 1 ? schemaAt([...samplePath(section), last]) : undefined;
  const text = n && (n.markdownDescription ?? n.description);
  return text ? fromSchema([...samplePath(section), last], { key: last, doc: text, rare: true }) : undefined;
}

/** Markdown for a hover: the key path, its description, default and allowed values. */
export function keyMarkdown(path: readonly (string | number)[], k: KeyDoc): string {
  const shown = path.map((p) => String(p)).join('.');
  const lines = [`**\`${shown}\`**`, '', k.doc];
  if (k.default !== undefined) lines.push('', `Default: \`${k.default}\``);
  if (k.values) lines.push('', `Values: ${k.values.map((v) => (v === '' ? "`''`" : `\`${v}\``)).join(', ')}`);
  return lines.join('\n');
}

/** The known keys of `section` closest to `key` (distance at most a third of its length, at least 2). */
export function closestKeys(section: Section, key: string): string[] {
  const limit = Math.max(2, Math.floor(key.length / 3));
  return keysOf(section)
    .map((k) => ({ k: k.key, d: editDistance(key.toLowerCase(), k.key.toLowerCase(), limit) }))
    .filter((x) => x.d > 0 && x.d <= limit)
    .sort((x, y) => x.d - y.d)
    .map((x) => x.k);
}
