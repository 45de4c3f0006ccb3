/**
 * A cube as an MLExchange model entry (docs/interop.md §1.7), the inverse of importEntry.ts: the image as
 * `uri`, each task's command as `cmd[i]` (its `entrypoint`, or the task's name when the image's ENTRYPOINT gets
 * it, which is what the job's container command then means), each task's parameters as `gui_parameters` (the
 * descriptors beside the parameters file, a JSON Schema made into descriptors, or descriptors guessed from the
 * values) with the file's values as defaults, `platform.accelerator_count` and `--cpus` as
 * `compute_resources`, `env_args` as `container_kwargs.environment`. Fields MLExchange has and a manifest has
 * not (`type`, `application`, `reference`, `owner`, …) come from the `mlexchange.json` an import left. What an
 * entry cannot say (outputs, other inputs, build settings, other run flags) is named in the warnings.
 */
import type { TaskPlan } from '../../../../shared/lsp-protocol';
import type { FileAccess } from '../../service/languageService';
import { locateParameters, type LocatedParameters } from '../../forms/locate';
import { fieldsFromJsonSchema } from '../../forms/fields';
import { readBounded } from '../../forms/runForm';
import { needsShellQuoting } from '../../mlcube/planning/shlex';
import { PyFloat, isFloatValue, parseJsonLossless, pyJsonDumps } from '../pyValues';
import { readParameters } from '../paramsFile';
import { readEntry, type Entry } from './entry';
import { ENTRY_FILE } from './importEntry';
import { validateEntry } from './schema';

export interface ExportInput {
  manifestPath: string;
  /** The manifest as loaded (planning/manifest.ts), keys in YAML order. */
  manifest: Record<string, unknown>;
  /** One plan per task, in the manifest's order. */
  plans: TaskPlan[];
  fs: FileAccess;
}

export interface ExportOutput {
  entry: Record<string, unknown>;
  text: string;
  fileName: string;
  contentType: 'model' | 'app';
  schema: string;
  problems: string[];
  warnings: string[];
}

const isDict = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const dirOf = (p: string): string => p.replace(/\/[^/]*$/, '') || '/';

/** A command line from tokens, quoted for a shell where needed (`'a b'`). */
function joinTokens(tokens: string[]): string {
  return tokens.map((t) => (needsShellQuoting(t) ? `'${t.replace(/'/g, `'"'"'`)}'` : t)).join(' ');
}

/** gui_parameters descriptors for a task: from its descriptors file, its JSON Schema, or its values. */
function descriptorsFor(task: string, loc: LocatedParameters | undefined, values: Record<string, unknown>, group: string | undefined, fs: FileAccess, warnings: string[]): Record<string, unknown>[] {
  const withGroup = (d: Record<string, unknown>): Record<string, unknown> => (group !== undefined ? { ...d, comp_group: group } : d);
  if (loc?.schema?.kind === 'gui_parameters') {
    const r = readBounded(fs, loc.schema.path, 'The descriptors file');
    let list: unknown;
    try { list = r.ok && r.text !== undefined ? parseJsonLossless(r.text) : undefined; } catch (e) { warnings.push(`Task ${task}: ${loc.schema.path} is not JSON (${(e as Error).message}): its parameters are described from their values.`); }
    if (Array.isArray(list)) {
      return list.filter(isDict).map((d) => {
        const key = typeof d.param_key === 'string' && d.param_key ? d.param_key : typeof d.name === 'string' ? d.name : '';
        if (!key || !Object.prototype.hasOwnProperty.call(values, key)) return d;
        // The file's value is the default now; a bool of the newer format keeps it in `checked`.
        const field = !('value' in d) && 'checked' in d ? 'checked' : 'value';
        return { ...d, [field]: values[key] };
      });
    }
  }
  if (loc?.schema?.kind === 'json-schema') {
    const r = readBounded(fs, loc.schema.path, 'The schema');
    let schema: unknown;
    try { schema = r.ok && r.text !== undefined ? parseJsonLossless(r.text) : undefined; } catch { schema = undefined; }
    const { fields, notes } = fieldsFromJsonSchema(schema);
    for (const n of notes) warnings.push(`Task ${task}: ${n}`);
    if (fields.length) {
      return fields.map((f) => {
        const type = f.widget === 'number' ? (f.integer ? 'int' : 'float') : f.widget === 'switch' ? 'bool' : f.widget === 'text' ? 'str' : f.widget;
        const v = Object.prototype.hasOwnProperty.call(values, f.key) ? values[f.key] : f.default ?? null;
        return withGroup({
          type, name: f.key, title: f.label, param_key: f.key,
          ...(f.min !== undefined ? { min: f.min } : {}), ...(f.max !== undefined ? { max: f.max } : {}), ...(f.step !== undefined ? { step: f.step } : {}),
          value: f.float && typeof v === 'number' && Number.isInteger(v) ? new PyFloat(v) : v,
          ...(f.options ? { options: f.options.map((o) => ({ label: o.label, value: o.value })) } : {}),
        });
      });
    }
  }
  const out: Record<string, unknown>[] = [];
  for (const [k, v] of Object.entries(values)) {
    const type = typeof v === 'boolean' ? 'bool' : isFloatValue(v) ? 'float' : typeof v === 'number' ? 'int' : typeof v === 'string' ? 'str' : undefined;
    if (!type) { warnings.push(`Task ${task}: parameter "${k}" holds a ${Array.isArray(v) ? 'list' : v === null ? 'null' : 'mapping'}, which no MLExchange component edits: left out of gui_parameters.`); continue; }
    out.push(withGroup({ type, name: k, title: k, param_key: k, value: v }));
  }
  return out;
}

const descriptorKey = (d: Record<string, unknown>): string => JSON.stringify([d.comp_group ?? null, d.name ?? null, d.param_key ?? null]);

export function exportCube(input: ExportInput): ExportOutput {
  const { manifest, plans, fs } = input;
  const warnings: string[] = [];
  const root = dirOf(input.manifestPath);
  // What an earlier import kept: the fields a manifest has no place for, and the original order of gui_parameters.
  let orig: Entry | undefined;
  const entryFile = `${root}/${ENTRY_FILE}`;
  const origRead = readBounded(fs, entryFile, 'The entry');
  if (origRead.ok && origRead.text !== undefined) {
    try { orig = readEntry(parseJsonLossless(origRead.text), ENTRY_FILE); } catch (e) { warnings.push(`${ENTRY_FILE} is not an entry (${(e as Error).message}): the fields it would give (type, application, …) are left at their defaults.`); }
  }
  const name = typeof manifest.name === 'string' && manifest.name ? manifest.name : root.split('/').pop() || 'cube';
  const version = typeof manifest.version === 'string' ? manifest.version : typeof manifest.version === 'number' ? String(manifest.version) : orig?.version ?? '';
  if (!version) warnings.push('The manifest has no "version": the entry\'s version is empty (MLExchange names the file and tells entries apart by it).');
  const docker = isDict(manifest.docker) ? manifest.docker : {};
  const tasks = isDict(manifest.tasks) ? manifest.tasks : {};
  const multi = plans.length > 1;

  const cmd: string[] = [];
  const perTask: Record<string, unknown>[][] = [];
  plans.forEach((plan) => {
    const t = isDict(tasks[plan.taskName]) ? tasks[plan.taskName] as Record<string, unknown> : {};
    const raw = t.entrypoint;
    cmd.push(typeof raw === 'string' && raw.trim() && !raw.includes('${') ? raw : plan.entrypoint.length ? joinTokens(plan.entrypoint) : plan.taskName);
    const loc = locateParameters(plan, fs);
    let values: Record<string, unknown> = {};
    if (loc) {
      const r = readBounded(fs, loc.file, 'The parameters file');
      if (!r.ok) warnings.push(`Task ${plan.taskName}: ${r.error}`);
      else if (r.text !== undefined) {
        const p = readParameters(r.text);
        if (p.ok) values = p.values; else warnings.push(`Task ${plan.taskName}: ${loc.file} cannot be read (${p.error}): no defaults from it.`);
      }
    }
    // The group: as the descriptors say; else the task's name when there are several tasks.
    perTask.push(descriptorsFor(plan.taskName, loc, values, multi ? plan.taskName : undefined, fs, warnings));
    const others = (plan.paramArgs ?? []).map((a) => /^--([^=]+)=/.exec(a)?.[1]).filter((n): n is string => !!n && n !== loc?.name);
    if (others.length) warnings.push(`Task ${plan.taskName}: ${others.map((o) => `--${o}`).join(', ')} (inputs and outputs besides the parameters file) cannot be described in an entry: left out.`);
  });

  // gui_parameters: one list. A parameter without comp_group is every task's: written once.
  const assembled: Record<string, unknown>[] = [];
  const byKey = new Map<string, Record<string, unknown>>();
  perTask.forEach((list, i) => {
    for (const d of list) {
      const k = descriptorKey(d);
      const seen = byKey.get(k);
      if (seen) {
        if (pyJsonDumps(seen.value) !== pyJsonDumps(d.value)) warnings.push(`Parameter "${String(d.param_key ?? d.name)}" (no comp_group) has different values in task ${plans[0]?.taskName} and task ${plans[i]?.taskName}: the entry keeps the first.`);
        continue;
      }
      byKey.set(k, d);
      assembled.push(d);
    }
  });
  let gui = assembled;
  if (orig) {
    // The imported entry's order; descriptors of groups no task took stay as they were.
    gui = orig.gui.map((p) => {
      const k = descriptorKey(p.raw);
      const now = byKey.get(k);
      if (now) return now;
      return p.raw;
    });
    const known = new Set(orig.gui.map((p) => descriptorKey(p.raw)));
    for (const d of assembled) if (!known.has(descriptorKey(d))) gui.push(d);
  }

  const platform = isDict(manifest.platform) ? manifest.platform : {};
  const gpus = typeof platform.accelerator_count === 'number' ? platform.accelerator_count : 0;
  const runArgs = `${typeof docker.cpu_args === 'string' ? docker.cpu_args : ''} ${typeof docker.gpu_args === 'string' ? docker.gpu_args : ''}`;
  const cpus = /(?:^|\s)--cpus[= ]([0-9.]+)/.exec(runArgs);
  const cpuCount = cpus ? Number(cpus[1]) : 0;
  const otherFlags = runArgs.replace(/(?:^|\s)--cpus[= ][0-9.]+/g, ' ').trim();
  if (otherFlags) warnings.push(`cpu_args/gpu_args "${otherFlags}" have no MLExchange field: left out (only --cpus becomes compute_resources.num_processors).`);
  for (const k of ['build_args', 'build_context', 'build_file', 'build_strategy']) if (k in docker) warnings.push(`docker.${k} has no MLExchange field (an entry names a pulled image): left out.`);
  if (isDict(manifest.singularity)) warnings.push('The singularity section has no MLExchange field: left out.');

  let environment: string[] | undefined;
  if (isDict(docker.env_args)) environment = Object.entries(docker.env_args).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  else if (typeof docker.env_args === 'string' && docker.env_args.trim()) warnings.push(`env_args is a string of docker flags ("${docker.env_args}"): only a mapping becomes container_kwargs.environment; left out.`);

  const contentType: 'model' | 'app' = orig?.contentType === 'app' ? 'app' : 'model';
  const authors = Array.isArray(manifest.authors) ? manifest.authors : [];
  const firstAuthor = isDict(authors[0]) && typeof authors[0].name === 'string' ? authors[0].name : undefined;
  const o = orig?.raw ?? {};
  const entry: Record<string, unknown> = {
    content_type: contentType,
    name,
    public: typeof o.public === 'boolean' ? o.public : false,
    version,
    ...(contentType === 'model' ? { type: typeof o.type === 'string' ? o.type : '' } : {}),
    ...(firstAuthor ?? orig?.owner ? { owner: firstAuthor ?? orig?.owner } : {}),
    service_type: typeof o.service_type === 'string' ? o.service_type : contentType === 'app' ? 'frontend' : 'backend',
    uri: typeof docker.image === 'string' ? docker.image : orig?.uri ?? '',
    ...(typeof o.reference === 'string' ? { reference: o.reference } : {}),
    application: Array.isArray(o.application) ? o.application : [],
    description: typeof manifest.description === 'string' ? manifest.description : orig?.description ?? '',
    ...(contentType === 'model' ? { gui_parameters: gui } : gui.length ? { gui_parameters: gui } : {}),
    cmd,
    ...('kwargs' in o ? { kwargs: o.kwargs } : {}),
    compute_resources: { num_processors: cpuCount, num_gpus: gpus },
    ...(environment ? { container_kwargs: { ...(isDict(o.container_kwargs) ? o.container_kwargs : {}), environment } } : isDict(o.container_kwargs) ? { container_kwargs: o.container_kwargs } : {}),
    ...('map' in o ? { map: o.map } : {}),
  };
  if (contentType === 'model' && entry.type === '') warnings.push('"type" (supervised or unsupervised) is empty: MLExchange requires the key, set it before uploading.');
  // Other fields of the imported entry go back out as they were; the registry assigns _id and content_id anew.
  for (const [k, v] of Object.entries(o)) if (!(k in entry) && k !== '_id' && k !== 'content_id' && k !== 'model_name' && k !== 'user') entry[k] = v;
  const { schema, problems } = validateEntry(entry, contentType);
  const text = `${pyJsonDumps(entry, 2)}\n`;
  const fileName = `${name.replace(/[\\/:*?"<>|\s]+/g, '_')}_v${version.replace(/[\\/:*?"<>|\s]+/g, '_')}.json`;
  return { entry, text, fileName, contentType, schema, problems, warnings };
}
