/**
 * Reads what an experiment's model card needs from its grid search folder (docs/mlgym-format.md §3.1) and
 * builds the card: the stored configs (YAML, anchors resolved), the experiment folder (experiment_config.json,
 * system_info.json, model_card.json, checkpoints) and the whole event log, aggregated. Pure Node, no `vscode`.
 */
import { promises as fsp } from 'node:fs';
import { parse } from 'yaml';
import { EventLogReader } from '../events/reader';
import { RunAggregator, type EventSink } from '../events/aggregate';
import { readExperimentFolder, readGridSearchFolder } from '../events/storage';
import type { NormalizedEvent } from '../events/types';
import type { ModelCardData } from '../../../shared/webview-protocol/modelCard';
import { buildModelCard } from './card';

/**
 * Forwards to the aggregator and keeps, per experiment, the first and last timestamps of its training events:
 * experiment_config events are all written when the grid search starts (§3.3), so they do not date training.
 */
export class TrainingTimesSink implements EventSink {
  readonly times = new Map<string, { first: number; last: number }>();
  constructor(readonly aggregator: RunAggregator) {}

  apply(event: NormalizedEvent): void {
    this.aggregator.apply(event);
    if (event.type === 'experiment_config' || !(event.ts > 0)) return;
    const t = this.times.get(event.experimentId);
    if (!t) this.times.set(event.experimentId, { first: event.ts, last: event.ts });
    else { if (event.ts < t.first) t.first = event.ts; if (event.ts > t.last) t.last = event.ts; }
  }

  reset(): void {
    this.aggregator.reset();
    this.times.clear();
  }
}

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

export interface LoadOptions { now?: Date }

export async function loadModelCard(gridSearchDir: string, experimentId: string, options: LoadOptions = {}): Promise<ModelCardData> {
  const gs = await readGridSearchFolder(gridSearchDir);
  const problems: string[] = [];
  const [exp, gridSearchConfig, runConfig] = await Promise.all([
    readExperimentFolder(gridSearchDir, experimentId),
    readYaml(gs.gridSearchConfigPath, problems),
    readYaml(gs.runConfigPath, problems),
  ]);
  for (const p of exp.problems) problems.push(`${p.file}: ${p.reason}`);
  const aggregator = new RunAggregator();
  const sink = new TrainingTimesSink(aggregator);
  if (gs.logPath) {
    const reader = new EventLogReader(gs.logPath, sink);
    await reader.read({ final: true });
    if (reader.stats.badLines) problems.push(`${gs.logPath}: ${reader.stats.badLines} unreadable line(s) skipped`);
  } else {
    problems.push(`No event log in ${gridSearchDir}: no results, no training dates.`);
  }
  // HEAD logs name experiments by their index; 2022 logs by a path ending in it.
  const aggregate = aggregator.experiments.get(experimentId)
    ?? [...aggregator.experiments.values()].find((e) => e.id.split('/').pop() === experimentId);
  return buildModelCard({
    gridSearchId: gs.id,
    experimentId,
    experimentConfig: exp.experimentConfig ?? aggregate?.config,
    gridSearchConfig,
    runConfig,
    systemInfo: exp.systemInfo,
    storedCard: exp.modelCard,
    experiment: aggregate,
    trainingTimes: aggregate ? sink.times.get(aggregate.id) : undefined,
    checkpoints: exp.checkpoints,
    problems,
    now: options.now,
  });
}
