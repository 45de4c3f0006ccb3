/**
 * The Experiments tree's data, pure Node (no `vscode`), bundled as dist/experimentsTree.js and loaded when the
 * view is first shown: finding event storages in run outputs outside the workspace, and building what each
 * node shows (grid searches, their experiments in numeric order, each experiment's checkpoints by epoch).
 *
 * Status and progress come from the event log through the incremental reader, one reader per log kept across
 * refreshes (a refresh reads only the bytes appended since). A log first seen above `maxSummaryBytes` is not
 * read (the panels do that); its experiments then show what their folders say.
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { globMatcher } from '../../../shared/glob';
import { EventLogReader, RunAggregator, compareIds, type ExperimentAggregate, type ExperimentState } from '../events/index';
import { SIDE_EFFECT_ROOMS, experimentDir, isSafeExperimentId, listCheckpoints, readGridSearchFolder, type CheckpointFolder } from '../events/storage';
import { RunStore } from '../runs/runStore';
import { isActive } from '../runs/record';

export const DEFAULT_STORAGE_GLOBS = ['**/event_storage/*/event_storage.log'];
export const EXCLUDE_GLOB = '**/node_modules/**';

export interface GridSearchNode {
  kind: 'gridSearch';
  /** The grid search folder, `<root>/<grid_search_id>`. */
  dir: string;
  logPath: string;
  label: string;
  description: string;
  tooltip: string;
}

export interface ExperimentNode {
  kind: 'experiment';
  gridSearchDir: string;
  id: string;
  dir: string;
  label: string;
  description: string;
  tooltip: string;
  state: ExperimentState;
  checkpoints: CheckpointNode[];
}

export interface CheckpointNode {
  kind: 'checkpoint';
  experimentId: string;
  epoch: number;
  dir: string;
  files: string[];
  label: string;
  description: string;
  tooltip: string;
}

export type ExperimentsTreeNode = GridSearchNode | ExperimentNode | CheckpointNode;

/** Where a grid search was found: shown as the node's location. */
export interface FoundLog {
  logPath: string;
  /** Display path of the storage root (workspace-relative, or absolute for run outputs elsewhere). */
  where: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The event logs under `dir` whose path relative to `dir` matches one of `globs`, by a bounded walk (run
 * outputs outside the workspace, which the workspace search does not cover). Skips node_modules and dot
 * folders; stops after `maxEntries` directory entries so a huge output folder cannot stall the view.
 */
export async function findLogsUnder(dir: string, globs: readonly string[], opts: { maxDepth?: number; maxEntries?: number } = {}): Promise<string[]> {
  const maxDepth = opts.maxDepth ?? 6;
  let budget = opts.maxEntries ?? 20000;
  // Compiled once; matched in bounded time, whatever the (workspace-settable) patterns are (shared/glob.ts).
  const matchers = globs.map((g) => globMatcher(g)).flatMap((m) => (m.ok ? [m.match] : []));
  const found: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    let list;
    try { list = await fsp.readdir(d, { withFileTypes: true }); } catch { return; }
    for (const e of list) {
      if (--budget < 0) return;
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (depth < maxDepth && e.name !== 'node_modules' && !e.name.startsWith('.')) await walk(p, depth + 1);
      } else if (e.isFile()) {
        const rel = relative(dir, p).split(sep).join('/');
        if (matchers.some((match) => match(rel))) found.push(p);
      }
    }
  };
  await walk(dir, 0);
  return found.sort();
}

/** The most recent runs whose outputs are searched for event storages (older ones are in the workspace or gone). */
export const RECENT_RUNS = 20;
/** A sweep's elements whose outputs are searched (the first ones; a thousand-element sweep is not walked whole). */
export const MAX_SWEEP_ELEMENTS = 200;

export interface RunOutputDir {
  dir: string;
  /** A run writing there is still going: new storages may appear, so the folder is worth watching. */
  active: boolean;
}

/**
 * Host folders recent runs wrote outputs to: their mlcube workspace, the output folders mlcube creates first
 * (`mkdirs`) and read-write mounts. Input mounts (a dataset, the home folder of a parameters file) are not
 * outputs and are never walked.
 */
export async function runOutputDirs(storeRoots: readonly string[], recent = RECENT_RUNS): Promise<RunOutputDir[]> {
  const dirs = new Map<string, boolean>();
  const add = (dir: string, active: boolean): void => { dirs.set(dir, (dirs.get(dir) ?? false) || active); };
  for (const root of storeRoots) {
    const { runs } = await new RunStore(root).list(); // newest first
    const store = new RunStore(root);
    for (const r of runs.slice(0, recent)) {
      const active = isActive(r.status);
      // A sweep's elements write where their own plans say (their own workspaces): their storages show together.
      const plans = r.sweep ? (await store.readElements(r.runId, Math.min(r.sweep.count, MAX_SWEEP_ELEMENTS))).map((e) => e.plan) : [r.plan];
      for (const plan of plans) {
        if (plan?.workspace) add(plan.workspace, active);
        for (const d of plan?.mkdirs ?? []) add(d, active);
        for (const m of plan?.mounts ?? []) if ((m.mode === 'rw' || m.io === 'output') && m.host) add(m.host, active);
      }
    }
  }
  return [...dirs].sort(([a], [b]) => a.localeCompare(b)).map(([dir, active]) => ({ dir, active }));
}

/** `a` is `b` or inside it. */
export function isInside(a: string, b: string): boolean {
  const rel = relative(b, a);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

const STATE_TEXT: Record<ExperimentState, string> = {
  configured: 'configured', queued: 'queued', running: 'running', done: 'done', failed: 'failed', unknown: '',
};

/** Summary of one experiment as the user reads it: `done · epoch 3/3` or `running · epoch 2/10 · val 40 %`. */
function experimentSummary(a: ExperimentAggregate | undefined): string[] {
  if (!a) return [];
  const parts: string[] = [];
  const state = a.state;
  if (STATE_TEXT[state]) parts.push(STATE_TEXT[state]);
  const p = a.progress;
  const numEpochs = p?.numEpochs;
  // Epochs are 0-based in MLgym (docs/mlgym.md §1.1); "epoch 3/3" reads as the third of three.
  const epoch = p?.currentEpoch !== undefined ? p.currentEpoch + 1 : a.lastEpoch >= 0 ? a.lastEpoch + 1 : undefined;
  if (epoch !== undefined) parts.push(numEpochs ? `epoch ${epoch}/${numEpochs}` : `epoch ${epoch}`);
  if (state === 'running' && p?.batchFraction !== undefined) {
    parts.push(`${p.phase === 'train' ? 'train' : p.currentSplit ?? p.phase} ${Math.round(p.batchFraction * 100)} %`);
  }
  return parts;
}

export class ExperimentsModel {
  private readonly readers = new Map<string, { reader: EventLogReader; agg: RunAggregator } | 'tooLarge'>();

  constructor(private readonly maxSummaryBytes = 32 * 1024 * 1024) {}

  /** The log's aggregate, read up to its current end; undefined when the log is too large to summarise here. */
  async aggregate(logPath: string): Promise<RunAggregator | undefined> {
    let entry = this.readers.get(logPath);
    if (entry === undefined) {
      let size = 0;
      try { size = (await fsp.stat(logPath)).size; } catch { /* not written yet: an empty aggregate */ }
      if (size > this.maxSummaryBytes) entry = 'tooLarge';
      else { const agg = new RunAggregator(); entry = { reader: new EventLogReader(logPath, agg), agg }; }
      this.readers.set(logPath, entry);
    }
    if (entry === 'tooLarge') return undefined;
    try { await entry.reader.read(); } catch { /* unreadable now: show what was read before */ }
    return entry.agg;
  }

  /** Drops readers of logs no longer found. */
  retain(logPaths: Iterable<string>): void {
    const keep = new Set(logPaths);
    for (const p of [...this.readers.keys()]) if (!keep.has(p)) this.readers.delete(p);
  }

  /** One node per grid search folder, newest grid search id first, then by location. */
  async gridSearches(found: readonly FoundLog[]): Promise<GridSearchNode[]> {
    const byDir = new Map<string, FoundLog>();
    for (const f of found) {
      const dir = dirname(f.logPath);
      if (!byDir.has(dir) && !SIDE_EFFECT_ROOMS.has(basename(dir))) byDir.set(dir, f);
    }
    this.retain([...byDir.values()].map((f) => f.logPath));
    const nodes: GridSearchNode[] = [];
    for (const [dir, f] of byDir) {
      const [folder, agg] = await Promise.all([readGridSearchFolder(dir), this.aggregate(f.logPath)]);
      const ids = new Set(folder.experimentIds);
      const states = new Map<ExperimentState, number>();
      if (agg) {
        for (const a of agg.experiments.values()) {
          ids.add(a.id);
          states.set(a.state, (states.get(a.state) ?? 0) + 1);
        }
      }
      const counts = (['running', 'queued', 'done', 'failed'] as ExperimentState[])
        .filter((s) => states.get(s)).map((s) => `${states.get(s)} ${s}`);
      const description = [plural(ids.size, 'experiment'), ...counts, f.where].join(' · ');
      const tooltip = [
        `Grid search ${folder.id}`, f.logPath,
        agg ? `${agg.experiments.size} experiments in the log` : 'The log is large: open the Experiments table for status and scores.',
      ].join('\n');
      nodes.push({ kind: 'gridSearch', dir, logPath: f.logPath, label: folder.id, description, tooltip });
    }
    return nodes.sort((a, b) => b.label.localeCompare(a.label) || a.description.localeCompare(b.description));
  }

  /** The experiments of a grid search (numeric id order), each with its checkpoints (ascending epoch). */
  async experiments(gs: GridSearchNode): Promise<ExperimentNode[]> {
    const [folder, agg] = await Promise.all([readGridSearchFolder(gs.dir), this.aggregate(gs.logPath)]);
    const ids = new Set(folder.experimentIds);
    // 2022 logs key experiments by path (`<gs>/conv_net/0`), a folder beside the grid search's own (experimentDir).
    if (agg) for (const id of agg.experiments.keys()) ids.add(id);
    // An id a log names that is not a plain folder path (`../x`) is left out, not the whole grid search.
    const sorted = [...ids].filter(isSafeExperimentId).sort(compareIds);
    return Promise.all(sorted.map(async (id) => {
      const dir = experimentDir(gs.dir, id);
      const checkpoints = await listCheckpoints(dir);
      const a = agg?.experiments.get(id);
      const parts = experimentSummary(a);
      if (checkpoints.length) parts.push(plural(checkpoints.length, 'checkpoint'));
      const tooltipLines = [`Experiment ${id} of ${folder.id}`, dir];
      if (a?.job?.error) tooltipLines.push(`Error: ${a.job.error}`);
      return {
        kind: 'experiment' as const, gridSearchDir: gs.dir, id, dir, label: `experiment ${id}`,
        description: parts.join(' · '), tooltip: tooltipLines.join('\n'), state: a?.state ?? 'unknown',
        checkpoints: checkpoints.map((c) => checkpointNode(id, c)),
      };
    }));
  }
}

export function checkpointNode(experimentId: string, c: CheckpointFolder): CheckpointNode {
  return {
    kind: 'checkpoint', experimentId, epoch: c.epoch, dir: c.dir, files: c.files,
    label: `epoch ${c.epoch}`,
    description: (c.files.length === 1 ? c.files[0] : undefined) ?? plural(c.files.length, 'file'),
    tooltip: [c.dir, ...c.files].join('\n'),
  };
}
