/**
 * An MLExchange content entry as a cube (docs/interop.md §1.6): one task per command of `cmd` (its
 * `entrypoint`), the task's parameters file from the defaults of its `gui_parameters` (per `comp_group`),
 * `compute_resources` as platform settings (`accelerator_count`, `--cpus`), the `environment` of
 * `container_kwargs` as `env_args`. A workflow becomes a note naming its steps (a cube has no workflows); an
 * app's ports are reported as not carried over. The entry itself is kept beside the manifest (`mlexchange.json`)
 * and each task's descriptors beside its parameters file (`gui_parameters.json`): the run form and the export
 * read them.
 */
import YAML from 'yaml';
import type { ImportedEntry, ImportedFile } from '../../../../shared/lsp-protocol';
import { pyJsonDumps, setOwn } from '../pyValues';
import { writeParameters } from '../paramsFile';
import type { Entry, GuiParameter } from './entry';

export const ENTRY_FILE = 'mlexchange.json';
export const GUI_FILE = 'gui_parameters.json';
export const PARAMS_FILE = 'parameters.yaml';
/** The name of the task input that carries the parameters file (MedPerf's name for the same thing). */
export const PARAMS_INPUT = 'parameters_file';

/** A task name from a command: the script's stem (`python3 src/train_model.py` → `train_model`), else the program's. */
export function taskNameOf(cmd: string): string {
  const tokens = cmd.trim().split(/\s+/).filter(Boolean);
  const script = tokens.find((t) => /\.(py|sh|r|jl|js|pl|rb|ipynb)$/i.test(t));
  const base = (script ?? tokens[0] ?? '').split('/').pop() ?? '';
  const stem = script ? base.replace(/\.[^.]+$/, '') : base;
  const clean = stem.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^[^A-Za-z_]+/, '');
  return !clean || clean === 'parameters' ? `${clean || 'task'}_task` : clean;
}

/** Unique task names for the commands, in order (`sleep`, `sleep_2`). */
export function taskNames(cmds: string[]): string[] {
  const seen = new Map<string, number>();
  return cmds.map((c) => {
    const base = taskNameOf(c);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
}

/**
 * Which `comp_group` each task takes: a group named like a task goes to it, the other groups to the other
 * tasks in order (TF_Image_Classification: `train_model` → train_model, `prediction_model` → predict_model).
 */
export function assignGroups(tasks: string[], gui: GuiParameter[]): { byTask: (string | undefined)[]; unassigned: string[] } {
  const groups: string[] = [];
  for (const p of gui) if (p.compGroup !== undefined && !groups.includes(p.compGroup)) groups.push(p.compGroup);
  const byTask: (string | undefined)[] = tasks.map(() => undefined);
  const left: string[] = [];
  for (const g of groups) {
    const i = tasks.indexOf(g);
    if (i >= 0 && byTask[i] === undefined) byTask[i] = g; else left.push(g);
  }
  const unassigned: string[] = [];
  for (const g of left) {
    const i = byTask.findIndex((x) => x === undefined);
    if (i >= 0) byTask[i] = g; else unassigned.push(g);
  }
  return { byTask, unassigned };
}

/** `container_kwargs.environment` as a mapping (docker-py takes a list of `K=V` or a dict). */
function environmentOf(kw: Record<string, unknown> | undefined, notes: string[]): Record<string, string> | undefined {
  const env = kw?.environment;
  if (env === undefined) return undefined;
  const out: Record<string, string> = {};
  if (Array.isArray(env)) {
    for (const item of env) {
      if (typeof item !== 'string') { notes.push(`container_kwargs.environment holds a ${typeof item}, not "K=V": left out.`); continue; }
      const eq = item.indexOf('=');
      if (eq <= 0) { notes.push(`container_kwargs.environment "${item}" is not "K=V": left out.`); continue; }
      out[item.slice(0, eq)] = item.slice(eq + 1);
    }
  } else if (env && typeof env === 'object') {
    for (const [k, v] of Object.entries(env)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

export function folderNameOf(name: string, version: string): string {
  const base = `${name}${version ? `-${version}` : ''}`.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return base || 'mlexchange-cube';
}

/** A workflow's steps by name (known entries) or content id. */
function workflowNote(e: Entry, all: readonly Entry[]): string {
  const names = e.workflowList.map((id, i) => {
    const step = all.find((x) => x.contentId === id);
    return `step ${i + 1}: ${step ? `${step.name} ${step.version} (${step.contentType}, content_id ${id})` : `content_id ${id} (not in the imported file)`}`;
  });
  const how = e.workflowType === 'serial' ? 'serial: each step waits for the ones before it'
    : e.workflowType === 'parallel' ? 'parallel: no step waits for another' : `workflow_type "${e.workflowType ?? 'unset'}"`;
  return `"${e.name}" ${e.version} is a workflow (${how}) of ${e.workflowList.length} step(s): ${names.join('; ') || 'none'}. A cube has no workflows: import the steps' entries as cubes and run their tasks in this order.`;
}

export function importEntry(e: Entry, all: readonly Entry[] = [e]): ImportedEntry {
  const notes: string[] = [];
  const base = { contentType: e.contentType, name: e.name, version: e.version, folder: folderNameOf(e.name, e.version) };
  if (e.contentType === 'workflow') return { ...base, files: [], tasks: [], notes: [workflowNote(e, all)] };
  if (e.contentType === 'asset') return { ...base, files: [], tasks: [], notes: [`"${e.name}" is an asset (metadata), not something that runs: nothing to import.`] };
  if (!e.cmd.length) return { ...base, files: [], tasks: [], notes: [`"${e.name}" ${e.version} has no command ("cmd" is empty): a cube needs at least one task, so there is nothing to import.`] };
  if (!e.uri) return { ...base, files: [], tasks: [], notes: [`"${e.name}" ${e.version} names no image ("uri"): a cube needs one, so there is nothing to import.`] };

  const names = taskNames(e.cmd);
  const { byTask, unassigned } = assignGroups(names, e.gui);
  const multi = names.length > 1;
  const files: ImportedFile[] = [];
  const tasks: ImportedEntry['tasks'] = [];
  const manifestTasks: Record<string, unknown> = {};
  names.forEach((task, i) => {
    const group = byTask[i];
    const params = e.gui.filter((p) => p.compGroup === undefined || p.compGroup === group);
    const cmd = e.cmd[i] as string;
    const t: Record<string, unknown> = { entrypoint: cmd };
    let parametersFile: string | undefined;
    if (params.length) {
      const dir = multi ? `${task}/` : '';
      parametersFile = `${dir}${PARAMS_FILE}`;
      const values: Record<string, unknown> = {};
      for (const p of params) {
        if (Object.prototype.hasOwnProperty.call(values, p.paramKey)) notes.push(`Task ${task}: two parameters have the key "${p.paramKey}"; the file holds the last one's default.`);
        setOwn(values, p.paramKey, p.value);
      }
      files.push({ path: `workspace/${parametersFile}`, text: writeParameters(values) });
      files.push({ path: `workspace/${dir}${GUI_FILE}`, text: `${pyJsonDumps(params.map((p) => p.raw), 2)}\n` });
      t.parameters = { inputs: { [PARAMS_INPUT]: { type: 'file', default: parametersFile } } };
    }
    manifestTasks[task] = t;
    tasks.push({ name: task, cmd, ...(group !== undefined ? { compGroup: group } : {}), ...(parametersFile ? { parametersFile: `workspace/${parametersFile}` } : {}) });
  });
  for (const g of unassigned) {
    const n = e.gui.filter((p) => p.compGroup === g).length;
    notes.push(`comp_group "${g}" (${n} parameter(s)) belongs to no command of "cmd" (${e.cmd.length} command(s)): no task takes it; it stays in ${ENTRY_FILE} and goes back out on export.`);
  }

  const docker: Record<string, unknown> = { image: e.uri };
  const env = environmentOf(e.containerKwargs, notes);
  if (env && Object.keys(env).length) docker.env_args = env;
  const platform: Record<string, unknown> = {};
  const cr = e.computeResources;
  if (cr?.numGpus) platform.accelerator_count = cr.numGpus;
  if (cr?.numProcessors) {
    docker.cpu_args = `--cpus=${cr.numProcessors}`;
    if (cr.numGpus) docker.gpu_args = `--cpus=${cr.numProcessors}`;
  }
  const otherKwargs = Object.keys(e.containerKwargs ?? {}).filter((k) => k !== 'environment');
  if (otherKwargs.length) notes.push(`container_kwargs ${otherKwargs.join(', ')} not carried over (only "environment" has an MLCube equivalent, env_args).`);
  if (e.ports.length) notes.push(`The app publishes port(s) ${e.ports.join(', ')} ("map"): not carried over; an MLCube task publishes no ports.`);
  const kwargs = e.raw.kwargs;
  if (kwargs && typeof kwargs === 'object' && Object.keys(kwargs).length) notes.push('"kwargs" (free metadata of the entry) not carried over into the manifest; it stays in mlexchange.json.');
  const dropped = e.gui.filter((p) => p.type === 'graph').map((p) => p.name);
  if (dropped.length) notes.push(`gui_parameters of type "graph" (${dropped.join(', ')}) are plots of the app, not values: kept in ${GUI_FILE}, not in the parameters file's form.`);
  notes.push('Each task passes its parameters file as --parameters_file=<path>; MLExchange\'s apps passed the values as JSON after the command (docs/interop.md §1.6): adapt the scripts or the entrypoints if they read their arguments differently.');

  const manifest: Record<string, unknown> = {
    name: e.name,
    ...(e.version ? { version: e.version } : {}),
    ...(e.description ? { description: e.description } : {}),
    ...(e.owner ? { authors: [{ name: e.owner }] } : {}),
    ...(Object.keys(platform).length ? { platform } : {}),
    docker,
    tasks: manifestTasks,
  };
  const doc = new YAML.Document(manifest, { version: '1.1' });
  doc.commentBefore = ` Imported by CubeLab from the MLExchange ${e.contentType} entry "${e.name}"${e.version ? ` ${e.version}` : ''}${e.contentId ? ` (content_id ${e.contentId})` : ''}.\n`
    + ` One task per command of its "cmd"; each task's parameters file holds the defaults of its gui_parameters.\n The entry itself is in ${ENTRY_FILE}.`;
  files.unshift(
    { path: 'mlcube.yaml', text: doc.toString({ lineWidth: 0 }) },
    { path: ENTRY_FILE, text: `${pyJsonDumps(e.raw, 2)}\n` },
  );
  return { ...base, files, manifest: 'mlcube.yaml', tasks, notes };
}
