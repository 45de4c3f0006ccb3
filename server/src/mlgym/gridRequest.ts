/** cubelab/gridExpansion: the experiments of an MLgym grid search, without materialising the product. */
import type { GridExpansionParams, GridExpansionResult } from '../../../shared/lsp-protocol';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { analysisOf } from './analysis';
import { varyingPaths } from './expand';

/** Largest page one request returns: the preview pages through bigger grids. */
export const MAX_PAGE = 1000;

export function expandGridRequest(doc: AnalyzedDocument, params: GridExpansionParams, ctx: ServiceContext): GridExpansionResult {
  if (doc.kind !== 'mlgym-gs') return { count: 0, experiments: [], error: `${doc.uri} is not an MLgym grid-search config.` };
  const a = analysisOf(doc, ctx);
  if (a.isCv) return { count: 0, experiments: [], error: 'This is a CV / nested-CV validation config, not a grid search.' };
  if ('error' in a.grid) return { count: 0, experiments: [], error: a.grid.error };
  const offset = Math.max(0, Math.floor(params.offset ?? 0));
  const limit = Math.min(MAX_PAGE, Math.max(0, Math.floor(params.limit ?? 100)));
  return {
    count: a.grid.count,
    experiments: a.grid.page(offset, limit),
    varying: varyingPaths(a.grid.root),
  };
}
