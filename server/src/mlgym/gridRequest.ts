/** cubelab/gridExpansion: the experiments of an MLgym grid search, without materialising the product. */
import type { GridExpansionParams, GridExpansionResult } from '../../../shared/lsp-protocol';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { analysisOf } from './analysis';
import { varyingPaths } from './expand';
import { JsonBudget, valueAtPath } from './jsonBudget';

/** Largest page one request returns: the preview pages through bigger grids. */
export const MAX_PAGE = 1000;

export function expandGridRequest(doc: AnalyzedDocument, params: GridExpansionParams, ctx: ServiceContext): GridExpansionResult {
  if (doc.kind !== 'mlgym-gs') return { count: 0, experiments: [], error: `${doc.uri} is not an MLgym grid-search config.` };
  const a = analysisOf(doc, ctx);
  if (a.isCv) return { count: 0, experiments: [], error: 'This is a CV / nested-CV validation config, not a grid search.' };
  if ('error' in a.grid) return { count: 0, experiments: [], error: a.grid.error };
  const offset = Math.max(0, Math.floor(params.offset ?? 0));
  const limit = Math.min(MAX_PAGE, Math.max(0, Math.floor(params.limit ?? 100)));
  // Experiments share what YAML aliases share: written out as JSON they can be exponentially larger than the
  // file. One budget for the page (jsonBudget.ts); what is past it is sent as null. The swept values (what
  // differs between experiments, what a preview shows) are copied first, for every experiment of the page.
  const json = new JsonBudget();
  const page = a.grid.page(offset, limit);
  const varying = varyingPaths(a.grid.root);
  const swept = page.map((e) => {
    const pinned = new Map<string, unknown>();
    for (const path of varying) {
      const v = valueAtPath(e.config, path);
      if (v !== undefined) pinned.set(path.join('\u0000'), json.copy(v));
    }
    return { e, pinned };
  });
  const experiments = swept.map(({ e, pinned }) => ({ id: e.id, config: json.copyPinned(e.config, pinned) }));
  return { count: a.grid.count, experiments, varying };
}
