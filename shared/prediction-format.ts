/**
 * CubeLab's prediction format (README "The prediction format"): one JSON object a line in `predictions.jsonl`,
 * one line per input, written by a cube's inference task and read by CubeLab's summary, review and exports.
 * Pure (no Node, no DOM): the extension validates files with it, the review webview shares its types.
 *
 *   {"path": "3/digit-0042.png", "sha256": "<64 hex>", "model": "sha256:<64 hex>",
 *    "label": "3", "score": 0.97, "scores": {"0": 0.001, ..., "9": 0.002}}                      classification
 *   {"path": ..., "boxes": [{"label": "7", "score": 0.9, "x": 12, "y": 30, "width": 9, "height": 14}]}  detection
 *   {"path": ..., "mask": {"rle": [{"size": [64, 64], "counts": [130, 4, ...]}], "labels": ["7"]}}       segmentation
 *   {"path": ..., "mask": {"png": "masks/a.png", "labels": {"1": "7", "2": "3"}}}                        segmentation
 */

/** A box in pixels of the input image: x, y of its top-left corner, width and height. */
export interface PredictedBox { label: string; score: number; x: number; y: number; width: number; height: number }

/** COCO's run-length encoding: `size` [height, width]; `counts` uncompressed (numbers) or COCO's compressed string. */
export interface CocoRle { size: [number, number]; counts: number[] | string }

export type PredictedMask =
  /** One RLE per instance, its label at the same index (a detection cube: the same order as `boxes`). */
  | { rle: CocoRle[]; labels: string[]; png?: undefined }
  /** An indexed PNG (relative to the predictions file): each pixel value names a label; 0 is background. */
  | { png: string; labels: Record<string, string>; rle?: undefined };

export interface Prediction {
  /** The input, relative to the folder the task read (forward slashes; no `..`, not absolute). */
  path: string;
  /** sha256 of the input file's bytes (hex), the key reviews are stored under. */
  sha256: string;
  /** The model's digest (`sha256:<hex>` recommended): reviews are per file and model. */
  model: string;
  label?: string;
  /** The predicted label's score, 0..1. */
  score?: number;
  /** Per-class scores, 0..1. */
  scores?: Record<string, number>;
  boxes?: PredictedBox[];
  mask?: PredictedMask;
}

export interface PredictionProblem { line: number; message: string }

export type ParsedLine = { ok: true; prediction: Prediction } | { ok: false; problem: PredictionProblem };

const HEX64 = /^[0-9a-f]{64}$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isProb = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
const isPixel = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isLabel = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200;

/** Whether a relative path stays inside the folder it is relative to. */
export function isSafeRelativePath(p: string): boolean {
  if (!p || p.length > 4096 || p.includes('\0') || p.includes('\\')) return false;
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return false;
  // No empty and no ".." segment, tested without splitting (every line of a predictions file passes here).
  return !EMPTY_OR_PARENT_SEGMENT.test(p);
}
const EMPTY_OR_PARENT_SEGMENT = /(?:^|\/)(?:\.\.)?(?:\/|$)/;

/** Checks one parsed line; the first problem found, in words, or undefined. */
function problemOf(v: Record<string, unknown>): string | undefined {
  if (typeof v.path !== 'string' || !v.path) return '"path" is missing (the input\'s path, relative to the folder the task read)';
  if (!isSafeRelativePath(v.path)) return `"path" ${JSON.stringify(v.path.slice(0, 120))} must be relative, with forward slashes and no ".." (it is resolved inside the input folder)`;
  if (typeof v.sha256 !== 'string' || !HEX64.test(v.sha256)) return '"sha256" must be the input file\'s SHA-256, 64 lower-case hex digits';
  if (typeof v.model !== 'string' || !v.model || v.model.length > 200) return '"model" must be the model\'s digest (e.g. "sha256:<hex>")';
  const hasLabel = v.label !== undefined, hasBoxes = v.boxes !== undefined, hasMask = v.mask !== undefined;
  if (!hasLabel && !hasBoxes && !hasMask) return 'a prediction needs "label" and "score", "boxes" or "mask"';
  if (hasLabel) {
    if (!isLabel(v.label)) return '"label" must be a non-empty string (at most 200 characters)';
    if (!isProb(v.score)) return '"score" must be a number from 0 to 1 (the label\'s score)';
  } else if (v.score !== undefined) return '"score" without "label"';
  if (v.scores !== undefined) {
    if (!isObj(v.scores)) return '"scores" must be an object: label → score';
    for (const k in v.scores) if (!isProb(v.scores[k])) return `"scores"."${k.slice(0, 40)}" must be a number from 0 to 1`;
  }
  if (hasBoxes) {
    if (!Array.isArray(v.boxes)) return '"boxes" must be a list';
    for (let i = 0; i < v.boxes.length; i++) {
      const b: unknown = v.boxes[i];
      if (!isObj(b)) return `"boxes"[${i}] must be an object`;
      if (!isLabel(b.label)) return `"boxes"[${i}].label must be a non-empty string`;
      if (!isProb(b.score)) return `"boxes"[${i}].score must be a number from 0 to 1`;
      for (const k of ['x', 'y'] as const) if (!isPixel(b[k])) return `"boxes"[${i}].${k} must be a number of pixels, 0 or more`;
      for (const k of ['width', 'height'] as const) if (!isPixel(b[k]) || (b[k] as number) <= 0) return `"boxes"[${i}].${k} must be a number of pixels above 0`;
    }
  }
  if (hasMask) {
    const m = v.mask;
    if (!isObj(m)) return '"mask" must be an object with "rle" or "png", and "labels"';
    if (m.rle !== undefined) {
      if (!Array.isArray(m.rle)) return '"mask".rle must be a list of COCO RLEs (one per instance)';
      if (!Array.isArray(m.labels) || m.labels.length !== m.rle.length || !m.labels.every(isLabel)) return '"mask".labels must list one label per RLE';
      for (let i = 0; i < m.rle.length; i++) {
        const r: unknown = m.rle[i];
        if (!isObj(r) || !Array.isArray(r.size) || r.size.length !== 2 || !r.size.every((n) => Number.isInteger(n) && (n as number) > 0)) return `"mask".rle[${i}].size must be [height, width]`;
        if (typeof r.counts === 'string') continue;
        if (!Array.isArray(r.counts) || !r.counts.every((n) => Number.isInteger(n) && (n as number) >= 0)) return `"mask".rle[${i}].counts must be run lengths (whole numbers) or COCO's compressed string`;
        const total = (r.counts as number[]).reduce((a, b) => a + b, 0);
        if (total !== (r.size[0] as number) * (r.size[1] as number)) return `"mask".rle[${i}].counts add up to ${total} pixels, not height × width = ${(r.size[0] as number) * (r.size[1] as number)}`;
      }
    } else if (m.png !== undefined) {
      if (typeof m.png !== 'string' || !isSafeRelativePath(m.png)) return '"mask".png must be a relative path (to the predictions file\'s folder) without ".."';
      if (!isObj(m.labels) || !Object.entries(m.labels).every(([k, l]) => /^\d+$/.test(k) && isLabel(l))) return '"mask".labels must map pixel values ("1", "2", …) to labels';
    } else return '"mask" needs "rle" (COCO RLE per instance) or "png" (an indexed PNG)';
  }
  return undefined;
}

/** Parses and checks one line (1-based `line` for messages). Unknown fields are kept out, not refused. */
export function parsePredictionLine(text: string, line: number): ParsedLine {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) {
    return { ok: false, problem: { line, message: `not JSON (${(e as Error).message.replace(/^JSON\.parse: /, '').slice(0, 120)})` } };
  }
  if (!isObj(v)) return { ok: false, problem: { line, message: 'a line must be a JSON object' } };
  const problem = problemOf(v);
  if (problem) return { ok: false, problem: { line, message: problem } };
  const p: Prediction = { path: v.path as string, sha256: v.sha256 as string, model: v.model as string };
  if (v.label !== undefined) { p.label = v.label as string; p.score = v.score as number; }
  if (v.scores !== undefined) p.scores = v.scores as Record<string, number>;
  if (v.boxes !== undefined) p.boxes = (v.boxes as PredictedBox[]).map((b) => ({ label: b.label, score: b.score, x: b.x, y: b.y, width: b.width, height: b.height }));
  if (v.mask !== undefined) p.mask = v.mask as PredictedMask;
  return { ok: true, prediction: p };
}

/** The prediction's confidence for sorting (least confident first): its score, or its weakest box's. */
export function confidenceOf(p: Prediction): number {
  if (p.score !== undefined) return p.score;
  if (p.boxes?.length) return Math.min(...p.boxes.map((b) => b.score));
  return 1;
}

/** The labels a prediction names: its label, else its boxes' (or its mask's) labels. */
export function labelsOf(p: Prediction): string[] {
  if (p.label !== undefined) return [p.label];
  if (p.boxes?.length) return p.boxes.map((b) => b.label);
  if (p.mask) return Array.isArray(p.mask.labels) ? p.mask.labels : Object.values(p.mask.labels);
  return [];
}
