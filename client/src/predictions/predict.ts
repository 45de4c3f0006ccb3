/**
 * "Predict with Cube…", the target-independent part (pure Node: no `vscode`): which parameter of an inference
 * task gets the selection and which one the predictions, how a selection becomes one input folder, the
 * overrides that point the task at both, and where the task left `predictions.jsonl`. The run itself goes
 * through the run layer (RunService / Supervisor), so any target works; a remote target's backend uploads the
 * input folder (it is outside the cube folder) and brings the output folder back.
 */
import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, readdir, stat } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { TaskPlan } from '../../../shared/lsp-protocol';

export interface TaskParam {
  name: string;
  io: 'input' | 'output' | 'both';
  /** A folder (`--name=/mlcube_ioN`) or a file in one (`--name=/mlcube_ioN/file`). */
  kind: 'directory' | 'file';
  /** Where it is on this machine (the mount's host folder, plus the file name for a file). */
  host: string;
}

/** The task's parameters as the plan mounts them (name, direction, folder or file, host path). */
export function taskParams(plan: TaskPlan): TaskParam[] {
  const out: TaskParam[] = [];
  for (const a of plan.paramArgs) {
    const m = /^--([^=]+)=(\/mlcube_io\d+)(\/.*)?$/.exec(a);
    if (!m) continue;
    const mount = plan.mounts.find((x) => x.container === m[2]);
    if (!mount) continue;
    const file = m[3] ? m[3].slice(1) : '';
    out.push({ name: m[1]!, io: mount.io ?? 'both', kind: file ? 'file' : 'directory', host: file ? join(mount.host, ...file.split('/')) : mount.host });
  }
  return out;
}

const MODEL_LIKE = /model|weight|checkpoint|ckpt|config|param/i;
const DATA_LIKE = /data|image|input|sample|file|folder|dir/i;
const PREDICTION_LIKE = /predict|output|result|infer/i;

/**
 * The input folders that could take the selection, the likeliest first (named like data, not like a model or a
 * config). Empty when the task has no input folder.
 */
export function selectionParamCandidates(params: TaskParam[]): TaskParam[] {
  const dirs = params.filter((p) => p.io !== 'output' && p.kind === 'directory');
  const score = (p: TaskParam) => (MODEL_LIKE.test(p.name) ? 2 : 0) - (DATA_LIKE.test(p.name) ? 1 : 0);
  return [...dirs].sort((a, b) => score(a) - score(b));
}

/** The input folder that takes the selection when that is clear: the only one, or the only one not named like a model or config. */
export function obviousSelectionParam(params: TaskParam[]): TaskParam | undefined {
  const c = selectionParamCandidates(params);
  if (c.length === 1) return c[0];
  const data = c.filter((p) => !MODEL_LIKE.test(p.name));
  return data.length === 1 ? data[0] : undefined;
}

/** The output that holds the predictions: named like predictions, else the only output. */
export function predictionsParam(params: TaskParam[]): TaskParam | undefined {
  const outs = params.filter((p) => p.io !== 'input');
  return outs.find((p) => /predict/i.test(p.name)) ?? outs.find((p) => PREDICTION_LIKE.test(p.name)) ?? (outs.length === 1 ? outs[0] : undefined);
}

/** Tasks that look like inference, first (infer, predict, inference, …), then the rest in manifest order. */
export function inferenceTasksFirst(tasks: string[]): string[] {
  const like = (t: string) => /infer|predict|inference|evaluate|score|detect|segment|classify/i.test(t);
  return [...tasks.filter(like), ...tasks.filter((t) => !like(t))];
}

/** A time stamp for folder names: 20261203-114512-3f2a (sortable, unique enough per second and selection). */
export function predictionStamp(paths: string[], now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const t = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${t}-${createHash('sha256').update(paths.join('\n')).update(String(now.getTime())).digest('hex').slice(0, 4)}`;
}

export interface StagedSelection {
  /** The folder the task reads. */
  folder: string;
  /** Whether CubeLab made it (links or copies of the selection) or it is the selected folder itself. */
  staged: boolean;
  /** Files in it (staged selections only; a selected folder is not walked). */
  files: number;
}

/**
 * The selection as one input folder: a single selected folder is used as it is; otherwise the selected files
 * and folders are linked (hard links, or copies across file systems) into `stagingDir`, keeping their paths
 * relative to the selection's common parent, so predictions name files the way the Explorer shows them.
 */
export async function stageSelection(paths: string[], stagingDir: string, signal?: AbortSignal): Promise<StagedSelection> {
  if (!paths.length) throw new Error('Nothing is selected: select files or a folder in the Explorer.');
  for (const p of paths) if (!existsSync(p)) throw new Error(`${p} does not exist.`);
  if (paths.length === 1 && statSync(paths[0]!).isDirectory()) return { folder: paths[0]!, staged: false, files: 0 };
  const parent = commonParent(paths);
  await mkdir(stagingDir, { recursive: true });
  let files = 0;
  const place = async (src: string, dest: string): Promise<void> => {
    if (signal?.aborted) throw new Error('Staging the selection was cancelled.');
    const st = await stat(src);
    if (st.isDirectory()) {
      await mkdir(dest, { recursive: true });
      for (const name of (await readdir(src)).sort()) {
        if (name.startsWith('.')) continue;
        await place(join(src, name), join(dest, name));
      }
      return;
    }
    if (!st.isFile()) return;
    await mkdir(dirname(dest), { recursive: true });
    if (existsSync(dest)) return;
    try { await link(src, dest); } catch { await copyFile(src, dest); }
    files++;
  };
  for (const p of paths) await place(p, join(stagingDir, relative(parent, p) || basename(p)));
  return { folder: stagingDir, staged: true, files };
}

/** The deepest folder that holds every path (a path's own folder when it is alone). */
export function commonParent(paths: string[]): string {
  const parts = paths.map((p) => dirname(p).split(sep));
  const first = parts[0] ?? [];
  let n = first.length;
  for (const q of parts.slice(1)) {
    let i = 0;
    while (i < n && i < q.length && q[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join(sep) || sep;
}

/** `name=value` overrides (mlcube's parameter syntax) pointing the task at the input folder and a fresh output. */
export function predictOverrides(input: TaskParam, inputFolder: string, output: TaskParam, outputFolder: string): { overrides: string[]; predictionsHint: string } {
  const out = output.kind === 'file' ? join(outputFolder, basename(output.host)) : outputFolder;
  return { overrides: [`${input.name}=${inputFolder}`, `${output.name}=${out}`], predictionsHint: out };
}

/** Where the task wrote its predictions: the output file itself, or `predictions.jsonl` (or another .jsonl) in the output folder. */
export async function findPredictionsFile(output: string): Promise<string | undefined> {
  if (!existsSync(output)) return undefined;
  const st = await stat(output);
  if (st.isFile()) return output;
  const direct = join(output, 'predictions.jsonl');
  if (existsSync(direct)) return direct;
  const queue = [output];
  for (let depth = 0; depth < 3 && queue.length; depth++) {
    const next: string[] = [];
    for (const d of queue) {
      for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
        if (e.isFile() && /^predictions.*\.jsonl$/i.test(e.name)) return join(d, e.name);
        if (e.isDirectory() && !e.name.startsWith('.')) next.push(join(d, e.name));
      }
    }
    queue.splice(0, queue.length, ...next);
  }
  return undefined;
}
