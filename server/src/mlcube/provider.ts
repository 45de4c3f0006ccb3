/** The MLCube manifest provider: every language feature for `mlcube.yaml`, as pure functions. */
import type { KindProvider } from '../service/languageService';
import { validateManifest } from './validate';
import { validateLegacyManifest } from './legacy';
import { completeManifest } from './complete';
import { hoverManifest } from './hover';
import { definitionInManifest } from './definition';
import { manifestCodeActions } from './codeActions';
import { manifestSymbols } from './symbols';
import { manifestLinks } from './links';
import { manifestFolding } from './folding';
import { manifestCodeLenses } from './lenses';

export const manifestProvider: KindProvider = {
  validate: validateManifest,
  complete: completeManifest,
  hover: hoverManifest,
  definition: definitionInManifest,
  codeActions: manifestCodeActions,
  symbols: (doc) => manifestSymbols(doc),
  documentLinks: manifestLinks,
  foldingRanges: (doc) => manifestFolding(doc),
  codeLenses: (doc, ctx) => manifestCodeLenses(doc, ctx),
};

export const legacyManifestProvider: KindProvider = {
  validate: (doc) => validateLegacyManifest(doc),
};
