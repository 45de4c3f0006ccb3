/**
 * "Retrain from reviews", the target-independent part: the before/after comparison. It is computed on the
 * validation part of the export (reviewed items the new model never trained on: the train task holds them out as
 * its test split) and on the data set's own test split, before (the model that made the predictions) and after
 * (the retrained one); never on the training part. Pure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportResult } from './export';

/** What a digits-style cube writes beside its model (model.json); other cubes may write less. */
export interface ModelInfo { digest?: string; test_accuracy?: number; digits_test_accuracy?: number; train_samples?: number; test_samples?: number }

export function readModelInfo(modelDir: string | undefined): ModelInfo | undefined {
  if (!modelDir) return undefined;
  const f = join(modelDir, 'model.json');
  if (!existsSync(f)) return undefined;
  try { return JSON.parse(readFileSync(f, 'utf8')) as ModelInfo; } catch { return undefined; }
}

export interface Comparison {
  heldOut: { items: number; before: number | null; after: number | null };
  datasetTest: { before: number | null; after: number | null };
  trainedOn: number;
  previousModel?: string;
  newModel?: string;
}

/**
 * Before on the held-out part: the share of its items whose prediction the reviewer kept (valid) rather than
 * corrected; a reviewed label is the truth there. After: the retrained model's accuracy on the same items, which
 * its train task reports as its test split (the export's val/ folder).
 */
export function compareRetrain(exp: ExportResult, before: ModelInfo | undefined, after: ModelInfo | undefined): Comparison {
  const held = exp.split.filter((s) => s.part === 'val' && s.label !== undefined && s.predicted !== undefined);
  const right = held.filter((s) => s.label === s.predicted).length;
  const n = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    heldOut: { items: held.length, before: held.length ? right / held.length : null, after: n(after?.test_accuracy) },
    datasetTest: { before: n(before?.digits_test_accuracy), after: n(after?.digits_test_accuracy) },
    trainedOn: exp.counts.train,
    ...(before?.digest ? { previousModel: before.digest } : {}),
    ...(after?.digest ? { newModel: after.digest } : {}),
  };
}

export function comparisonMarkdown(c: Comparison, title: string): string {
  const f = (v: number | null) => (v === null ? '—' : v.toFixed(4));
  const d = (a: number | null, b: number | null) => (a === null || b === null ? '' : `${b - a >= 0 ? '+' : ''}${(b - a).toFixed(4)}`);
  return [
    `# Retrain from reviews: ${title}`, '',
    `Trained on ${c.trainedOn} reviewed item(s) (the export's train part). Compared on data the new model never trained on:`, '',
    '| data | before | after | change |', '|---|---:|---:|---:|',
    `| held-out reviewed items (${c.heldOut.items}) | ${f(c.heldOut.before)} | ${f(c.heldOut.after)} | ${d(c.heldOut.before, c.heldOut.after)} |`,
    `| the data set's own test split | ${f(c.datasetTest.before)} | ${f(c.datasetTest.after)} | ${d(c.datasetTest.before, c.datasetTest.after)} |`,
    '', `Before: ${c.previousModel ?? 'the model that made the predictions'}. After: ${c.newModel ?? 'the retrained model'}.`,
    'Before, on the held-out items, is the share of them whose prediction the reviewer kept; after is the retrained model\'s accuracy on the same items (its test split).', '',
  ].join('\n');
}
