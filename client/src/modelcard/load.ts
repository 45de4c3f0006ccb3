/**
 * Reads what an experiment's model card needs from its grid search folder (docs/mlgym.md §3.1) and
 * builds the card: the stored configs, the experiment folder (experiment_config.json, system_info.json,
 * model_card.json, checkpoints) and the whole event log, aggregated. Pure Node, no `vscode`.
 *
 * The stored configs are read by the language server (`cubelab/storedConfig`, through a reader the panel
 * passes in), as every config is: MLgym's PyYAML reading (`1e-4` is a string, `yes` is true) and the
 * server's validation against MLgym HEAD. Without a server the card reads them itself, and says so.
 */
import { promises as fsp } from 'node:fs';
import { parse } from 'yaml';
import { EventLogReader } from '../events/reader';
import { RunAggregator, type ExperimentAggregate } from '../events/aggregate';
import { isSafeExperimentId, readExperimentFolder, readGridSearchFolder, type ExperimentFolder } from '../events/storage';
import type { ModelCardData } from '../../../shared/webview-protocol/modelCard';
import type { StoredConfigResult } from '../../../shared/lsp-protocol';
import { buildModelCard } from './card';

async function readYaml(path: string | undefined, problems: string[]): Promise<Record<string, unknown> | undefined> {
  if (!path) return undefined;
  try {
    const value: unknown = parse(await fsp.readFile(path, 'utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    problems.push(`${path}: not a YAML mapping`);
  } catch (err) {
    problems.push(`${path}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  return undefined;
}

/** Asks the language server for its reading of a stored config; undefined when no server is available. */
export type StoredConfigReader = (path: string) => Promise<StoredConfigResult | undefined>;

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * A grid search config rebuilt from the server's components (MLgym's key names), with its global_config and
 * model_info; for other kinds (a run config) the server's PyYAML reading of the whole document.
 */
export function configFromServer(r: Extract<StoredConfigResult, { ok: true }>): Json | undefined {
  if (r.kind !== 'mlgym-gs') return isRecord(r.value) ? r.value : undefined;
  const out: Json = {};
  if (r.globalConfig !== null) out.global_config = r.globalConfig;
  if (r.modelInfo !== null) out.model_info = r.modelInfo;
  for (const c of r.components) {
    out[c.name] = {
      component_type_key: c.component_type_key,
      variant_key: c.variant_key,
      // An absent requirement key stays absent, as in the file.
      requirements: c.requirements.map((q) => ({
        ...(q.name !== null ? { name: q.name } : {}), ...(q.component_name !== null ? { component_name: q.component_name } : {}), subscription: q.subscription,
      })),
      config: c.config,
    };
  }
  return out;
}

/** What the server found wrong in a stored config, for the card's notes (nothing when it found nothing). */
export function diagnosticsNote(path: string, r: Extract<StoredConfigResult, { ok: true }>): string | undefined {
  const { errors, warnings, first } = r.diagnostics;
  if (!errors && !warnings) return undefined;
  const name = path.split(/[\\/]/).pop() ?? path;
  const shown = first.slice(0, 3).map((d) => `line ${d.line + 1}: ${d.message}`).join(' ');
  return `The stored ${name} has ${plural(errors, 'error')} and ${plural(warnings, 'warning')} at MLgym HEAD${shown ? ` (${shown})` : ''}.`;
}

/** The reading of one stored config, and whether it came from the language server. */
async function readStoredConfig(path: string | undefined, reader: StoredConfigReader | undefined, problems: string[]): Promise<{ config?: Json; byServer: boolean }> {
  if (!path) return { byServer: true };
  let result: StoredConfigResult | undefined;
  try {
    result = reader ? await reader(path) : undefined;
  } catch (err) {
    problems.push(`The language server could not read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (result?.ok) {
    const note = diagnosticsNote(path, result);
    if (note) problems.push(note);
    const config = configFromServer(result);
    if (!config) problems.push(`${path}: not a YAML mapping`);
    return { config, byServer: true };
  }
  if (result) { problems.push(`${path}: ${result.error}`); return { byServer: true }; }
  return { config: await readYaml(path, problems), byServer: false };
}

export interface LoadOptions {
  now?: Date;
  /** The language server's reading of the stored configs; without it (or when it answers nothing) the card reads them itself. */
  readStoredConfig?: StoredConfigReader;
  /**
   * The grid search's log already read (the panel's shared session, which follows the log and keeps its event
   * index); without it the log is read here, whole.
   */
  aggregator?: RunAggregator;
  /** Unreadable lines the reader of `aggregator` skipped. */
  badLines?: number;
}

/** What a card is built from besides the event log: read once per load (and again on Refresh). */
export interface CardFiles {
  gridSearchDir: string;
  experimentId: string;
  gridSearchId: string;
  logPath?: string;
  experimentDir?: string;
  experimentConfig?: Record<string, unknown>;
  gridSearchConfig?: Record<string, unknown>;
  runConfig?: Record<string, unknown>;
  systemInfo?: ExperimentFolder['systemInfo'];
  storedCard?: Record<string, unknown>;
  checkpoints: ExperimentFolder['checkpoints'];
  problems: string[];
}

/** Reads the grid search's and the experiment's files (not the event log). */
export async function loadCardFiles(gridSearchDir: string, experimentId: string, options: LoadOptions = {}): Promise<CardFiles> {
  const gs = await readGridSearchFolder(gridSearchDir);
  const problems: string[] = [];
  const [exp, gridSearch, run] = await Promise.all([
    readExperimentFolder(gridSearchDir, experimentId),
    readStoredConfig(gs.gridSearchConfigPath, options.readStoredConfig, problems),
    readStoredConfig(gs.runConfigPath, options.readStoredConfig, problems),
  ]);
  if (!gridSearch.byServer || !run.byServer) {
    problems.push('The stored configs were read without the language server (not running): with a YAML 1.2 parser rather than MLgym\'s PyYAML reading (values such as 1e-4 or yes may differ), and not checked against MLgym.');
  }
  for (const p of exp.problems) problems.push(`${p.file}: ${p.reason}`);
  return {
    gridSearchDir, experimentId, gridSearchId: gs.id, logPath: gs.logPath, experimentDir: isSafeExperimentId(experimentId) ? exp.dir : undefined,
    experimentConfig: exp.experimentConfig, gridSearchConfig: gridSearch.config, runConfig: run.config, systemInfo: exp.systemInfo,
    storedCard: exp.modelCard, checkpoints: exp.checkpoints, problems,
  };
}

/** The experiment's aggregate in a log's aggregator: HEAD logs name experiments by their index, 2022 logs by a path ending in it. */
export function experimentAggregate(aggregator: RunAggregator | undefined, experimentId: string): ExperimentAggregate | undefined {
  return aggregator?.experiments.get(experimentId)
    ?? [...(aggregator?.experiments.values() ?? [])].find((e) => e.id.split('/').pop() === experimentId);
}

/** The card from its files and the log's aggregate (cheap: what a live card does on every change of its experiment). */
export function cardFromFiles(files: CardFiles, aggregator: RunAggregator | undefined, badLines = 0, now?: Date): ModelCardData {
  const problems = [...files.problems];
  if (badLines) problems.push(`${files.logPath ?? files.gridSearchDir}: ${badLines} unreadable line(s) skipped`);
  if (!files.logPath) problems.push(`No event log in ${files.gridSearchDir}: no results, no training dates.`);
  const aggregate = experimentAggregate(aggregator, files.experimentId);
  return buildModelCard({
    gridSearchId: files.gridSearchId,
    experimentId: files.experimentId,
    experimentConfig: files.experimentConfig ?? aggregate?.config,
    gridSearchConfig: files.gridSearchConfig,
    runConfig: files.runConfig,
    systemInfo: files.systemInfo,
    storedCard: files.storedCard,
    experiment: aggregate,
    // Training events only: experiment_config events are all written when the grid search starts (docs/mlgym.md §3.3).
    trainingTimes: aggregate && aggregate.trainingFirstTs > 0 ? { first: aggregate.trainingFirstTs, last: aggregate.trainingLastTs } : undefined,
    checkpoints: files.checkpoints,
    problems,
    now,
  });
}

export async function loadModelCard(gridSearchDir: string, experimentId: string, options: LoadOptions = {}): Promise<ModelCardData> {
  const files = await loadCardFiles(gridSearchDir, experimentId, options);
  let aggregator = options.aggregator;
  let badLines = options.badLines ?? 0;
  if (!aggregator && files.logPath) {
    aggregator = new RunAggregator();
    const reader = new EventLogReader(files.logPath, aggregator);
    await reader.read({ final: true });
    badLines = reader.stats.badLines;
  }
  return cardFromFiles(files, aggregator, badLines, options.now);
}
