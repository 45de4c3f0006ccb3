import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { columnFilterTest, columnsFor, parseColumnFilter, rowFilter, type Column } from '../../../webviews/experiments/table';
import { isExperimentsViewState, type ExperimentRow } from '../../../shared/webview-protocol/experiments';

const row = (id: string, over: Partial<ExperimentRow> = {}): ExperimentRow => ({
  id, status: 'done', progress: 1, epoch: 3, params: {}, scores: {}, ...over,
});
const columns = columnsFor(['optimizer.name', 'optimizer.lr'], ['val_F1']);
const col = (id: string): Column => {
  const c = columns.find((x) => x.id === id);
  assert.ok(c, id);
  return c;
};
const ids = (rows: ExperimentRow[], keep: (r: ExperimentRow) => boolean) => rows.filter(keep).map((r) => r.id);

test('parses comparisons, plain numbers, ranges and falls back to text', () => {
  assert.deepEqual(parseColumnFilter(''), { kind: 'all' });
  assert.deepEqual(parseColumnFilter('   '), { kind: 'all' });
  assert.deepEqual(parseColumnFilter('>0.5'), { kind: 'compare', op: '>', value: 0.5 });
  assert.deepEqual(parseColumnFilter(' <= 3 '), { kind: 'compare', op: '<=', value: 3 });
  assert.deepEqual(parseColumnFilter('>=-1e-3'), { kind: 'compare', op: '>=', value: -0.001 });
  assert.deepEqual(parseColumnFilter('<.25'), { kind: 'compare', op: '<', value: 0.25 });
  assert.deepEqual(parseColumnFilter('=2'), { kind: 'compare', op: '=', value: 2 });
  assert.deepEqual(parseColumnFilter('0.37'), { kind: 'compare', op: '=', value: 0.37 });
  assert.deepEqual(parseColumnFilter('>50 %'), { kind: 'compare', op: '>', value: 50 });
  assert.deepEqual(parseColumnFilter('0.1..0.5'), { kind: 'range', min: 0.1, max: 0.5 });
  assert.deepEqual(parseColumnFilter('1..2'), { kind: 'range', min: 1, max: 2 });
  assert.deepEqual(parseColumnFilter('0.5 .. 0.1'), { kind: 'range', min: 0.1, max: 0.5 }, 'reversed ends are swapped');
  assert.deepEqual(parseColumnFilter('0.5..'), { kind: 'range', min: 0.5, max: Infinity });
  assert.deepEqual(parseColumnFilter('..3'), { kind: 'range', min: -Infinity, max: 3 });
  for (const text of ['..', 'Adam', '>abc', '0.1..x', '1.2.3', '>>1', '=']) {
    assert.deepEqual(parseColumnFilter(text), { kind: 'text', text: text.toLowerCase() }, text);
  }
});

test('numeric columns compare numerically; Progress in the percent it shows; empty cells never pass', () => {
  const rows = [
    row('a', { scores: { val_F1: 0.2 }, progress: 0.25, epoch: 1 }),
    row('b', { scores: { val_F1: 0.5 }, progress: 0.5, epoch: 2 }),
    row('c', { scores: { val_F1: 0.123456 }, progress: 1 / 3, epoch: -1 }),
    row('d', { progress: null }),
  ];
  const score = col('score:val_F1');
  assert.deepEqual(ids(rows, columnFilterTest('>0.2', score)), ['b']);
  assert.deepEqual(ids(rows, columnFilterTest('>=0.2', score)), ['a', 'b']);
  assert.deepEqual(ids(rows, columnFilterTest('<0.3', score)), ['a', 'c']);
  assert.deepEqual(ids(rows, columnFilterTest('0.1..0.2', score)), ['a', 'c'], 'ranges are inclusive');
  assert.deepEqual(ids(rows, columnFilterTest('0.5', score)), ['b']);
  assert.deepEqual(ids(rows, columnFilterTest('0.1235', score)), ['c'], 'equality also accepts the rounded value shown');
  assert.deepEqual(ids(rows, columnFilterTest('x', score)), [], 'text in a numeric column matches the text shown: nothing');
  const progress = col('progress');
  assert.deepEqual(ids(rows, columnFilterTest('>30', progress)), ['b', 'c']);
  assert.deepEqual(ids(rows, columnFilterTest('33', progress)), ['c'], '33 % as shown');
  assert.deepEqual(ids(rows, columnFilterTest('25%', progress)), ['a']);
  const epoch = col('epoch');
  assert.deepEqual(ids(rows, columnFilterTest('<=2', epoch)), ['a', 'b'], 'no epoch yet (-1, shown empty) does not pass');
  assert.deepEqual(ids(rows, columnFilterTest('', epoch)), ['a', 'b', 'c', 'd']);
});

test('Status and Experiment columns match a case-insensitive substring, even when it looks like a number', () => {
  const rows = [row('3', { status: 'failed' }), row('13'), row('30', { status: 'running' })];
  assert.deepEqual(ids(rows, columnFilterTest('FAIL', col('status'))), ['3']);
  assert.deepEqual(ids(rows, columnFilterTest(' un ', col('status'))), ['30']);
  assert.deepEqual(ids(rows, columnFilterTest('3', col('id'))), ['3', '13', '30']);
  assert.deepEqual(ids(rows, columnFilterTest('>3', col('id'))), []);
});

test('parameters compare numerically where the value is a number, by substring where it is text', () => {
  const rows = [
    row('a', { params: { 'optimizer.name': 'Adam', 'optimizer.lr': 0.1 } }),
    row('b', { params: { 'optimizer.name': 'SGD', 'optimizer.lr': 0.01 } }),
    row('c', { params: { 'optimizer.name': 'AdamW', 'optimizer.lr': '1e-3' } }),
    row('d', { params: { 'optimizer.name': null, 'optimizer.lr': true } }),
  ];
  assert.deepEqual(ids(rows, columnFilterTest('adam', col('param:optimizer.name'))), ['a', 'c']);
  assert.deepEqual(ids(rows, columnFilterTest('>0.05', col('param:optimizer.lr'))), ['a']);
  assert.deepEqual(ids(rows, columnFilterTest('0.01', col('param:optimizer.lr'))), ['b']);
  assert.deepEqual(ids(rows, columnFilterTest('1e-3', col('param:optimizer.lr'))), ['c'], 'a text value matches as text');
  assert.deepEqual(ids(rows, columnFilterTest('tru', col('param:optimizer.lr'))), ['d']);
});

test('rowFilter: column filters AND the text filter; filters of hidden columns and inherited keys are ignored', () => {
  const rows = Array.from({ length: 10 }, (_, i) => row(String(i), {
    status: i % 3 === 0 ? 'failed' : 'done', scores: { val_F1: i / 10 }, params: { 'optimizer.lr': i % 2 ? 0.1 : 0.01 },
  }));
  assert.equal(ids(rows, rowFilter('', columns)).length, 10);
  assert.deepEqual(ids(rows, rowFilter('', columns, { 'score:val_F1': '>0.5', status: 'fail' })), ['6', '9']);
  assert.deepEqual(ids(rows, rowFilter('optimizer.lr=0.1', columns, { 'score:val_F1': '>0.5', status: 'fail' })), ['9']);
  assert.deepEqual(ids(rows, rowFilter('', columns, { 'score:val_F1': '0.2..0.4', status: '' })), ['2', '3', '4']);
  const visible = columns.filter((c) => c.id !== 'status');
  assert.deepEqual(ids(rows, rowFilter('', visible, { 'score:val_F1': '>0.5', status: 'fail' })), ['6', '7', '8', '9']);
  const inherited = Object.create({ status: 'nothing matches this' }) as Record<string, string>;
  assert.equal(ids(rows, rowFilter('', columns, inherited)).length, 10);
});

test('rowFilter: the text filter still takes column=value and comparisons, now also >= and <=', () => {
  const rows = Array.from({ length: 6 }, (_, i) => row(String(i), { scores: { val_F1: i / 10 }, progress: i / 5 }));
  assert.deepEqual(ids(rows, rowFilter('val_f1>=0.3', columns)), ['3', '4', '5']);
  assert.deepEqual(ids(rows, rowFilter('val_F1<=0.1', columns)), ['0', '1']);
  assert.deepEqual(ids(rows, rowFilter('val_F1>abc', columns)), []);
  assert.deepEqual(ids(rows, rowFilter('progress>50', columns)), ['3', '4', '5'], 'Progress compares in the percent shown');
  assert.deepEqual(ids(rows, rowFilter('progress=40', columns)), ['2'], '= also compares numbers (0.4 · 100 shows as 40)');
  assert.deepEqual(ids(rows, rowFilter('val_F1=0.30', columns)), ['3']);
  assert.deepEqual(ids(rows, rowFilter('status=done epoch=3', columns)).length, 6);
});

test('the view state accepts per-column filters, and a state saved without them', () => {
  const base = { source: 's', filter: '', sort: null, selected: [] };
  assert.ok(isExperimentsViewState(base));
  assert.ok(isExperimentsViewState({ ...base, columnFilters: { status: 'fail', 'score:val_F1': '>0.5' } }));
  assert.equal(isExperimentsViewState({ ...base, columnFilters: { status: 1 } }), false);
  assert.equal(isExperimentsViewState({ ...base, columnFilters: ['fail'] }), false);
  assert.equal(isExperimentsViewState({ ...base, columnFilters: null }), false);
});
