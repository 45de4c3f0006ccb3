/**
 * Quick fixes for the MLgym diagnostics (did-you-mean, PyYAML spellings, declaring a user component,
 * adding a missing requirement, removing a stale key) and one refactoring: turn a plain list into a sweep.
 */
import { isScalar, isSeq, type Node } from 'yaml';
import { CodeActionKind, type CodeAction, type Diagnostic, type Range, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver-types';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { parseYaml } from '../yaml/parsedDocument';
import { analysisOf } from './analysis';
import { pathToFileUri } from '../../../shared/fileUri';
import { findPair, pathAt, spanOf } from './model';
import { toPy } from './pyyaml';
import { declarationSnippet, type MlgymProject } from './userComponents';

interface FixData { kind?: string; candidates?: string[]; replacement?: string; type?: string; variant?: string; configKeys?: string[]; slots?: string[]; block?: string; slot?: string }

export function mlgymCodeActions(doc: AnalyzedDocument, range: Range, diagnostics: Diagnostic[], ctx: ServiceContext): CodeAction[] {
  const out: CodeAction[] = [];
  const edit = (edits: TextEdit[]): WorkspaceEdit => ({ changes: { [doc.uri]: edits } });
  for (const d of diagnostics) {
    if (typeof d.code !== 'string' || !d.code.startsWith('mlgym/')) continue;
    const data = (d.data ?? {}) as FixData;
    if (data.kind === 'replace' && data.replacement !== undefined) {
      out.push({ title: `Write ${data.replacement}`, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true, edit: edit([{ range: d.range, newText: data.replacement }]) });
    }
    if (data.kind === 'replace' && data.candidates) {
      data.candidates.forEach((c, i) => out.push({ title: `Change to "${c}"`, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: i === 0, edit: edit([{ range: d.range, newText: c }]) }));
    }
    if (data.kind === 'remove') {
      const e = removeKeyEdit(doc, d.range);
      if (e) out.push({ title: 'Remove this key', kind: CodeActionKind.QuickFix, diagnostics: [d], edit: edit([e]) });
    }
    if (data.kind === 'declare' && data.type && data.variant) {
      const a = analysisOf(doc, ctx);
      out.push({ title: `Declare ${data.type}/${data.variant} as a component your blueprint registers`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: declareEdit(a.project, data, ctx) });
    }
    if (data.kind === 'add-requirement' && data.block && data.slot) {
      const e = addRequirementEdit(doc, ctx, data.block, data.slot, data.candidates?.[0] ?? data.slot);
      if (e) out.push({ title: `Add requirement "${data.slot}"${data.candidates?.[0] ? ` → ${data.candidates[0]}` : ''}`, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true, edit: edit([e]) });
    }
  }
  const sweep = listToSweep(doc, range);
  if (sweep) out.push(sweep);
  return out;
}

function removeKeyEdit(doc: AnalyzedDocument, r: Range): TextEdit | undefined {
  const lines = doc.parsed.text.split('\n');
  const first = lines[r.start.line] ?? '';
  const indent = first.length - first.trimStart().length;
  if (first.trimStart().startsWith('-')) return undefined; // the first key of a list item: leave it to the user
  let end = r.start.line + 1;
  while (end < lines.length) {
    const l = lines[end]!; // end < lines.length
    if (l.trim() !== '' && l.length - l.trimStart().length <= indent) break;
    end++;
  }
  return { range: { start: { line: r.start.line, character: 0 }, end: { line: end, character: 0 } }, newText: '' };
}

function declareEdit(project: MlgymProject, data: FixData, ctx: ServiceContext): WorkspaceEdit {
  const uri = pathToFileUri(project.file);
  const text = project.fileExists ? ctx.fs.readFile?.(project.file) ?? '' : '';
  if (!project.fileExists) {
    return { documentChanges: [
      { kind: 'create', uri, options: { ignoreIfExists: true } },
      { textDocument: { uri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: declarationSnippet(data.type!, data.variant!, data.configKeys ?? [], data.slots ?? [], true) }] },
    ] };
  }
  const parsed = parseYaml(text);
  const comps = findPair(parsed.doc?.contents, 'components');
  let at: number;
  let snippet = declarationSnippet(data.type!, data.variant!, data.configKeys ?? [], data.slots ?? [], false);
  if (comps && isSeq(comps.value) && comps.value.range) {
    at = comps.value.range[1];
    if (at > 0 && text[at - 1] !== '\n') snippet = '\n' + snippet;
  } else {
    at = text.length;
    snippet = `${text.length && !text.endsWith('\n') ? '\n' : ''}components:\n${snippet}`;
  }
  const pos = parsed.lines.positionAt(at);
  return { changes: { [uri]: [{ range: { start: pos, end: pos }, newText: snippet }] } };
}

function addRequirementEdit(doc: AnalyzedDocument, ctx: ServiceContext, blockName: string, slot: string, component: string): TextEdit | undefined {
  const a = analysisOf(doc, ctx);
  const b = a.model.byName.get(blockName);
  if (!b?.map) return undefined;
  const { lines } = doc.parsed;
  const text = doc.parsed.text;
  const lineIndent = (off: number) => { const p = lines.positionAt(off); const s = lines.lineStart(p.line); return text.slice(s).match(/^\s*/)![0].length; };
  const seq = b.requirementsPair?.value;
  if (b.requirementsPair && isSeq(seq) && seq.items.length && seq.range && (seq as { flow?: boolean }).flow !== true) {
    const firstItem = seq.items[0] as Node;
    const dashCol = lineIndent(spanOf(firstItem)[0]);
    const endLine = lines.positionAt(seq.range[1] - 1).line + 1;
    const pad = ' '.repeat(dashCol);
    return { range: { start: { line: endLine, character: 0 }, end: { line: endLine, character: 0 } }, newText: `${pad}- name: ${slot}\n${pad}  component_name: ${component}\n` };
  }
  if (b.requirementsPair) return undefined;
  const anchor = b.variantPair ?? b.typePair;
  if (!anchor) return undefined;
  const ind = lineIndent(spanOf(anchor.key)[0]);
  const line = lines.positionAt(spanOf(anchor.value ?? anchor.key)[1]).line + 1;
  const pad = ' '.repeat(ind);
  return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${pad}requirements:\n${pad}  - name: ${slot}\n${pad}    component_name: ${component}\n` };
}

/** "Convert to sweep" on a plain list value inside a component's config (lists are never swept). */
function listToSweep(doc: AnalyzedDocument, range: Range): CodeAction | undefined {
  if (doc.kind !== 'mlgym-gs') return undefined;
  const offset = doc.parsed.lines.offsetAt(range.start);
  const steps = pathAt(doc.parsed.doc?.contents, offset, doc.parsed.doc);
  const idx = steps.findIndex((s) => s.node && isSeq(s.node));
  if (idx < 1 || steps[1]?.key !== 'config') return undefined;
  const step = steps[idx]!; // idx >= 1: found just above
  const seq = step.node;
  if (!isSeq(seq) || !step.pair || seq.items.length === 0 || !seq.range) return undefined;
  if (steps.slice(0, idx).some((s) => s.key === 'values' || typeof s.key === 'number')) return undefined;
  const parts = seq.items.map((it) => (isScalar(it) && it.range ? doc.parsed.text.slice(it.range[0], it.range[1]) : JSON.stringify(toPy(it, doc.parsed.doc))));
  const start = doc.parsed.lines.positionAt(spanOf(step.pair.key)[1]);
  const end = doc.parsed.lines.positionAt(seq.range[1]);
  return {
    title: `Sweep over these ${seq.items.length} values (one experiment each)`,
    kind: CodeActionKind.RefactorRewrite,
    edit: { changes: { [doc.uri]: [{ range: { start, end }, newText: `: {sweep: absolute, values: [${parts.join(', ')}]}` }] } },
  };
}
