/** The MLgym config providers (run configs and grid-search configs): thin glue over the mlgym modules. */
import type { KindProvider } from '../service/languageService';
import { structureDiagnostics } from '../yaml/structure';
import { analysisOf } from './analysis';
import { mlgymCodeActions } from './codeActions';
import { mlgymCompletion } from './complete';
import { mlgymDefinition } from './definition';
import { mlgymHover } from './hover';
import { gridCodeLenses, sweepInlayHints } from './lenses';
import { mlgymSymbols } from './symbols';
import { sweepDiagnostics, yaml11Diagnostics } from './sweeps';
import { validateCv } from './validateCv';
import { validateGs } from './validateGs';
import { validateRun } from './validateRun';

const byPosition = <T extends { range: { start: { line: number; character: number } } }>(a: T, b: T) =>
  a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;

export const mlgymRunProvider: KindProvider = {
  validate: (doc, ctx) => {
    const structure = structureDiagnostics(doc.parsed, { tool: 'MLgym', uri: doc.uri });
    if (structure.some((d) => d.code === 'yaml-syntax')) return structure;
    const a = analysisOf(doc, ctx);
    return [...structure, ...validateRun(doc.parsed, doc.path, a.project, ctx), ...yaml11Diagnostics(doc.parsed)].sort(byPosition);
  },
  complete: (doc, pos, ctx) => mlgymCompletion(doc, pos, ctx),
  hover: (doc, pos, ctx) => mlgymHover(doc, pos, ctx),
  definition: (doc, pos, ctx) => mlgymDefinition(doc, pos, ctx),
  codeActions: (doc, range, diagnostics, ctx) => mlgymCodeActions(doc, range, diagnostics, ctx),
  symbols: (doc, ctx) => mlgymSymbols(doc, ctx),
};

export const mlgymGsProvider: KindProvider = {
  validate: (doc, ctx) => {
    const structure = structureDiagnostics(doc.parsed, { tool: 'MLgym', uri: doc.uri });
    if (structure.some((d) => d.code === 'yaml-syntax')) return structure;
    const a = analysisOf(doc, ctx);
    const own = a.isCv
      ? validateCv(doc.parsed, a.model)
      : [...validateGs(doc.parsed, a.model, a.project), ...sweepDiagnostics(doc.parsed, a.sweeps)];
    return [...structure, ...own, ...yaml11Diagnostics(doc.parsed)].sort(byPosition);
  },
  complete: (doc, pos, ctx) => mlgymCompletion(doc, pos, ctx),
  hover: (doc, pos, ctx) => mlgymHover(doc, pos, ctx),
  definition: (doc, pos, ctx) => mlgymDefinition(doc, pos, ctx),
  codeActions: (doc, range, diagnostics, ctx) => mlgymCodeActions(doc, range, diagnostics, ctx),
  codeLenses: (doc, ctx) => gridCodeLenses(doc, ctx),
  inlayHints: (doc, range, ctx) => sweepInlayHints(doc, range, ctx),
  symbols: (doc, ctx) => mlgymSymbols(doc, ctx),
};
