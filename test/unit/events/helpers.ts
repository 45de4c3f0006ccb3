/** Shared bits of the event tests: temp folders, log lines, and a comparable dump of an aggregate. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunAggregator } from '../../../client/src/events/aggregate';
import { formatEvent } from '../../helpers/eventGenerator';
import type { RawEvent, WireFormat } from '../../../client/src/events/types';

export function tempDir(t: { after(fn: () => void): void }, prefix = 'cubelab-events-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const GS = '2024-02-14--22-15-46';

export function resultEvent(experimentId: number, epoch: number, score: number, split = 'val', ts = 1707945370000000 + epoch): RawEvent {
  return {
    event_type: 'evaluation_result',
    creation_ts: ts,
    payload: {
      grid_search_id: GS, experiment_id: experimentId, epoch,
      metric_scores: [{ metric: 'F1_SCORE_macro', split, score }],
      loss_scores: [{ loss: 'cross_entropy_loss', split, score: 1 - score }],
    },
  };
}

export function statusEvent(experimentId: number, epoch: number, batch: number, ts = 1707945360000000): RawEvent {
  return {
    event_type: 'experiment_status',
    creation_ts: ts,
    payload: { grid_search_id: GS, experiment_id: experimentId, status: 'train', num_epochs: 10, current_epoch: epoch, splits: ['train'], current_split: 'train', num_batches: 100, current_batch: batch },
  };
}

export function lines(events: RawEvent[], format: WireFormat = 'head', firstId = 0): string {
  return events.map((e, i) => formatEvent(e, format, firstId + i) + '\n').join('');
}

/** Everything the views read from an aggregate, as plain data. */
export function dump(agg: RunAggregator): unknown {
  return agg.sortedExperiments().map((e) => ({
    id: e.id,
    state: e.state,
    gridSearchId: e.gridSearchId,
    hasConfig: e.config !== undefined,
    job: e.job,
    progress: e.progress,
    lastEpoch: e.lastEpoch,
    series: [...e.series.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => [k, s.epochs, s.values]),
  }));
}
