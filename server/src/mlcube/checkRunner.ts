/**
 * Checks of the top level and of the sections the runners read: `docker:`, `singularity:`, `platform:`
 * (docs/mlcube.md §1.2-§1.5, §2.2, §2.4). The runner sections are checked against the JSON
 * Schema, because mlcube's runner `Config.validate` is as strict as the schema: unknown keys, a
 * non-string or blank `image`, a `build_strategy` outside pull/auto/always.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { isScalar, type Scalar } from 'yaml';
import type { ErrorObject } from 'ajv';
import { didYouMean, q, type CheckContext } from './checkContext';
import { quietToJS, spanInString, type Entry, type MapModel } from './model';
import { enumOf, knownKeys, schemaErrors } from './schema';
import { translateRunArgs } from '../../../shared/docker/runArgs';
import { specGrants } from '../../../shared/docker/hostGrants';

const RESERVED_TOP = ['runtime', 'runner', 'workspace'];

export function checkTopLevel(c: CheckContext): void {
  const { model } = c;
  for (const e of model.top.entries) {
    if (RESERVED_TOP.includes(e.key)) {
      const what = e.key === 'runner' ? 'the effective runner configuration' : e.key === 'runtime' ? 'the MLCube root and workspace' : 'the workspace directory';
      c.report('mlcube/reserved-key', e.keySpan,
        `The top-level key ${q(e.key)} is reserved: mlcube fills it with ${what}${e.key === 'workspace' ? ' and overwrites what is written here' : ', warns that the file uses a reserved key, and merging the two most likely does something unexpected'}. Refer to mlcube's value as ${q('${' + (e.key === 'runtime' ? 'runtime.root' : e.key === 'runner' ? 'runner.image' : 'workspace') + '}')} instead.`,
        { key: e.key });
    }
  }
  const docker = model.top.get('docker');
  const singularity = model.top.get('singularity');
  if (!docker && singularity) {
    c.report('mlcube/singularity-only', singularity.keySpan,
      'This MLCube has a `singularity:` section but no `docker:` section: `mlcube run --platform=singularity` works, but the docker platform (the default) fails with "InterpolationKeyError \'docker.image\'".');
  } else if (!docker && !singularity) {
    const draft = model.top.get('container');
    const anchor = draft ?? model.tasksEntry ?? model.top.entries[0];
    if (anchor) {
      c.report('mlcube/no-container', anchor.keySpan,
        draft
          ? 'The `container:` section is a never-released 2.0 draft; mlcube reads `docker:` (or `singularity:`). With neither, `mlcube run` fails with "InterpolationKeyError \'docker.image\'".'
          : 'No `docker:` (or `singularity:`) section: mlcube does not know which image to run and fails with "InterpolationKeyError \'docker.image\'". Add `docker:\\n  image: <name:tag>`.');
    }
  }
}

function decodePointer(p: string): string[] {
  return p.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function sectionErrors(section: MapModel, def: 'docker' | 'singularity', c: CheckContext): ErrorObject[] {
  const entry = section.entry;
  if (!entry?.value || !c.model.yaml) return [];
  const js = quietToJS(c.model.yaml, entry.value);
  return js === undefined ? [] : schemaErrors(js, def);
}

const hasInterpolation = (e: Entry | undefined): boolean => typeof e?.scalar === 'string' && e.scalar.includes('${');

/** `docker:` (checked for the docker platform) and `singularity:` (for the singularity platform). */
export function checkRunnerSection(c: CheckContext, def: 'docker' | 'singularity'): void {
  const section = def === 'docker' ? c.model.docker : c.model.singularity;
  const entry = section?.entry;
  if (!section || !entry) return;
  const platform = def === 'docker' ? 'the docker platform' : 'the singularity platform';
  if (entry.shape === 'list' || entry.shape === 'scalar') {
    c.report('mlcube/not-a-mapping', entry.valueSpan, `${q(def + ':')} must be a mapping of runner settings; mlcube fails to merge a ${entry.shape} into the runner on ${platform}.`, { section: def });
    return;
  }
  if (entry.shape === 'null') {
    if (def === 'docker') {
      c.report('mlcube/missing-docker-image', entry.keySpan, 'The `docker:` section is empty: the docker platform fails with "InterpolationKeyError \'docker.image\'". Add `image: <name:tag>`.', { section: def });
    }
    return;
  }
  const known = knownKeys(def);
  for (const err of sectionErrors(section, def, c)) {
    const path = decodePointer(err.instancePath);
    if (err.keyword === 'additionalProperties') {
      const key = String((err.params as { additionalProperty?: unknown }).additionalProperty ?? '');
      const e = path.length === 0 ? section.get(key) : undefined;
      if (!e) continue;
      const suggestion = didYouMean(key, known);
      const why = def === 'docker' && (key === 'tar_file' || key === 'run_args')
        ? ` (${q(key)} is read only by the singularity runner's fallback to the docker image, and is illegal for the docker runner)`
        : '';
      c.report('mlcube/unknown-runner-key', e.keySpan,
        `Unknown key ${q(key)} in ${q(def + ':')}${why}: ${platform} fails with "ConfigurationError: Unknown keys: ['${key}']. Namespace = runner."${suggestion ? ` Did you mean ${q(suggestion)}?` : ''}`,
        { key, section: def, ...(suggestion ? { suggestion } : {}) });
      continue;
    }
    if (def !== 'docker') continue;
    if (err.keyword === 'required' && path.length === 0) {
      c.report('mlcube/missing-docker-image', entry.keySpan,
        'The `docker:` section has no `image`: the docker platform fails with "InterpolationKeyError \'docker.image\'" (and the Kubernetes and Kubeflow runners use it too). Add `image: <name:tag>`.',
        { section: def });
      continue;
    }
    if (path[0] === undefined || path.length !== 1) continue;
    const e = section.get(path[0]);
    if (!e || hasInterpolation(e)) continue;
    if ((path[0] === 'image' || path[0] === 'docker') && (err.keyword === 'type' || err.keyword === 'pattern')) {
      const what = err.keyword === 'pattern' ? 'is blank' : `is a ${e.shape === 'scalar' ? typeof e.scalar : e.shape}, not a string`;
      c.report('mlcube/runner-value-type', e.valueSpan,
        `${q('docker.' + path[0])} ${what}: mlcube's docker runner requires a non-blank string and fails with "IllegalParameter${err.keyword === 'pattern' ? 'Value' : 'Type'}Error".`,
        { key: path[0], section: def });
    } else if (path[0] === 'build_strategy' && (err.keyword === 'enum' || err.keyword === 'type')) {
      const value = e.scalar === undefined ? e.shape : String(e.scalar);
      const allowed = enumOf('docker', 'build_strategy');
      const suggestion = typeof e.scalar === 'string' ? didYouMean(e.scalar, allowed) : undefined;
      c.report('mlcube/bad-build-strategy', e.valueSpan,
        `${q('build_strategy')} is ${JSON.stringify(value)}: mlcube accepts only ${allowed.join(', ')} and fails with "IllegalParameterValueError".${suggestion ? ` Did you mean ${q(suggestion)}?` : ''}`,
        { value, ...(suggestion ? { suggestion } : {}) });
    }
  }
  if (def === 'docker') {
    checkHostAccess(c, section);
    checkDockerfile(c, section);
  }
}

/** The integer `accelerator_count`, or undefined. */
function acceleratorCount(c: CheckContext): { entry: Entry; count: number } | undefined {
  const e = c.model.platform?.get('accelerator_count');
  if (!e) return undefined;
  const v = e.scalar;
  if (typeof v === 'number' && Number.isFinite(v)) return { entry: e, count: v };
  if (typeof v === 'boolean') return { entry: e, count: v ? 1 : 0 };
  return undefined;
}

export function checkPlatform(c: CheckContext): void {
  const platform = c.model.platform;
  const entry = platform?.entry;
  if (!platform || !entry) return;
  if (entry.shape === 'list' || entry.shape === 'scalar') {
    c.report('mlcube/not-a-mapping', entry.valueSpan, `${q('platform:')} must be a mapping such as \`accelerator_count: 1\`; mlcube fails reading ${q('platform.accelerator_count')} from a ${entry.shape}.`, { section: 'platform' });
    return;
  }
  const ac = platform.get('accelerator_count');
  if (ac && ac.shape !== 'null' && !hasInterpolation(ac)) {
    const v = ac.scalar;
    const isInt = typeof v === 'number' && Number.isInteger(v);
    if (!isInt && typeof v !== 'boolean') {
      const shown = typeof v === 'string' ? `the string ${JSON.stringify(v)}` : typeof v === 'number' ? `the number ${v}` : `a ${ac.shape}`;
      c.report('mlcube/accelerator-count-type', ac.valueSpan,
        `${q('accelerator_count')} is ${shown}, not an integer: mlcube loads the file but \`mlcube run\` on the docker platform crashes with "TypeError: '>' not supported between instances of 'str' and 'int'".${typeof v === 'string' && /^\d+$/.test(v.trim()) ? ` Write ${q('accelerator_count: ' + v.trim())} without quotes.` : ''}`,
        { ...(typeof v === 'string' && /^\d+$/.test(v.trim()) ? { replacement: v.trim() } : {}) });
    }
  }
  checkGpus(c);
}

const GPUS_FLAG = /(^|\s)(--gpus(?:[=\s]+\S+)?)/;

function checkGpus(c: CheckContext): void {
  const ac = acceleratorCount(c);
  const docker = c.model.docker;
  if (!ac || ac.count <= 0 || !docker || docker.entry?.shape !== 'mapping') return;
  const gpuArgs = docker.get('gpu_args');
  const text = typeof gpuArgs?.scalar === 'string' ? gpuArgs.scalar : '';
  const m = GPUS_FLAG.exec(text);
  if (gpuArgs && m && isScalar(gpuArgs.value)) {
    const [, lead = '', flag = ''] = m; // both groups are not optional in GPUS_FLAG
    const start = m.index + lead.length;
    const span = spanInString(gpuArgs.value as Scalar, c.doc.parsed.text, start, start + flag.length);
    c.report('mlcube/duplicate-gpus-flag', span,
      `${q('gpu_args')} already has ${q(flag.trim())} and ${q('accelerator_count')} is ${ac.count}: current mlcube appends its own ${q('--gpus=' + ac.count)}, so \`docker run\` gets two --gpus flags (the last one wins). Drop it here, or set GPUs with \`mlcube run --gpus=...\`.`,
      { flag: flag.trim(), count: ac.count });
  } else if ((!gpuArgs || text.trim() === '') && !(docker.get('--gpus') && docker.get('--gpus')!.shape !== 'null')) {
    // (A `--gpus:` key in `docker:` is rendered as `--gpus=X` by every version, so it needs no gpu_args.)
    c.report('mlcube/gpu-args-missing', ac.entry.valueSpan,
      `${q('accelerator_count')} is ${ac.count} but ${q('docker.gpu_args')} is ${gpuArgs ? 'empty' : 'not set'}: mlcube 0.0.9 (the PyPI release) then passes no GPU flag at all and the container sees no GPU; newer mlcube adds ${q('--gpus=' + ac.count)}. Add ${q('gpu_args: --gpus=all')} for 0.0.9.`,
      { count: ac.count });
  }
}

/** A word of a flags string and where it is (quotes left in: only its place matters here). */
interface Word { text: string; start: number; end: number }

function wordsOf(text: string): Word[] {
  const out: Word[] = [];
  for (const m of text.matchAll(/\S+/g)) out.push({ text: m[0], start: m.index ?? 0, end: (m.index ?? 0) + m[0].length });
  return out;
}

/** Flags that take their value as the next word when written without `=`. */
const VALUE_FLAGS = /^(-v|--volume|--mount|--net|--network|--pid|--ipc|--uts|--cap-add|--security-opt|--device)$/;

/** The words of `flags` that ask for a grant: the flag and, when separate, its value. */
function grantSpan(words: Word[], id: string): [number, number] | undefined {
  const hit = (i: number): [number, number] => {
    const w = words[i]!;
    const next = words[i + 1];
    return VALUE_FLAGS.test(w.text) && next ? [w.start, next.end] : [w.start, w.end];
  };
  const [kind, value = ''] = id.split(/[=:](.*)/s);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!.text;
    const withValue = VALUE_FLAGS.test(w) ? `${w}=${words[i + 1]?.text ?? ''}` : w;
    if (kind === 'privileged' && /^--privileged(=true)?$/.test(w)) return hit(i);
    if (/^(network|pid|ipc|uts)$/.test(kind ?? '') && new RegExp(`^--(${kind === 'network' ? 'net|network' : kind})=host$`).test(withValue)) return hit(i);
    if (kind === 'cap-add' && /^--cap-add=/i.test(withValue) && withValue.slice('--cap-add='.length).toUpperCase() === value) return hit(i);
    if (kind === 'security-opt' && /^--security-opt=/.test(withValue) && withValue.slice('--security-opt='.length).replace(/^['"]|['"]$/g, '') === value) return hit(i);
    if (kind === 'device' && /^--device=/.test(withValue) && withValue.includes(value)) return hit(i);
    if (kind === 'bind' && /^(-v|--volume|--mount)=/.test(withValue)) {
      const src = value.replace(/:(ro|rw)$/, '');
      const v = withValue.replace(/^[^=]*=/, '');
      if (v.split(/[:,=]/).includes(src) || v.startsWith(`${src}:`)) return hit(i);
    }
  }
  return undefined;
}

/**
 * `cpu_args`, `gpu_args` and a string `env_args` are translated as a run translates them (shared/docker/runArgs.ts),
 * and what the resulting container may do to the host is reported at the words that ask for it. The run asks
 * before it starts (shared/docker/hostGrants.ts); this says it while the file is edited.
 */
function checkHostAccess(c: CheckContext, docker: MapModel): void {
  const facts = { env: c.ctx.env, home: c.ctx.env.HOME ?? '' };
  for (const key of ['cpu_args', 'gpu_args', 'env_args']) {
    const e = docker.get(key);
    if (!e || typeof e.scalar !== 'string' || !isScalar(e.value) || e.scalar.includes('${')) continue;
    const t = translateRunArgs([e.scalar], null, facts);
    if (!t.ok) continue; // an untranslatable flag is reported by the run itself
    const words = wordsOf(e.scalar);
    for (const g of specGrants(t.value.hostConfig, facts.home)) {
      const at = grantSpan(words, g.id);
      const span = at ? spanInString(e.value as Scalar, c.doc.parsed.text, at[0], at[1]) : e.valueSpan;
      const flag = at ? e.scalar.slice(at[0], at[1]) : e.scalar;
      c.report('mlcube/host-access-flag', span,
        `${q(flag)} in ${q(key)} ${g.text}: mlcube passes it to \`docker run\` as is, so running this MLCube trusts its image with the host. CubeLab asks before the first run that grants it.`,
        { flag, key, grant: g.id });
    }
  }
}

/** With `build_strategy: auto|always` and no recipe, mlcube silently pulls instead of building (docs/mlcube.md §2.2). */
function checkDockerfile(c: CheckContext, docker: MapModel): void {
  const strategy = docker.get('build_strategy');
  if (!strategy || (strategy.scalar !== 'auto' && strategy.scalar !== 'always')) return;
  const path = c.doc.path;
  if (!path || !isAbsolute(path)) return;
  const root = dirname(path);
  const { fs } = c.ctx;
  if (!fs.isDirectory(root)) return;
  const str = (k: string, d: string): string | undefined => {
    const e = docker.get(k);
    if (!e || e.shape === 'null') return d;
    return typeof e.scalar === 'string' && !e.scalar.includes('${') ? e.scalar : undefined;
  };
  const context = str('build_context', '.');
  const file = str('build_file', 'Dockerfile');
  if (context === undefined || file === undefined) return;
  const recipe = join(root, context, file);
  if (fs.exists(recipe)) return;
  const anchor = docker.get('build_file') ?? strategy;
  c.report('mlcube/missing-dockerfile', anchor.valueSpan,
    `${q('build_strategy')} is ${strategy.scalar} but the Dockerfile ${q(join(context, file))} does not exist (relative to the MLCube root): mlcube then runs \`docker pull ${typeof docker.get('image')?.scalar === 'string' ? docker.get('image')!.scalar as string : 'IMAGE'}\` instead of building, and fails if the image is not in a registry.`,
    { recipe });
}
