/**
 * Hover in MLCube manifests: the documentation of every key, the resolved value of a `${...}`, and for a
 * task parameter the host path mlcube computes and the container path it passes (docs/mlcube.md §1.7, §2.3).
 * Also home of the small AST helpers the other editor features share (`locate`, `effectiveFor`).
 */
import { dirname, join, posix } from 'node:path';
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver-types';
import { isMap, isPair, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { keyString } from '../yaml/parsedDocument';
import { effectiveConfig, findInterpolations, pyStr, resolveValue } from './interpolation';
import { keyDocAt, keyMarkdown } from './keyDocs';
import { manifestModel, type ParamModel, type TaskModel } from './model';
import { hostPath as mlcubeHostPath } from './mounts';

export type KeyPath = (string | number)[];

/** What sits at an offset: the key path of the innermost pair, and whether the offset is on its key. */
export interface Located {
  path: KeyPath;
  /** The pair at the end of `path` (undefined for list items and the root). */
  pair?: Pair<Node, Node | null>;
  onKey: boolean;
  /** The scalar under the offset, when the offset is in a scalar value. */
  scalar?: Node;
}

const inside = (n: Node | null | undefined, offset: number) => !!n?.range && offset >= n.range[0] && offset <= n.range[1];

/** Finds the innermost key or scalar at `offset` in the parsed document. */
export function locate(doc: AnalyzedDocument, offset: number): Located | undefined {
  let node: unknown = doc.parsed.doc?.contents;
  const path: KeyPath = [];
  let pair: Pair<Node, Node | null> | undefined;
  for (let depth = 0; depth < 100; depth++) {
    if (isMap(node)) {
      let next: unknown;
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const p = item as Pair<Node, Node | null>;
        const k = p.key as Node | null;
        if (k?.range && offset >= k.range[0] && offset <= k.range[1]) {
          return { path: [...path, keyString(p) ?? '?'], pair: p, onKey: true };
        }
        if (p.value && inside(p.value as Node, offset) && (p.value as Node).range![1] > (p.value as Node).range![0]) {
          path.push(keyString(p) ?? '?'); pair = p; next = p.value; break;
        }
      }
      if (next === undefined) return path.length ? { path, pair, onKey: false } : undefined;
      node = next;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((it) => inside(it as Node, offset));
      if (i < 0) return { path, pair, onKey: false };
      path.push(i); pair = undefined; node = node.items[i];
    } else if (isScalar(node)) {
      return { path, pair, onKey: false, scalar: node };
    } else {
      return { path, pair, onKey: false };
    }
  }
  return undefined;
}

const configCache = new WeakMap<AnalyzedDocument, Record<string, unknown>>();

/** mlcube's effective configuration of the manifest (docker platform), before resolution. */
export function effectiveFor(doc: AnalyzedDocument): Record<string, unknown> {
  let cfg = configCache.get(doc);
  if (!cfg) {
    let js: unknown;
    try { js = doc.parsed.doc?.toJS({ maxAliasCount: 1000 }); } catch { js = undefined; }
    const manifest = js && typeof js === 'object' && !Array.isArray(js) ? js as Record<string, unknown> : {};
    cfg = effectiveConfig(manifest, { root: dirname(doc.path) });
    configCache.set(doc, cfg);
  }
  return cfg;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : v === null ? 'null' : pyStr(v);
}

export interface InterpolationTarget { path: string; value: string; doc?: string; rank: number }

/** The config keys a `${...}` may name, with their resolved values (for completion). */
export function interpolationTargets(doc: AnalyzedDocument, ctx: ServiceContext): InterpolationTarget[] {
  const cfg = effectiveFor(doc);
  const out: InterpolationTarget[] = [];
  const walk = (v: unknown, keys: string[]) => {
    if (keys.length) {
      const path = keys.join('.');
      let value = '';
      if (typeof v === 'string' && v.includes('${')) {
        const r = resolveValue(v, cfg, ctx.env, { path: keys });
        value = r.ok ? show(r.value) : v;
      } else if (v === null || typeof v !== 'object') value = show(v);
      const top = keys[0];
      const rank = top === 'runtime' || top === 'workspace' ? 0 : top === 'tasks' ? 2 : top === 'runner' ? 2 : 1;
      const kd = keyDocAt(keys);
      out.push({ path, value, rank, doc: kd ? kd.doc : undefined });
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!k.includes('.')) walk(x, [...keys, k]);
    }
  };
  walk(cfg, []);
  return out;
}

/** Host path of a parameter (shell.py get_host_path, via mounts.ts): interpolation, then ~ and $VARS, then the workspace. */
export function hostPath(doc: AnalyzedDocument, p: ParamModel, ctx: ServiceContext): string | undefined {
  if (p.path === undefined) return undefined;
  let value = p.path;
  if (value.includes('${')) {
    const r = resolveValue(value, effectiveFor(doc), ctx.env, { path: ['tasks', p.task, 'parameters', `${p.io}s`, p.name] });
    if (!r.ok) return undefined;
    value = show(r.value);
  }
  return mlcubeHostPath(join(dirname(doc.path), 'workspace'), value, ctx.env);
}

export interface ParamMount { host: string; container: string; type: 'file' | 'directory' | 'unknown' }

/** Mounts of a task in mlcube's order (inputs, then outputs; one `/mlcube_ioN` per host folder). */
export function taskMounts(doc: AnalyzedDocument, task: TaskModel, ctx: ServiceContext): Map<string, ParamMount> {
  const mounts = new Map<string, string>();
  const out = new Map<string, ParamMount>();
  for (const p of task.params) {
    const host = hostPath(doc, p, ctx);
    if (host === undefined) continue;
    let type: ParamMount['type'] = p.declaredType === 'file' || p.declaredType === 'directory' ? p.declaredType : 'unknown';
    if (type === 'unknown' && /[/\\]$/.test(p.path ?? '')) type = 'directory';
    if (type === 'unknown' && p.io === 'input') type = ctx.fs.isDirectory(host) ? 'directory' : ctx.fs.exists(host) ? 'file' : 'unknown';
    const clean = host.replace(/[/\\]+$/, '') || host;
    const folder = type === 'file' ? dirname(clean) : clean;
    if (type === 'unknown') { out.set(`${p.io}:${p.name}`, { host: clean, container: '', type }); continue; }
    if (!mounts.has(folder)) mounts.set(folder, `/mlcube_io${mounts.size}`);
    const base = mounts.get(folder)!;
    out.set(`${p.io}:${p.name}`, { host: clean, container: type === 'file' ? posix.join(base, clean.split(/[/\\]/).pop() ?? '') : base, type });
  }
  return out;
}

function paramHover(doc: AnalyzedDocument, task: TaskModel, p: ParamModel, ctx: ServiceContext): string {
  const m = taskMounts(doc, task, ctx).get(`${p.io}:${p.name}`);
  const lines = [`**${p.io} parameter \`${p.name}\`** of task \`${task.name}\``, ''];
  if (!m) {
    lines.push('The host path cannot be computed (the path is not a string or its `${...}` does not resolve).');
  } else {
    lines.push(`Host path: \`${m.host}\``);
    if (m.type === 'unknown') {
      lines.push('', p.io === 'output'
        ? 'No container path: an output without `type` (and no trailing `/`) makes `mlcube run` fail.'
        : 'No container path yet: the type is decided at run time from the host path, which does not exist now.');
    } else {
      lines.push('', `Container path: \`${m.container}\` (${m.type}), passed as \`--${p.name}=${m.container}\``);
    }
  }
  return lines.join('\n');
}

function taskHover(task: TaskModel): string {
  const ins = task.params.filter((p) => p.io === 'input').length;
  const outs = task.params.length - ins;
  const ep = task.entrypoint && typeof task.entrypoint.scalar === 'string' ? `, entrypoint \`${task.entrypoint.scalar}\`` : '';
  return `**task \`${task.name}\`**: ${ins} input${ins === 1 ? '' : 's'}, ${outs} output${outs === 1 ? '' : 's'}${ep}.\n\nRun it with \`mlcube run --task=${task.name}\`.`;
}

export function hoverManifest(doc: AnalyzedDocument, pos: Position, ctx: ServiceContext): Hover | null {
  const { lines, text } = doc.parsed;
  const offset = lines.offsetAt(pos);
  const at = locate(doc, offset);
  if (!at) return null;
  const { path } = at;

  // A `${...}` under the cursor: its resolved value.
  if (at.scalar?.range) {
    const [s, e] = at.scalar.range;
    const raw = text.slice(s, e);
    for (const span of findInterpolations(raw)) {
      if (offset < s + span.start || offset > s + span.end) continue;
      const expr = raw.slice(span.start, span.end);
      const r = resolveValue(expr, effectiveFor(doc), ctx.env, { path: path.map(String) });
      const value = r.ok ? `\`${show(r.value)}\`` : `cannot be resolved: ${r.error.message}`;
      return { contents: { kind: MarkupKind.Markdown, value: `\`${expr}\` → ${value}` }, range: lines.range(s + span.start, s + span.end) };
    }
  }

  // A task parameter (its name, its path or any of its fields): host and container paths.
  const model = manifestModel(doc);
  if (path[0] === 'tasks' && path.length >= 5 && path[2] === 'parameters' && (path[3] === 'inputs' || path[3] === 'outputs')) {
    const task = model.task(String(path[1]));
    const p = task?.params.find((x) => x.io === (path[3] === 'inputs' ? 'input' : 'output') && x.name === path[4]);
    if (task && p && (path.length === 5 || path[5] === 'default')) {
      const keyPart = path.length === 6 && at.onKey ? keyDocAt(path) : undefined;
      const value = [paramHover(doc, task, p, ctx), ...(keyPart ? ['', '---', '', keyMarkdown(path, keyPart)] : [])].join('\n');
      const node = at.onKey ? at.pair?.key as Node | undefined : at.scalar;
      return { contents: { kind: MarkupKind.Markdown, value }, ...(node?.range ? { range: lines.range(node.range[0], node.range[1]) } : {}) };
    }
  }
  if (!at.onKey) return null;
  const keyNode = at.pair?.key as Node | undefined;
  const range = keyNode?.range ? lines.range(keyNode.range[0], keyNode.range[1]) : undefined;
  if (path[0] === 'tasks' && path.length === 2) {
    const task = model.task(String(path[1]));
    if (task) return { contents: { kind: MarkupKind.Markdown, value: taskHover(task) }, ...(range ? { range } : {}) };
  }
  const k = keyDocAt(path);
  if (!k) return null;
  return { contents: { kind: MarkupKind.Markdown, value: keyMarkdown(path, k) }, ...(range ? { range } : {}) };
}
