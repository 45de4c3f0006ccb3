/** What every manifest check receives: the model, the service context and one way to report. */
import type { Diagnostic } from 'vscode-languageserver-types';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { diag } from '../service/diagnostic';
import { MLCUBE_CODES, type MlcubeCode } from './codes';
import type { ManifestModel, Span } from './model';

export interface CheckContext {
  readonly doc: AnalyzedDocument;
  readonly model: ManifestModel;
  readonly ctx: ServiceContext;
  report(code: MlcubeCode, span: Span, message: string, data?: Record<string, unknown>): void;
}

export function checkContext(doc: AnalyzedDocument, model: ManifestModel, ctx: ServiceContext, out: Diagnostic[]): CheckContext {
  const { lines } = doc.parsed;
  return {
    doc,
    model,
    ctx,
    report(code, span, message, data) {
      out.push(diag(lines, span, MLCUBE_CODES[code].severity, code, message, data ? { data } : undefined));
    },
  };
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), capped for speed. */
export function editDistance(a: string, b: string, cap = 4): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const prev2: number[] = new Array(b.length + 1).fill(0);
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      // Every row has b.length + 1 entries and cur already holds j of them: the indices below are in range.
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > cap) return cap + 1;
    prev2.splice(0, prev2.length, ...prev);
    prev = cur;
  }
  return prev[b.length]!; // the last entry of a row of b.length + 1
}

/** The closest candidate to a misspelt word, if close enough to be a plausible typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const limit = w.length <= 3 ? 1 : w.length <= 6 ? 2 : 3;
  let best: string | undefined;
  let bestD = limit + 1;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    if (cl === w) return c;
    const d = editDistance(w, cl, limit);
    if (d < bestD) { best = c; bestD = d; }
  }
  if (best) return best;
  // Prefix or suffix typos such as `input` for `inputs`, `docker_image` for `image`.
  return candidates.find((c) => c.length >= 4 && (w.startsWith(c.toLowerCase()) || w.endsWith(c.toLowerCase()) || c.toLowerCase().startsWith(w) && w.length >= 4));
}

export const q = (s: string): string => `\`${s}\``;
