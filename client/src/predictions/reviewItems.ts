/**
 * What the Review panel's `init` carries, built from a predictions file and its reviews: one item per good line
 * (its verdict folded in), the item indices of each review key (an input predicted twice has two), and the classes
 * for the digit keys. Pure Node: the panel (editor/reviewPanel.ts) and bench:review use it.
 */
import type { ReviewItem } from '../../../shared/webview-protocol/review';
import type { PredictionsFile } from './read';
import { reviewKey, type ReviewState } from './reviews';

/** Classes for the digit keys: every label the file names, in natural order (so "3" is key 3 for digits). */
export function classesOf(file: PredictionsFile): string[] {
  const set = new Set<string>();
  for (const p of file.predictions) {
    if (p.scores) for (const k of Object.keys(p.scores)) set.add(k);
    if (p.label !== undefined) set.add(p.label);
    for (const b of p.boxes ?? []) set.add(b.label);
    if (p.mask) for (const l of Array.isArray(p.mask.labels) ? p.mask.labels : Object.values(p.mask.labels)) set.add(l);
  }
  return [...set].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

export function reviewItemsOf(file: PredictionsFile, reviews: ReviewState): { items: ReviewItem[]; keyToIndex: Map<string, number[]> } {
  const keyToIndex = new Map<string, number[]>();
  const items: ReviewItem[] = new Array(file.predictions.length);
  file.predictions.forEach((p, i) => {
    const key = reviewKey(p.sha256, p.model);
    const list = keyToIndex.get(key);
    if (list) list.push(i); else keyToIndex.set(key, [i]);
    const r = reviews.get(p.sha256, p.model);
    // Fields set one by one (no spreads) and the best three scores by one pass (no sort of every class): 10,000
    // items are built on every open of the panel.
    const it: ReviewItem = { i, path: p.path, verdict: r.verdict };
    if (p.label !== undefined) { it.label = p.label; it.score = p.score ?? 0; }
    if (p.scores) it.top = topScores(p.scores, 3);
    if (p.boxes) it.boxes = p.boxes;
    if (p.mask) it.mask = p.mask;
    if (r.correction) it.correction = r.correction;
    items[i] = it;
  });
  return { items, keyToIndex };
}

/** The `n` highest scores, highest first (ties in the object's order). */
export function topScores(scores: Record<string, number>, n: number): [string, number][] {
  const top: [string, number][] = [];
  for (const label in scores) {
    const s = scores[label]!;
    if (top.length === n && s <= top[n - 1]![1]) continue;
    let k = top.length === n ? n - 1 : top.length;
    while (k > 0 && top[k - 1]![1] < s) k--;
    top.splice(k, 0, [label, s]);
    if (top.length > n) top.pop();
  }
  return top;
}
