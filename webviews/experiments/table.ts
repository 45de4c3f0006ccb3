/** Table logic of the experiments webview (pure): columns, cell text, filtering (text and per column) and sorting of rows. */
import type { CellValue, ExperimentRow } from '../../shared/webview-protocol/experiments';

export interface Column {
  id: string;
  label: string;
  kind: 'id' | 'status' | 'progress' | 'epoch' | 'param' | 'score';
}

export function columnsFor(varyingParams: readonly string[], scoreKeys: readonly string[]): Column[] {
  return [
    { id: 'id', label: 'Experiment', kind: 'id' },
    { id: 'status', label: 'Status', kind: 'status' },
    { id: 'progress', label: 'Progress', kind: 'progress' },
    { id: 'epoch', label: 'Epoch', kind: 'epoch' },
    ...varyingParams.map((p): Column => ({ id: `param:${p}`, label: p, kind: 'param' })),
    ...scoreKeys.map((s): Column => ({ id: `score:${s}`, label: s, kind: 'score' })),
  ];
}

export function cellValue(row: ExperimentRow, col: Column): CellValue | undefined {
  switch (col.kind) {
    case 'id': return row.id;
    case 'status': return row.status;
    case 'progress': return row.progress;
    case 'epoch': return row.epoch < 0 ? null : row.epoch;
    case 'param': return row.params[col.id.slice(6)];
    case 'score': return row.scores[col.id.slice(6)];
  }
}

export function cellText(row: ExperimentRow, col: Column): string {
  const v = cellValue(row, col);
  if (v === undefined || v === null) return '';
  if (col.kind === 'progress' && typeof v === 'number') return `${Math.round(v * 100)} %`;
  if (col.kind === 'score' && typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  return String(v);
}

/** A parsed column filter: a numeric comparison, an inclusive range (open ends allowed) or a substring. */
export type ColumnFilter =
  | { kind: 'all' }
  | { kind: 'compare'; op: '=' | '>' | '<' | '>=' | '<='; value: number }
  | { kind: 'range'; min: number; max: number }
  | { kind: 'text'; text: string };

// A number as typed: `-1`, `.5`, `1e-3`, with an optional `%` (the Progress column shows percent).
const NUM = String.raw`([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*%?`;
const COMPARE_RE = new RegExp(String.raw`^(>=|<=|=|>|<)?\s*${NUM}$`, 'i');
const RANGE_RE = new RegExp(String.raw`^(?:${NUM})?\s*\.\.\s*(?:${NUM})?$`, 'i');

/**
 * Parses what a user typed in a column's filter box: `>0.5`, `<=3`, `=2` or a plain number (equality),
 * `0.1..0.5` (inclusive; `0.5..` and `..0.5` are open ranges); anything else is a case-insensitive substring.
 */
export function parseColumnFilter(input: string): ColumnFilter {
  const text = input.trim();
  if (!text) return { kind: 'all' };
  const c = COMPARE_RE.exec(text);
  if (c) return { kind: 'compare', op: (c[1] ?? '=') as '=' | '>' | '<' | '>=' | '<=', value: Number(c[2]) };
  const r = RANGE_RE.exec(text);
  if (r && (r[1] !== undefined || r[2] !== undefined)) {
    const a = r[1] === undefined ? -Infinity : Number(r[1]);
    const b = r[2] === undefined ? Infinity : Number(r[2]);
    // A reversed range (`0.5..0.1`) means the same interval: nobody wants a filter that matches nothing.
    return { kind: 'range', min: Math.min(a, b), max: Math.max(a, b) };
  }
  return { kind: 'text', text: text.toLowerCase() };
}

/** The number a numeric filter compares with: as shown, so Progress is in percent. */
function numberOf(row: ExperimentRow, col: Column): number | undefined {
  const v = cellValue(row, col);
  if (typeof v !== 'number') return undefined;
  return col.kind === 'progress' ? v * 100 : v;
}

function compareNumber(f: Extract<ColumnFilter, { kind: 'compare' }>, v: number, shown: string): boolean {
  switch (f.op) {
    // Equality also accepts the rounded value on screen (a score shown as 0.1235, Progress as 33 %).
    case '=': return v === f.value || Number.parseFloat(shown) === f.value;
    case '>': return v > f.value;
    case '<': return v < f.value;
    case '>=': return v >= f.value;
    case '<=': return v <= f.value;
  }
}

/**
 * One column's filter as a row test. Id and Status always match a substring of the cell text; Progress,
 * Epoch and scores compare numerically (a non-numeric filter there is a substring of the text shown);
 * parameters compare numerically where the value is a number, by substring where it is text or a boolean.
 * Empty cells never pass a non-empty filter.
 */
export function columnFilterTest(input: string, col: Column): (row: ExperimentRow) => boolean {
  const raw = input.trim().toLowerCase();
  if (!raw) return () => true;
  const substring = (row: ExperimentRow) => cellText(row, col).toLowerCase().includes(raw);
  if (col.kind === 'id' || col.kind === 'status') return substring;
  const f = parseColumnFilter(raw);
  if (f.kind === 'all' || f.kind === 'text') return substring;
  return (row) => {
    const v = numberOf(row, col);
    // Text or boolean parameters (and empty cells, whose text is '') fall back to the substring.
    if (v === undefined) return substring(row);
    return f.kind === 'range' ? v >= f.min && v <= f.max : compareNumber(f, v, cellText(row, col));
  };
}

/**
 * The rows to show: every whitespace-separated term of the text filter must match some cell (case-insensitive
 * substring) or, as `column=value` (exact text or equal number) or `column>number` (also `<`, `>=`, `<=`), the
 * column with that label; and every visible column's own filter (`columnFilters`, keyed by column id) must match.
 * Filters of columns not in `columns` (hidden ones) are ignored: a filter the user cannot see must not hide rows.
 */
export function rowFilter(
  text: string, columns: readonly Column[], columnFilters: Readonly<Record<string, string>> = {},
): (row: ExperimentRow) => boolean {
  const terms = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const tests = terms.map((term) => {
    const m = /^([^=<>]+)(>=|<=|=|>|<)(.+)$/.exec(term);
    const col = m ? columns.find((c) => c.label.toLowerCase() === m[1]) : undefined;
    if (m && col) {
      const want = m[3];
      const f = parseColumnFilter(m[2] + want);
      const numeric = (row: ExperimentRow) => {
        const v = numberOf(row, col);
        return f.kind === 'compare' && v !== undefined && compareNumber(f, v, cellText(row, col));
      };
      // `=` is the exact text (shown or raw) or the same number; comparisons are numeric only (`lr>abc`: nothing).
      if (m[2] !== '=') return numeric;
      return (row: ExperimentRow) => cellText(row, col).toLowerCase() === want
        || String(cellValue(row, col) ?? '').toLowerCase() === want || numeric(row);
    }
    return (row: ExperimentRow) => columns.some((c) => cellText(row, c).toLowerCase().includes(term));
  });
  for (const col of columns) {
    const input = Object.hasOwn(columnFilters, col.id) ? columnFilters[col.id] : '';
    if (input.trim()) tests.push(columnFilterTest(input, col));
  }
  if (tests.length === 0) return () => true;
  return (row) => tests.every((t) => t(row));
}

const STATUS_ORDER = ['running', 'queued', 'configured', 'failed', 'done', 'unknown'];

/** Compares two rows on a column; empty cells always sort last, numbers numerically, ids as numbers. */
export function compareRows(col: Column, descending: boolean): (a: ExperimentRow, b: ExperimentRow) => number {
  return (a, b) => {
    const va = cellValue(a, col);
    const vb = cellValue(b, col);
    const ea = va === undefined || va === null;
    const eb = vb === undefined || vb === null;
    if (ea || eb) return ea === eb ? 0 : ea ? 1 : -1;
    let c: number;
    if (col.kind === 'status') c = STATUS_ORDER.indexOf(String(va)) - STATUS_ORDER.indexOf(String(vb));
    else if (typeof va === 'number' && typeof vb === 'number') c = va - vb;
    else c = String(va).localeCompare(String(vb), undefined, { numeric: true });
    return descending ? -c : c;
  };
}
