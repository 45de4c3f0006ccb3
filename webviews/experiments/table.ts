/** Table logic of the experiments webview (pure): columns, cell text, filtering (text and per column) and sorting of rows. */
import type { CellValue, ExperimentRow } from '../../shared/webview-protocol/experiments';

export interface Column {
  id: string;
  label: string;
  kind: 'id' | 'status' | 'progress' | 'epoch' | 'param' | 'score';
  /** The parameter's or score's key (the id without its `param:`/`score:` prefix), looked up per cell. */
  key?: string;
}

export function columnsFor(varyingParams: readonly string[], scoreKeys: readonly string[]): Column[] {
  return [
    { id: 'id', label: 'Experiment', kind: 'id' },
    { id: 'status', label: 'Status', kind: 'status' },
    { id: 'progress', label: 'Progress', kind: 'progress' },
    { id: 'epoch', label: 'Epoch', kind: 'epoch' },
    ...varyingParams.map((p): Column => ({ id: `param:${p}`, label: p, kind: 'param', key: p })),
    ...scoreKeys.map((s): Column => ({ id: `score:${s}`, label: s, kind: 'score', key: s })),
  ];
}

export function cellValue(row: ExperimentRow, col: Column): CellValue | undefined {
  switch (col.kind) {
    case 'id': return row.id;
    case 'status': return row.status;
    case 'progress': return row.progress;
    case 'epoch': return row.epoch < 0 ? null : row.epoch;
    case 'param': return row.params[col.key ?? col.id.slice(6)];
    case 'score': return row.scores[col.key ?? col.id.slice(6)];
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
      const op = m[2]!, want = m[3]!; // groups 2 and 3 are not optional in the pattern
      const f = parseColumnFilter(op + want);
      const numeric = (row: ExperimentRow) => {
        const v = numberOf(row, col);
        return f.kind === 'compare' && v !== undefined && compareNumber(f, v, cellText(row, col));
      };
      // `=` is the exact text (shown or raw) or the same number; comparisons are numeric only (`lr>abc`: nothing).
      if (op !== '=') return numeric;
      return (row: ExperimentRow) => cellText(row, col).toLowerCase() === want
        || String(cellValue(row, col) ?? '').toLowerCase() === want || numeric(row);
    }
    // A term matches when some cell's text contains it: one lower-cased string per row and column set, cells
    // joined by a character a term (split on whitespace) never holds, so a match never spans two cells.
    return (row: ExperimentRow) => searchText(row, columns).includes(term);
  });
  for (const col of columns) {
    const input = (Object.hasOwn(columnFilters, col.id) ? columnFilters[col.id] : undefined) ?? '';
    if (input.trim()) tests.push(columnFilterTest(input, col));
  }
  if (tests.length === 0) return () => true;
  return (row) => tests.every((t) => t(row));
}

const searchTexts = new WeakMap<ExperimentRow, { columns: readonly Column[]; text: string }>();

/**
 * Every cell's text of a row, lower-cased, joined by U+0000; kept per row object until the columns change
 * (a live update replaces the row object). Typing in the filter of 10,000 rows × 30 columns then costs one
 * `includes` per row instead of 30 formatted cells.
 */
export function searchText(row: ExperimentRow, columns: readonly Column[]): string {
  const cached = searchTexts.get(row);
  if (cached && cached.columns === columns) return cached.text;
  const text = columns.map((c) => cellText(row, c).toLowerCase()).join('\u0000');
  searchTexts.set(row, { columns, text });
  return text;
}

const STATUS_ORDER = ['running', 'queued', 'configured', 'failed', 'done', 'unknown'];
/** Text sorted as people expect numbers in it (`exp2` before `exp10`); one collator, not one per comparison. */
const collator = new Intl.Collator(undefined, { numeric: true });

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
    else c = collator.compare(String(va), String(vb));
    return descending ? -c : c;
  };
}

/**
 * `rows` sorted by `col` as compareRows orders them (stable), each row's value looked up once: sorting 10,000
 * rows compares about 140,000 times, and a cell lookup per comparison was most of the time.
 */
export function sortRows(rows: readonly ExperimentRow[], col: Column, descending: boolean): ExperimentRow[] {
  const n = rows.length;
  const nums = new Float64Array(n);
  const texts: string[] = new Array<string>(n);
  // 0: empty (always last), 1: number, 2: text (status: its rank, as a number).
  const kinds = new Uint8Array(n);
  // Every index below is below n (rows.length): the `!` reads are in range.
  for (let i = 0; i < n; i++) {
    const v = cellValue(rows[i]!, col);
    if (v === undefined || v === null) kinds[i] = 0;
    else if (col.kind === 'status') { kinds[i] = 1; nums[i] = STATUS_ORDER.indexOf(String(v)); }
    else if (typeof v === 'number') { kinds[i] = 1; nums[i] = v; }
    else { kinds[i] = 2; texts[i] = String(v); }
  }
  const order = Array.from({ length: n }, (_, i) => i);
  const sign = descending ? -1 : 1;
  order.sort((a, b) => {
    const ka = kinds[a];
    const kb = kinds[b];
    if (ka === 0 || kb === 0) return ka === kb ? 0 : ka === 0 ? 1 : -1;
    // A number and a text in one column: compared as texts, as compareRows does.
    const c = ka === 1 && kb === 1 ? nums[a]! - nums[b]! : collator.compare(ka === 1 ? String(nums[a]) : texts[a]!, kb === 1 ? String(nums[b]) : texts[b]!);
    return sign * c;
  });
  return order.map((i) => rows[i]!);
}
