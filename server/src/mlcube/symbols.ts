/** Outline of an MLCube manifest: the top-level sections, and each task with its inputs and outputs. */
import { SymbolKind, type DocumentSymbol, type Range } from 'vscode-languageserver-types';
import type { AnalyzedDocument } from '../service/languageService';
import { manifestModel, type Entry } from './model';

function ranges(doc: AnalyzedDocument, e: Entry): { range: Range; selectionRange: Range } {
  const { lines } = doc.parsed;
  const start = e.keySpan[0];
  const end = Math.max(e.keySpan[1], e.valueNode?.range ? e.valueNode.range[1] : e.valueSpan[1]);
  // A block value's range runs to the start of the next line; the symbol ends with its last character.
  const text = doc.parsed.text;
  let last = end;
  while (last > e.keySpan[1] && /\s/.test(text.charAt(last - 1))) last--;
  return { range: lines.range(start, last), selectionRange: lines.range(e.keySpan[0], e.keySpan[1]) };
}

const sectionKinds: Record<string, SymbolKind> = {
  name: SymbolKind.String, description: SymbolKind.String, version: SymbolKind.String, authors: SymbolKind.Array,
  platform: SymbolKind.Object, docker: SymbolKind.Module, singularity: SymbolKind.Module, tasks: SymbolKind.Namespace,
};

export function manifestSymbols(doc: AnalyzedDocument): DocumentSymbol[] {
  const model = manifestModel(doc);
  const out: DocumentSymbol[] = [];
  for (const e of model.top.entries) {
    const sym: DocumentSymbol = { name: e.key, kind: sectionKinds[e.key] ?? SymbolKind.Key, ...ranges(doc, e) };
    if (e.shape === 'scalar' && typeof e.scalar === 'string' && e.scalar.length <= 80) sym.detail = e.scalar;
    if (e.key === 'tasks' && e === model.tasksEntry) {
      sym.children = model.tasks.map((t) => {
        const task: DocumentSymbol = { name: t.name, kind: SymbolKind.Function, ...ranges(doc, t.entry), children: [] };
        const ins = t.params.filter((p) => p.io === 'input').length;
        task.detail = `${ins} in, ${t.params.length - ins} out`;
        task.children = t.params.map((p) => ({
          name: p.name,
          kind: p.io === 'input' ? SymbolKind.Variable : SymbolKind.Event,
          detail: `${p.io}${p.declaredType ? ` ${p.declaredType}` : ''}${p.path !== undefined ? `: ${p.path}` : ''}`,
          ...ranges(doc, p.entry),
        }));
        return task;
      });
    }
    out.push(sym);
  }
  return out;
}
