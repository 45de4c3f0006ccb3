/**
 * CV / nested-CV "validation strategy configs" (docs/mlgym.md §2.3): the first top-level key (after global_config)
 * selects ValidationMode by enum name; its `config` is splatted into CrossValidation / NestedCV.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { keyString, type ParsedYaml } from '../yaml/parsedDocument';
import { mlgymDiag } from './codes';
import { asMap, findPair, keySpan, pairsOf, valueSpan, type GsModel } from './model';
import { toPy } from './pyyaml';
import { didYouMean, suggest } from './suggest';

export const VALIDATION_MODES = ['CROSS_VALIDATION', 'NESTED_CV', 'GRID_SEARCH'] as const;
const LEGACY_MODES: Record<string, string> = { CV: 'CROSS_VALIDATION', NestedCV: 'NESTED_CV', NESTED_CROSS_VALIDATION: 'NESTED_CV' };
export const CV_KEYS = ['num_folds', 'stratification', 'target_pos', 'shuffle', 'seed'] as const;
export const NESTED_CV_KEYS = ['num_outer_loop_folds', 'num_inner_loop_folds', 'inner_stratification', 'outer_stratification', 'target_pos', 'shuffle', 'seed'] as const;
const MODE_BLOCK_KEYS = ['iterator_key', 'split_key', 'config'];

/** A validation strategy config: the first non-reserved key is a mode name and its block has iterator_key. */
export function isValidationConfig(model: GsModel): boolean {
  const first = model.blocks[0];
  if (!first?.map) return false;
  return (first.name in LEGACY_MODES || (VALIDATION_MODES as readonly string[]).includes(first.name)) && !!findPair(first.map, 'iterator_key');
}

export function validateCv(parsed: ParsedYaml, model: GsModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { lines } = parsed;
  const first = model.blocks[0];
  if (!first?.map) return out;
  const name = first.name;
  let mode = name;
  // `ValidationMode[<first key>]` ([M] cmd_entrypoint/cmd.py L218–219; the names in [M] modes.py L4–7).
  const legacy = Object.prototype.hasOwnProperty.call(LEGACY_MODES, name) ? LEGACY_MODES[name] : undefined;
  if (legacy !== undefined) {
    mode = legacy;
    out.push(mlgymDiag(lines, keySpan(first.pair), 'cv-mode', `"${name}" is the 2021 name of this mode; MLgym HEAD looks the first key up as ValidationMode[...] (CROSS_VALIDATION, NESTED_CV, GRID_SEARCH) and raises KeyError: '${name}'.${name === 'NESTED_CROSS_VALIDATION' ? '' : ` Write ${mode}.`}`, { data: { kind: 'replace', candidates: [mode] } }));
  } else if (!(VALIDATION_MODES as readonly string[]).includes(name)) {
    const cands = suggest(name, VALIDATION_MODES);
    out.push(mlgymDiag(lines, keySpan(first.pair), 'cv-mode', `"${name}" is no ValidationMode (CROSS_VALIDATION, NESTED_CV, GRID_SEARCH): MLgym raises KeyError.${didYouMean(cands)}`));
  }
  if (mode === 'NESTED_CV') {
    out.push(mlgymDiag(lines, keySpan(first.pair), 'cv-broken', 'Nested CV cannot run end-to-end at MLgym HEAD: ValidationMode needs the key NESTED_CV but get_nested_cv then reads cv_config["NESTED_CROSS_VALIDATION"], so no key satisfies both; and run_config rejects validation_config_path. Use the Python API.'));
  } else if (mode === 'CROSS_VALIDATION') {
    out.push(mlgymDiag(lines, keySpan(first.pair), 'cv-broken', 'Cross validation cannot start from run_config at MLgym HEAD (TrainRunConfiguration rejects validation_config_path, and CrossValidation.create_blueprints lacks grid_search_id); it works only through the Python API.'));
  }
  // get_cross_validator / get_nested_cv read iterator_key, split_key and config, nothing else ([M] validation/validator_factory.py L29–34, L50–56).
  for (const p of pairsOf(first.map)) {
    const k = keyString(p) ?? '';
    if (!MODE_BLOCK_KEYS.includes(k)) {
      const cands = suggest(k, MODE_BLOCK_KEYS);
      out.push(mlgymDiag(lines, keySpan(p), 'ignored-key', `"${k}" is not read: a validation block takes iterator_key, split_key and config, and MLgym ignores anything else.${didYouMean(cands)}`, { data: cands.length ? { kind: 'replace', candidates: cands } : { kind: 'remove' } }));
    }
  }
  const it = findPair(first.map, 'iterator_key');
  const itName = it ? toPy(it.value, model.doc) : undefined;
  if (it && typeof itName !== 'string') out.push(mlgymDiag(lines, valueSpan(it), 'cv-key', '`iterator_key` must name the gs_config component whose output is folded.'));
  const cfg = findPair(first.map, 'config');
  const m = cfg ? asMap(cfg.value, model.doc) : undefined;
  const expected: readonly string[] = mode === 'NESTED_CV' ? NESTED_CV_KEYS : mode === 'CROSS_VALIDATION' ? CV_KEYS : [];
  if (!cfg && expected.length) out.push(mlgymDiag(lines, keySpan(first.pair), 'cv-key', `This block needs \`config\` {${expected.join(', ')}}, all required: MLgym raises KeyError: 'config'.`));
  if (m && expected.length) {
    for (const p of pairsOf(m)) {
      const k = keyString(p) ?? '';
      if (!expected.includes(k)) out.push(mlgymDiag(lines, keySpan(p), 'cv-key', `${mode === 'NESTED_CV' ? 'NestedCV' : 'CrossValidation'}.__init__ takes no "${k}": MLgym raises TypeError.${didYouMean(suggest(k, expected))}`));
    }
    const missing = expected.filter((k) => !findPair(m, k));
    if (missing.length) out.push(mlgymDiag(lines, keySpan(cfg!), 'cv-key', `config lacks ${missing.join(', ')}: all are required arguments, MLgym raises TypeError without them.`, { data: { kind: 'add-keys', keys: missing } }));
  }
  return out;
}
