/**
 * The model card as one self-contained HTML file: inline CSS (light and dark by the reader's colour scheme),
 * inline SVG, no script, no remote content, every text escaped. And the JSON export (the card data as is).
 */
import type { KeyValue, ModelCardData, Scalar } from '../../../shared/webview-protocol/modelCard';
import { chartGroups, escapeXml as esc, pipelineSvg, resultChartSvg } from './svg';

const STYLE = `
:root { --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --border: #d1d9e0; --accent: #0969da; --warn: #9a6700; --err: #cf222e;
  --s0: #0969da; --s1: #1a7f37; --s2: #bc4c00; --s3: #8250df; --s4: #bf3989; --s5: #57606a; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23; --border: #3d444d; --accent: #4493f8;
  --warn: #d29922; --err: #f85149; --s0: #4493f8; --s1: #3fb950; --s2: #db6d28; --s3: #ab7df8; --s4: #db61a2; --s5: #9198a1; } }
body { margin: 0 auto; max-width: 1100px; padding: 24px; color: var(--fg); background: var(--bg); font: 14px/1.45 system-ui, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--border); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
.sub, .muted { color: var(--muted); }
table { border-collapse: collapse; margin: 4px 0 8px; } th, td { text-align: left; padding: 3px 12px 3px 0; vertical-align: top; }
th { font-weight: 600; color: var(--muted); } td.num { text-align: right; font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 4px 0; } dt { color: var(--muted); } dd { margin: 0; }
.note { border-left: 3px solid var(--warn); padding: 2px 8px; margin: 4px 0; } .problem { border-left-color: var(--err); }
.scroll { overflow-x: auto; border: 1px solid var(--border); background: var(--panel); padding: 8px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; } figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 2px; }
.legend span { margin-right: 10px; } .legend i { display: inline-block; width: 10px; height: 3px; margin-right: 4px; vertical-align: middle; }
svg text { fill: var(--fg); font: 12px system-ui, sans-serif; } svg .type, svg .tick { fill: var(--muted); font-size: 11px; }
.node rect { fill: var(--bg); stroke: var(--accent); } .node.missing rect { stroke: var(--err); stroke-dasharray: 4 3; }
.edge { fill: none; stroke: var(--muted); } .edge.cycle { stroke: var(--err); } .arrow { fill: var(--muted); }
.frame { fill: none; stroke: var(--border); } .line { fill: none; stroke-width: 1.6; }
${[0, 1, 2, 3, 4, 5].map((i) => `.s${i} { stroke: var(--s${i}); } i.s${i} { background: var(--s${i}); }`).join(' ')}
details summary { cursor: pointer; }
`;

const text = (v: string | number | null | undefined, empty = '—') => (v === null || v === undefined || v === '' ? `<span class="muted">${empty}</span>` : esc(String(v)));
const scalarText = (v: Scalar) => (typeof v === 'number' ? formatNumber(v) : v === null ? 'null' : String(v));

export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e7) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

function dl(rows: [string, string][], field?: string): string {
  return `<dl${field ? ` data-section="${esc(field)}"` : ''}>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function kvTable(items: KeyValue[], empty = 'none'): string {
  if (!items.length) return `<p class="muted">${esc(empty)}</p>`;
  return `<table><tbody>${items.map((kv) => `<tr><th>${esc(kv.key)}</th><td>${esc(scalarText(kv.value))}</td></tr>`).join('')}</tbody></table>`;
}

const list = (items: string[]) => (items.length ? items.map(esc).join(', ') : '<span class="muted">—</span>');

function modelSection(c: ModelCardData): string {
  const m = c.model;
  const layers = m.layers.length
    ? `<h3>Layers</h3><table><thead><tr><th>#</th><th>type</th><th>parameters</th></tr></thead><tbody>${m.layers
      .map((l, i) => `<tr><td class="num">${i}</td><td>${esc(l.type)}</td><td>${esc(l.params.map((p) => `${p.key}=${scalarText(p.value)}`).join(', '))}</td></tr>`).join('')}</tbody></table>`
    : '';
  return `<h2>Model</h2>${dl([
    ['Name', text(m.name)], ['Description', text(m.description)], ['Version', text(m.version)], ['Source repository', text(m.sourceRepo)],
    ['Grid search', text(c.gridSearchId)], ['Experiment', text(c.experimentId)], ['Training date', text(c.training.trainDate)],
    ['Trainable parameters', m.parameterCount === null ? text(null, 'unknown') : esc(m.parameterCount.toLocaleString('en-US'))],
  ], 'model')}${layers}`;
}

function datasetSection(c: ModelCardData): string {
  const d = c.dataset;
  const pct = d.percentages.length
    ? `<table><thead><tr><th>component</th><th>split</th><th>into</th></tr></thead><tbody>${d.percentages.map((p) => `<tr><td>${esc(p.component)}</td><td>${esc(p.source)}</td><td>${esc(p.parts.map((x) => `${x.split} ${formatNumber(Math.round(x.fraction * 1000) / 10)} %`).join(', '))}</td></tr>`).join('')}</tbody></table>`
    : '';
  return `<h2>Dataset</h2>${dl([['Dataset', text(d.name)], ['Splits', list(d.splits)], ['Split subscription', list(d.subscription)]], 'dataset')}${pct}`;
}

function trainingSection(c: ModelCardData): string {
  const t = c.training;
  const dateNote = t.trainDateSource === 'modelCard' ? ' <span class="muted">(from MLgym\'s card: the day it was generated)</span>' : '';
  const checkpoints = t.checkpoints.length
    ? `<h3>Checkpoints</h3><table><thead><tr><th>epoch</th><th>files</th></tr></thead><tbody>${t.checkpoints.map((k) => `<tr><td class="num">${k.epoch}</td><td>${esc(k.files.join(', '))}</td></tr>`).join('')}</tbody></table>`
    : '';
  return `<h2>Training</h2>${dl([
    ['Status', text(t.status)], ['Optimizer', text(t.optimizer)], ['Loss function', text(t.lossFunction)], ['LR scheduler', text(t.lrScheduler)],
    ['Batch size', text(t.batchSize)], ['Epochs', text(t.numEpochs)], ['Last evaluated epoch', text(t.lastEpoch)],
    ['Started', text(t.startedAt) + dateNote], ['Finished', text(t.finishedAt)], ['Checkpointing', text(t.checkpointing)],
    ['Latest checkpoint', text(t.latestCheckpointEpoch)],
  ], 'training')}<h3>Optimizer hyperparameters</h3>${kvTable(t.hyperparams)}<h3>Swept by the grid search</h3>${kvTable(t.gridParams)}`
    + `<h3>Early stopping</h3>${kvTable(t.earlyStopping)}${checkpoints}`;
}

function evaluationSection(c: ModelCardData): string {
  const e = c.evaluation;
  const metrics = e.metrics.length
    ? `<table><thead><tr><th>metric</th><th>key</th><th>params</th></tr></thead><tbody>${e.metrics.map((m) => `<tr><td>${esc(m.name)}</td><td>${text(m.key)}</td><td>${esc(m.params.map((p) => `${p.key}=${scalarText(p.value)}`).join(', '))}</td></tr>`).join('')}</tbody></table>`
    : '<p class="muted">No metrics.</p>';
  return `<h2>Evaluation</h2>${dl([['Loss functions', list(e.lossFunctions)], ['Splits', list(e.splits)]], 'evaluation')}<h3>Metrics</h3>${metrics}`;
}

function resultsSection(c: ModelCardData): string {
  const r = c.results;
  if (!r.scores.length) return '<h2>Results</h2><p class="muted">No evaluation results in the event log.</p>';
  const scores = `<table data-section="scores"><thead><tr><th>split</th><th>metric / loss</th><th>epoch</th><th>value</th></tr></thead><tbody>${r.scores
    .map((s) => `<tr><td>${esc(s.split)}</td><td>${esc(s.tag)}</td><td class="num">${s.epoch}</td><td class="num">${s.value === null ? 'not finite' : esc(formatNumber(s.value))}</td></tr>`).join('')}</tbody></table>`;
  const charts = chartGroups(c).map(({ tag, lines }) => `<figure><figcaption>${esc(tag)}</figcaption>${resultChartSvg(tag, lines)}`
    + `<div class="legend">${lines.map((l, i) => `<span><i class="s${i % 6}"></i>${esc(l.split || l.key)}</span>`).join('')}</div></figure>`);
  return `<h2>Results</h2><p class="sub">Final scores (highest epoch: ${text(r.finalEpoch)})</p>${scores}<div class="charts">${charts.join('')}</div>`;
}

function environmentSection(c: ModelCardData): string {
  const env = c.environment;
  const source = env.source === 'system_info.json' ? 'the training host (system_info.json)'
    : env.source === 'model_card.json' ? "MLgym's model_card.json (its REST server's host, possibly not the training host)" : 'unknown: no system_info.json';
  const devices = env.cudaDevices.length
    ? `<h3>CUDA devices</h3><table><thead><tr><th>#</th><th>name</th><th>memory</th><th>multiprocessors</th></tr></thead><tbody>${env.cudaDevices.map((d, i) => `<tr><td class="num">${i}</td><td>${esc(d.name)}</td><td>${text(d.totalMemory)}</td><td class="num">${text(d.multiProcCount)}</td></tr>`).join('')}</tbody></table>`
    : '';
  const packages = env.pythonPackages.length
    ? `<details><summary>Python packages (${env.pythonPackages.length})</summary><table><tbody>${env.pythonPackages.map((p) => `<tr><td>${esc(p.name)}</td><td>${esc(p.version)}</td></tr>`).join('')}</tbody></table></details>`
    : '';
  return `<h2>Environment</h2><p class="sub">From ${esc(source)}</p>${kvTable(env.fields, 'No environment recorded.')}`
    + dl([['Carbon footprint', text(env.carbonFootprint, 'not recorded')], ['Entry point', text(env.entryPoint, 'not recorded')]])
    + devices + packages;
}

export function modelCardHtml(c: ModelCardData): string {
  const title = `Model card: ${c.model.name ?? 'model'}, experiment ${c.experimentId} of ${c.gridSearchId}`;
  const notes = [
    ...c.corrections.map((n) => `<p class="note">${esc(n)}</p>`),
    ...c.problems.map((n) => `<p class="note problem">${esc(n)}</p>`),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="CubeLab">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="sub">Generated by CubeLab on ${esc(c.generatedAt)} from the grid search folder, its event log and the training host's system information.</p>
${notes.length ? `<section class="notes">${notes.join('\n')}</section>` : ''}
<section id="model">${modelSection(c)}</section>
<section id="dataset">${datasetSection(c)}</section>
<section id="training">${trainingSection(c)}</section>
<section id="evaluation">${evaluationSection(c)}</section>
<section id="pipeline"><h2>Pipeline graph</h2><p class="sub">${c.pipeline.nodes.length} components in ${c.pipeline.layers} layers; an arrow goes from a required component to the one requiring it.</p><div class="scroll">${pipelineSvg(c.pipeline)}</div></section>
<section id="results">${resultsSection(c)}</section>
<section id="environment">${environmentSection(c)}</section>
</body>
</html>
`;
}

export function modelCardJson(c: ModelCardData): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}
