/**
 * The Review panel's pure parts: which items the filters keep and in what order, the item's confidence, and
 * what a review command does to an item (the verdict and correction it gets). No DOM, so tests use it directly.
 */
import type { PredictedBox } from '../../shared/prediction-format';
import type { ReviewCorrection, ReviewItem, ReviewVerdict, ReviewViewState } from '../../shared/webview-protocol/review';

export function confidence(it: ReviewItem): number {
  if (it.score !== undefined) return it.score;
  if (it.boxes?.length) return Math.min(...it.boxes.map((b) => b.score));
  return 1;
}

/** The labels an item shows: its correction's, else its prediction's. */
export function labelsOf(it: ReviewItem): string[] {
  if (it.correction?.label !== undefined) return [it.correction.label];
  if (it.correction?.boxes) return it.correction.boxes.map((b) => b.label);
  if (it.label !== undefined) return [it.label];
  if (it.boxes?.length) return it.boxes.map((b) => b.label);
  if (it.mask) return Array.isArray(it.mask.labels) ? it.mask.labels : Object.values(it.mask.labels);
  return [];
}

/** The filtered, sorted list of item indices (`i`). */
export function viewOf(items: readonly ReviewItem[], s: Pick<ReviewViewState, 'label' | 'verdict' | 'minScore' | 'maxScore' | 'sort'>): number[] {
  const keep = items.filter((it) => {
    if (s.verdict && it.verdict !== s.verdict) return false;
    const c = confidence(it);
    if (s.minScore !== null && c < s.minScore) return false;
    if (s.maxScore !== null && c > s.maxScore) return false;
    if (s.label && !labelsOf(it).includes(s.label)) return false;
    return true;
  });
  if (s.sort === 'path') keep.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.i - b.i));
  else {
    const dir = s.sort === 'score-desc' ? -1 : 1;
    keep.sort((a, b) => dir * (confidence(a) - confidence(b)) || a.i - b.i);
  }
  return keep.map((it) => it.i);
}

export interface VerdictChange { verdict: ReviewVerdict; correction?: ReviewCorrection }

/** A class picked by its number: the item's label corrected (or confirmed), or the selected box relabelled. */
export function pickClass(it: ReviewItem, label: string, selectedBox: number): VerdictChange | undefined {
  const boxes = it.correction?.boxes ?? it.boxes;
  if (boxes && selectedBox >= 0 && selectedBox < boxes.length) {
    const next = boxes.map((b, k) => (k === selectedBox ? { ...b, label } : b));
    return boxCorrection(it, next);
  }
  if (it.label === undefined) return undefined;
  return label === it.label ? { verdict: 'valid' } : { verdict: 'corrected', correction: { label } };
}

const sameBoxes = (a: readonly PredictedBox[], b: readonly PredictedBox[]): boolean =>
  a.length === b.length && a.every((x, k) => x.label === b[k]!.label && x.x === b[k]!.x && x.y === b[k]!.y && x.width === b[k]!.width && x.height === b[k]!.height);

/** Boxes edited (moved, added, deleted, relabelled): a correction, unless they are the prediction's again. */
export function boxCorrection(it: ReviewItem, boxes: PredictedBox[]): VerdictChange {
  if (it.boxes && sameBoxes(it.boxes, boxes)) return { verdict: 'valid' };
  return { verdict: 'corrected', correction: { boxes } };
}

export const VERDICT_ICON: Record<ReviewVerdict, string> = { unreviewed: '○', valid: '✓', invalid: '✗', corrected: '✎' };

export function verdictText(it: Pick<ReviewItem, 'verdict' | 'correction'>): string {
  if (it.verdict === 'corrected') {
    if (it.correction?.label !== undefined) return `corrected → ${it.correction.label}`;
    if (it.correction?.boxes) return `corrected (${it.correction.boxes.length} box${it.correction.boxes.length === 1 ? '' : 'es'})`;
    return 'corrected';
  }
  return it.verdict;
}

/** COCO RLE (uncompressed counts, or COCO's compressed string) to a row-major 0/1 mask. */
export function decodeRle(size: [number, number], counts: number[] | string): Uint8Array {
  const [h, w] = size;
  const runs = typeof counts === 'string' ? decodeCompressedCounts(counts) : counts;
  const out = new Uint8Array(h * w);
  let pos = 0;
  for (let k = 0; k < runs.length; k++) {
    const n = runs[k]!;
    if (k % 2 === 1) {
      for (let p = pos; p < pos + n && p < h * w; p++) {
        const x = Math.floor(p / h), y = p % h; // column-major
        out[y * w + x] = 1;
      }
    }
    pos += n;
  }
  return out;
}

/** COCO's compressed counts string (LEB128-like, 5 bits a character, deltas from the count two back). */
export function decodeCompressedCounts(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = 1;
    while (more) {
      const c = s.charCodeAt(p) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = c & 0x20;
      p++; k++;
      if (!more && (c & 0x10)) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}
