/**
 * Quick fixes for manifest diagnostics. Each keys off a diagnostic code of codes.ts and the `data` the
 * validator attaches (key, suggestion, param, task, ...); where `data` lacks something the fix reads the
 * document itself, so a fix also works on a diagnostic a client kept from an earlier version.
 */
import { CodeActionKind, type CodeAction, type Diagnostic, type Range, type TextEdit } from 'vscode-languageserver-types';
import { isScalar, type Scalar } from 'yaml';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { locate } from './hover';
import { closestKeys, sectionAt } from './keyDocs';
import { manifestModel, type ParamModel } from './model';

type Data = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function fix(doc: AnalyzedDocument, title: string, d: Diagnostic, edits: TextEdit[], preferred = false): CodeAction {
  return { title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: preferred || undefined, edit: { changes: { [doc.uri]: edits } } };
}

function didYouMean(doc: AnalyzedDocument, d: Diagnostic, data: Data): CodeAction[] {
  const key = doc.parsed.text.slice(doc.parsed.lines.offsetAt(d.range.start), doc.parsed.lines.offsetAt(d.range.end));
  let names = str(data.suggestion) ? [str(data.suggestion)!] : [];
  if (!names.length) {
    const at = locate(doc, doc.parsed.lines.offsetAt(d.range.start));
    const section = at ? sectionAt(at.path.slice(0, -1)) : undefined;
    if (section) names = closestKeys(section, key).slice(0, 3);
  }
  return names.map((n, i) => fix(doc, `Change '${key}' to '${n}'`, d, [{ range: d.range, newText: n }], i === 0));
}

function paramFor(doc: AnalyzedDocument, d: Diagnostic, data: Data): ParamModel | undefined {
  const model = manifestModel(doc);
  const offset = doc.parsed.lines.offsetAt(d.range.start);
  const all = model.tasks.flatMap((t) => t.params);
  const byData = all.filter((p) => p.name === data.param && (data.task === undefined || p.task === data.task));
  const within = (p: ParamModel) => {
    const end = p.entry.valueNode?.range?.[1] ?? p.entry.valueSpan[1];
    return offset >= p.entry.keySpan[0] && offset <= end;
  };
  return byData.find(within) ?? all.find(within);
}

/** Adds `type: <t>` to an output parameter, whatever form it is written in. */
function addType(doc: AnalyzedDocument, d: Diagnostic, data: Data): CodeAction[] {
  const p = paramFor(doc, d, data);
  if (!p || p.typeEntry) return [];
  const { text, lines } = doc.parsed;
  const path = p.path ?? p.name;
  const suggested = str(data.suggestedType) ?? (/\.[A-Za-z0-9]{1,8}$/.test(path) ? 'file' : 'directory');
  const order = suggested === 'file' ? ['file', 'directory'] : ['directory', 'file'];
  return order.map((t, i) => {
    let edit: TextEdit;
    if (p.form === 'mapping' && p.fields?.node?.range) {
      const s = p.fields.node.range[0];
      const pos = lines.positionAt(s);
      const lineStart = lines.lineStart(pos.line);
      if (text[s] === '{') edit = { range: lines.range(s + 1, s + 1), newText: `type: ${t}, ` };
      else if (text.slice(lineStart, s).trim() === '') edit = { range: lines.range(lineStart, lineStart), newText: `${' '.repeat(pos.character)}type: ${t}\n` };
      else edit = { range: lines.range(s, s), newText: `type: ${t}\n${' '.repeat(pos.character)}` };
    } else {
      // `name: path` (or `name:`) becomes `name: {type: t, default: path}`.
      const v = p.entry.valueNode;
      const raw = v?.range && v.range[1] > v.range[0] ? text.slice(v.range[0], v.range[1]) : JSON.stringify(path);
      const range = v?.range && v.range[1] > v.range[0] ? lines.range(v.range[0], v.range[1]) : lines.range(p.entry.keySpan[1] + 1, p.entry.keySpan[1] + 1);
      edit = { range, newText: `${v?.range && v.range[1] > v.range[0] ? '' : ' '}{type: ${t}, default: ${raw}}` };
    }
    return fix(doc, `Add 'type: ${t}' to output '${p.name}'`, d, [edit], i === 0);
  });
}

/** `${HOME}` -> `${oc.env:HOME}`. */
function envVarFix(doc: AnalyzedDocument, d: Diagnostic, data: Data): CodeAction[] {
  const { text, lines } = doc.parsed;
  const covered = text.slice(lines.offsetAt(d.range.start), lines.offsetAt(d.range.end));
  const variable = str(data.variable) ?? /^\$\{\s*(\w+)\s*\}$/.exec(covered)?.[1];
  if (!variable) return [];
  const m = /^\$\{\s*\w+\s*\}$/.test(covered) ? covered : undefined;
  if (m) return [fix(doc, `Replace '${m}' with '\${oc.env:${variable}}'`, d, [{ range: d.range, newText: `\${oc.env:${variable}}` }], true)];
  // The diagnostic covers more than the expression: replace the expression inside it.
  const idx = covered.search(new RegExp(`\\$\\{\\s*${variable}\\s*\\}`));
  if (idx < 0) return [];
  const len = /^\$\{\s*\w+\s*\}/.exec(covered.slice(idx))![0].length;
  const start = lines.offsetAt(d.range.start) + idx;
  return [fix(doc, `Replace '\${${variable}}' with '\${oc.env:${variable}}'`, d, [{ range: lines.range(start, start + len), newText: `\${oc.env:${variable}}` }], true)];
}

/** Drops the `--gpus...` flag from `docker.gpu_args` (current mlcube adds its own). */
function dropGpus(doc: AnalyzedDocument, d: Diagnostic): CodeAction[] {
  const { text, lines } = doc.parsed;
  const v = manifestModel(doc).docker?.get('gpu_args')?.valueNode;
  if (!v?.range || !isScalar(v)) return [];
  const [s, e] = v.range;
  const raw = text.slice(s, e);
  const q = raw[0] === '"' || raw[0] === "'" ? 1 : 0;
  const m = /--gpus(?:=[^\s"']+|\s+[^\s"'-][^\s"']*)?/.exec(raw);
  if (!m) return [];
  const i = m.index; const j = i + m[0].length;
  let left = i; while (left > q && /\s/.test(raw.charAt(left - 1))) left--;
  let right = j; while (right < raw.length - q && /\s/.test(raw.charAt(right))) right++;
  const before = left > q; const after = right < raw.length - q;
  let edit: TextEdit;
  if (after) edit = { range: lines.range(s + i, s + right), newText: '' };
  else if (before) edit = { range: lines.range(s + left, s + j), newText: '' };
  else edit = q ? { range: lines.range(s + q, e - q), newText: '' } : { range: lines.range(s, e), newText: "''" };
  return [fix(doc, `Remove '${m[0]}' from gpu_args`, d, [edit], true)];
}

/** `epochs: 5` -> `epochs: "5"` (a parameter is always a path, a string). */
function quoteValue(doc: AnalyzedDocument, d: Diagnostic, data: Data): CodeAction[] {
  const p = paramFor(doc, d, data);
  const v = p?.entry.valueNode;
  if (!p || !v?.range || !isScalar(v)) return [];
  const raw = doc.parsed.text.slice(v.range[0], v.range[1]);
  return [fix(doc, `Quote the value of '${p.name}' as a path`, d, [{ range: doc.parsed.lines.range(v.range[0], v.range[1]), newText: JSON.stringify(raw) }], true)];
}

/** A bad enum value with a suggestion (`type: dir` -> `directory`). */
function replaceValue(doc: AnalyzedDocument, d: Diagnostic, data: Data): CodeAction[] {
  const s = str(data.suggestion);
  if (!s) return [];
  const at = locate(doc, doc.parsed.lines.offsetAt(d.range.start));
  const node = at?.scalar as Scalar | undefined;
  const range = node?.range ? doc.parsed.lines.range(node.range[0], node.range[1]) : d.range;
  return [fix(doc, `Change to '${s}'`, d, [{ range, newText: s }], true)];
}

export function manifestCodeActions(doc: AnalyzedDocument, _range: Range, diagnostics: Diagnostic[], _ctx: ServiceContext): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.source !== undefined && d.source !== 'CubeLab') continue;
    const data: Data = d.data && typeof d.data === 'object' && !Array.isArray(d.data) ? d.data as Data : {};
    switch (d.code) {
      case 'mlcube/unknown-key': case 'mlcube/unknown-runner-key': out.push(...didYouMean(doc, d, data)); break;
      case 'mlcube/untyped-output': out.push(...addType(doc, d, data)); break;
      case 'mlcube/env-var-as-key': out.push(...envVarFix(doc, d, data)); break;
      case 'mlcube/duplicate-gpus-flag': out.push(...dropGpus(doc, d)); break;
      case 'mlcube/param-value-type': out.push(...quoteValue(doc, d, data)); break;
      case 'mlcube/bad-param-type': case 'mlcube/bad-param-opts': case 'mlcube/bad-build-strategy': out.push(...replaceValue(doc, d, data)); break;
      default: break;
    }
  }
  return out;
}
