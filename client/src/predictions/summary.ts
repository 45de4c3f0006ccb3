/**
 * The summary of a predictions file: counts per label (boxes counted one by one), each label's lowest and mean
 * score, and the least confident predictions first. Rendered as Markdown for the summary view. Pure.
 */
import { confidenceOf, labelsOf, type Prediction } from '../../../shared/prediction-format';
import type { PredictionsFile } from './read';

export interface LabelCount { label: string; count: number; minScore: number; meanScore: number }
export interface PredictionSummary {
  total: number;
  kinds: { classification: number; boxes: number; masks: number };
  labels: LabelCount[];
  /** The least confident predictions (index into the file's predictions), lowest first. */
  lowest: { index: number; path: string; labels: string[]; score: number }[];
  models: string[];
}

export function summarize(predictions: Prediction[], lowestCount = 20): PredictionSummary {
  const per = new Map<string, { count: number; min: number; sum: number }>();
  const kinds = { classification: 0, boxes: 0, masks: 0 };
  const models = new Set<string>();
  const add = (label: string, score: number) => {
    const e = per.get(label) ?? { count: 0, min: 1, sum: 0 };
    e.count++; e.min = Math.min(e.min, score); e.sum += score;
    per.set(label, e);
  };
  predictions.forEach((p) => {
    models.add(p.model);
    if (p.label !== undefined) { kinds.classification++; add(p.label, p.score ?? 1); }
    if (p.boxes) { kinds.boxes++; for (const b of p.boxes) add(b.label, b.score); }
    if (p.mask) kinds.masks++;
    if (p.label === undefined && !p.boxes && p.mask) for (const l of labelsOf(p)) add(l, 1);
  });
  const labels = [...per.entries()].map(([label, e]) => ({ label, count: e.count, minScore: e.min, meanScore: e.sum / e.count }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label, undefined, { numeric: true }));
  const order = predictions.map((p, index) => ({ index, score: confidenceOf(p) })).sort((a, b) => a.score - b.score || a.index - b.index);
  const lowest = order.slice(0, lowestCount).map(({ index, score }) => ({ index, path: predictions[index]!.path, labels: labelsOf(predictions[index]!), score }));
  return { total: predictions.length, kinds, labels, lowest, models: [...models] };
}

const cell = (s: string) => s.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
const fmt = (n: number) => n.toFixed(3);

export function summaryMarkdown(file: PredictionsFile, title: string): string {
  const s = summarize(file.predictions);
  const out: string[] = [`# Predictions: ${cell(title)}`, ''];
  out.push(`${s.total} prediction(s) in \`${cell(file.file)}\`${s.models.length ? `, model ${s.models.map((m) => `\`${cell(m)}\``).join(', ')}` : ''}.`);
  const k = [s.kinds.classification && `${s.kinds.classification} classified`, s.kinds.boxes && `${s.kinds.boxes} with boxes`, s.kinds.masks && `${s.kinds.masks} with masks`].filter(Boolean);
  if (k.length) out.push('', k.join(', ') + '.');
  if (file.problemCount) {
    out.push('', `**${file.problemCount} line(s) could not be read** and are left out:`, '');
    for (const p of file.problems) out.push(`- line ${p.line}: ${cell(p.message)}`);
    if (file.problemCount > file.problems.length) out.push(`- … and ${file.problemCount - file.problems.length} more`);
  }
  out.push('', '## Counts per label', '', '| label | count | lowest score | mean score |', '|---|---:|---:|---:|');
  for (const l of s.labels) out.push(`| ${cell(l.label)} | ${l.count} | ${fmt(l.minScore)} | ${fmt(l.meanScore)} |`);
  out.push('', '## Lowest scores first', '', '| # | input | label(s) | score |', '|---:|---|---|---:|');
  s.lowest.forEach((r, i) => out.push(`| ${i + 1} | ${cell(r.path)} | ${cell(r.labels.join(', ') || '—')} | ${fmt(r.score)} |`));
  return out.join('\n') + '\n';
}
