/**
 * Completion for MLgym configs from the registry: component types, variants of the block's type, config
 * keys with defaults and docs, requirement slots, component names, split names, loss/metric/post-processor
 * keys, tags, injectable ids; and the run_config keys and enumerations.
 */
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type CompletionList, type Position } from 'vscode-languageserver-types';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { analysisOf, type MlgymAnalysis } from './analysis';
import { caretContext, type CaretContext } from './context';
import { isPlainObject } from './pyyaml';
import {
  EARLY_STOPPING_CONFIG_KEYS, LM_LOSS_KEYS, LM_METRIC_KEYS, LM_POSTPROCESSOR_KEYS, LOSS_COMMON_PARAMS, LOSS_KEYS, METRIC_KEYS, POSTPROCESSOR_COMMON_PARAMS,
  POSTPROCESSOR_KEYS, type KeyedParams,
} from './registry';
import { SplitAnalysis } from './splits';
import { BLOCK_KEYS, MODEL_INFO_KEYS, REQUIREMENT_KEYS } from './validateGs';
import { ENV_KEYS, LOGGING_KEYS, RUN_TOP_KEYS, TRAIN_KEYS, WARM_KEYS } from './validateRun';

interface Item { label: string; detail?: string; doc?: string; kind?: CompletionItemKind; insert?: string; snippet?: boolean }

function toList(items: Item[], cc: CaretContext, pos: Position, isKey: boolean): CompletionList {
  const range = { start: { line: pos.line, character: cc.prefixStart }, end: pos };
  const out: CompletionItem[] = items.map((it, i) => {
    const text = it.insert ?? (isKey ? `${it.label}: ` : it.label);
    const ci: CompletionItem = {
      label: it.label, kind: it.kind ?? (isKey ? CompletionItemKind.Property : CompletionItemKind.Value),
      textEdit: { range, newText: text }, sortText: String(i).padStart(4, '0'),
    };
    if (it.snippet) ci.insertTextFormat = InsertTextFormat.Snippet;
    if (it.detail) ci.detail = it.detail;
    if (it.doc) ci.documentation = { kind: MarkupKind.Markdown, value: it.doc };
    return ci;
  });
  return { isIncomplete: false, items: out };
}

const plain = (labels: readonly string[], detail?: string, kind?: CompletionItemKind): Item[] => labels.map((label) => ({ label, detail, kind }));
const keyed = (ks: readonly KeyedParams[], what: string): Item[] => ks.map((k) => ({ label: k.key, detail: what, doc: `${k.doc}${k.params.length ? `\n\nParameters: ${k.params.map((p) => `\`${p}\``).join(', ')}` : ''}`, kind: CompletionItemKind.EnumMember }));

export function mlgymCompletion(doc: AnalyzedDocument, pos: Position, ctx: ServiceContext): CompletionList | null {
  const cc = caretContext(doc.parsed.text, pos);
  const items = doc.kind === 'mlgym-run' ? runItems(cc) : gsItems(doc, cc, analysisOf(doc, ctx), pos);
  if (!items) return null;
  return toList(items, cc, pos, cc.inKey);
}

function runItems(cc: CaretContext): Item[] | undefined {
  const p = cc.path.join('.');
  if (cc.inKey) {
    if (p === '') return plain(RUN_TOP_KEYS);
    if (p === 'run_configuration' || p === 'environment') return plain(['type', 'config']);
    if (p === 'run_configuration.config') return plain([...new Set([...TRAIN_KEYS, ...WARM_KEYS])]);
    if (p === 'environment.config') return plain([...ENV_KEYS.multiprocessing, ...ENV_KEYS.main_process]);
    if (p === 'logging') return plain(LOGGING_KEYS);
    return undefined;
  }
  if (p === 'run_configuration' && cc.key === 'type') return [{ label: 'train', doc: 'A new grid search.' }, { label: 'warmstart', doc: 'Resume grid search `gridsearch_id` (any value but `train` is a warm start).' }];
  if (p === 'environment' && cc.key === 'type') return [{ label: 'multiprocessing', doc: 'Parallel worker processes over GPUs.' }, { label: 'accelerate', doc: 'Sequential jobs, each distributed by HF Accelerate.' }, { label: 'main_process', doc: 'Broken at MLgym HEAD (TypeError).' }];
  if (p === 'logging' && cc.key === 'websocket_logging_servers') return plain(['http://127.0.0.1:5002']);
  if (p === 'logging' && cc.key === 'gs_rest_api_endpoint') return plain(['http://127.0.0.1:5001']);
  return undefined;
}

function gsItems(doc: AnalyzedDocument, cc: CaretContext, a: MlgymAnalysis, pos: Position): Item[] | undefined {
  const { registry } = a.project;
  const path = cc.path;
  const block = path[0] !== undefined ? a.model.byName.get(path[0]) : undefined;
  const spec = block?.type && block.variant ? registry.get(block.type, block.variant) : undefined;
  const componentNames = a.model.blocks.map((b) => b.name).filter((n) => n !== path[0]);
  const sa = new SplitAnalysis(a.model, registry);
  const allSplits = () => { const s = new Set<string>(); for (const b of a.model.blocks) for (const x of sa.produced(b.name) ?? []) s.add(x); return [...s]; };
  const evaluated = () => { const s = new Set<string>(); for (const b of a.model.blocks) if (b.type === 'EVAL_COMPONENT') for (const x of sa.evaluated(b) ?? []) s.add(x); return s.size ? [...s] : allSplits(); };
  const tags = () => {
    const out: Item[] = [];
    for (const b of a.model.blocks) for (const [k, what] of [['metrics_config', 'metric tag'], ['loss_funs_config', 'loss tag']] as const) {
      const v = b.config[k];
      if (Array.isArray(v)) for (const it of v) if (isPlainObject(it) && typeof it.tag === 'string') out.push({ label: it.tag, detail: what, kind: CompletionItemKind.Constant });
    }
    return out;
  };
  const registryKind = (slot: string): string | undefined => {
    const req = block?.requirements.find((r) => r.name === slot);
    const t = req?.componentName ? a.model.byName.get(req.componentName) : undefined;
    return t?.variant;
  };
  const last = path[path.length - 1];
  if (cc.inKey) {
    if (path.length === 0) {
      const missing = a.project.requiredComponents.filter((n) => !a.model.byName.has(n));
      return [
        ...['global_config', 'model_info'].filter((k) => !a.model.byName.has(k) && !(k === 'global_config' ? a.model.globalConfig : a.model.modelInfo)).map((label) => ({ label, detail: 'reserved key', insert: `${label}:\n  ` })),
        ...missing.map((label) => ({ label, detail: 'component the blueprint builds', kind: CompletionItemKind.Module, insert: `${label}:\n  component_type_key: ` })),
      ];
    }
    if (path[0] === 'model_info' && path.length === 1) return plain(MODEL_INFO_KEYS, 'model card field');
    if (path.length === 1 && block) {
      const present = new Set(block.map ? block.map.items.map((p) => String((p.key as { value?: unknown } | null)?.value ?? '')) : []);
      return BLOCK_KEYS.filter((k) => !present.has(k)).map((label) => ({ label, insert: label === 'requirements' ? 'requirements:\n    - name: ' : label === 'config' ? 'config:\n    ' : `${label}: ` }));
    }
    if (path.length === 2 && path[1] === 'config' && spec) {
      const present = new Set(Object.keys(block!.config));
      return spec.configKeys.filter((k) => !present.has(k.name)).map((k) => ({
        label: k.name, detail: k.default !== undefined ? `default: ${JSON.stringify(k.default)}` : `${spec.type}/${spec.variant}`,
        doc: `${k.doc}${k.values ? `\n\nValues: ${k.values.map((v) => `\`${v}\``).join(', ')}` : ''}`,
      }));
    }
    if (path.length === 3 && path[1] === 'requirements' && last === '-') return plain(REQUIREMENT_KEYS);
    if (last === '-' && (path.includes('metrics_config') || path.includes('loss_funs_config'))) return plain([...LOSS_COMMON_PARAMS, 'params']);
    if (last === 'loss_fun_config') return plain(LOSS_COMMON_PARAMS);
    if (last === '-' && path.includes('post_processors_config')) return plain(['key', 'params', 'applicable_splits']);
    if (last === 'params' && path.includes('post_processors_config')) return plain(POSTPROCESSOR_COMMON_PARAMS);
    if (last === 'early_stopping_config') return plain(EARLY_STOPPING_CONFIG_KEYS);
    if (last === '-' && (path.includes('metrics_computation_config') || path.includes('loss_computation_config'))) return plain([path.includes('metrics_computation_config') ? 'metric_tag' : 'loss_tag', 'applicable_splits']);
    if (last === 'seeds' || last === 'sampling_strategies') return plain(allSplits(), 'split');
    return [{ label: 'sweep', detail: 'grid-search sweep', insert: 'sweep: absolute\nvalues: [$1]', snippet: true, doc: 'Sweep this value: one experiment per entry of `values`.' }];
  }
  // Values.
  const key = cc.key ?? '';
  if (path.length === 1 && key === 'component_type_key') return registry.types().map((t) => ({ label: t, kind: CompletionItemKind.Class, doc: registry.variantsOf(t).map((v) => `**${v.variant}**: ${v.doc}`).join('\n\n') }));
  if (path.length === 1 && key === 'variant_key') {
    const t = block?.type;
    const vs = t ? registry.variantsOf(t) : registry.types().flatMap((x) => registry.variantsOf(x));
    return [...new Map(vs.map((v) => [v.variant, v])).values()].map((v) => ({ label: v.variant, detail: `${v.type}/${v.variant}${v.origin !== 'builtin' ? ` (${v.origin})` : ''}`, kind: CompletionItemKind.EnumMember, doc: v.doc }));
  }
  if (path[1] === 'requirements' && last === '-') {
    if (key === 'name') return (spec?.slots ?? []).map((s) => ({ label: s.name, doc: s.doc, kind: CompletionItemKind.Field }));
    if (key === 'component_name') return componentNames.map((n) => ({ label: n, kind: CompletionItemKind.Module, detail: a.model.byName.get(n)?.type }));
    if (key === 'subscription') {
      const req = block?.requirements.find((r) => r.map?.range && pos.line >= doc.parsed.lines.positionAt(r.map.range[0]).line && pos.line <= doc.parsed.lines.positionAt(r.map.range[1]).line);
      const produced = req?.componentName ? sa.produced(req.componentName) : undefined;
      if (produced) return plain([...produced], 'split');
      return undefined;
    }
  }
  if (path[1] === 'config' && spec) {
    const ks = spec.configKeys.find((k) => k.name === key && path.length === 2);
    if (ks?.values) return plain(ks.values, `${spec.type}.${ks.name}`, CompletionItemKind.EnumMember);
  }
  if (key === 'key') {
    if (path.includes('metrics_config')) return keyed([...METRIC_KEYS, ...(registryKind('metric_registry') === 'LM' ? LM_METRIC_KEYS : [])], 'metric');
    if (path.includes('loss_funs_config') || path.includes('loss_fun_config')) return keyed([...LOSS_KEYS, ...(registryKind('loss_function_registry') === 'LM' ? LM_LOSS_KEYS : [])], 'loss function');
    if (path.includes('post_processors_config')) return keyed([...POSTPROCESSOR_KEYS, ...(registryKind('prediction_postprocessing_registry') === 'LM' ? LM_POSTPROCESSOR_KEYS : [])], 'post-processor');
  }
  if (key === 'monitoring_key' || key === 'metric_tag' || key === 'loss_tag') return tags();
  if (key === 'split_name' || (key === 'applicable_splits' && path.includes('eval_component'))) return plain(evaluated(), 'evaluated split');
  if (['applicable_splits', 'applicable_split', 'weigthed_sampling_split_name', 'split'].includes(key) || (key === 'subscription')) return plain(allSplits(), 'split');
  if (key === 'id' && last === 'injectable') return plain([...a.project.injectableIds], 'injectable id', CompletionItemKind.Constant);
  if (key === 'sweep') return [{ label: 'absolute', doc: 'The only sweep type MLgym implements.' }];
  if (key === 'strategy') return plain(['RANDOM', 'WEIGHTED_RANDOM', 'IN_ORDER'], 'sampling strategy');
  if (key === 'optimizer_key') return plain(['SGD', 'ADAM', 'ADADELTA', 'ADAMW']);
  return undefined;
}
