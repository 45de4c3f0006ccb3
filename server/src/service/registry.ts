/** Which provider serves which document kind. A new kind of file gets a provider and one line here. */
import type { KindProvider, ProviderRegistry } from './languageService';
import { legacyManifestProvider, manifestProvider } from '../mlcube/provider';
import { mlgymGsProvider, mlgymRunProvider } from '../mlgym/provider';
import { REQUEST_BUDGET_MS, validateWithinBudget, withinBudget } from './budget';

/**
 * A provider whose every answer is given within a budget (service/budget.ts): a validation too expensive to
 * finish becomes one diagnostic saying so, any other request that runs out of time gets no answer.
 */
export function budgeted(p: KindProvider): KindProvider {
  const out: KindProvider = { validate: (doc, ctx) => validateWithinBudget(doc, () => p.validate(doc, ctx)) };
  const wrap = <A extends unknown[], R>(fn: ((...args: A) => R) | undefined, fallback: R): ((...args: A) => R) | undefined => {
    if (!fn) return undefined;
    return (...args: A) => {
      const r = withinBudget(REQUEST_BUDGET_MS, () => fn.apply(p, args));
      return r.value !== undefined ? r.value : fallback;
    };
  };
  out.complete = wrap(p.complete, null);
  out.hover = wrap(p.hover, null);
  out.definition = wrap(p.definition, null);
  out.codeActions = wrap(p.codeActions, []);
  out.codeLenses = wrap(p.codeLenses, []);
  out.inlayHints = wrap(p.inlayHints, []);
  out.symbols = wrap(p.symbols, []);
  out.documentLinks = wrap(p.documentLinks, []);
  out.foldingRanges = wrap(p.foldingRanges, []);
  for (const k of Object.keys(out) as (keyof KindProvider)[]) if (out[k] === undefined) delete out[k];
  return out;
}

export const providers: ProviderRegistry = {
  mlcube: budgeted(manifestProvider),
  'mlcube-legacy': budgeted(legacyManifestProvider),
  'mlgym-run': budgeted(mlgymRunProvider),
  'mlgym-gs': budgeted(mlgymGsProvider),
  // 'mlcube-settings' and 'none': recognised and deliberately left alone.
};
