/** Folding ranges of an MLCube manifest: every mapping or list that spans lines, and runs of comment lines. */
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver-types';
import { isMap, isPair, isSeq, type Node } from 'yaml';
import type { AnalyzedDocument } from '../service/languageService';

export function manifestFolding(doc: AnalyzedDocument): FoldingRange[] {
  const { text, lines } = doc.parsed;
  const out: FoldingRange[] = [];
  const lastLineOf = (end: number, from: number) => {
    let e = end;
    while (e > from && /\s/.test(text.charAt(e - 1))) e--;
    return lines.positionAt(Math.max(from, e - 1)).line;
  };
  const stack: Node[] = [];
  const root = doc.parsed.doc?.contents as Node | null | undefined;
  if (root) stack.push(root);
  while (stack.length) {
    const node = stack.pop()!;
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const k = item.key as Node | null; const v = item.value as Node | null;
        if (!v || !(isMap(v) || isSeq(v))) continue;
        stack.push(v);
        if (!k?.range || !v.range) continue;
        const startLine = lines.positionAt(k.range[0]).line;
        const endLine = lastLineOf(v.range[1], v.range[0]);
        if (endLine > startLine) out.push({ startLine, endLine });
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        const v = item as Node | null;
        if (!v || !(isMap(v) || isSeq(v)) || !v.range) continue;
        stack.push(v);
        const startLine = lines.positionAt(v.range[0]).line;
        const endLine = lastLineOf(v.range[1], v.range[0]);
        if (endLine > startLine) out.push({ startLine, endLine });
      }
    }
  }
  // Runs of two or more comment lines.
  let runStart = -1;
  for (let n = 0; n <= lines.lineCount; n++) {
    const isComment = n < lines.lineCount && /^\s*#/.test(text.slice(lines.lineStart(n), n + 1 < lines.lineCount ? lines.lineStart(n + 1) : text.length));
    if (isComment && runStart < 0) runStart = n;
    if (!isComment && runStart >= 0) {
      if (n - 1 > runStart) out.push({ startLine: runStart, endLine: n - 1, kind: FoldingRangeKind.Comment });
      runStart = -1;
    }
  }
  return out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}
