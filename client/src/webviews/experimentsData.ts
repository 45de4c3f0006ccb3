/** Turns the aggregates into the Experiments table's messages (pure, no `vscode`). */
import type { RunAggregator } from '../events/index';
import type { ExperimentRow, ExperimentsToWebview } from '../../../shared/webview-protocol/experiments';
import { experimentRow, varyingParams } from './experimentRows';

export class ExperimentsFeed {
  private rows = new Map<string, ExperimentRow>();
  private scoreKeys: string[] = [];
  private varying: string[] = [];

  init(agg: RunAggregator, source: string, title: string, selected: string[]): Extract<ExperimentsToWebview, { type: 'init' }> {
    this.rows.clear();
    for (const e of agg.sortedExperiments()) this.rows.set(e.id, experimentRow(e));
    const rows = [...this.rows.values()];
    this.scoreKeys = agg.seriesKeys();
    this.varying = varyingParams(rows);
    return { type: 'init', source, title, varyingParams: this.varying, scoreKeys: this.scoreKeys, rows, selected };
  }

  update(agg: RunAggregator, changedIds: readonly string[]): Extract<ExperimentsToWebview, { type: 'update' }> | undefined {
    const changed: ExperimentRow[] = [];
    // The varying parameters are computed again only when a row is new or its params changed (rows keep their
    // params object while their config stays: experimentRows.ts): a live run changes scores, not configs.
    let paramsChanged = false;
    for (const id of changedIds) {
      const e = agg.experiments.get(id);
      if (!e) continue;
      const row = experimentRow(e);
      if (this.rows.get(id)?.params !== row.params) paramsChanged = true;
      this.rows.set(id, row);
      changed.push(row);
    }
    if (changed.length === 0) return undefined;
    this.scoreKeys = agg.seriesKeys();
    if (paramsChanged) this.varying = varyingParams([...this.rows.values()]);
    return { type: 'update', varyingParams: this.varying, scoreKeys: this.scoreKeys, rows: changed };
  }
}
