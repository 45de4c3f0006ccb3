/**
 * Metrics panel (webview): one uPlot chart per `<split>_<tag>`, one line per experiment. It owns only
 * pixels: the extension sends ready (and, for large series, downsampled) data through the typed contract in
 * shared/webview-protocol/metrics.ts, after this page's `ready`. Smoothing and the log scale are display
 * options kept in the view state.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import {
  isMetricsToWebview, isMetricsViewState,
  type MetricsFromWebview, type MetricsToWebview, type MetricsViewState, type SeriesPoints,
} from '../../shared/webview-protocol/metrics';
import { connectToHost, el, themeColor } from '../shared/host';
import { align, mergePoints, smooth, type Line } from './series';

const host = connectToHost<MetricsToWebview, MetricsFromWebview, MetricsViewState>(isMetricsToWebview, isMetricsViewState);

let state: MetricsViewState = host.getState() ?? { source: '', smoothing: 0, logScale: false, selected: [] };
let title = '';
let keys: string[] = [];
let experiments: string[] = [];
/** key → experiment → line (sorted by x). */
const data = new Map<string, Map<string, Line>>();
interface Chart { box: HTMLElement; plot?: uPlot; shown: string[] }
const charts = new Map<string, Chart>();
const dirty = new Set<string>();
let frame = 0;

// ---- layout -------------------------------------------------------------------------------------------
const app = document.getElementById('app') as HTMLElement;
const toolbar = el('div', 'toolbar');
const smoothLabel = el('label', undefined, 'Smoothing');
const smoothInput = el('input');
smoothInput.type = 'range';
smoothInput.min = '0';
smoothInput.max = '0.99';
smoothInput.step = '0.01';
smoothInput.setAttribute('aria-label', 'Smoothing');
const smoothValue = el('span', 'smooth-value');
smoothLabel.append(smoothInput, smoothValue);
const logBox = document.createElement('vscode-checkbox') as VscodeCheckbox;
logBox.label = 'Log scale';
logBox.id = 'log-scale';
const csvButton = el('vscode-button', undefined, 'Export CSV');
csvButton.id = 'export-csv';
const allButton = el('vscode-button', undefined, 'Show all');
allButton.id = 'show-all';
allButton.setAttribute('secondary', '');
const statusLine = el('span', 'status');
toolbar.append(smoothLabel, logBox, allButton, csvButton, statusLine);
const grid = el('div', 'charts');
app.append(toolbar, grid);

function syncControls(): void {
  smoothInput.value = String(state.smoothing);
  smoothValue.textContent = state.smoothing.toFixed(2);
  logBox.checked = state.logScale;
}
syncControls();

function saveState(): void {
  host.setState(state);
  host.post({ type: 'stateChanged', state });
}

smoothInput.addEventListener('input', () => {
  state = { ...state, smoothing: Math.min(0.99, Math.max(0, Number(smoothInput.value) || 0)) };
  smoothValue.textContent = state.smoothing.toFixed(2);
  saveState();
  rebuildAll();
});
logBox.addEventListener('change', () => {
  state = { ...state, logScale: logBox.checked };
  saveState();
  rebuildAll();
});
csvButton.addEventListener('click', () => host.post({ type: 'exportCsv' }));
allButton.addEventListener('click', () => {
  state = { ...state, selected: [] };
  saveState();
  host.post({ type: 'selectExperiments', experiments: [] });
  rebuildAll();
});

// ---- charts -------------------------------------------------------------------------------------------
const PALETTE: [string, string][] = [
  ['--vscode-charts-blue', '#3794ff'], ['--vscode-charts-orange', '#d18616'], ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-red', '#f14c4c'], ['--vscode-charts-purple', '#b180d7'], ['--vscode-charts-yellow', '#cca700'],
];

function colorOf(experiment: string): string {
  const i = Math.max(0, experiments.indexOf(experiment));
  const [name, fallback] = PALETTE[i % PALETTE.length];
  const base = themeColor(name, fallback);
  // Past the six theme colours, vary the dash instead (see dashOf) so lines stay themed.
  return base;
}
const dashOf = (experiment: string): number[] | undefined => {
  const round = Math.floor(Math.max(0, experiments.indexOf(experiment)) / PALETTE.length) % 3;
  return round === 0 ? undefined : round === 1 ? [6, 3] : [2, 2];
};

function shownExperiments(key: string): string[] {
  const lines = data.get(key);
  if (!lines) return [];
  const selected = new Set(state.selected);
  return experiments.filter((e) => lines.has(e) && (selected.size === 0 || selected.has(e)));
}

function alignedFor(key: string, shown: string[]): uPlot.AlignedData {
  const lines = data.get(key) as Map<string, Line>;
  const display = shown.map((e) => {
    const l = lines.get(e) as Line;
    return { x: l.x, y: smooth(l.y, state.smoothing) };
  });
  // A log scale cannot show zero or negative scores: they become gaps.
  return align(display, state.logScale ? (v) => (v > 0 ? v : null) : (v) => v) as uPlot.AlignedData;
}

function chartBox(key: string): Chart {
  let c = charts.get(key);
  if (c) return c;
  const box = el('section', 'chart');
  box.dataset.key = key;
  const head = el('div', 'chart-head');
  const png = el('vscode-button', 'export-png', 'PNG');
  png.setAttribute('secondary', '');
  png.title = `Export ${key} as PNG`;
  png.addEventListener('click', () => {
    const plot = charts.get(key)?.plot;
    if (plot) host.post({ type: 'exportPng', key, dataUrl: plot.ctx.canvas.toDataURL('image/png') });
  });
  head.append(el('span', 'chart-title', key), png);
  box.append(head);
  c = { box, shown: [] };
  charts.set(key, c);
  return c;
}

function build(key: string): void {
  const c = chartBox(key);
  c.plot?.destroy();
  c.shown = shownExperiments(key);
  const fg = themeColor('--vscode-foreground', '#ccc');
  const gridColor = themeColor('--vscode-editorWidget-border', '#8883');
  const axis: uPlot.Axis = { stroke: fg, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 } };
  const width = Math.max(300, c.box.clientWidth - 14 || 420);
  c.plot = new uPlot({
    width,
    height: 240,
    legend: { isolate: true },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: false }, y: state.logScale ? { distr: 3 } : {} },
    axes: [{ ...axis, label: 'epoch' }, { ...axis }],
    series: [
      { label: 'epoch' },
      ...c.shown.map((e) => ({ label: `exp ${e}`, stroke: colorOf(e), dash: dashOf(e), width: 1.5, spanGaps: true, points: { show: false } })),
    ],
  }, alignedFor(key, c.shown), c.box);
}

function update(key: string): void {
  const c = charts.get(key);
  const shown = shownExperiments(key);
  if (!c?.plot || shown.join('\n') !== c.shown.join('\n')) build(key);
  else c.plot.setData(alignedFor(key, shown));
}

function layout(): void {
  grid.replaceChildren();
  for (const [k, c] of charts) if (!keys.includes(k)) { c.plot?.destroy(); charts.delete(k); }
  if (keys.length === 0) grid.append(el('div', 'empty', 'No evaluation results in this run yet.'));
  for (const key of keys) grid.append(chartBox(key).box);
}

function rebuildAll(): void {
  for (const key of keys) build(key);
}

function scheduleFlush(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    for (const key of dirty) if (keys.includes(key)) update(key);
    dirty.clear();
  });
}

function applyPoints(points: SeriesPoints[]): void {
  for (const p of points) {
    let lines = data.get(p.key);
    if (!lines) { lines = new Map(); data.set(p.key, lines); }
    let line = lines.get(p.experiment);
    if (!line || p.replace) { line = { x: [], y: [] }; lines.set(p.experiment, line); }
    mergePoints(line, p.x, p.y);
    dirty.add(p.key);
  }
}

new ResizeObserver(() => {
  for (const c of charts.values()) c.plot?.setSize({ width: Math.max(300, c.box.clientWidth - 14), height: 240 });
}).observe(grid);

// ---- messages -----------------------------------------------------------------------------------------
host.onMessage((m) => {
  switch (m.type) {
    case 'init': {
      const restored = state.source === m.source;
      title = m.title;
      keys = m.keys;
      experiments = m.experiments;
      data.clear();
      applyPoints(m.series.map((s) => ({ ...s, replace: true })));
      dirty.clear();
      // A restored panel keeps its own options and selection; a new one takes the extension's selection.
      state = restored ? state : { ...state, source: m.source, selected: m.selected };
      host.setState(state);
      syncControls();
      statusLine.textContent = title;
      layout();
      rebuildAll();
      break;
    }
    case 'append': {
      const newKeys = m.keys.join('\n') !== keys.join('\n');
      experiments = m.experiments;
      applyPoints(m.points);
      if (newKeys) { keys = m.keys; layout(); rebuildAll(); dirty.clear(); } else scheduleFlush();
      break;
    }
    case 'select':
      state = { ...state, selected: m.experiments };
      host.setState(state);
      rebuildAll();
      break;
    case 'status':
      statusLine.textContent = m.badLines ? `${title} · ${m.text} · ${m.badLines} bad line(s)` : `${title} · ${m.text}`;
      break;
  }
});

/** Read-only probe for the browser tests: what each chart draws. */
declare global {
  interface Window { cubelabMetricsProbe?: { charts(): { key: string; labels: string[]; data: (number | null)[][] }[]; dropped(): number; flushed(): boolean } }
}
window.cubelabMetricsProbe = {
  charts: () => [...charts.entries()].filter(([k]) => keys.includes(k)).map(([key, c]) => ({
    key,
    labels: (c.plot?.series ?? []).slice(1).map((s) => String(s.label)),
    data: (c.plot?.data ?? []).map((col) => Array.from(col as ArrayLike<number | null>)),
  })),
  dropped: () => host.dropped.count,
  flushed: () => frame === 0 && dirty.size === 0,
};

host.post({ type: 'ready' });
