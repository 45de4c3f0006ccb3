/** The endpoint writes log lines exactly as MLboard's DiscEventStorage does: Python's json.dumps. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pythonJsonDumps } from '../../client/src/endpoint/pythonJson';
import { PYTHON } from './helpers';

test('pythonJsonDumps matches Python json.dumps byte for byte', () => {
  const value = {
    event_type: 'evaluation_result',
    creation_ts: 1707945370000003,
    payload: {
      grid_search_id: '2024-02-14--22-15-46', experiment_id: 1, epoch: 0,
      metric_scores: [{ metric: 'F1_SCORE_macro', split: 'val', score: 0.0857 }, { metric: 'RECALL_AT_K', split: 'val', score: [0.5, 0.25] }],
      loss_scores: [{ loss: 'cross_entropy_loss', split: 'val', score: 31.796 }],
      note: 'Größe µ "quoted" \\ tab\t newline\n 😀 \u007f',
      flags: [true, false, null], empty: {}, none: [],
    },
  };
  const python = execFileSync(PYTHON, ['-c', 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())), end="")'], { input: JSON.stringify(value), encoding: 'utf8' });
  assert.equal(pythonJsonDumps(value), python);
  assert.equal(pythonJsonDumps({ loss: Number.NaN, up: Infinity, down: -Infinity }), '{"loss": NaN, "up": Infinity, "down": -Infinity}');
});
