/**
 * Go to definition in MLCube manifests: from a `${key.path}` to the key it names, and from a path
 * (a parameter's default, `docker.build_file`) to the file it points at.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { pathToFileUri } from '../../../shared/fileUri';
import type { Definition, Location, Position, Range } from 'vscode-languageserver-types';
import { isScalar, type Node } from 'yaml';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { getPair } from '../yaml/parsedDocument';
import { findInterpolations, splitKey } from './interpolation';
import { hostPath, locate, type KeyPath } from './hover';
import { manifestModel, type ParamModel } from './model';

const ZERO: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** The key node a dotted config path names in the manifest (`runner.x` is read from `docker.x`). */
export function keyNodeFor(doc: AnalyzedDocument, keys: string[]): Node | undefined {
  const path = keys[0] === 'runner' ? ['docker', ...keys.slice(1)] : keys;
  let cur: unknown = doc.parsed.doc?.contents;
  let keyNode: Node | undefined;
  for (const k of path) {
    const pair = getPair(cur, k);
    if (!pair) return undefined;
    keyNode = pair.key as Node;
    cur = pair.value;
  }
  return keyNode;
}

/** The config key a `${...}` expression names, or undefined for resolvers and relative keys. */
export function referencedKeys(expr: string): string[] | undefined {
  const inner = expr.replace(/^\$\{/, '').replace(/\}$/, '').trim();
  if (!inner || inner.startsWith('.') || inner.includes(':') || inner.includes('${')) return undefined;
  return splitKey(inner);
}

function fileLocation(path: string, ctx: ServiceContext): Location | undefined {
  if (!path || !ctx.fs.exists(path) || ctx.fs.isDirectory(path)) return undefined;
  return { uri: pathToFileUri(path), range: ZERO };
}

/** The parameter whose path value is at this key path (string form, or its `default`). */
export function paramAtPath(doc: AnalyzedDocument, path: KeyPath): ParamModel | undefined {
  if (path[0] !== 'tasks' || path[2] !== 'parameters' || (path[3] !== 'inputs' && path[3] !== 'outputs')) return undefined;
  if (!(path.length === 5 || (path.length === 6 && path[5] === 'default'))) return undefined;
  const p = manifestModel(doc).task(String(path[1]))?.params.find((x) => x.io === (path[3] === 'inputs' ? 'input' : 'output') && x.name === path[4]);
  if (!p || (path.length === 5 && p.form !== 'string')) return undefined;
  return p;
}

/** Host file a `docker.build_file` points at: build_context (relative to the manifest's folder) + build_file. */
export function buildFilePath(doc: AnalyzedDocument): string | undefined {
  const docker = manifestModel(doc).docker;
  const bf = docker?.get('build_file');
  const bc = docker?.get('build_context');
  const file = typeof bf?.scalar === 'string' ? bf.scalar : 'Dockerfile';
  if (file.includes('${')) return undefined;
  const context = typeof bc?.scalar === 'string' && !bc.scalar.includes('${') ? bc.scalar : '.';
  const root = dirname(doc.path);
  const ctxDir = isAbsolute(context) ? context : join(root, context);
  return isAbsolute(file) ? file : join(ctxDir, file);
}

export function definitionInManifest(doc: AnalyzedDocument, pos: Position, ctx: ServiceContext): Definition | null {
  const { lines, text } = doc.parsed;
  const offset = lines.offsetAt(pos);
  const at = locate(doc, offset);
  if (!at?.scalar?.range || !isScalar(at.scalar)) return null;
  const [s, e] = at.scalar.range;
  const raw = text.slice(s, e);
  for (const span of findInterpolations(raw)) {
    if (offset < s + span.start || offset > s + span.end) continue;
    const keys = referencedKeys(raw.slice(span.start, span.end));
    const node = keys ? keyNodeFor(doc, keys) : undefined;
    if (!node?.range) return null;
    return { uri: doc.uri, range: lines.range(node.range[0], node.range[1]) };
  }
  const p = paramAtPath(doc, at.path);
  if (p) {
    const host = hostPath(doc, p, ctx);
    return host ? fileLocation(host, ctx) ?? null : null;
  }
  if (at.path.length === 2 && at.path[0] === 'docker' && at.path[1] === 'build_file') {
    const f = buildFilePath(doc);
    return f ? fileLocation(f, ctx) ?? null : null;
  }
  return null;
}
