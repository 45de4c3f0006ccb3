/** Table logic of the experiments webview (pure): columns, cell text, filtering and sorting of rows. */
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

/**
 * Every whitespace-separated term must match some cell (case-insensitive substring); `column=value` and
 * `column>number` / `column<number` terms test one column (matched by its label).
 */
export function rowFilter(text: string, columns: readonly Column[]): (row: ExperimentRow) => boolean {
  const terms = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return () => true;
  const tests = terms.map((term) => {
    const m = /^([^=<>]+)(=|>|<)(.+)$/.exec(term);
    const col = m ? columns.find((c) => c.label.toLowerCase() === m[1]) : undefined;
    if (m && col) {
      const op = m[2];
      const want = m[3];
      const n = Number(want);
      return (row: ExperimentRow) => {
        const v = cellValue(row, col);
        if (op === '=') return cellText(row, col).toLowerCase() === want || String(v ?? '').toLowerCase() === want;
        if (typeof v !== 'number' || !Number.isFinite(n)) return false;
        return op === '>' ? v > n : v < n;
      };
    }
    return (row: ExperimentRow) => columns.some((c) => cellText(row, c).toLowerCase().includes(term));
  });
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
