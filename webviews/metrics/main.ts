/**
 * Metrics panel (webview): one uPlot chart per `<split>_<tag>`, one line per experiment. It owns only
 * pixels: the extension sends each chart's lines on one shared x axis in typed arrays (every point, or per
 * pixel-wide bucket each line's minimum and maximum) through the typed contract in
 * shared/webview-protocol/metrics.ts, after this page's `ready` (which says how wide a plot is). Dragging
 * across a chart zooms and asks the extension for that range at its resolution; a double-click zooms out.
 * Smoothing and the log scale are display options kept in the view state.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import {
  isMetricsToWebview, isMetricsViewState,
  type ChartData, type MetricsFromWebview, type MetricsToWebview, type MetricsViewState, type SeriesPoints,
} from '../../shared/webview-protocol/metrics';
import { connectToHost, el, themeColor } from '../shared/host';
import { column, mergeAligned, type Aligned } from './series';
import { sharedAxisLines } from './paths';
import { allIntegers, niceIncrements } from '../../shared/niceTicks';

const host = connectToHost<MetricsToWebview, MetricsFromWebview, MetricsViewState>(isMetricsToWebview, isMetricsViewState);

let state: MetricsViewState = host.getState() ?? { source: '', smoothing: 0, logScale: false, selected: [] };
let title = '';
let keys: string[] = [];
let experiments: string[] = [];
/** What a chart shows: its lines on one axis, at a resolution, for a range (null: every epoch). */
interface Model extends Aligned {
  resolution: ChartData['resolution'];
  range: [number, number] | null;
}
/** key → the chart's data; while zoomed, `overview` keeps the whole range (kept up to date by live messages). */
const data = new Map<string, { shown: Model; overview: Model; zoom: [number, number] | null; request: number }>();
interface Chart { box: HTMLElement; plot?: uPlot; shown: string[] }
const charts = new Map<string, Chart>();
const dirty = new Set<string>();
let frame = 0;
let requestSeq = 0;
/** Set while this page itself moves a chart's x scale (so the hook does not take it for the user's zoom). */
let settingScale = false;
/** Draw times for the tests and the benchmarks: [time (performance.now()), key, request answered] of each draw. */
const draws: [number, string, number][] = [];
/**
 * When messages arrived and when what they carried was on screen (a frame after uPlot drew it), for the
 * benchmarks and the end-to-end test: `init` (request 0) and each zoom's `requestRange` (posted) and answer.
 */
const timings: { what: 'init' | 'range'; request: number; posted?: number; arrived?: number; drawn?: number }[] = [];
function timing(what: 'init' | 'range', request: number): (typeof timings)[number] {
  let t = timings.find((x) => x.what === what && x.request === request);
  if (!t) { t = { what, request }; timings.push(t); if (timings.length > 200) timings.splice(0, 100); }
  return t;
}
/** Marks `t` drawn once uPlot has committed (a microtask) and the next frame starts. */
function markDrawn(t: (typeof timings)[number]): void {
  queueMicrotask(() => requestAnimationFrame(() => { t.drawn = performance.now(); }));
}

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

/**
 * Colour and dash of each experiment's line: the six theme chart colours, then the same colours dashed. Read
 * once per build (getComputedStyle forces a style pass) and by index (a thousand lines, a thousand lookups).
 */
function lineStyles(): (experiment: string) => { stroke: string; dash?: number[] } {
  const colours = PALETTE.map(([name, fallback]) => themeColor(name, fallback));
  const index = new Map(experiments.map((e, i) => [e, i]));
  return (experiment) => {
    const i = index.get(experiment) ?? 0;
    const round = Math.floor(i / PALETTE.length) % 3;
    // colours has one entry per palette entry, and the index is taken modulo its length.
    return { stroke: colours[i % PALETTE.length]!, dash: round === 0 ? undefined : round === 1 ? [6, 3] : [2, 2] };
  };
}

/** Past this many lines a legend (a row per line) costs more than it tells: the table's selection narrows the chart instead. */
const LEGEND_MAX = 50;

function shownExperiments(key: string): string[] {
  const d = data.get(key);
  if (!d) return [];
  const selected = new Set(state.selected);
  return experiments.filter((e) => d.shown.rows.has(e) && (selected.size === 0 || selected.has(e)));
}

function alignedFor(key: string, shown: string[]): uPlot.AlignedData {
  const m = data.get(key)?.shown;
  if (!m) return [[]];
  // Typed arrays go to uPlot as they are; a line with gaps, smoothing or a log scale becomes an array (null: gap).
  return [m.x, ...shown.map((e) => column(m.rows.get(e) as number[] | Float64Array, state.smoothing, state.logScale))] as uPlot.AlignedData;
}

function modelOf(c: ChartData): Model {
  const X = c.x.length;
  const rows = new Map<string, Float64Array>();
  c.experiments.forEach((e, r) => rows.set(e, c.y.subarray(r * X, (r + 1) * X)));
  return { x: c.x, rows, resolution: c.resolution, range: c.range };
}

/** The plot's width in CSS pixels as the grid will lay it out (before any chart exists). */
function plotWidth(): number {
  const w = Math.max(300, grid.clientWidth || app.clientWidth || 800);
  const columns = Math.max(1, Math.floor((w + 16) / (420 + 16)));
  const box = (w - 16 * (columns - 1)) / columns;
  return Math.max(120, Math.round(box - 14 - 60)); // the box's padding and border, the y axis
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
  const d = data.get(key);
  const style = lineStyles();
  const many = c.shown.length > LEGEND_MAX;
  c.box.classList.toggle('many-lines', many);
  c.box.title = many ? `${c.shown.length} lines: select experiments in the Experiments table or tree to see them by name` : '';
  c.plot = new uPlot({
    width,
    height: 240,
    legend: { show: !many, isolate: true },
    // A cursor dot per line is a DOM element per line: only with the legend.
    cursor: { drag: { x: true, y: false }, points: { show: !many } },
    scales: { x: { time: false }, y: state.logScale ? { distr: 3 } : {} },
    hooks: {
      setScale: [(u, scale) => { const x = u.scales.x; if (scale === 'x' && x && !settingScale) zoomed(key, x.min, x.max); }],
      draw: [() => { draws.push([performance.now(), key, data.get(key)?.request ?? 0]); if (draws.length > 1000) draws.splice(0, 500); }],
    },
    // Nice steps (1, 2, 5 × 10^k); epochs are whole numbers, so their axis never steps below 1 (no 0.5 ticks).
    // A log scale keeps uPlot's own decades.
    axes: [
      { ...axis, label: 'epoch', incrs: allIntegers(d?.overview.x ?? []) ? INTEGER_INCRS : NICE_INCRS, values: tickLabels(key, 'x') },
      { ...axis, ...(state.logScale ? {} : { incrs: NICE_INCRS, values: tickLabels(key, 'y') }) },
    ],
    series: [
      { label: 'epoch' },
      // Width 1: the rasteriser's fast path for antialiased lines (1.5 took ten times as long to paint 100 lines).
      // Without a legend, dashes tell nothing and cost the rasteriser most of its time: plain lines then.
      ...c.shown.map((e) => ({
        label: `exp ${e}`, ...style(e), ...(many ? { dash: undefined } : {}), width: 1, spanGaps: true, points: { show: false }, paths: sharedAxisLines,
      })),
    ],
  }, alignedFor(key, c.shown), c.box);
  if (d?.zoom) setX(c.plot, d.zoom);
  // uPlot's own double-click shows all of the data it has; a zoomed chart has only the zoomed range: go back to the overview.
  c.plot.over.addEventListener('dblclick', () => unzoom(key));
}

const NICE_INCRS = niceIncrements();
const INTEGER_INCRS = niceIncrements(true);
/** key → the tick labels each axis last drew (for the probe: what the user reads under the chart). */
const drawnTicks = new Map<string, { x: string[]; y: string[] }>();

/** Tick labels with as many decimals as the step needs (0.1 → "0.3", not "0.30000000000000004"). */
function tickLabels(key: string, axis: 'x' | 'y'): (u: uPlot, splits: number[], axisIdx: number, space: number, incr: number) => string[] {
  return (_u, splits, _i, _space, incr) => {
    const decimals = Math.min(12, Math.max(0, -Math.floor(Math.log10(incr) + 1e-9)));
    const labels = splits.map((v) => (Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-4) ? v.toExponential(1) : v.toFixed(decimals)));
    const t = drawnTicks.get(key) ?? drawnTicks.set(key, { x: [], y: [] }).get(key)!;
    t[axis] = labels;
    return labels;
  };
}

function setX(plot: uPlot, range: [number, number]): void {
  settingScale = true;
  try { plot.setScale('x', { min: range[0], max: range[1] }); } finally { settingScale = false; }
}

let zoomTimer = 0;
/** The user dragged across a chart: once the drag settles, ask for that range at the resolution it allows. */
function zoomed(key: string, min: number | null | undefined, max: number | null | undefined): void {
  const d = data.get(key);
  if (!d || min === null || max === null || min === undefined || max === undefined) return;
  const o = d.overview;
  const x0 = o.x[0] ?? min;
  const x1 = o.x[o.x.length - 1] ?? max;
  // uPlot's own double-click sets the x scale back to the data's extent: that is not a zoom.
  if (!d.zoom && min <= x0 && max >= x1) return;
  d.zoom = [min, max];
  window.clearTimeout(zoomTimer);
  zoomTimer = window.setTimeout(() => {
    const z = data.get(key);
    if (!z?.zoom) return;
    z.request = ++requestSeq;
    timing('range', z.request).posted = performance.now();
    host.post({ type: 'requestRange', key, min: z.zoom[0], max: z.zoom[1], width: plotWidth(), request: z.request });
  }, 80);
}

function unzoom(key: string): void {
  const d = data.get(key);
  if (!d?.zoom) return;
  d.zoom = null;
  d.request = 0;
  d.shown = d.overview;
  build(key);
}

function update(key: string): void {
  const c = charts.get(key);
  const shown = shownExperiments(key);
  const zoom = data.get(key)?.zoom;
  if (!c?.plot || shown.join('\n') !== c.shown.join('\n')) build(key);
  else if (zoom) { c.plot.setData(alignedFor(key, shown), false); setX(c.plot, zoom); }
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

function flushNow(): void {
  if (frame) { cancelAnimationFrame(frame); frame = 0; }
  for (const key of dirty) if (keys.includes(key)) update(key);
  dirty.clear();
}

/** Live data is drawn once per frame, however many messages arrived in it. */
function scheduleFlush(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => { frame = 0; flushNow(); });
}

function applyPoints(points: SeriesPoints[]): void {
  for (const p of points) {
    const d = data.get(p.key);
    if (!d) continue;
    // Points come for raw charts only; a zoomed chart keeps its view and its overview takes them.
    const target = d.overview;
    if (p.replace) for (const r of target.rows.values()) r.fill(Number.NaN);
    mergeAligned(target, p.experiment, p.x, p.y);
    if (!d.zoom) { d.shown = target; dirty.add(p.key); }
  }
}

function applyChart(c: ChartData): void {
  const m = modelOf(c);
  const d = data.get(c.key);
  if (!d) { data.set(c.key, { shown: m, overview: m, zoom: null, request: 0 }); return; }
  if (c.range === null) d.overview = m;
  // The answer to the latest zoom of this chart, or new whole-range data while not zoomed.
  if (c.request !== 0 ? c.request === d.request && d.zoom !== null : !d.zoom) d.shown = m;
}

let sentWidth = 0;
let widthTimer = 0;
new ResizeObserver(() => {
  for (const c of charts.values()) {
    const w = Math.max(300, c.box.clientWidth - 14);
    // Only a real change: setSize redraws the chart (the grid's first layout reports the size it was built with).
    if (c.plot && c.plot.width !== w) c.plot.setSize({ width: w, height: 240 });
  }
  // Much wider (or narrower) plots: the charts again at the new resolution.
  const w = plotWidth();
  if (!sentWidth || Math.abs(w - sentWidth) / sentWidth < 0.25) return;
  window.clearTimeout(widthTimer);
  widthTimer = window.setTimeout(() => {
    sentWidth = plotWidth();
    for (const [key, d] of data) {
      d.request = ++requestSeq;
      host.post({ type: 'requestRange', key, min: d.zoom?.[0] ?? null, max: d.zoom?.[1] ?? null, width: sentWidth, request: d.request });
    }
  }, 300);
}).observe(grid);

// ---- messages -----------------------------------------------------------------------------------------
host.onMessage((m) => {
  switch (m.type) {
    case 'init': {
      const t = timing('init', 0);
      t.arrived = performance.now();
      t.drawn = undefined;
      const restored = state.source === m.source;
      title = m.title;
      keys = m.keys;
      experiments = m.experiments;
      data.clear();
      for (const c of m.charts) applyChart(c);
      dirty.clear();
      // A restored panel keeps its own options and selection; a new one takes the extension's selection.
      state = restored ? state : { ...state, source: m.source, selected: m.selected };
      host.setState(state);
      syncControls();
      statusLine.textContent = title;
      layout();
      rebuildAll();
      markDrawn(t);
      break;
    }
    case 'append':
    case 'chart': {
      const newKeys = m.keys.join('\n') !== keys.join('\n');
      experiments = m.experiments;
      const answer = m.type === 'chart' && m.chart.request !== 0 ? timing('range', m.chart.request) : undefined;
      if (answer) answer.arrived = performance.now();
      if (m.type === 'append') applyPoints(m.points);
      else { applyChart(m.chart); dirty.add(m.chart.key); }
      // A zoom's answer is drawn at once (the user is waiting for it); live data once per frame.
      if (newKeys) { keys = m.keys; layout(); rebuildAll(); dirty.clear(); } else if (answer) flushNow(); else scheduleFlush();
      if (answer) markDrawn(answer);
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

/** Probe for the browser tests and benchmarks: what each chart draws; `zoom` drags across a chart as a user would. */
declare global {
  interface Window {
    cubelabMetricsProbe?: {
      charts(): { key: string; labels: string[]; data: (number | null)[][]; resolution: string; range: [number, number] | null; zoom: [number, number] | null; ticks: { x: string[]; y: string[] } }[];
      dropped(): number;
      flushed(): boolean;
      zoom(key: string, min: number, max: number): void;
      unzoom(key: string): void;
      draws(): [number, string, number][];
      timings(): typeof timings;
    };
  }
}
window.cubelabMetricsProbe = {
  charts: () => [...charts.entries()].filter(([k]) => keys.includes(k)).map(([key, c]) => ({
    key,
    labels: (c.plot?.series ?? []).slice(1).map((s) => String(s.label)),
    data: (c.plot?.data ?? []).map((col) => Array.from(col as ArrayLike<number | null>)),
    resolution: data.get(key)?.shown.resolution ?? '',
    range: data.get(key)?.shown.range ?? null,
    zoom: data.get(key)?.zoom ?? null,
    ticks: drawnTicks.get(key) ?? { x: [], y: [] },
  })),
  dropped: () => host.dropped.count,
  flushed: () => frame === 0 && dirty.size === 0,
  // What uPlot does at the end of a drag selection: the x scale set to the selected range.
  zoom: (key, min, max) => { charts.get(key)?.plot?.setScale('x', { min, max }); },
  unzoom: (key) => unzoom(key),
  draws: () => draws.slice(),
  timings: () => timings.map((t) => ({ ...t })),
};

sentWidth = plotWidth();
host.post({ type: 'ready', width: sentWidth });
