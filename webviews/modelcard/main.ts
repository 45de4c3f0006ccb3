/**
 * Model card panel (webview): the sections of docs/mlgym.md §4 for one experiment, the pipeline graph
 * as an SVG DAG (coordinates laid out by the extension), one results chart per metric or loss, and buttons
 * that ask the extension to export the card as HTML or JSON. Every text goes in through textContent or an
 * SVG text node, never parsed as markup.
 */
import './style.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  isModelCardToWebview, isModelCardViewState,
  type KeyValue, type ModelCardData, type ModelCardFromWebview, type ModelCardToWebview, type ModelCardViewState, type ResultSeries, type Scalar,
} from '../../shared/webview-protocol/modelCard';
import { chartGeometry } from '../../client/src/modelcard/chart';
import { fitText } from '../../client/src/modelcard/nodeLabel';
import { connectToHost, el } from '../shared/host';

const SVG = 'http://www.w3.org/2000/svg';
const host = connectToHost<ModelCardToWebview, ModelCardFromWebview, ModelCardViewState>(isModelCardToWebview, isModelCardViewState);

// ---- layout ----------------------------------------------------------------------------------------------------
const app = document.getElementById('app') as HTMLElement;
const toolbar = el('div', 'toolbar');
const heading = el('h1', 'title', 'Model card');
const button = (id: string, label: string, secondary = false) => {
  const b = el('vscode-button', undefined, label);
  b.id = id;
  if (secondary) b.setAttribute('secondary', '');
  return b;
};
const exportHtml = button('export-html', 'Export HTML');
const exportJson = button('export-json', 'Export JSON', true);
const refresh = button('refresh', 'Refresh', true);
const status = el('span', 'status');
toolbar.append(heading, exportHtml, exportJson, refresh, status);
const body = el('div', 'card', 'Loading the model card…');
app.append(toolbar, body);

exportHtml.addEventListener('click', () => host.post({ type: 'exportHtml' }));
exportJson.addEventListener('click', () => host.post({ type: 'exportJson' }));
refresh.addEventListener('click', () => host.post({ type: 'refresh' }));

// ---- small builders --------------------------------------------------------------------------------------------
const scalarText = (v: Scalar) => (v === null ? 'null' : typeof v === 'number' ? formatNumber(v) : String(v));

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e7) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

function value(v: string | number | null | undefined, empty = '—'): HTMLElement {
  const missing = v === null || v === undefined || v === '';
  return el('span', missing ? 'muted' : undefined, missing ? empty : typeof v === 'number' ? formatNumber(v) : v);
}

/** A definition list; each value carries `data-field` for tests and for styling. */
function fields(prefix: string, rows: [string, string, HTMLElement][]): HTMLElement {
  const dl = el('dl');
  for (const [key, label, v] of rows) {
    const dd = el('dd');
    dd.dataset.field = `${prefix}.${key}`;
    dd.append(v);
    dl.append(el('dt', undefined, label), dd);
  }
  return dl;
}

function table(headers: string[], rows: (string | HTMLElement)[][], className?: string): HTMLElement {
  const t = el('table', className);
  if (headers.length) {
    const tr = el('tr');
    for (const h of headers) tr.append(el('th', undefined, h));
    t.append(el('thead'));
    t.tHead!.append(tr);
  }
  const tb = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    for (const c of r) { const td = el('td'); td.append(c); tr.append(td); }
    tb.append(tr);
  }
  t.append(tb);
  return t;
}

const kvTable = (items: KeyValue[], empty = 'none') =>
  (items.length ? table([], items.map((kv) => [kv.key, scalarText(kv.value)]), 'kv') : el('p', 'muted', empty));

function section(id: string, title: string, ...children: (Node | null)[]): HTMLElement {
  const s = el('section');
  s.id = id;
  s.append(el('h2', undefined, title), ...children.filter((c): c is Node => c !== null));
  return s;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- sections --------------------------------------------------------------------------------------------------
function modelSection(c: ModelCardData): HTMLElement {
  const m = c.model;
  const layers = m.layers.length
    ? table(['#', 'type', 'parameters'], m.layers.map((l, i) => [String(i), l.type, l.params.map((p) => `${p.key}=${scalarText(p.value)}`).join(', ')]), 'layers')
    : null;
  return section('model', 'Model', fields('model', [
    ['name', 'Name', value(m.name)], ['description', 'Description', value(m.description)], ['version', 'Version', value(m.version)],
    ['sourceRepo', 'Source repository', value(m.sourceRepo)], ['gridSearchId', 'Grid search', value(c.gridSearchId)],
    ['experimentId', 'Experiment', value(c.experimentId)], ['trainDate', 'Training date', value(c.training.trainDate)],
    ['parameterCount', 'Trainable parameters', value(m.parameterCount === null ? null : m.parameterCount.toLocaleString('en-US'), 'unknown')],
  ]), layers ? el('h3', undefined, 'Layers') : null, layers);
}

function datasetSection(c: ModelCardData): HTMLElement {
  const d = c.dataset;
  const pct = d.percentages.length
    ? table(['component', 'split', 'into'], d.percentages.map((p) => [p.component, p.source, p.parts.map((x) => `${x.split} ${formatNumber(Math.round(x.fraction * 1000) / 10)} %`).join(', ')]), 'percentages')
    : null;
  return section('dataset', 'Dataset', fields('dataset', [
    ['name', 'Dataset', value(d.name)], ['splits', 'Splits', value(d.splits.join(', '))], ['subscription', 'Split subscription', value(d.subscription.join(', '))],
  ]), pct);
}

function trainingSection(c: ModelCardData): HTMLElement {
  const t = c.training;
  const started = value(t.startedAt);
  if (t.trainDateSource === 'modelCard') started.append(el('span', 'muted', ' (training date from MLgym\'s card: the day it was generated)'));
  const checkpoints = t.checkpoints.length ? table(['epoch', 'files'], t.checkpoints.map((k) => [String(k.epoch), k.files.join(', ')]), 'checkpoints') : null;
  return section('training', 'Training', fields('training', [
    ['status', 'Status', value(t.status)], ['optimizer', 'Optimizer', value(t.optimizer)], ['lossFunction', 'Loss function', value(t.lossFunction)],
    ['lrScheduler', 'LR scheduler', value(t.lrScheduler)], ['batchSize', 'Batch size', value(t.batchSize)], ['numEpochs', 'Epochs', value(t.numEpochs)],
    ['lastEpoch', 'Last evaluated epoch', value(t.lastEpoch)], ['startedAt', 'Started', started], ['finishedAt', 'Finished', value(t.finishedAt)],
    ['checkpointing', 'Checkpointing', value(t.checkpointing)], ['latestCheckpointEpoch', 'Latest checkpoint', value(t.latestCheckpointEpoch)],
  ]), el('h3', undefined, 'Optimizer hyperparameters'), kvTable(t.hyperparams), el('h3', undefined, 'Swept by the grid search'), kvTable(t.gridParams),
  el('h3', undefined, 'Early stopping'), kvTable(t.earlyStopping), checkpoints ? el('h3', undefined, 'Checkpoints') : null, checkpoints);
}

function evaluationSection(c: ModelCardData): HTMLElement {
  const e = c.evaluation;
  const metrics = e.metrics.length
    ? table(['metric', 'key', 'params'], e.metrics.map((m) => [m.name, m.key ?? '—', m.params.map((p) => `${p.key}=${scalarText(p.value)}`).join(', ')]), 'metrics')
    : el('p', 'muted', 'No metrics.');
  return section('evaluation', 'Evaluation', fields('evaluation', [
    ['lossFunctions', 'Loss functions', value(e.lossFunctions.join(', '))], ['splits', 'Splits', value(e.splits.join(', '))],
  ]), el('h3', undefined, 'Metrics'), metrics);
}

function pipelineSection(c: ModelCardData): HTMLElement {
  const g = c.pipeline;
  const note = el('p', 'muted', `${g.nodes.length} components in ${g.layers} layers; an arrow goes from a required component to the one requiring it.`);
  if (!g.nodes.length) return section('pipeline', 'Pipeline graph', note);
  const root = svg('svg', { class: 'pipeline', width: g.width, height: g.height, viewBox: `0 0 ${g.width} ${g.height}`, role: 'img', 'aria-label': 'Pipeline graph' });
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' });
  marker.append(svg('path', { class: 'arrow', d: 'M 0 0 L 10 5 L 0 10 Z' }));
  const defs = svg('defs', {});
  defs.append(marker);
  root.append(defs);
  for (const e of g.edges) {
    const p = svg('path', { class: e.cycle ? 'edge cycle' : 'edge', d: e.d, 'marker-end': 'url(#arrow)' });
    p.dataset.from = e.from;
    p.dataset.to = e.to;
    p.append(svg('title', {}, `${e.from} → ${e.to} (${e.name}${e.subscription ? `: ${e.subscription}` : ''})`));
    root.append(p);
  }
  for (const n of g.nodes) {
    const sub = n.missing ? 'missing from the config' : `${n.type} · ${n.variant}`;
    const node = svg('g', { class: n.missing ? 'node missing' : 'node' });
    node.dataset.component = n.id;
    node.append(
      svg('title', {}, `${n.id}: ${sub}`),
      svg('rect', { x: n.x, y: n.y, width: n.width, height: n.height, rx: 4 }),
      svg('text', { class: 'name', x: n.x + 8, y: n.y + 16 }, fitText(n.id, n.width)),
      svg('text', { class: 'type', x: n.x + 8, y: n.y + 32 }, fitText(sub, n.width)),
    );
    root.append(node);
  }
  const scroll = el('div', 'scroll');
  scroll.append(root);
  return section('pipeline', 'Pipeline graph', note, scroll);
}

function chartGroups(c: ModelCardData): { tag: string; lines: ResultSeries[] }[] {
  const order = c.evaluation.splits;
  const byTag = new Map<string, ResultSeries[]>();
  for (const s of c.results.series) { const l = byTag.get(s.tag) ?? []; l.push(s); byTag.set(s.tag, l); }
  const rank = (split: string) => { const i = order.indexOf(split); return i < 0 ? order.length : i; };
  return [...byTag.entries()].sort((a, b) => a[0].localeCompare(b[0]))
    .map(([tag, lines]) => ({ tag, lines: lines.sort((a, b) => rank(a.split) - rank(b.split) || a.split.localeCompare(b.split)) }));
}

function chart(tag: string, lines: ResultSeries[]): HTMLElement {
  const g = chartGeometry(lines.map((l) => ({ label: l.split || l.key, epochs: l.epochs, values: l.values })));
  const fig = el('figure', 'chart');
  fig.dataset.tag = tag;
  const root = svg('svg', { width: g.width, height: g.height, viewBox: `0 0 ${g.width} ${g.height}`, role: 'img', 'aria-label': tag });
  const { left, top, right, bottom } = g.plot;
  root.append(svg('rect', { class: 'frame', x: left, y: top, width: right - left, height: bottom - top }));
  for (const t of g.yTicks) root.append(svg('text', { class: 'tick', x: left - 4, y: t.y + 4, 'text-anchor': 'end' }, t.label));
  for (const t of g.xTicks) root.append(svg('text', { class: 'tick', x: t.x, y: bottom + 14, 'text-anchor': 'middle' }, t.label));
  const legend = el('div', 'legend');
  g.lines.forEach((l, i) => {
    if (l.d) {
      const p = svg('path', { class: `line s${i % 6}`, d: l.d });
      p.dataset.split = l.label;
      p.append(svg('title', {}, l.label));
      root.append(p);
    }
    const item = el('span');
    item.append(el('i', `s${i % 6}`), document.createTextNode(l.label));
    legend.append(item);
  });
  fig.append(el('figcaption', undefined, tag), root, legend);
  return fig;
}

function resultsSection(c: ModelCardData): HTMLElement {
  const r = c.results;
  if (!r.scores.length) return section('results', 'Results', el('p', 'muted', 'No evaluation results in the event log.'));
  const scores = el('table', 'scores');
  const head = el('tr');
  for (const h of ['split', 'metric / loss', 'epoch', 'value']) head.append(el('th', undefined, h));
  scores.append(el('thead'));
  scores.tHead!.append(head);
  const tb = el('tbody');
  for (const s of r.scores) {
    const tr = el('tr');
    tr.dataset.key = s.key;
    tr.append(el('td', undefined, s.split), el('td', undefined, s.tag), el('td', 'num', String(s.epoch)),
      el('td', 'num value', s.value === null ? 'not finite' : formatNumber(s.value)));
    tb.append(tr);
  }
  scores.append(tb);
  const charts = el('div', 'charts');
  for (const { tag, lines } of chartGroups(c)) charts.append(chart(tag, lines));
  return section('results', 'Results', el('p', 'muted', `Final scores (highest epoch: ${r.finalEpoch ?? '—'})`), scores, charts);
}

function environmentSection(c: ModelCardData): HTMLElement {
  const env = c.environment;
  const source = env.source === 'system_info.json' ? 'From the training host (system_info.json)'
    : env.source === 'model_card.json' ? "From MLgym's model_card.json: its REST server's host, possibly not the training host" : 'No system_info.json';
  const devices = env.cudaDevices.length
    ? table(['#', 'name', 'memory', 'multiprocessors'], env.cudaDevices.map((d, i) => [String(i), d.name, d.totalMemory ?? '—', d.multiProcCount === null ? '—' : String(d.multiProcCount)]), 'devices')
    : null;
  let packages: HTMLElement | null = null;
  if (env.pythonPackages.length) {
    packages = el('details', 'packages');
    packages.append(el('summary', undefined, `Python packages (${env.pythonPackages.length})`), table([], env.pythonPackages.map((p) => [p.name, p.version])));
  }
  const s = section('environment', 'Environment', el('p', 'muted source', source), kvTable(env.fields, 'No environment recorded.'),
    fields('environment', [['carbonFootprint', 'Carbon footprint', value(env.carbonFootprint, 'not recorded')], ['entryPoint', 'Entry point', value(env.entryPoint, 'not recorded')]]),
    devices ? el('h3', undefined, 'CUDA devices') : null, devices, packages);
  s.dataset.source = env.source;
  return s;
}

function notes(c: ModelCardData): HTMLElement | null {
  if (!c.corrections.length && !c.problems.length) return null;
  const box = el('div', 'notes');
  for (const n of c.corrections) box.append(el('p', 'note correction', n));
  for (const n of c.problems) box.append(el('p', 'note problem', n));
  return box;
}

/**
 * Each part of the card with what it is drawn from: a card that follows a growing run is drawn again part by part,
 * and only the parts whose data changed are replaced. So what the reader has scrolled to stays where it is (the
 * browser's scroll anchoring keeps the visible part in place when a part above grows), and an opened section
 * (`<details>`) stays open, also inside a replaced part.
 */
const PARTS: [id: string, inputs: (c: ModelCardData) => unknown, draw: (c: ModelCardData) => HTMLElement | null][] = [
  ['notes', (c) => [c.corrections, c.problems], notes],
  ['model', (c) => [c.model, c.gridSearchId, c.experimentId, c.training.trainDate], modelSection],
  ['dataset', (c) => c.dataset, datasetSection],
  ['training', (c) => c.training, trainingSection],
  ['evaluation', (c) => c.evaluation, evaluationSection],
  ['pipeline', (c) => c.pipeline, pipelineSection],
  ['results', (c) => [c.results, c.evaluation.splits], resultsSection],
  ['environment', (c) => c.environment, environmentSection],
];
const drawn = new Map<string, { inputs: string; element: HTMLElement | null }>();
let drawnFor = '';

/** Opened `<details>` of an element, by their summary's text (numbers left out: a count may change). */
const detailsKey = (d: HTMLDetailsElement) => (d.querySelector('summary')?.textContent ?? '').replace(/[\d,.]+/g, '#');

function render(c: ModelCardData): void {
  heading.textContent = `Model card: ${c.model.name ?? 'model'}, experiment ${c.experimentId} of ${c.gridSearchId}`;
  const target = `${c.gridSearchId}\u0000${c.experimentId}`;
  if (target !== drawnFor) { drawn.clear(); body.replaceChildren(); drawnFor = target; }
  let before: Node | null = body.firstChild;
  // The "Loading…" text of a new page is not a part.
  if (before && before.nodeType === Node.TEXT_NODE) { body.replaceChildren(); before = null; }
  const keep = new Set<Node>();
  let previous: HTMLElement | null = null;
  for (const [id, inputs, draw] of PARTS) {
    const key = JSON.stringify(inputs(c));
    const had = drawn.get(id);
    let element = had?.element ?? null;
    if (!had || had.inputs !== key) {
      const next = draw(c);
      if (next && element) {
        const open = new Set(Array.from(element.querySelectorAll('details')).filter((d) => d.open).map(detailsKey));
        for (const d of Array.from(next.querySelectorAll('details'))) if (open.has(detailsKey(d))) d.open = true;
      }
      if (element && next) element.replaceWith(next);
      else if (element) element.remove();
      element = next;
      drawn.set(id, { inputs: key, element });
    }
    if (element) {
      // In order, after the previous part (a part that appears, such as notes, goes in its place).
      if (element.parentNode !== body) body.insertBefore(element, previous ? previous.nextSibling : body.firstChild);
      keep.add(element);
      previous = element;
    }
  }
  for (const child of Array.from(body.childNodes)) if (!keep.has(child)) child.remove();
}

host.onMessage((m) => {
  switch (m.type) {
    case 'card': {
      render(m.card);
      status.textContent = '';
      const state: ModelCardViewState = { gridSearchDir: m.gridSearchDir, experimentId: m.card.experimentId };
      host.setState(state);
      host.post({ type: 'stateChanged', state });
      break;
    }
    case 'status':
      status.textContent = m.text;
      break;
  }
});

host.post({ type: 'ready' });
