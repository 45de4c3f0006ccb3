/** Hover docs from the registry: component types, variants, config keys (with defaults), slots, registry keys. */
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver-types';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { analysisOf } from './analysis';
import { scalarAt, pathAt, spanOf } from './model';
import { LM_LOSS_KEYS, LM_METRIC_KEYS, LOSS_KEYS, METRIC_KEYS, POSTPROCESSOR_KEYS } from './registry';

export function mlgymHover(doc: AnalyzedDocument, pos: Position, ctx: ServiceContext): Hover | null {
  if (doc.kind !== 'mlgym-gs') return null;
  const a = analysisOf(doc, ctx);
  const offset = doc.parsed.lines.offsetAt(pos);
  const steps = pathAt(doc.parsed.doc?.contents, offset, doc.parsed.doc);
  const at = scalarAt(steps, offset);
  if (!at || steps.length === 0) return null;
  const text = String((at.node as { value?: unknown }).value ?? '');
  const keys = steps.map((s) => s.key);
  const block = a.model.byName.get(String(keys[0]));
  const spec = block?.type && block.variant ? a.project.registry.get(block.type, block.variant) : undefined;
  const range = doc.parsed.lines.range(...spanOf(at.node));
  const md = (value: string): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range });
  const last = keys[keys.length - 1];
  if (!at.isKey && last === 'component_type_key') {
    const vs = a.project.registry.variantsOf(text);
    return vs.length ? md(`**${text}**\n\n${vs.map((v) => `- \`${v.variant}\`: ${v.doc}`).join('\n')}`) : null;
  }
  if (!at.isKey && last === 'variant_key' && spec) {
    const slots = spec.slots.filter((s) => !s.unused).map((s) => `\`${s.name}\``).join(', ') || 'none';
    const cfg = spec.configKeys.map((k) => `\`${k.name}\`${k.default !== undefined ? ` (${JSON.stringify(k.default)})` : ''}`).join(', ') || 'none';
    return md(`**${spec.type}/${spec.variant}**${spec.origin !== 'builtin' ? ` (${spec.origin})` : ''}\n\n${spec.doc}\n\nConfig keys: ${cfg}\n\nRequirements: ${slots}`);
  }
  if (at.isKey && keys[1] === 'config' && keys.length === 3 && spec) {
    const k = spec.configKeys.find((c) => c.name === text);
    if (k) return md(`**${text}** (${spec.type}/${spec.variant})${k.default !== undefined ? `, default \`${JSON.stringify(k.default)}\`` : ''}\n\n${k.doc}${k.values ? `\n\nValues: ${k.values.map((v) => `\`${v}\``).join(', ')}` : ''}`);
  }
  if (!at.isKey && keys[1] === 'requirements' && last === 'name' && spec) {
    const s = spec.slots.find((x) => x.name === text);
    if (s) return md(`**requirement \`${text}\`** of ${spec.type}/${spec.variant}\n\n${s.doc}`);
  }
  if (!at.isKey && last === 'component_name') {
    const t = a.model.byName.get(text);
    if (t) return md(`**${text}**: ${t.type ?? '?'}/${t.variant ?? '?'}`);
  }
  if (!at.isKey && last === 'key') {
    const all = [...LOSS_KEYS, ...LM_LOSS_KEYS, ...METRIC_KEYS, ...LM_METRIC_KEYS, ...POSTPROCESSOR_KEYS];
    const k = all.find((x) => x.key === text);
    if (k) return md(`**${text}**\n\n${k.doc}${k.params.length ? `\n\nParameters: ${k.params.map((p) => `\`${p}\``).join(', ')}` : ''}`);
  }
  if (at.isKey && text === 'sweep') {
    const s = a.sweeps.find((x) => x.path.join('.') === keys.slice(0, -1).join('.'));
    return md(`**sweep**: MLgym makes one experiment per entry of \`values\`${s?.size !== undefined ? ` (${s.size} here)` : ''}; only \`absolute\` is implemented, and a sweep inside a list is never expanded.`);
  }
  return null;
}
