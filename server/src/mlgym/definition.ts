/** Go to definition: component_name → its block; gs_config_path → the grid-search file. */
import type { Definition, Position } from 'vscode-languageserver-types';
import { pathToFileUri } from '../../../shared/fileUri';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { analysisOf } from './analysis';
import { pathAt, scalarAt, spanOf } from './model';
import { gsConfigCandidates } from './validateRun';

export function mlgymDefinition(doc: AnalyzedDocument, pos: Position, ctx: ServiceContext): Definition | null {
  const offset = doc.parsed.lines.offsetAt(pos);
  const steps = pathAt(doc.parsed.doc?.contents, offset, doc.parsed.doc);
  const at = scalarAt(steps, offset);
  if (!at || at.isKey) return null;
  const last = steps[steps.length - 1]?.key;
  const value = String((at.node as { value?: unknown }).value ?? '');
  const a = analysisOf(doc, ctx);
  if (doc.kind === 'mlgym-gs' && last === 'component_name') {
    const b = a.model.byName.get(value);
    if (!b) return null;
    return { uri: doc.uri, range: doc.parsed.lines.range(...spanOf(b.keyNode)) };
  }
  if (doc.kind === 'mlgym-run' && last === 'gs_config_path') {
    const found = gsConfigCandidates(value, doc.path, a.project, ctx).find((c) => ctx.fs.exists(c));
    if (!found) return null;
    return { uri: pathToFileUri(found), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
  }
  return null;
}
