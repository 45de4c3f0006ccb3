/**
 * Checks of `tasks:` and their parameters (docs/mlcube.md §1.6, §2.3). mlcube checks little
 * here at load time (`check_parameters` only normalises) and the rest fails at run time or is silently
 * ignored: errors for what fails, warnings for what is dropped, a hint for untyped inputs.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { didYouMean, q, type CheckContext } from './checkContext';
import type { Entry, ParamModel, TaskModel } from './model';
import { enumOf, knownKeys } from './schema';

export function checkTasks(c: CheckContext, resolvePath: (p: ParamModel) => string | undefined): void {
  const { model } = c;
  const tasks = model.tasksEntry;
  if (!tasks) {
    const first = model.top.entries[0];
    c.report('mlcube/missing-tasks', first ? first.keySpan : [0, 0],
      'This manifest has no `tasks:` section: mlcube fails with "ConfigAttributeError: Missing key tasks". Add `tasks:` with at least one task.');
    return;
  }
  if (tasks.shape === 'list') {
    c.report('mlcube/tasks-not-mapping', tasks.valueSpan,
      '`tasks` is a list (the legacy v1 form, a list of task files): current mlcube fails with "ListConfig does not support attribute access". Write `tasks:` as a mapping from task name to `{entrypoint, parameters}`.');
    return;
  }
  if (tasks.shape === 'scalar' || tasks.shape === 'null') {
    c.report('mlcube/tasks-not-mapping', tasks.shape === 'null' ? tasks.keySpan : tasks.valueSpan,
      `\`tasks\` is ${tasks.shape === 'null' ? 'empty (null)' : 'a scalar'}: mlcube fails while normalising the tasks. Write it as a mapping from task name to \`{entrypoint, parameters}\` (\`tasks: {}\` for none).`);
    return;
  }
  const taskKeys = knownKeys('task');
  const paramsKeys = knownKeys('parameters');
  const paramKeys = knownKeys('paramDict');
  for (const task of model.tasks) {
    if (task.name === 'parameters' || task.name === 'entrypoint') {
      c.report('mlcube/task-named-parameters', task.entry.keySpan,
        `A task named ${q(task.name)}: mlcube takes it as a task of its own (\`mlcube run --task=${task.name}\`), which is almost always a mis-indented ${q(task.name + ':')} block that belongs to the task above.`,
        { task: task.name });
    }
    const shape = task.entry.shape;
    if (shape === 'list' || shape === 'scalar') {
      c.report('mlcube/not-a-mapping', task.entry.valueSpan,
        `Task ${q(task.name)} is a ${shape}: mlcube expects a mapping with \`entrypoint\` and \`parameters\` and crashes while loading.`, { section: 'task', task: task.name });
      continue;
    }
    // A task named `parameters` holds `inputs`/`outputs`: one warning on the name says it all.
    const misplaced = task.name === 'parameters' || task.name === 'entrypoint';
    for (const e of task.fields.entries) {
      if (!misplaced && !taskKeys.includes(e.key) && e.key !== '<<') unknownKey(c, e, `task ${q(task.name)}`, taskKeys, 'task');
    }
    checkEntrypoint(c, task);
    checkParametersBlock(c, task, paramsKeys);
    for (const p of task.params) checkParam(c, p, paramKeys, resolvePath);
  }
}

function unknownKey(c: CheckContext, e: Entry, where: string, known: readonly string[], section: string): void {
  const suggestion = didYouMean(e.key, known);
  const lost = section === 'parameters' && suggestion === 'outputs' ? ' The task\'s outputs are silently dropped: no `--output...` argument reaches the container.'
    : section === 'parameters' && suggestion === 'inputs' ? ' The task\'s inputs are silently dropped.' : '';
  c.report('mlcube/unknown-key', e.keySpan,
    `mlcube ignores ${q(e.key)} in ${where}: whatever it holds is silently dropped.${lost}${suggestion ? ` Did you mean ${q(suggestion)}?` : ` Known keys: ${known.join(', ')}.`}`,
    { key: e.key, section, ...(suggestion ? { suggestion } : {}) });
}

function checkEntrypoint(c: CheckContext, task: TaskModel): void {
  const e = task.entrypoint;
  if (!e || e.shape === 'null') return;
  if (typeof e.scalar !== 'string') {
    c.report('mlcube/entrypoint-type', e.valueSpan,
      `The entrypoint of ${q(task.name)} must be a string such as "python /workspace/run.py"; mlcube fails when it splits a ${e.shape === 'scalar' ? typeof e.scalar : e.shape}.`);
    return;
  }
  const tokens = e.scalar.trim().split(/\s+/).filter(Boolean);
  const [only] = tokens;
  const [firstParam] = task.params;
  if (tokens.length === 1 && only !== undefined && firstParam !== undefined) {
    c.report('mlcube/entrypoint-drops-args', e.valueSpan,
      `One-word entrypoint ${q(only)}: the docker runner runs \`docker run --entrypoint=${only} ... IMAGE\` with no arguments at all, so the ${task.params.length} parameter(s) of ${q(task.name)} (--${firstParam.name}=...) never reach it (the volumes are still mounted). Add a second word (e.g. ${q('bash ' + only)}) or read the paths some other way.`,
      { task: task.name, entrypoint: only });
  }
}

function checkParametersBlock(c: CheckContext, task: TaskModel, known: readonly string[]): void {
  const p = task.parameters;
  if (!p) return;
  if (p.shape === 'list' || p.shape === 'scalar') {
    c.report('mlcube/not-a-mapping', p.valueSpan, `\`parameters\` of ${q(task.name)} must be a mapping with \`inputs\` and \`outputs\`; mlcube crashes on a ${p.shape}.`, { section: 'parameters', task: task.name });
    return;
  }
  for (const e of task.parameterFields.entries) {
    if (!known.includes(e.key) && e.key !== '<<') unknownKey(c, e, `the parameters of ${q(task.name)}`, known, 'parameters');
  }
  for (const io of [task.inputs, task.outputs]) {
    if (io && (io.shape === 'list' || io.shape === 'scalar')) {
      c.report('mlcube/not-a-mapping', io.valueSpan,
        `${q(io.key)} of ${q(task.name)} must be a mapping from parameter name to path; mlcube crashes on a ${io.shape}.`, { section: io.key, task: task.name });
    }
  }
}

/** Python's name for the type a YAML value loads as. */
function pyType(v: unknown, shape: string): string {
  if (shape === 'list') return 'ListConfig';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return typeof v;
}

// The schema's enums, read once: they are consulted for every parameter of every task.
let typeValues: string[] | undefined;
let optsValues: string[] | undefined;
const paramTypes = (): string[] => (typeValues ??= enumOf('paramDict', 'type'));
const paramOpts = (): string[] => (optsValues ??= enumOf('paramDict', 'opts'));

const endsWithSlash = (s: string): boolean => s.endsWith('/') || s.endsWith('\\');

function checkParam(c: CheckContext, p: ParamModel, known: readonly string[], resolvePath: (p: ParamModel) => string | undefined): void {
  const label = `${p.io} ${q(p.name)} of ${q(p.task)}`;
  if (p.form === 'invalid') {
    const v = p.entry.scalar;
    const what = p.entry.shape === 'list' ? 'a list' : typeof v === 'number' ? `the number ${v}` : typeof v === 'boolean' ? `the boolean ${v}` : 'not a path';
    c.report('mlcube/param-value-type', p.entry.valueSpan,
      `The ${label} is ${what}: mlcube parameters are always file-system paths, and mlcube fails at load with "AttributeError". Write a path (\`${p.name}: ${p.name}/\`) or \`{type: file, default: ...}\`; scalar settings belong in a parameters file.`,
      { param: p.name, task: p.task });
    return;
  }
  if (p.form === 'mapping' && p.fields) {
    for (const e of p.fields.entries) {
      if (known.includes(e.key) || e.key === '<<') continue;
      // Extra keys such as `description` are legitimately ignored; only likely typos are worth a warning.
      const suggestion = didYouMean(e.key, known);
      if (suggestion) {
        c.report('mlcube/unknown-key', e.keySpan,
          `mlcube ignores ${q(e.key)} in the ${label}, so its value has no effect. Did you mean ${q(suggestion)}?`,
          { key: e.key, section: 'param', suggestion });
      }
    }
  }
  const def = p.pathEntry;
  if (p.form === 'mapping' && def && def.shape !== 'null' && typeof def.scalar !== 'string') {
    c.report('mlcube/param-value-type', def.valueSpan,
      `The \`default\` of the ${label} is ${def.shape === 'scalar' ? `the ${typeof def.scalar} ${String(def.scalar)}` : `a ${def.shape}`}, not a path: mlcube fails ${p.declaredType ? 'when it builds the mount' : `at load with "AttributeError: '${pyType(def.scalar, def.shape)}' object has no attribute 'endswith'"`}. Quote it if it is a file name.`,
      { param: p.name, task: p.task });
    return;
  }
  const types = paramTypes();
  const t = p.typeEntry;
  let declared: string | undefined;
  // `type: unknown` is what mlcube itself fills in for an untyped parameter: the same as no type.
  if (t && t.shape !== 'null' && t.scalar !== 'unknown') {
    const v = t.scalar;
    if (typeof v === 'string' && v.includes('${')) return;
    if (typeof v === 'string' && types.includes(v)) declared = v;
    else {
      const suggestion = typeof v === 'string' ? didYouMean(v, types) ?? (/^dir|folder/i.test(v) ? 'directory' : undefined) : undefined;
      c.report('mlcube/bad-param-type', t.valueSpan,
        `${q('type')} of the ${label} is ${JSON.stringify(v ?? t.shape)}: \`mlcube run\` accepts only ${types.join(' or ')} and fails with a ConfigurationError.${suggestion ? ` Did you mean ${q(suggestion)}?` : ''}`,
        { value: v ?? null, ...(suggestion ? { suggestion } : {}) });
      declared = 'invalid';
    }
  }
  const o = p.optsEntry;
  if (o && o.shape !== 'null' && !(typeof o.scalar === 'string' && o.scalar.includes('${'))) {
    const opts = paramOpts();
    if (!(typeof o.scalar === 'string' && opts.includes(o.scalar))) {
      const suggestion = typeof o.scalar === 'string' ? didYouMean(o.scalar, opts) ?? (/^read.?only$/i.test(o.scalar) ? 'ro' : /^read.?write$/i.test(o.scalar) ? 'rw' : undefined) : undefined;
      c.report('mlcube/bad-param-opts', o.valueSpan,
        `${q('opts')} of the ${label} is ${JSON.stringify(o.scalar ?? o.shape)}: \`mlcube run\` accepts only ro or rw and fails with a ConfigurationError.${suggestion ? ` Did you mean ${q(suggestion)}?` : ''}`,
        { value: o.scalar ?? null, ...(suggestion ? { suggestion } : {}) });
    }
  }
  if (declared) return;
  const path = resolvePath(p);
  if (path === undefined || endsWithSlash(path)) return;
  const span = p.pathEntry?.valueSpan ?? p.entry.keySpan;
  if (p.io === 'output') {
    c.report('mlcube/untyped-output', span,
      `The ${label} has no \`type\` and its path ${JSON.stringify(path)} does not end with "/": \`mlcube run\` fails with "Type cannot be unknown for output parameters". Add \`type: file\`, or end a directory with "/".`,
      { param: p.name, task: p.task, default: path, suggestedType: /\.[A-Za-z0-9]{1,8}$/.test(path) ? 'file' : 'directory' });
    return;
  }
  untypedInput(c, p, path, span, label);
}

const outputIndex = new WeakMap<CheckContext, Map<string, string | undefined>>();

/** Output path -> its type (declared, or `directory` for a trailing slash), built once per validation. */
function outputTypes(c: CheckContext): Map<string, string | undefined> {
  let m = outputIndex.get(c);
  if (!m) {
    m = new Map();
    for (const t of c.model.tasks) {
      for (const o of t.params) {
        if (o.io !== 'output' || o.path === undefined) continue;
        const type = o.declaredType ?? (endsWithSlash(o.path) ? 'directory' : undefined);
        if (type || !m.has(o.path)) m.set(o.path, type);
      }
    }
    outputIndex.set(c, m);
  }
  return m;
}

/** Host path of a parameter the way mlcube computes it (shell.py get_host_path), when it can be known here. */
function hostPath(c: CheckContext, path: string): string | undefined {
  const doc = c.doc.path;
  if (!doc || !isAbsolute(doc)) return undefined;
  let p = path;
  const home = c.ctx.env.HOME ?? c.ctx.env.USERPROFILE;
  if (p === '~' || p.startsWith('~/')) {
    if (!home) return undefined;
    p = home + p.slice(1);
  }
  if (p.includes('$')) return undefined;
  return isAbsolute(p) ? p : join(dirname(doc), 'workspace', p);
}

const dirExists = new WeakMap<CheckContext, boolean>();

/** Whether the manifest's folder exists, asked once per validation rather than once per untyped input. */
function manifestDirExists(c: CheckContext): boolean {
  let known = dirExists.get(c);
  if (known === undefined) {
    known = !!c.doc.path && isAbsolute(c.doc.path) && c.ctx.fs.isDirectory(dirname(c.doc.path));
    dirExists.set(c, known);
  }
  return known;
}

function untypedInput(c: CheckContext, p: ParamModel, path: string, span: [number, number], label: string): void {
  const { fs } = c.ctx;
  const host = hostPath(c, path);
  const rootKnown = manifestDirExists(c);
  const exists = host !== undefined && rootKnown ? fs.exists(host) : undefined;
  const isDir = exists ? fs.isDirectory(host!) : undefined;
  // What another task writes to the same path says what it is.
  const fromOutput = outputTypes(c).get(path);
  const suggestedType = exists ? (isDir ? 'directory' : 'file') : fromOutput ?? (/\.[A-Za-z0-9]{1,8}$/.test(path) ? 'file' : undefined);
  const tail = exists === true
    ? `mlcube looks at the host path at run time; it exists now as a ${isDir ? 'directory' : 'file'}.`
    : exists === false
      ? `mlcube decides file or directory by looking at the host path at run time, and ${q(path)} does not exist in the workspace yet: unless an earlier task creates it, \`mlcube run\` fails with "Type is unknown and unable to identify it".`
      : 'mlcube decides file or directory by looking at the host path at run time, and fails if it does not exist then.';
  c.report('mlcube/untyped-input', span,
    `The ${label} has no \`type\`: ${tail}${suggestedType ? ` Consider \`type: ${suggestedType}\`.` : ''}`,
    { param: p.name, task: p.task, default: path, ...(suggestedType ? { suggestedType } : {}), ...(exists !== undefined ? { exists } : {}) });
}
