/**
 * One MLgym reading per analysed document (model, project declarations, sweeps, expansion), cached by
 * document identity so that validation, lenses, hints and completion share it.
 */
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { ExpansionError, GridExpansion, expandableRoot } from './expand';
import { readModel, type GsModel } from './model';
import { toPy } from './pyyaml';
import { sweepSites, type SweepSite } from './sweeps';
import { projectFor, type MlgymProject } from './userComponents';
import { isValidationConfig } from './validateCv';

export interface MlgymAnalysis {
  model: GsModel;
  project: MlgymProject;
  sweeps: SweepSite[];
  isCv: boolean;
  /** The grid, or the reason MLgym could not expand it. */
  grid: GridExpansion | { error: string };
}

const cache = new WeakMap<AnalyzedDocument, MlgymAnalysis>();

export function analysisOf(doc: AnalyzedDocument, ctx: ServiceContext): MlgymAnalysis {
  const project = projectFor(doc.path, ctx);
  const hit = cache.get(doc);
  // Re-read when the declarations file changed (its registry object differs then).
  if (hit && hit.project.registry === project.registry && hit.project.file === project.file) return hit;
  const model = readModel(doc.parsed);
  const isCv = isValidationConfig(model);
  let grid: MlgymAnalysis['grid'];
  try {
    grid = new GridExpansion(expandableRoot(toPy(doc.parsed.doc?.contents, doc.parsed.doc)));
  } catch (e) {
    grid = { error: e instanceof ExpansionError ? e.message : String(e) };
  }
  const a: MlgymAnalysis = { model, project, sweeps: doc.kind === 'mlgym-gs' && !isCv ? sweepSites(doc.parsed) : [], isCv, grid };
  cache.set(doc, a);
  return a;
}
