import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { columnsFor, compareRows, rowFilter, searchText, sortRows, type Column } from '../../../webviews/experiments/table';
import type { CellValue, ExperimentRow, ExperimentStatus } from '../../../shared/webview-protocol/experiments';

const statuses: ExperimentStatus[] = ['configured', 'queued', 'running', 'done', 'failed', 'unknown'];
const cell: fc.Arbitrary<CellValue> = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }), fc.constantFrom('exp2', 'exp10', 'a', 'B', ''));
const row = (id: number): fc.Arbitrary<ExperimentRow> => fc.record({
  status: fc.constantFrom(...statuses),
  progress: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
  epoch: fc.integer({ min: -1, max: 20 }),
  lr: cell,
  score: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
}).map((r): ExperimentRow => ({
  id: String(id), status: r.status, progress: r.progress, epoch: r.epoch,
  params: r.lr === null && id % 3 === 0 ? {} : { lr: r.lr } as Record<string, CellValue>,
  scores: r.score === null ? {} : { val_F1: r.score } as Record<string, number>,
}));
const rowsArb = fc.integer({ min: 0, max: 40 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => row(i))));
const columns: Column[] = columnsFor(['lr'], ['val_F1']);

test('sortRows orders rows exactly as a stable sort with compareRows does, on every column and direction', () => {
  fc.assert(fc.property(rowsArb, fc.constantFrom(...columns), fc.boolean(), (rows, col, descending) => {
    const expected = [...rows].sort(compareRows(col, descending)).map((r) => r.id);
    assert.deepEqual(sortRows(rows, col, descending).map((r) => r.id), expected);
  }), { numRuns: 300 });
});

test('the text filter matches a term inside one cell, never across two, and follows a changed row', () => {
  const a: ExperimentRow = { id: '12', status: 'running', progress: 0.5, epoch: 3, params: { lr: 'ab' }, scores: { val_F1: 0.25 } };
  assert.ok(searchText(a, columns).includes('running'));
  const ids = (rows: ExperimentRow[], text: string) => rows.filter(rowFilter(text, columns)).map((r) => r.id);
  assert.deepEqual(ids([a], 'ab'), ['12']);
  assert.deepEqual(ids([a], 'run 50'), ['12'], 'every term in some cell');
  // "2running": the id's last character and the next cell's first: not a cell's text.
  assert.deepEqual(ids([a], '2running'), []);
  assert.deepEqual(ids([a], '0.2500'), ['12']);
  // A live update replaces the row object: its new text is searched, not the cached one.
  const b = { ...a, status: 'done' as const };
  assert.deepEqual(ids([b], 'running'), []);
  assert.deepEqual(ids([b], 'done'), ['12']);
  // Other columns (the chooser changed them): the text of those columns.
  const fewer = columns.filter((c) => c.kind !== 'status');
  assert.deepEqual([b].filter(rowFilter('done', fewer)).map((r) => r.id), []);
});
