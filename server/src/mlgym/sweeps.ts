/**
 * Sweep nodes as MLgym sees them (docs/mlgym.md §2.2): where they are, whether MLgym expands them (only under dicts and
 * inside the dict alternatives of an expanded sweep, never inside any other list) and how many
 * alternatives each yields. Also the YAML 1.1 (PyYAML) readings worth a warning.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Node, type Scalar } from 'yaml';
import type { Diagnostic } from 'vscode-languageserver-types';
import { keyString, type ParsedYaml } from '../yaml/parsedDocument';
import { mlgymDiag } from './codes';
import { sweepSize } from './expand';
import { deref, findPair, keySpan, spanOf, valueSpan, type AnyPair } from './model';
import { isPlainObject, pyTypeName, toPy, yaml11Surprise } from './pyyaml';

export interface SweepSite {
  /** The pair whose value is the sweep node (undefined for a sweep directly inside a list). */
  pair?: AnyPair;
  node: Node;
  expanded: boolean;
  /** Number of alternatives, recursively expanded; undefined when MLgym would raise. */
  size?: number;
  path: (string | number)[];
}

/** Every sweep node of the document, in document order. Reserved keys are skipped (MLgym pops them). */
export function sweepSites(parsed: ParsedYaml): SweepSite[] {
  const doc = parsed.doc;
  const out: SweepSite[] = [];
  const visit = (raw: unknown, expandable: boolean, path: (string | number)[], pair: AnyPair | undefined, depth: number) => {
    if (depth > 100) return;
    const node = deref(raw, doc);
    if (!node) return;
    if (isAlias(raw)) {
      // An alias repeats its anchor's content, which is visited where it is written; only a swept value
      // given by alias (`lr: *lr_sweep`) is a sweep site of its own.
      if (isMap(node) && findPair(node, 'sweep') && expandable && pair) out.push({ pair, node, expanded: true, size: sweepSize(toPy(node, doc)), path });
      return;
    }
    if (isMap(node)) {
      const isSweep = !!findPair(node, 'sweep');
      if (isSweep) {
        const expanded = expandable && pair !== undefined;
        out.push({ pair, node, expanded, size: expanded ? sweepSize(toPy(node, doc)) : undefined, path });
        const values = findPair(node, 'values');
        const seq = values ? deref(values.value, doc) : null;
        if (isSeq(seq)) {
          seq.items.forEach((item, i) => {
            const m = deref(item, doc);
            // A dict alternative is expanded like a config; its own children may sweep again.
            if (isMap(m) && expanded && !findPair(m, 'sweep')) visitChildren(m, true, [...path, 'values', i], depth + 1);
            else visit(item, false, [...path, 'values', i], undefined, depth + 1);
          });
        }
        return;
      }
      visitChildren(node, expandable, path, depth + 1);
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, false, [...path, i], undefined, depth + 1));
    }
  };
  const visitChildren = (map: Node, expandable: boolean, path: (string | number)[], depth: number) => {
    if (!isMap(map)) return;
    for (const p of map.items) {
      if (!isPair(p)) continue;
      const k = keyString(p) ?? '?';
      if (path.length === 0 && (k === 'global_config' || k === 'model_info')) continue;
      visit(p.value, expandable, [...path, k], p as AnyPair, depth);
    }
  };
  visitChildren(deref(doc?.contents, doc) as Node, true, [], 0);
  return out;
}

export function sweepDiagnostics(parsed: ParsedYaml, sites: SweepSite[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const doc = parsed.doc;
  const { lines } = parsed;
  for (const s of sites) {
    const where = s.pair ? keySpan(s.pair) : spanOf(s.node);
    const sweepPair = findPair(s.node, 'sweep')!;
    if (!s.expanded) {
      out.push(mlgymDiag(lines, where, 'sweep-in-list', `This sweep sits inside a list; MLgym expands sweeps only under mappings, so it stays a literal \`{sweep: ..., values: [...]}\` in every experiment.`));
      continue;
    }
    const kind = toPy(sweepPair.value, doc);
    // [M] util/grid_search.py L77–80 (NotImplementedError), L94 (`child["values"]`: KeyError).
    if (kind !== 'absolute') {
      out.push(mlgymDiag(lines, valueSpan(sweepPair), 'sweep-type', `sweep: ${JSON.stringify(kind)} is not implemented: MLgym raises NotImplementedError; only "absolute" exists.`));
    }
    const valuesPair = findPair(s.node, 'values');
    if (!valuesPair) {
      out.push(mlgymDiag(lines, keySpan(sweepPair), 'sweep-values', 'This sweep has no `values`: MLgym raises KeyError: \'values\'. List the alternatives under `values:`.'));
    } else {
      const seq = deref(valuesPair.value, doc);
      if (!isSeq(seq)) {
        // `for item in child["values"]` ([M] util/grid_search.py L94): a string or a mapping is iterated, anything else raises.
        const v = toPy(valuesPair.value, doc);
        const iterated = typeof v === 'string' || isPlainObject(v);
        const what = typeof v === 'string' ? `a string, so MLgym sweeps over its ${v.length} characters` : iterated ? 'a mapping, so MLgym sweeps over its keys' : `${v === null ? 'null' : 'not a list'}, so MLgym raises TypeError: '${v === null ? 'NoneType' : pyTypeName(v) === 'date' ? 'datetime.date' : pyTypeName(v)}' object is not iterable`;
        out.push(mlgymDiag(lines, valueSpan(valuesPair), iterated ? 'sweep-values-not-list' : 'sweep-values', `\`values\` is ${what}. Write a list: \`values: [a, b]\`.`));
      } else if (seq.items.length === 0) {
        out.push(mlgymDiag(lines, valueSpan(valuesPair), 'sweep-empty', 'An empty sweep: the grid search has 0 experiments and MLgym runs nothing.'));
      }
    }
    for (const p of (s.node as { items: unknown[] }).items) {
      if (!isPair(p)) continue;
      const k = keyString(p);
      if (k !== 'sweep' && k !== 'values') out.push(mlgymDiag(lines, keySpan(p as AnyPair), 'sweep-extra-key', `"${k}" is dropped: a sweep node is replaced by one of its \`values\` in each experiment.`));
    }
  }
  return out;
}

/** PyYAML surprises in plain scalar values (keys and quoted strings are left alone). */
export function yaml11Diagnostics(parsed: ParsedYaml): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { lines } = parsed;
  const visit = (node: unknown, key: string, depth: number) => {
    if (depth > 200 || !node) return;
    if (isMap(node)) {
      // Inside a sweep the value belongs to the swept key (`lr`), not to `values`.
      for (const p of node.items) if (isPair(p)) { const k = keyString(p) ?? key; visit(p.value, k === 'values' || k === 'sweep' ? key : k, depth + 1); }
      return;
    }
    if (isSeq(node)) { for (const it of node.items) visit(it, key, depth + 1); return; }
    if (!isScalar(node) || node.type !== 'PLAIN' || node.tag || typeof node.source !== 'string') return;
    const s = (node as Scalar).source as string;
    const surprise = yaml11Surprise(s);
    if (!surprise) return;
    const span = spanOf(node);
    switch (surprise.kind) {
      case 'string-float': {
        const fixed = pyFloat(s);
        const lrish = /(^|_)(lr|learning_rate|eps|weight_decay|min_relative_improvement)$/.test(key);
        out.push(mlgymDiag(lines, span, 'yaml11-string', `PyYAML (YAML 1.1) reads ${s} as the string "${s}", not a number${lrish ? `, so \`${key}\` reaches torch as a string and MLgym fails when it computes with it` : ''}. Write ${fixed} (a dot and a signed exponent).`, { data: { kind: 'replace', replacement: fixed } }));
        break;
      }
      case 'boolean':
        out.push(mlgymDiag(lines, span, 'yaml11-boolean', `PyYAML (YAML 1.1) reads ${s} as the boolean ${surprise.value ? 'True' : 'False'}${key ? ` for \`${key}\`` : ''}. Quote it ("${s}") if you mean the word.`, { data: { kind: 'replace', replacement: `"${s}"` } }));
        break;
      case 'octal':
        out.push(mlgymDiag(lines, span, 'yaml11-octal', `PyYAML (YAML 1.1) reads ${s} as the octal number ${String(surprise.value)}. Drop the leading zero or quote it.`));
        break;
      case 'date':
        out.push(mlgymDiag(lines, span, 'yaml11-date', `PyYAML reads ${s} as a date, not a string. Quote it if MLgym should get the text.`));
        break;
    }
  };
  for (const d of parsed.docs) visit(d.contents, '', 0);
  return out;
}

/** `1e-4` → `1.0e-4`, `2E5` → `2.0e+5`: the spelling PyYAML reads as a float. */
export function pyFloat(s: string): string {
  const m = /^([-+]?)(\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE]([-+]?)([0-9]+)$/.exec(s);
  if (!m) return s;
  let mant = m[2]!; // group 2 is not optional in the pattern
  if (!mant.includes('.')) mant += '.0';
  else if (mant.endsWith('.')) mant += '0';
  else if (mant.startsWith('.')) mant = '0' + mant;
  return `${m[1]}${mant}e${m[3] || '+'}${m[4]}`;
}

