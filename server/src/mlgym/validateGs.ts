/**
 * Checks of a grid-search / experiment config against the registry (docs/mlgym.md §2, §7): what YAMLConfigLoader,
 * ComponentFactory and the constructables would do with it, said before the run starts.
 */
import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { Diagnostic } from 'vscode-languageserver-types';
import { keyString, type ParsedYaml } from '../yaml/parsedDocument';
import { mlgymDiag } from './codes';
import { asMap, asSeq, deref, findPair, keySpan, pairsOf, spanOf, valueSpan, type AnyPair, type Block, type GsModel } from './model';
import { isPlainObject, toPy } from './pyyaml';
import {
  CHECKPOINTING_KEYS_DEV_ONLY, EARLY_STOPPING_CONFIG_KEYS, LM_LOSS_KEYS, LM_METRIC_KEYS, LM_POSTPROCESSOR_KEYS, LOSS_COMMON_PARAMS, LOSS_KEYS,
  METRIC_COMMON_PARAMS, METRIC_KEYS, POSTPROCESSOR_COMMON_PARAMS, POSTPROCESSOR_KEYS, type KeyedParams, type VariantSpec,
} from './registry';
import { SplitAnalysis, type Splits } from './splits';
import { didYouMean, suggest } from './suggest';
import type { MlgymProject } from './userComponents';

export const BLOCK_KEYS = ['component_type_key', 'variant_key', 'requirements', 'config'] as const;
export const REQUIREMENT_KEYS = ['name', 'component_name', 'subscription'] as const;
export const MODEL_INFO_KEYS = ['model_description', 'model_version', 'source_repo'] as const;
/** Enumerated config keys looked up in a ClassRegistry (ClassRegistryKeyNotFoundError, [M] registries/class_registry.py L39–41); the others index a dict (KeyError). */
const CLASS_REGISTRY_KEYS = new Set(['early_stopping_key', 'checkpointing_key']);
/** Keys older MLgym versions accepted (docs/mlgym.md §2.4 "Stale keys"): named as such, since the fix is to delete them. */
const STALE_KEYS: Record<string, string> = {
  train_split_name: 'EVAL_COMPONENT no longer takes `train_split_name` at MLgym HEAD',
  checkpoint_config: '`checkpoint_config` is an old name; HEAD takes `checkpointing_config`',
};

type SplitCode = 'unknown-split' | 'split-not-evaluated' | 'applicable-split-not-evaluated' | 'unused-split-key';

interface Ctx { parsed: ParsedYaml; model: GsModel; project: MlgymProject; out: Diagnostic[]; splits: SplitAnalysis }

export function validateGs(parsed: ParsedYaml, model: GsModel, project: MlgymProject): Diagnostic[] {
  const ctx: Ctx = { parsed, model, project, out: [], splits: new SplitAnalysis(model, project.registry) };
  checkModelInfo(ctx);
  for (const b of model.blocks) checkBlock(ctx, b);
  checkCycles(ctx);
  checkSplitsAndTags(ctx);
  checkInjectables(ctx);
  checkBlueprintComponents(ctx);
  return ctx.out;
}

function push(ctx: Ctx, span: [number, number], code: Parameters<typeof mlgymDiag>[2], message: string, data?: unknown): void {
  ctx.out.push(mlgymDiag(ctx.parsed.lines, span, code, message, data === undefined ? undefined : { data }));
}

function checkModelInfo(ctx: Ctx): void {
  const mi = ctx.model.modelInfo;
  if (!mi) return;
  const map = asMap(mi.value, ctx.model.doc);
  if (!map) { push(ctx, keySpan(mi), 'model-info', '`model_info` must be a mapping of model_description, model_version and source_repo; the model card reads those fields and fails without them.'); return; }
  const missing = MODEL_INFO_KEYS.filter((k) => !findPair(map, k));
  if (missing.length) push(ctx, keySpan(mi), 'model-info', `\`model_info\` lacks ${missing.join(', ')}: the model card (GET /model-card) fails with HTTP 500 without ${missing.length > 1 ? 'them' : 'it'}.`, { kind: 'add-keys', keys: missing });
}

function checkBlock(ctx: Ctx, b: Block): void {
  const { registry } = ctx.project;
  if (!b.map) {
    push(ctx, keySpan(b.pair), 'not-a-component', `"${b.name}" is not a component block: every top-level key but global_config and model_info must map to {component_type_key, variant_key, requirements?, config?}; MLgym fails building it.`);
    return;
  }
  if (findPair(b.map, 'sweep')) return; // a swept block: its alternatives are checked as written
  for (const p of pairsOf(b.map)) {
    const k = keyString(p) ?? '';
    if (!(BLOCK_KEYS as readonly string[]).includes(k)) {
      const cands = suggest(k, BLOCK_KEYS);
      push(ctx, keySpan(p), 'unknown-block-key', `"${k}" is not a component block key: MLgym raises ComponentConstructionError. A block takes component_type_key, variant_key, requirements and config.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : undefined);
    }
  }
  if (!b.typePair || b.type === undefined) {
    push(ctx, keySpan(b.pair), 'missing-component-key', `Component "${b.name}" has no ${b.typePair ? 'string ' : ''}component_type_key: MLgym cannot look it up in the registry.`, { kind: 'add-keys', keys: ['component_type_key'] });
  }
  if (!b.variantPair || b.variant === undefined) {
    push(ctx, keySpan(b.pair), 'missing-component-key', `Component "${b.name}" has no ${b.variantPair ? 'string ' : ''}variant_key: MLgym cannot look it up in the registry.`, { kind: 'add-keys', keys: ['variant_key'] });
  }
  let spec: VariantSpec | undefined;
  if (b.type !== undefined && b.variant !== undefined) {
    spec = registry.get(b.type, b.variant);
    const configKeys = Object.keys(b.config);
    const slots = b.requirements.map((r) => r.name).filter((n): n is string => !!n);
    const declare = { kind: 'declare', type: b.type, variant: b.variant, configKeys, slots };
    if (!registry.hasType(b.type)) {
      const cands = suggest(b.type, registry.types());
      push(ctx, valueSpan(b.typePair!), 'undeclared-component', `MLgym registers no component type "${b.type}": unless your blueprint registers it (register_component_type), building "${b.name}" fails.${didYouMean(cands)} Declare it in .cubelab/mlgym-components.yml if your blueprint adds it.`, { ...declare, candidates: cands });
    } else if (!spec) {
      const variants = registry.variantsOf(b.type).map((v) => v.variant);
      const cands = suggest(b.variant, variants);
      push(ctx, valueSpan(b.variantPair!), 'undeclared-component', `${b.type} has no variant "${b.variant}" in MLgym (known: ${variants.join(', ')}): unless your blueprint registers it, building "${b.name}" fails.${didYouMean(cands)}`, { ...declare, candidates: cands });
    } else if (spec.origin === 'example') {
      push(ctx, valueSpan(b.variantPair!), 'undeclared-component', `${b.type}/${b.variant} is not part of MLgym: ${spec.doc} Declare it in .cubelab/mlgym-components.yml if your blueprint registers it too.`, declare);
    }
    if (spec?.deprecated) push(ctx, valueSpan(b.variantPair!), 'deprecated-variant', spec.deprecated);
  }
  checkRequirements(ctx, b, spec);
  checkConfig(ctx, b, spec);
}

function checkRequirements(ctx: Ctx, b: Block, spec: VariantSpec | undefined): void {
  const doc = ctx.model.doc;
  if (b.requirementsPair) {
    const seq = asSeq(b.requirementsPair.value, doc);
    const v = toPy(b.requirementsPair.value, doc);
    if (!seq && v !== null) push(ctx, valueSpan(b.requirementsPair), 'requirements-not-list', '`requirements` must be a list of {name, component_name, subscription?}; MLgym cannot read it.');
  }
  const names = new Set(ctx.model.byName.keys());
  for (const r of b.requirements) {
    if (!r.map) { push(ctx, spanOf(r.node), 'requirement-key', 'A requirement must be a mapping {name, component_name, subscription?}.'); continue; }
    for (const p of pairsOf(r.map)) {
      const k = keyString(p) ?? '';
      if (!(REQUIREMENT_KEYS as readonly string[]).includes(k)) {
        // ComponentFactory reads only name, component_name and subscription ([M] component_factory.py L173–178).
        const cands = suggest(k, REQUIREMENT_KEYS);
        push(ctx, keySpan(p), 'ignored-key', `"${k}" is not a requirement key: MLgym reads only name, component_name and subscription and ignores it.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : { kind: 'remove' });
      }
    }
    if (!r.namePair || r.name === undefined) push(ctx, spanOf(r.node), 'requirement-key', 'This requirement has no `name`: the constructable looks its requirements up by name (the slot); MLgym raises KeyError: \'name\' while reading the config.');
    if (!r.componentPair || r.componentName === undefined) push(ctx, spanOf(r.node), 'requirement-key', 'This requirement has no `component_name`: MLgym cannot tell which component to build for it and raises KeyError: \'component_name\' while reading the config.');
    if (r.componentName !== undefined && r.componentPair && !names.has(r.componentName)) {
      const cands = suggest(r.componentName, names);
      push(ctx, valueSpan(r.componentPair), 'unknown-component-name', `No component is named "${r.componentName}": MLgym raises a bare KeyError: '${r.componentName}' while building "${b.name}".${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : undefined);
    }
    if (spec && r.name !== undefined && r.namePair && !spec.anySlots && !spec.slots.some((s) => s.name === r.name)) {
      const cands = suggest(r.name, spec.slots.map((s) => s.name));
      const known = spec.slots.filter((s) => !s.unused).map((s) => s.name);
      push(ctx, valueSpan(r.namePair), 'unknown-slot', `${spec.type}/${spec.variant} never reads a requirement named "${r.name}" (it reads ${known.length ? known.join(', ') : 'none'}), so this one is built and ignored.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : undefined);
    }
  }
  if (spec && spec.origin === 'builtin') {
    const given = new Set(b.requirements.map((r) => r.name));
    for (const slot of spec.slots) {
      if (slot.unused || given.has(slot.name)) continue;
      const producers = candidatesFor(ctx, slot.name);
      push(ctx, keySpan(b.pair), 'missing-requirement', `${spec.type}/${spec.variant} reads the requirement "${slot.name}" (${slot.doc}) but "${b.name}" does not give it: MLgym raises KeyError: '${slot.name}' when it builds the component (reported as ComponentConstructionError "Could not find ${spec.variant}. Forgot to register?").`, { kind: 'add-requirement', block: b.name, slot: slot.name, candidates: producers });
    }
  }
}

/** Components that could fill a slot: same name first, then components of the matching type. */
function candidatesFor(ctx: Ctx, slot: string): string[] {
  const byType: Record<string, string> = {
    repository: 'DATASET_REPOSITORY', iterators: '_ITERATOR', data_collator: 'DATA_COLLATOR', model_registry: 'MODEL_REGISTRY',
    loss_function_registry: 'LOSS_FUNCTION_REGISTRY', metric_registry: 'METRIC_REGISTRY', prediction_postprocessing_registry: 'PREDICTION_POSTPROCESSING_REGISTRY',
    train_component: 'TRAIN_COMPONENT', data_loaders: 'DATA_LOADER', eval_component: 'EVAL_COMPONENT',
    early_stopping_strategy_registry: 'EARLY_STOPPING_STRATEGY_REGISTRY', checkpointing_strategy_registry: 'CHECKPOINTING_STRATEGY_REGISTRY',
  };
  const out: string[] = [];
  if (ctx.model.byName.has(slot)) out.push(slot);
  const t = byType[slot];
  if (t) for (const b of ctx.model.blocks) if (b.type && b.type.includes(t) && !out.includes(b.name)) out.push(b.name);
  return out;
}

function checkConfig(ctx: Ctx, b: Block, spec: VariantSpec | undefined): void {
  const doc = ctx.model.doc;
  if (!b.configPair) return;
  const v = toPy(b.configPair.value, doc);
  if (!b.configMap) {
    if (v !== null) push(ctx, valueSpan(b.configPair), 'config-not-mapping', '`config` must be a mapping: MLgym splats it into the constructable as keyword arguments.');
    return;
  }
  if (!spec || spec.openConfig) return;
  const allowed = spec.configKeys.map((k) => k.name);
  for (const p of pairsOf(b.configMap)) {
    const k = keyString(p) ?? '';
    if (allowed.includes(k)) continue;
    const stale = STALE_KEYS[k] ?? (k === 'show_progress' && spec.variant === 'ACCELERATE' ? `the ACCELERATE variant of ${spec.type} has no \`show_progress\` (only DEFAULT has)` : undefined);
    const pairName = `${spec.type}/${spec.variant}`;
    if (stale) {
      push(ctx, keySpan(p), 'stale-config-key', `Stale key "${k}": ${stale}; MLgym raises TypeError: __init__() got an unexpected keyword argument '${k}'. Remove it.`, { kind: 'remove' });
    } else {
      const cands = suggest(k, allowed);
      push(ctx, keySpan(p), 'unknown-config-key', `${pairName} takes no config key "${k}": MLgym raises TypeError: __init__() got an unexpected keyword argument '${k}'. It takes ${allowed.length ? allowed.join(', ') : 'no config keys'}.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : { kind: 'remove' });
    }
  }
  checkConfigValues(ctx, b, spec);
}

/** Values of enumerated config keys and the registries' keyed entries (losses, metrics, post-processors). */
function checkConfigValues(ctx: Ctx, b: Block, spec: VariantSpec): void {
  const map = b.configMap!;
  const doc = ctx.model.doc;
  for (const ks of spec.configKeys) {
    const p = findPair(map, ks.name);
    if (!p) continue;
    const val = toPy(p.value, doc);
    if (ks.values && typeof val === 'string' && !ks.values.includes(val)) {
      if (ks.name === 'checkpointing_key' && (CHECKPOINTING_KEYS_DEV_ONLY as readonly string[]).includes(val)) {
        push(ctx, valueSpan(p), 'dev-only-key', `${val} exists only on MLgym's dev branch (where SAVE_LAST_EPOCH_ONLY changed meaning); at HEAD (master) the checkpointing registry raises ClassRegistryKeyNotFoundError. HEAD knows ${ks.values.join(', ')}.`, { kind: 'replace', candidates: ['SAVE_LAST_EPOCH_ONLY_CHECKPOINTING_STRATEGY'] });
      } else if (!(ks.name === 'dataset_identifier' && ctx.project.registry.get(b.type!, b.variant!)?.origin !== 'builtin')) {
        const cands = suggest(val, ks.values);
        const unknownDataset = ks.name === 'dataset_identifier';
        if (!unknownDataset) push(ctx, valueSpan(p), 'unknown-registry-key', `"${val}" is not ${/^[aeiou]/.test(ks.name) ? 'an' : 'a'} ${ks.name}: MLgym knows ${ks.values.join(', ')} and raises ${CLASS_REGISTRY_KEYS.has(ks.name) ? 'ClassRegistryKeyNotFoundError' : 'KeyError'} otherwise.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : undefined);
      }
    }
    if (ks.caveat && ks.name === 'seeds' && Array.isArray(val)) push(ctx, valueSpan(p), 'seeds-list-ignored', `${ks.caveat} These seeds have no effect; write \`{train: 0, val: 1}\`.`);
  }
  const type = spec.type;
  const c = b.config;
  if (type === 'TRAIN_COMPONENT') {
    const p = findPair(map, 'loss_fun_config');
    if (p) checkKeyed(ctx, b, asMap(p.value, doc), 'loss', 'loss_function_registry');
    checkPostProcessors(ctx, b, findPair(map, 'post_processors_config'), true);
  }
  if (type === 'EVAL_COMPONENT') {
    for (const [key, kind, slot] of [['loss_funs_config', 'loss', 'loss_function_registry'], ['metrics_config', 'metric', 'metric_registry']] as const) {
      const p = findPair(map, key);
      for (const item of (p ? asSeq(p.value, doc)?.items : undefined) ?? []) checkKeyed(ctx, b, asMap(item, doc), kind, slot);
    }
    checkPostProcessors(ctx, b, findPair(map, 'post_processors_config'), false);
  }
  if (type === 'OPTIMIZER' && spec.variant === 'BUNDLE') {
    const p = findPair(map, 'optimizers_config');
    for (const inner of pairsOf(p ? asMap(p.value, doc) : undefined)) {
      const ok = findPair(asMap(inner.value, doc), 'optimizer_key');
      const v = ok ? toPy(ok.value, doc) : undefined;
      if (ok && typeof v === 'string' && !['SGD', 'ADAM', 'ADADELTA', 'ADAMW'].includes(v)) push(ctx, valueSpan(ok), 'unknown-registry-key', `"${v}" is not an optimizer_key: MLgym knows SGD, ADAM, ADADELTA, ADAMW and raises KeyError otherwise.`);
    }
  }
  if (type === 'LR_SCHEDULER' && c.lr_scheduler_key === 'hugging_face_scheduler' && isPlainObject(c.params) && typeof c.params.num_warmup_steps === 'number' && c.params.num_warmup_steps > 0) {
    const pp = findPair(findPair(map, 'params') ? asMap(findPair(map, 'params')!.value, doc) : undefined, 'num_warmup_steps');
    if (pp) push(ctx, valueSpan(pp), 'hf-warmup', 'MLgym steps the scheduler once per epoch while HF counts warmup in batches; the dev branch rejects num_warmup_steps > 0. Use 0.');
  }
  if (type === 'EARLY_STOPPING_STRATEGY') {
    const p = findPair(map, 'early_stopping_config');
    const m = p ? asMap(p.value, doc) : undefined;
    if (p && m) {
      for (const q of pairsOf(m)) {
        const k = keyString(q) ?? '';
        if (!(EARLY_STOPPING_CONFIG_KEYS as readonly string[]).includes(k)) {
          const cands = suggest(k, EARLY_STOPPING_CONFIG_KEYS);
          push(ctx, keySpan(q), 'unknown-param', `LAST_K_EPOCHS_IMPROVEMENT_STRATEGY takes no "${k}" (TypeError).${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : undefined);
        }
      }
      const missing = EARLY_STOPPING_CONFIG_KEYS.filter((k) => !findPair(m, k));
      if (missing.length) push(ctx, keySpan(p), 'missing-param', `early_stopping_config lacks ${missing.join(', ')}: all five are required, MLgym raises TypeError without them.`, { kind: 'add-keys', keys: missing });
    } else if (!p) {
      push(ctx, keySpan(b.configPair!), 'missing-param', 'EARLY_STOPPING_STRATEGY needs `early_stopping_config` {min_relative_improvement, epochs_window, split_name, monitoring_key, is_increase_task}; without it the strategy cannot be built.');
    }
  }
}

function registryVariant(ctx: Ctx, b: Block, slot: string): string | undefined {
  const req = b.requirements.find((r) => r.name === slot);
  const target = req?.componentName ? ctx.model.byName.get(req.componentName) : undefined;
  if (!target?.variant || !target.type) return undefined;
  const spec = ctx.project.registry.get(target.type, target.variant);
  if (!spec) return undefined;
  return spec.origin === 'user' ? 'user' : target.variant;
}

function keyedTable(kind: 'loss' | 'metric' | 'post', variant: string | undefined): { keys: KeyedParams[]; common: readonly string[]; strict: boolean } | undefined {
  if (variant === 'user' || variant === undefined) return undefined; // a user registry may hold anything
  const lm = variant === 'LM';
  if (variant !== 'DEFAULT' && !lm) return undefined;
  if (kind === 'loss') return { keys: [...LOSS_KEYS, ...(lm ? LM_LOSS_KEYS : [])], common: LOSS_COMMON_PARAMS, strict: !lm };
  if (kind === 'metric') return { keys: [...METRIC_KEYS, ...(lm ? LM_METRIC_KEYS : [])], common: METRIC_COMMON_PARAMS, strict: !lm };
  return { keys: [...POSTPROCESSOR_KEYS, ...(lm ? LM_POSTPROCESSOR_KEYS : [])], common: POSTPROCESSOR_COMMON_PARAMS, strict: !lm };
}

/** One loss or metric entry `{key, tag, target_subscription_key, prediction_subscription_key, ...}`. */
function checkKeyed(ctx: Ctx, b: Block, m: ReturnType<typeof asMap>, kind: 'loss' | 'metric', slot: string): void {
  if (!m) return;
  const doc = ctx.model.doc;
  const table = keyedTable(kind, registryVariant(ctx, b, slot));
  const keyPair = findPair(m, 'key');
  const key = keyPair ? toPy(keyPair.value, doc) : undefined;
  const what = kind === 'loss' ? 'loss function' : 'metric';
  if (!keyPair) { push(ctx, spanOf(m), 'missing-param', `This ${what} entry has no \`key\`: the registry cannot look it up.`); return; }
  if (!table) return;
  const entry = table.keys.find((k) => k.key === key);
  if (typeof key === 'string' && !entry) {
    if (!table.strict) return;
    const cands = suggest(key, table.keys.map((k) => k.key));
    push(ctx, valueSpan(keyPair), 'unknown-registry-key', `The ${what} registry has no "${key}": MLgym raises ClassRegistryKeyNotFoundError. Known: ${table.keys.map((k) => k.key).join(', ')}.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : undefined);
    return;
  }
  if (!entry || !table.strict) return;
  for (const req of ['target_subscription_key', 'prediction_subscription_key']) {
    if (entry.params.includes('prediction_subscription_key_0') && req === 'prediction_subscription_key') continue;
    if (!findPair(m, req)) push(ctx, valueSpan(keyPair), 'missing-param', `${key} needs \`${req}\`: MLgym raises TypeError without it.`, { kind: 'add-keys', keys: [req] });
  }
  const allowed = [...table.common, ...entry.params];
  for (const p of pairsOf(m)) {
    const k = keyString(p) ?? '';
    if (allowed.includes(k)) continue;
    const stale = k === 'identifier' && kind === 'metric' ? ' (`identifier` works only with the custom LM metric registry of the GPT-2 example)' : '';
    const cands = suggest(k, allowed);
    push(ctx, keySpan(p), stale ? 'stale-config-key' : 'unknown-param', `${key} takes no "${k}"${stale}: MLgym raises TypeError: unexpected keyword argument '${k}'.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : { kind: 'remove' });
  }
  if (kind === 'metric' && entry.params.includes('params') && !findPair(m, 'params')) {
    push(ctx, valueSpan(keyPair), 'model-card-param', `${key} has no \`params\`: the metric works, but the model card reads params on every metric and fails without them.`, { kind: 'add-keys', keys: ['params'] });
  }
}

function checkPostProcessors(ctx: Ctx, b: Block, pair: AnyPair | undefined, trainOnly: boolean): void {
  const doc = ctx.model.doc;
  const seq = pair ? asSeq(pair.value, doc) : undefined;
  const table = keyedTable('post', registryVariant(ctx, b, 'prediction_postprocessing_registry'));
  for (const item of seq?.items ?? []) {
    const m = asMap(item, doc);
    if (!m) continue;
    const keyPair = findPair(m, 'key');
    const paramsPair = findPair(m, 'params');
    const applicablePair = trainOnly ? undefined : findPair(m, 'applicable_splits');
    if (!keyPair) { push(ctx, spanOf(m), 'missing-param', 'This post-processor has no `key`.'); continue; }
    // [M] constructables.py L539 (train) and L618–628 (eval): `{key, params}` entries are read by key; only
    // the legacy flat eval entry (no params, no applicable_splits) is splatted whole into the post-processor.
    if (trainOnly && !paramsPair) push(ctx, valueSpan(keyPair), 'missing-param', 'TRAIN_COMPONENT reads `config["params"]` of every post-processor: without `params` MLgym raises KeyError: \'params\'. Write {key, params: {prediction_subscription_key, prediction_publication_key}}.', { kind: 'add-keys', keys: ['params'] });
    if (applicablePair && !paramsPair) push(ctx, valueSpan(keyPair), 'missing-param', 'With `applicable_splits`, EVAL_COMPONENT reads `config["params"]`: without `params` MLgym raises KeyError: \'params\'. Write {key, params: {prediction_subscription_key, prediction_publication_key}, applicable_splits}.', { kind: 'add-keys', keys: ['params'] });
    const flat = !trainOnly && !paramsPair && !applicablePair;
    if (!flat) {
      const read = trainOnly ? ['key', 'params'] : ['key', 'params', 'applicable_splits'];
      for (const p of pairsOf(m)) {
        const k = keyString(p) ?? '';
        if (!read.includes(k)) push(ctx, keySpan(p), 'ignored-key', `${trainOnly ? 'TRAIN_COMPONENT' : 'EVAL_COMPONENT'} reads only ${read.join(', ')} of a post-processor entry: MLgym ignores "${k}".${trainOnly && k === 'applicable_splits' ? ' Training applies every post-processor.' : ''}`, { kind: 'remove' });
      }
    }
    if (!table) continue;
    const key = toPy(keyPair.value, doc);
    const entry = table.keys.find((k) => k.key === key);
    if (typeof key === 'string' && !entry) {
      if (table.strict) {
        const cands = suggest(key, table.keys.map((k) => k.key));
        push(ctx, valueSpan(keyPair), 'unknown-registry-key', `The post-processing registry has no "${key}": MLgym raises ClassRegistryKeyNotFoundError. Known: ${table.keys.map((k) => k.key).join(', ')}.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : undefined);
      }
      continue;
    }
    if (!entry || !table.strict) continue;
    const allowedParams = [...table.common, ...entry.params];
    if (flat) {
      // The legacy flat entry: every key but `key` is a keyword argument of the post-processor.
      for (const p of pairsOf(m)) {
        const k = keyString(p) ?? '';
        if (k === 'key' || allowedParams.includes(k)) continue;
        const cands = suggest(k, allowedParams);
        push(ctx, keySpan(p), 'unknown-param', `A post-processor entry without \`params\` takes key and ${allowedParams.join(', ')}, not "${k}": MLgym passes every key to ${key} and raises TypeError.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : undefined);
      }
    }
    const paramsMap = paramsPair ? asMap(paramsPair.value, doc) : undefined;
    for (const p of pairsOf(paramsMap)) {
      const k = keyString(p) ?? '';
      if (!allowedParams.includes(k)) {
        const cands = suggest(k, allowedParams);
        push(ctx, keySpan(p), 'unknown-param', `${key} takes no parameter "${k}": MLgym raises TypeError.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : undefined);
      }
    }
  }
}

function checkCycles(ctx: Ctx): void {
  const state = new Map<string, 1 | 2>();
  const reported = new Set<string>();
  const visit = (name: string, stack: string[]) => {
    state.set(name, 1);
    const b = ctx.model.byName.get(name);
    for (const r of b?.requirements ?? []) {
      const target = r.componentName;
      if (!target || !ctx.model.byName.has(target)) continue;
      if (state.get(target) === 1) {
        const cycle = [...stack.slice(stack.indexOf(target)), name, target];
        const key = [...new Set(cycle)].sort().join(',');
        if (!reported.has(key) && r.componentPair) {
          reported.add(key);
          push(ctx, valueSpan(r.componentPair), 'requirement-cycle', `Requirement cycle ${cycle.join(' → ')}: MLgym builds requirements recursively with no cycle detection and fails with RecursionError.`);
        }
      } else if (!state.has(target)) visit(target, [...stack, name]);
    }
    state.set(name, 2);
  };
  for (const b of ctx.model.blocks) if (!state.has(b.name)) visit(b.name, []);
}

/**
 * Subscriptions vs produced splits, split-valued config keys, and monitoring keys vs tags. What MLgym does
 * with a split name it lacks decides the severity (docs/mlgym.md §7.1): an indexed lookup raises
 * (`unknown-split`, `split-not-evaluated`); a name a loop over the received splits never meets is skipped
 * (`unused-split-key`, `applicable-split-not-evaluated`).
 */
function checkSplitsAndTags(ctx: Ctx): void {
  const doc = ctx.model.doc;
  const sa = ctx.splits;
  const list = (s: Splits) => [...(s ?? [])].join(', ');
  /**
   * `taken`: names already written beside this one (keys of the same mapping, items of the same list); the
   * quick fix of an unused entry offers the received names that are not.
   */
  const checkName = (node: Node | null | undefined, name: unknown, known: Splits, code: SplitCode, what: string, why = '', taken: Iterable<string> = []) => {
    if (!known || typeof name !== 'string' || known.has(name) || !node) return;
    const cands = suggest(name, known);
    let message: string;
    let fix = cands;
    if (code === 'unknown-split') message = `${what} "${name}" is not produced (available: ${list(known) || 'none'}): MLgym raises KeyError: '${name}'${why}.${didYouMean(cands)}`;
    else if (code === 'split-not-evaluated') message = `${what} "${name}" is not evaluated (evaluated splits: ${list(known) || 'none'}): early stopping raises BatchStateError after the first evaluation.${didYouMean(cands)}`;
    else if (code === 'applicable-split-not-evaluated') message = `${what} "${name}" is not evaluated (evaluated splits: ${list(known) || 'none'}), so this entry never applies.${didYouMean(cands)}`;
    else {
      const used = new Set(taken);
      fix = [...new Set([...cands, ...known])].filter((s) => !used.has(s));
      message = `${what} "${name}" is not received (received: ${list(known) || 'none'}), so this entry is never used${why}.${didYouMean(cands)}`;
    }
    push(ctx, spanOf(node), code, message, fix.length ? { kind: 'replace', candidates: fix } : undefined);
  };
  const eachString = (node: Node | null | undefined, fn: (n: Node, v: unknown) => void) => {
    const n = deref(node, doc);
    if (isSeq(n)) for (const it of n.items) { const d = deref(it, doc); if (isScalar(d)) fn(d, toPy(d, doc)); }
    else if (isScalar(n)) fn(n, toPy(n, doc));
  };
  const strings = (node: Node | null | undefined): string[] => {
    const out: string[] = [];
    eachString(node, (_n, v) => { if (typeof v === 'string') out.push(v); });
    return out;
  };
  const evaluated = new Set<string>();
  let evaluatedKnown = false;
  const metricTags = new Set<string>();
  const lossTags = new Set<string>();
  let tagsKnown = false;
  for (const b of ctx.model.blocks) {
    // Subscriptions against the producer's splits.
    const spec = b.type && b.variant ? ctx.project.registry.get(b.type, b.variant) : undefined;
    for (const r of b.requirements) {
      if (!r.componentName || !r.subscriptionPair || !sa.producesSplits(r.componentName)) continue;
      const slot = spec?.slots.find((s) => s.name === r.name);
      if (spec && !spec.anySlots && slot?.subscription !== 'splits') continue;
      // `components[subscription]` ([M] constructables.py L52, L54), a KeyError ComponentFactory wraps (component_factory.py L97–98).
      const produced = sa.produced(r.componentName);
      eachString(r.subscriptionPair.value, (n, v) => checkName(n, v, produced, 'unknown-split', `Split`));
    }
    if (!spec || !b.configMap) continue;
    const input = (() => { const r = b.requirements.find((x) => x.name === 'iterators'); return r ? sa.received(r) : undefined; })();
    const cfg = (k: string) => findPair(b.configMap, k);
    if (['SHUFFLED_DATASET_ITERATORS', 'FILTERED_LABELS_ITERATOR', 'ONE_HOT_ENCODED_TARGETS_ITERATOR', 'MAPPED_LABELS_ITERATOR', 'FEATURE_ENCODED_ITERATORS'].includes(spec.type)) {
      // Each wrapper loops over the splits it receives and tests `name in applicable_splits` ([M] constructables.py L179–181, L194–196, L233–235, L250, L266).
      const p = cfg('applicable_splits');
      const written = strings(p?.value);
      const filters = spec.type === 'ONE_HOT_ENCODED_TARGETS_ITERATOR' || spec.type === 'FEATURE_ENCODED_ITERATORS';
      if (p) eachString(p.value, (n, v) => checkName(n, v, input, 'unused-split-key', 'applicable_splits entry', filters ? ': MLgym keeps only the received splits listed here' : `: MLgym applies ${spec.type} to the received splits listed here and skips the others`, written));
    }
    // `iterators[applicable_split]` ([M] constructables.py L213).
    if (spec.type === 'ITERATOR_VIEW') { const p = cfg('applicable_split'); if (p) checkName(p.value, toPy(p.value, doc), input, 'unknown-split', 'applicable_split'); }
    if (spec.type === 'SPLITTED_DATASET_ITERATORS') {
      // get_splitted_iterators splits the received splits named in split_configs and skips other entries ([M] data_handling/postprocessors/factory.py L164–169).
      const p = cfg('split_configs');
      const pairs = pairsOf(p ? asMap(p.value, doc) : undefined);
      const keys = pairs.map((q) => keyString(q) ?? '');
      for (const q of pairs) checkName(q.key, keyString(q), input, 'unused-split-key', 'split_configs source split', ': MLgym splits only the splits it receives and skips this entry (its new splits are never made)', keys);
    }
    if (spec.type === 'DATA_LOADER') {
      // Both loader factories loop over the received splits and compare or look the name up ([M] data_handling/dataset_loader.py L40–45, L70–71).
      const p = cfg('weigthed_sampling_split_name');
      if (p) checkName(p.value, toPy(p.value, doc), input, 'unused-split-key', 'weigthed_sampling_split_name', ': no split is sampled by weight');
      for (const k of ['seeds', 'sampling_strategies']) {
        const q = cfg(k);
        const pairs = pairsOf(q ? asMap(q.value, doc) : undefined);
        const keys = pairs.map((e) => keyString(e) ?? '');
        for (const e of pairs) checkName(e.key, keyString(e), input, 'unused-split-key', `${k} split`, '', keys);
      }
      const ss = cfg('sampling_strategies');
      for (const e of pairsOf(ss ? asMap(ss.value, doc) : undefined)) {
        const st = findPair(asMap(e.value, doc), 'strategy');
        const v = st ? toPy(st.value, doc) : undefined;
        if (st && typeof v === 'string' && !['RANDOM', 'WEIGHTED_RANDOM', 'IN_ORDER'].includes(v)) push(ctx, valueSpan(st), 'unknown-registry-key', `"${v}" is not a sampling strategy: MLgym reads the enum name, one of RANDOM, WEIGHTED_RANDOM, IN_ORDER, and raises KeyError: '${v}' otherwise.`);
      }
    }
    if (spec.type === 'EVAL_COMPONENT') {
      const ev = sa.evaluated(b);
      if (ev) { evaluatedKnown = true; for (const s of ev) evaluated.add(s); }
      tagsKnown = true;
      for (const [k, tags] of [['metrics_config', metricTags], ['loss_funs_config', lossTags]] as const) {
        const v = b.config[k];
        if (Array.isArray(v)) for (const it of v) if (isPlainObject(it) && typeof it.tag === 'string') tags.add(it.tag);
      }
      for (const k of ['metrics_computation_config', 'loss_computation_config', 'post_processors_config']) {
        const p = cfg(k);
        for (const item of (p ? asSeq(p.value, doc)?.items : undefined) ?? []) {
          const a = findPair(asMap(item, doc), 'applicable_splits');
          if (a) eachString(a.value, (n, v) => checkName(n, v, ev, 'applicable-split-not-evaluated', `${k} applicable split`));
        }
      }
    }
  }
  for (const b of ctx.model.blocks) {
    if (b.type !== 'EARLY_STOPPING_STRATEGY' || !b.configMap) continue;
    const esc = asMap(findPair(b.configMap, 'early_stopping_config')?.value, doc);
    const sn = findPair(esc, 'split_name');
    if (sn && evaluatedKnown) checkName(sn.value, toPy(sn.value, doc), evaluated, 'split-not-evaluated', 'split_name');
    const mk = findPair(esc, 'monitoring_key');
    const v = mk ? toPy(mk.value, doc) : undefined;
    if (mk && tagsKnown && typeof v === 'string' && !metricTags.has(v) && !lossTags.has(v)) {
      const all = [...metricTags, ...lossTags];
      const cands = suggest(v, all);
      push(ctx, valueSpan(mk), 'unknown-monitoring-key', `monitoring_key "${v}" is neither a metric tag nor a loss tag of the evaluation (${all.join(', ') || 'none'}): early stopping finds no score for it and raises BatchStateError after the first evaluation.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : undefined);
    }
  }
}

function checkInjectables(ctx: Ctx): void {
  const doc = ctx.model.doc;
  const visit = (node: unknown, depth: number) => {
    if (depth > 100 || !node) return;
    if (isMap(node)) {
      const inj = findPair(node, 'injectable');
      if (inj && node.items.length === 1) {
        const idPair = findPair(asMap(inj.value, doc), 'id');
        const id = idPair ? toPy(idPair.value, doc) : undefined;
        if (idPair && typeof id === 'string' && !ctx.project.injectableIds.has(id)) {
          const cands = suggest(id, ctx.project.injectableIds);
          push(ctx, valueSpan(idPair), 'unknown-injectable', `No blueprint is known to map the injectable id "${id}": with raise_mapping_not_found=True (the example blueprints) MLgym fails at job time. Add it to injectable_ids in .cubelab/mlgym-components.yml if your blueprint maps it.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : undefined);
        }
        return;
      }
      for (const p of node.items) if (isPair(p)) visit(p.value, depth + 1);
    } else if (isSeq(node)) for (const it of node.items) visit(it, depth + 1);
  };
  for (const b of ctx.model.blocks) visit(b.pair.value, 0);
}

function checkBlueprintComponents(ctx: Ctx): void {
  if (!ctx.model.root || ctx.model.blocks.length === 0) return;
  // A file with a handful of components is a fragment (tests, component_factory fixtures), not a blueprint config.
  const missing = ctx.project.requiredComponents.filter((n) => !ctx.model.byName.has(n));
  if (!missing.length) return;
  const first = ctx.model.blocks[0]!; // blocks is not empty: checked above
  push(ctx, keySpan(first.pair), 'missing-blueprint-component', `No component named ${missing.map((m) => `"${m}"`).join(', ')}: the MLgym example blueprints build ${missing.length > 1 ? 'these' : 'this'} by name and pass ${missing.length > 1 ? 'them' : 'it'} to the gym job, so the run fails unless your blueprint does without (set required_components in .cubelab/mlgym-components.yml).`, { kind: 'missing-components', names: missing });
}

