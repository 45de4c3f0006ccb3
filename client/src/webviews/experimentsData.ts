/** Turns the aggregates into the Experiments table's messages (pure, no `vscode`). */
import type { RunAggregator } from '../events/index';
import type { ExperimentRow, ExperimentsToWebview } from '../../../shared/webview-protocol/experiments';
import { experimentRow, varyingParams } from './experimentRows';

export class ExperimentsFeed {
  private rows = new Map<string, ExperimentRow>();
  private scoreKeys: string[] = [];

  init(agg: RunAggregator, source: string, title: string, selected: string[]): Extract<ExperimentsToWebview, { type: 'init' }> {
    this.rows.clear();
    for (const e of agg.sortedExperiments()) this.rows.set(e.id, experimentRow(e));
    const rows = [...this.rows.values()];
    this.scoreKeys = agg.seriesKeys();
    return { type: 'init', source, title, varyingParams: varyingParams(rows), scoreKeys: this.scoreKeys, rows, selected };
  }

  update(agg: RunAggregator, changedIds: readonly string[]): Extract<ExperimentsToWebview, { type: 'update' }> | undefined {
    const changed: ExperimentRow[] = [];
    for (const id of changedIds) {
      const e = agg.experiments.get(id);
      if (!e) continue;
      const row = experimentRow(e);
      this.rows.set(id, row);
      changed.push(row);
    }
    if (changed.length === 0) return undefined;
    this.scoreKeys = agg.seriesKeys();
    return { type: 'update', varyingParams: varyingParams([...this.rows.values()]), scoreKeys: this.scoreKeys, rows: changed };
  }
}
