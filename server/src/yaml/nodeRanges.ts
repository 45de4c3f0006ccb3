/** Walks over a `yaml` syntax tree shared by the paths that parse a text in pieces (incremental.ts, splitParse.ts). */
import { isAlias, isCollection, isPair, isScalar, type Node } from 'yaml';

/** True when the tree holds anchors, aliases or merge keys, whose meaning crosses items. */
export function hasAliases(node: unknown): boolean {
  const stack: unknown[] = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n !== 'object') continue;
    if (isPair(n)) {
      if (isScalar(n.key) && n.key.value === '<<') return true;
      stack.push(n.key, n.value);
      continue;
    }
    if (isAlias(n) || (n as Node & { anchor?: string }).anchor) return true;
    if (isCollection(n)) for (const it of n.items) stack.push(it);
  }
  return false;
}

/** The `range` arrays of every node under `node`, in document order (so that they can be shifted in place). */
export function collectRanges(node: unknown, out: number[][]): void {
  const stack: unknown[] = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n !== 'object') continue;
    if (isPair(n)) { stack.push(n.value, n.key); continue; }
    const r = (n as Node).range;
    if (r) out.push(r);
    if (isCollection(n)) for (let i = n.items.length - 1; i >= 0; i--) stack.push(n.items[i]);
  }
}
