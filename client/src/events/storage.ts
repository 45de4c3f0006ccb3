/**
 * Reads the folder layout of an MLgym event storage (docs/mlgym.md §3.1):
 * `<root>/<grid_search_id>/{event_storage.log, grid_search_config.yml, run_config.yml, <experiment_id>/…}`,
 * each experiment with `experiment_config.json`, `system_info.json`, `model_card.json` and one folder per
 * checkpointed epoch. Epochs and experiment ids are ordered numerically (MLboard sorts them as strings,
 * so "9" comes after "10"). A broken JSON file is reported with the experiment, not thrown.
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseLine } from './lineScan';
import type { SystemInfo } from './types';

export const LOG_FILE = 'event_storage.log';

/** Rooms MLboard creates as a side effect of publishers joining (docs/mlgym.md §3.1): not grid searches. */
export const SIDE_EFFECT_ROOMS: ReadonlySet<string> = new Set(['mlgym_event_publishers', 'mlgym_streamed_logger']);
/** `%Y-%m-%d--%H-%M-%S`, MLgym's grid search id. */
const GRID_SEARCH_ID = /^\d{4}-\d{2}-\d{2}--\d{2}-\d{2}-\d{2}$/;

export interface GridSearchFolder {
  id: string;
  dir: string;
  /** Present when the folder has an event log. */
  logPath?: string;
  gridSearchConfigPath?: string;
  runConfigPath?: string;
  validationStrategyConfigPath?: string;
  /** Experiment ids (folder names), numeric order. */
  experimentIds: string[];
}

export interface CheckpointFolder {
  epoch: number;
  dir: string;
  /** File names: `model.pickle` … for standard jobs, `checkpoint_rank_<r>.zip`/`checkpoint.zip` for accelerate. */
  files: string[];
}

export interface FileProblem {
  file: string;
  reason: string;
}

export interface ExperimentFolder {
  id: string;
  dir: string;
  experimentConfig?: Record<string, unknown>;
  systemInfo?: SystemInfo;
  modelCard?: Record<string, unknown>;
  /** Ascending epoch. */
  checkpoints: CheckpointFolder[];
  problems: FileProblem[];
}

async function entries(dir: string): Promise<{ name: string; isDir: boolean }[]> {
  try {
    const list = await fsp.readdir(dir, { withFileTypes: true });
    return list.map((d) => ({ name: d.name, isDir: d.isDirectory() }));
  } catch {
    return [];
  }
}

const isIntName = (name: string) => /^\d+$/.test(name);
const byNumber = (a: string, b: string) => Number(a) - Number(b) || a.localeCompare(b);

/**
 * The grid searches under an event storage root: folders with an event log or with experiment folders,
 * minus MLboard's side-effect rooms. Newest first (the ids are timestamps); other names after, by name.
 */
export async function listGridSearches(root: string): Promise<GridSearchFolder[]> {
  const out: GridSearchFolder[] = [];
  for (const e of await entries(root)) {
    if (!e.isDir || SIDE_EFFECT_ROOMS.has(e.name)) continue;
    const gs = await readGridSearchFolder(join(root, e.name));
    if (gs.logPath || gs.experimentIds.length || gs.gridSearchConfigPath) out.push(gs);
  }
  return out.sort((a, b) => {
    const ta = GRID_SEARCH_ID.test(a.id);
    const tb = GRID_SEARCH_ID.test(b.id);
    if (ta !== tb) return ta ? -1 : 1;
    return ta ? b.id.localeCompare(a.id) : a.id.localeCompare(b.id);
  });
}

export async function readGridSearchFolder(dir: string): Promise<GridSearchFolder> {
  const id = dir.split(/[\\/]/).filter(Boolean).pop() ?? dir;
  const list = await entries(dir);
  const has = (name: string) => list.some((e) => !e.isDir && e.name === name);
  return {
    id,
    dir,
    logPath: has(LOG_FILE) ? join(dir, LOG_FILE) : undefined,
    gridSearchConfigPath: has('grid_search_config.yml') ? join(dir, 'grid_search_config.yml') : undefined,
    runConfigPath: has('run_config.yml') ? join(dir, 'run_config.yml') : undefined,
    validationStrategyConfigPath: has('validation_strategy_config.yml') ? join(dir, 'validation_strategy_config.yml') : undefined,
    experimentIds: list.filter((e) => e.isDir && isIntName(e.name)).map((e) => e.name).sort(byNumber),
  };
}

async function readJson(path: string, problems: FileProblem[]): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ file: path, reason: (err as Error).message });
    return undefined;
  }
  // MLgym writes these with Python's json: a NaN hyperparameter would be a bare token, which parseLine accepts.
  const parsed = parseLine(text);
  if ('error' in parsed) {
    problems.push({ file: path, reason: parsed.error });
    return undefined;
  }
  const value = parsed.value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  problems.push({ file: path, reason: 'not a JSON object' });
  return undefined;
}

/** Checkpoint folders of an experiment, ascending epoch. */
export async function listCheckpoints(experimentDir: string): Promise<CheckpointFolder[]> {
  const out: CheckpointFolder[] = [];
  for (const e of await entries(experimentDir)) {
    if (!e.isDir || !isIntName(e.name)) continue;
    const dir = join(experimentDir, e.name);
    const files = (await entries(dir)).filter((f) => !f.isDir).map((f) => f.name).sort();
    out.push({ epoch: Number(e.name), dir, files });
  }
  return out.sort((a, b) => a.epoch - b.epoch);
}

/** An experiment id from a log that is not a folder name (or, 2022, a path of folder names): it never becomes a path. */
export class UnsafeExperimentIdError extends Error {
  constructor(readonly experimentId: string) {
    super(`experiment id ${JSON.stringify(experimentId)} is not a folder name under its grid search`);
  }
}

/** A single folder name: not empty, no separator or NUL, not starting with `.` (so neither `.` nor `..`). */
const isFolderName = (name: string) => name.length > 0 && name.length <= 255 && !name.startsWith('.') && !/[\\/\0]/.test(name);

/**
 * Whether an experiment id read from a log may name a folder: a HEAD id is one folder name, a 2022 id a path of
 * folder names (`<gs>/conv_net/0`). Ids are the publisher's data, so `../../x`, `/etc` or `C:\x` must not
 * become paths outside the grid search.
 */
export function isSafeExperimentId(experimentId: string): boolean {
  return experimentId.split('/').every(isFolderName);
}

/**
 * An experiment's folder: HEAD ids are folder names under the grid search; 2022 ids are paths starting with the
 * grid search id. Throws UnsafeExperimentIdError for an id that is not made of folder names (isSafeExperimentId):
 * the folder is then always inside the grid search's folder.
 */
export function experimentDir(gridSearchDir: string, experimentId: string): string {
  if (!isSafeExperimentId(experimentId)) throw new UnsafeExperimentIdError(experimentId);
  return experimentId.startsWith(`${basename(gridSearchDir)}/`) ? join(dirname(gridSearchDir), experimentId) : join(gridSearchDir, experimentId);
}

/** An experiment's folder and files; for an unsafe id (UnsafeExperimentIdError) nothing is read and the problem is reported. */
export async function readExperimentFolder(gridSearchDir: string, experimentId: string): Promise<ExperimentFolder> {
  if (!isSafeExperimentId(experimentId)) {
    return { id: experimentId, dir: gridSearchDir, checkpoints: [], problems: [{ file: gridSearchDir, reason: `${new UnsafeExperimentIdError(experimentId).message}: not read` }] };
  }
  const dir = experimentDir(gridSearchDir, experimentId);
  const problems: FileProblem[] = [];
  const [experimentConfig, systemInfo, modelCard, checkpoints] = await Promise.all([
    readJson(join(dir, 'experiment_config.json'), problems),
    readJson(join(dir, 'system_info.json'), problems),
    readJson(join(dir, 'model_card.json'), problems),
    listCheckpoints(dir),
  ]);
  return { id: experimentId, dir, experimentConfig, systemInfo: systemInfo as SystemInfo | undefined, modelCard, checkpoints, problems };
}

/** Every experiment folder of a grid search, in numeric id order. */
export async function readExperiments(gs: GridSearchFolder): Promise<ExperimentFolder[]> {
  return Promise.all(gs.experimentIds.map((id) => readExperimentFolder(gs.dir, id)));
}
