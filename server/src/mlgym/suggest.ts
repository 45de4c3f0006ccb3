/** "Did you mean" candidates: the closest names by edit distance (case-insensitive), best first. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase(), t = b.toLowerCase();
  const prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  // prev has t.length + 1 entries throughout: every index below is in range.
  for (let i = 1; i <= s.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(tmp + 1, prev[j - 1]! + 1, diag + (s[i - 1] === t[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[t.length]!;
}

export function suggest(word: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.floor(word.length / 3));
  return [...new Set(candidates)]
    .map((c) => ({ c, d: editDistance(word, c) }))
    .filter((x) => x.c !== word && (x.d <= limit || sameTokens(word, x.c) || (x.d <= Math.ceil(word.length / 2) && commonPrefix(word, x.c) >= Math.max(4, Math.ceil(Math.min(word.length, x.c.length) * 0.6)))))
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, max)
    .map((x) => x.c);
}

export function didYouMean(cands: string[]): string {
  return cands.length ? ` Did you mean ${cands.map((c) => `"${c}"`).join(' or ')}?` : '';
}

function commonPrefix(a: string, b: string): number {
  const s = a.toLowerCase(), t = b.toLowerCase();
  let i = 0;
  while (i < s.length && i < t.length && s[i] === t[i]) i++;
  return i;
}

/** `F1_macro` ~ `F1_SCORE_macro`: every `_`-separated token of the word (two at least) appears in the candidate. */
function sameTokens(word: string, cand: string): boolean {
  const w = word.toLowerCase().split(/[_\-.]+/).filter(Boolean);
  const c = new Set(cand.toLowerCase().split(/[_\-.]+/));
  return w.length >= 2 && w.every((t) => c.has(t));
}
