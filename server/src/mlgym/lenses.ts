/** The experiment count of a grid search as a code lens on the file, and `× n` after every sweep. */
import { InlayHintKind, type CodeLens, type InlayHint, type Range } from 'vscode-languageserver-types';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { analysisOf } from './analysis';

export const PREVIEW_GRID_COMMAND = 'cubelab.previewGrid';

export function experimentsLabel(n: number): string {
  return `${n.toLocaleString('en-US')} experiment${n === 1 ? '' : 's'}`;
}

export function gridCodeLenses(doc: AnalyzedDocument, ctx: ServiceContext): CodeLens[] {
  const a = analysisOf(doc, ctx);
  if (a.isCv || a.model.blocks.length === 0) return [];
  const range: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  if ('error' in a.grid) return [{ range, command: { title: `Grid cannot expand: ${a.grid.error}`, command: '' } }];
  return [{ range, command: { title: experimentsLabel(a.grid.count), command: PREVIEW_GRID_COMMAND, arguments: [doc.uri] } }];
}

export function sweepInlayHints(doc: AnalyzedDocument, range: Range, ctx: ServiceContext): InlayHint[] {
  const a = analysisOf(doc, ctx);
  const out: InlayHint[] = [];
  for (const s of a.sweeps) {
    if (!s.expanded || s.size === undefined || !s.pair) continue;
    const key = s.pair.key as { range?: [number, number, number] } | null;
    if (!key?.range) continue;
    // After the colon that follows the key, where the eye reads "lr: × 5".
    const colon = doc.parsed.text.indexOf(':', key.range[1]);
    const pos = doc.parsed.lines.positionAt(colon >= 0 ? colon + 1 : key.range[1]);
    if (pos.line < range.start.line || pos.line > range.end.line) continue;
    out.push({ position: pos, label: `× ${s.size}`, kind: InlayHintKind.Parameter, paddingLeft: true, tooltip: `${s.size} alternative${s.size === 1 ? '' : 's'} of \`${s.path.join('.')}\`` });
  }
  return out;
}
