/** Outline: components (with type/variant) and their requirements; run_config blocks. */
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver-types';
import { isMap, isPair } from 'yaml';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { keyString } from '../yaml/parsedDocument';
import { analysisOf } from './analysis';
import { spanOf } from './model';

export function mlgymSymbols(doc: AnalyzedDocument, ctx: ServiceContext): DocumentSymbol[] {
  const { lines } = doc.parsed;
  const range = (s: [number, number]) => lines.range(s[0], s[1]);
  const pairRange = (k: unknown, v: unknown): [number, number] => { const a = spanOf(k); const b = spanOf(v); return [a[0], Math.max(a[1], b[1])]; };
  const root = doc.parsed.doc?.contents;
  if (doc.kind === 'mlgym-run') {
    if (!isMap(root)) return [];
    return root.items.filter(isPair).map((p) => ({ name: keyString(p) ?? '?', kind: SymbolKind.Namespace, range: range(pairRange(p.key, p.value)), selectionRange: range(spanOf(p.key)) }));
  }
  const a = analysisOf(doc, ctx);
  const out: DocumentSymbol[] = [];
  for (const p of [a.model.globalConfig, a.model.modelInfo]) if (p) out.push({ name: keyString(p) ?? '?', kind: SymbolKind.Namespace, range: range(pairRange(p.key, p.value)), selectionRange: range(spanOf(p.key)) });
  for (const b of a.model.blocks) {
    const children: DocumentSymbol[] = b.requirements.filter((r) => r.name || r.componentName).map((r) => ({
      name: r.name ?? '?', detail: `→ ${r.componentName ?? '?'}`, kind: SymbolKind.Field, range: range(spanOf(r.node)), selectionRange: range(spanOf(r.namePair?.value ?? r.node)),
    }));
    out.push({ name: b.name, detail: b.type ? `${b.type}/${b.variant ?? '?'}` : undefined, kind: SymbolKind.Module, range: range(pairRange(b.pair.key, b.pair.value)), selectionRange: range(spanOf(b.keyNode)), children });
  }
  return out.sort((x, y) => x.range.start.line - y.range.start.line);
}
