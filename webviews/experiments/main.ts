/**
 * Experiments table panel (webview): one row per experiment, sortable, filterable, virtualised (only the
 * rows in view are in the DOM, so 10,000 rows scroll smoothly). Selection is posted to the extension, which
 * forwards it to the charts.
 */
import './style.css';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import {
  isExperimentsToWebview, isExperimentsViewState,
  type ExperimentRow, type ExperimentsFromWebview, type ExperimentsToWebview, type ExperimentsViewState,
} from '../../shared/webview-protocol/experiments';
import { connectToHost, el } from '../shared/host';
import { cellText, columnsFor, parseColumnFilter, rowFilter, searchText, sortRows, type Column } from './table';

const ROW_HEIGHT = 24;
const OVERSCAN = 8;

const host = connectToHost<ExperimentsToWebview, ExperimentsFromWebview, ExperimentsViewState>(isExperimentsToWebview, isExperimentsViewState);
let state: ExperimentsViewState = host.getState() ?? { source: '', filter: '', sort: null, selected: [], columnFilters: {} };
let rows: ExperimentRow[] = [];
const byId = new Map<string, ExperimentRow>();
let varying: string[] = [];
let scoreKeys: string[] = [];
/** Parameters the user added from the column chooser (beyond the varying ones) or hid. */
const extraParams = new Set<string>();
const hidden = new Set<string>();
let columns: Column[] = [];
let view: ExperimentRow[] = [];
let anchor = -1;

// ---- layout -------------------------------------------------------------------------------------------
const app = document.getElementById('app') as HTMLElement;
const toolbar = el('div', 'toolbar');
const filter = document.createElement('vscode-textfield') as VscodeTextfield;
filter.placeholder = 'Filter: text, column=value, column>number';
filter.id = 'filter';
const count = el('span', 'count');
const chooserButton = el('vscode-button', undefined, 'Columns');
chooserButton.setAttribute('secondary', '');
chooserButton.id = 'columns';
toolbar.append(filter, count, chooserButton);
const chooser = el('div', 'columns-panel');
const table = el('div', 'table');
const header = el('div', 'header');
/** One filter box per visible column, under its header cell (same grid template). */
const filterRow = el('div', 'filters');
const viewport = el('div', 'viewport');
const spacer = el('div', 'spacer');
viewport.append(spacer);
table.append(header, filterRow, viewport);
app.append(toolbar, chooser, table);
// An ARIA grid, so a screen reader announces rows, columns, the sort and the selection: the header row (1), the
// filter row (2), then one row per experiment (3, 4, …; only those in view are in the DOM, aria-rowindex says where).
table.setAttribute('role', 'grid');
table.setAttribute('aria-label', 'Experiments');
table.setAttribute('aria-multiselectable', 'true');
header.setAttribute('role', 'row');
header.setAttribute('aria-rowindex', '1');
filterRow.setAttribute('role', 'row');
filterRow.setAttribute('aria-rowindex', '2');
viewport.setAttribute('role', 'rowgroup');
spacer.setAttribute('role', 'none');
/** aria-rowindex of the first experiment row. */
const FIRST_ROW_INDEX = 3;

function saveState(): void {
  host.setState(state);
  host.post({ type: 'stateChanged', state });
}

filter.addEventListener('input', () => {
  state = { ...state, filter: filter.value };
  saveState();
  refresh();
});
function setColumnFilter(column: string, value: string): void {
  const next = { ...state.columnFilters };
  if (value) next[column] = value; else delete next[column];
  state = { ...state, columnFilters: next };
  saveState();
  refresh();
}

const NUMERIC_KINDS: ReadonlySet<Column['kind']> = new Set(['progress', 'epoch', 'score']);
const NUMERIC_HELP = 'Filter: >0.5, <=3, 0.1..0.5 (range) or a number; Escape clears';

/** Marks a numeric column's filter that is not a number filter (it would match text only, so nothing). */
function markInvalid(input: VscodeTextfield, col: Column): void {
  const bad = NUMERIC_KINDS.has(col.kind) && parseColumnFilter(input.value).kind === 'text';
  input.invalid = bad;
  input.classList.toggle('invalid', bad);
  // The element draws the error style; the state is said on its inner input, once that is rendered.
  void input.updateComplete.then(() => input.wrappedElement.setAttribute('aria-invalid', String(bad)));
}

function columnFilterInput(col: Column): VscodeTextfield {
  const input = document.createElement('vscode-textfield') as VscodeTextfield;
  input.dataset.column = col.id;
  input.value = state.columnFilters?.[col.id] ?? '';
  // The accessible name of the inner input (the element has no visible label: the column header is above it).
  input.label = `Filter ${col.label}`;
  void input.updateComplete.then(() => { input.wrappedElement.spellcheck = false; });
  const text = col.kind === 'id' || col.kind === 'status';
  input.placeholder = text ? 'contains' : col.kind === 'param' ? 'filter' : '>, <, a..b';
  input.title = text ? 'Filter: text the cell contains; Escape clears'
    : col.kind === 'param' ? `${NUMERIC_HELP} (text parameters: text the cell contains)` : NUMERIC_HELP;
  input.classList.toggle('active', input.value !== '');
  markInvalid(input, col);
  input.addEventListener('input', () => {
    input.classList.toggle('active', input.value !== '');
    markInvalid(input, col);
    setColumnFilter(col.id, input.value);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || input.value === '') return;
    // Consumed only when there is something to clear, so an empty box leaves Escape to VS Code.
    ev.preventDefault();
    ev.stopPropagation();
    input.value = '';
    input.classList.remove('active');
    markInvalid(input, col);
    setColumnFilter(col.id, '');
  });
  return input;
}

chooserButton.addEventListener('click', () => { chooser.classList.toggle('open'); renderChooser(); });

// ---- columns --------------------------------------------------------------------------------------------
function allParams(): string[] {
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.params)) keys.add(k);
  return [...keys].sort();
}

function computeColumns(): void {
  const params = [...new Set([...varying, ...extraParams])].sort();
  columns = columnsFor(params, scoreKeys).filter((c) => !hidden.has(c.id));
  const template = columns.map((c) => (c.kind === 'id' ? '90px' : c.kind === 'status' ? '90px' : c.kind === 'progress' || c.kind === 'epoch' ? '72px' : '130px')).join(' ');
  header.style.gridTemplateColumns = template;
  header.replaceChildren(...columns.map((c) => {
    const cell = el('div', 'cell', c.label);
    cell.title = c.label;
    cell.dataset.column = c.id;
    if (state.sort?.column === c.id) cell.classList.add(state.sort.descending ? 'sorted-desc' : 'sorted-asc');
    // A button for the keyboard too: Tab reaches it, Enter or Space sorts (and reverses) by this column.
    cell.tabIndex = 0;
    cell.setAttribute('role', 'columnheader');
    cell.setAttribute('aria-colindex', String(columns.indexOf(c) + 1));
    cell.setAttribute('aria-sort', state.sort?.column === c.id ? (state.sort.descending ? 'descending' : 'ascending') : 'none');
    const sortBy = (): void => {
      const desc = state.sort?.column === c.id ? !state.sort.descending : false;
      state = { ...state, sort: { column: c.id, descending: desc } };
      saveState();
      // Only the header's marks change: the columns, their filter boxes and the row elements stay.
      markSorted();
      refresh();
      cell.focus();
    };
    cell.addEventListener('click', sortBy);
    cell.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); sortBy(); }
    });
    return cell;
  }));
  // Rebuilt with the columns; keep the caret in the box being typed in (an update may add a column meanwhile).
  const active = document.activeElement;
  const focused = active instanceof HTMLElement && active.tagName === 'VSCODE-TEXTFIELD' && filterRow.contains(active)
    ? { column: active.dataset.column, at: (active as VscodeTextfield).wrappedElement.selectionStart } : undefined;
  filterRow.style.gridTemplateColumns = template;
  filterRow.replaceChildren(...columns.map((c, j) => {
    const cell = el('div', 'cell');
    cell.setAttribute('role', 'gridcell');
    cell.setAttribute('aria-colindex', String(j + 1));
    cell.append(columnFilterInput(c));
    return cell;
  }));
  table.setAttribute('aria-colcount', String(columns.length));
  if (focused) {
    const again = Array.from(filterRow.querySelectorAll<VscodeTextfield>('vscode-textfield')).find((i) => i.dataset.column === focused.column);
    if (again) {
      void again.updateComplete.then(() => {
        again.focus();
        if (focused.at !== null) again.wrappedElement.setSelectionRange(focused.at, focused.at);
      });
    }
  }
  pool.length = 0;
  spacer.replaceChildren();
  columnsVersion++;
  warmSearchText();
}

/** The sort mark and aria-sort of every header cell, from the state. */
function markSorted(): void {
  for (const cell of Array.from(header.children) as HTMLElement[]) {
    const sorted = state.sort?.column === cell.dataset.column ? state.sort : undefined;
    cell.classList.toggle('sorted-asc', sorted?.descending === false);
    cell.classList.toggle('sorted-desc', sorted?.descending === true);
    cell.setAttribute('aria-sort', sorted ? (sorted.descending ? 'descending' : 'ascending') : 'none');
  }
}

/**
 * The text filter's per-row search text (table.ts searchText) built in idle time after rows arrive, a slice at a
 * time, so the first keystroke in the filter box does not pay for 10,000 rows × 30 cells.
 */
let warmHandle = 0;
function warmSearchText(): void {
  if (warmHandle) cancelIdleCallback(warmHandle);
  let next = 0;
  const cols = columns;
  const step = (deadline: IdleDeadline): void => {
    while (next < rows.length && deadline.timeRemaining() > 2 && cols === columns) searchText(rows[next++]!, cols); // next < rows.length
    warmHandle = next < rows.length && cols === columns ? requestIdleCallback(step) : 0;
  };
  warmHandle = requestIdleCallback(step);
}

function renderChooser(): void {
  if (!chooser.classList.contains('open')) return;
  const fixed = columnsFor([], scoreKeys).filter((c) => c.kind !== 'id');
  const params = allParams().map((p): Column => ({ id: `param:${p}`, label: p, kind: 'param' }));
  chooser.replaceChildren(...[...fixed, ...params].map((c) => {
    const box = document.createElement('vscode-checkbox') as VscodeCheckbox;
    box.label = c.label;
    box.dataset.column = c.id;
    box.checked = c.kind === 'param' ? (varying.includes(c.label) || extraParams.has(c.label)) && !hidden.has(c.id) : !hidden.has(c.id);
    box.addEventListener('change', () => {
      if (box.checked) { hidden.delete(c.id); if (c.kind === 'param') extraParams.add(c.label); }
      else hidden.add(c.id);
      computeColumns();
      refresh();
    });
    return box;
  }));
}

// ---- rows ---------------------------------------------------------------------------------------------
/**
 * Row elements, reused as the view scrolls. Each remembers what it shows (index in the view, the row object, the
 * columns) and each cell its text and class, so a render writes only what changed: rows that stay in view while
 * scrolling, and cells whose text a live update did not change, cost nothing (writing 30 cells of every visible
 * row on each scroll event was most of a frame).
 */
interface PooledRow extends HTMLElement { shownIndex?: number; shownRow?: ExperimentRow; shownVersion?: number }
interface PooledCell extends HTMLElement { shownText?: string; shownClass?: string }
const pool: PooledRow[] = [];
/** Bumped when the columns change (the pool is rebuilt then). */
let columnsVersion = 0;

function refresh(): void {
  const keep = rowFilter(state.filter, columns, state.columnFilters);
  view = rows.filter(keep);
  const sortCol = state.sort && columns.find((c) => c.id === state.sort?.column);
  if (sortCol && state.sort) view = sortRows(view, sortCol, state.sort.descending);
  count.textContent = view.length === rows.length ? `${rows.length} experiments` : `${view.length} of ${rows.length} experiments`;
  table.setAttribute('aria-rowcount', String(view.length + FIRST_ROW_INDEX - 1));
  spacer.style.height = `${view.length * ROW_HEIGHT}px`;
  render();
}

/** Live updates: applied to the rows at once, drawn once per frame (a log can send many per frame). */
let refreshFrame = 0;
function scheduleRefresh(): void {
  if (refreshFrame) return;
  refreshFrame = requestAnimationFrame(() => { refreshFrame = 0; refresh(); });
}

function render(): void {
  const first = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(view.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW_HEIGHT) + OVERSCAN);
  const selected = new Set(state.selected);
  const needed = Math.max(0, last - first);
  while (pool.length < needed) {
    const r: PooledRow = el('div', 'row');
    r.title = 'Double-click: model card. Alt+double-click: experiment_config.json';
    r.style.gridTemplateColumns = header.style.gridTemplateColumns;
    r.setAttribute('role', 'row');
    r.setAttribute('aria-selected', 'false');
    columns.forEach((_c, j) => {
      const cell = el('div', 'cell');
      cell.setAttribute('role', 'gridcell');
      cell.setAttribute('aria-colindex', String(j + 1));
      r.append(cell);
    });
    r.hidden = true;
    pool.push(r);
    spacer.append(r);
  }
  // Rows already showing an index still in view keep it; the others are free for the indexes that came into view.
  const byIndex = new Map<number, PooledRow>();
  const free: PooledRow[] = [];
  for (const r of pool) {
    const i = r.shownIndex;
    if (i !== undefined && i >= first && i < last && !byIndex.has(i)) byIndex.set(i, r);
    else { r.shownIndex = undefined; free.push(r); }
  }
  for (let i = first; i < last; i++) {
    const row = view[i]!; // last <= view.length
    let r = byIndex.get(i);
    if (!r) {
      r = free.pop() as PooledRow;
      r.shownIndex = i;
      r.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
      r.dataset.index = String(i);
      r.setAttribute('aria-rowindex', String(i + FIRST_ROW_INDEX));
    }
    if (r.hidden) r.hidden = false;
    const isSelected = selected.has(row.id);
    if (r.classList.contains('selected') !== isSelected) {
      r.classList.toggle('selected', isSelected);
      r.setAttribute('aria-selected', String(isSelected));
    }
    if (r.shownRow === row && r.shownVersion === columnsVersion) continue;
    r.shownRow = row;
    r.shownVersion = columnsVersion;
    if (r.dataset.id !== row.id) r.dataset.id = row.id;
    for (const [j, c] of columns.entries()) {
      const cell = r.children[j] as PooledCell;
      const text = cellText(row, c);
      if (cell.shownText !== text) { cell.textContent = text; cell.shownText = text; }
      const cls = `cell${c.kind === 'score' || c.kind === 'progress' || c.kind === 'epoch' ? ' num' : ''}${c.kind === 'status' ? ` status-${row.status}` : ''}`;
      if (cell.shownClass !== cls) { cell.className = cls; cell.shownClass = cls; }
    }
  }
  // What is left over shows nothing now.
  for (const r of free) if (!r.hidden) r.hidden = true;
}

viewport.addEventListener('scroll', () => render(), { passive: true });
new ResizeObserver(() => render()).observe(viewport);

function rowAt(target: EventTarget | null): { row: ExperimentRow; index: number } | undefined {
  const r = (target as HTMLElement | null)?.closest<HTMLElement>('.row');
  const index = Number(r?.dataset.index);
  return r && Number.isInteger(index) && view[index] ? { row: view[index], index } : undefined;
}

spacer.addEventListener('click', (ev) => {
  const hit = rowAt(ev.target);
  if (!hit) return;
  let ids: string[];
  if (ev.shiftKey && anchor >= 0) {
    const [a, b] = anchor < hit.index ? [anchor, hit.index] : [hit.index, anchor];
    ids = view.slice(a, b + 1).map((r) => r.id);
  } else if (ev.ctrlKey || ev.metaKey) {
    const s = new Set(state.selected);
    if (s.has(hit.row.id)) s.delete(hit.row.id); else s.add(hit.row.id);
    ids = [...s];
    anchor = hit.index;
  } else {
    ids = [hit.row.id];
    anchor = hit.index;
  }
  state = { ...state, selected: ids };
  saveState();
  host.post({ type: 'selectExperiments', ids });
  render();
});
spacer.addEventListener('dblclick', (ev) => {
  const hit = rowAt(ev.target);
  if (!hit) return;
  // The model card is what a user wants of a finished experiment; its raw config stays one modifier away.
  host.post(ev.altKey ? { type: 'openExperiment', id: hit.row.id } : { type: 'openModelCard', id: hit.row.id });
});

// ---- messages -----------------------------------------------------------------------------------------
function upsert(list: ExperimentRow[]): void {
  for (const r of list) {
    const old = byId.get(r.id);
    byId.set(r.id, r);
    if (old) rows[rows.indexOf(old)] = r; else rows.push(r);
  }
}

host.onMessage((m) => {
  switch (m.type) {
    case 'init':
      if (state.source !== m.source) state = { source: m.source, filter: '', sort: null, selected: m.selected, columnFilters: {} };
      host.setState(state);
      filter.value = state.filter;
      rows = [];
      byId.clear();
      upsert(m.rows);
      varying = m.varyingParams;
      scoreKeys = m.scoreKeys;
      computeColumns();
      renderChooser();
      refresh();
      break;
    case 'update': {
      const newColumns = m.varyingParams.join('\n') !== varying.join('\n') || m.scoreKeys.join('\n') !== scoreKeys.join('\n');
      upsert(m.rows);
      varying = m.varyingParams;
      scoreKeys = m.scoreKeys;
      if (newColumns) { computeColumns(); renderChooser(); refresh(); } else scheduleRefresh();
      break;
    }
    case 'select':
      state = { ...state, selected: m.ids };
      host.setState(state);
      render();
      break;
  }
});

/** Read-only probe for the browser tests. */
declare global {
  interface Window { cubelabExperimentsProbe?: { columns(): string[]; viewIds(): string[]; domRows(): number; dropped(): number } }
}
window.cubelabExperimentsProbe = {
  columns: () => columns.map((c) => c.label),
  viewIds: () => view.map((r) => r.id),
  domRows: () => spacer.querySelectorAll('.row:not([hidden])').length,
  dropped: () => host.dropped.count,
};

host.post({ type: 'ready' });
