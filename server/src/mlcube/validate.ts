/**
 * Validation of MLCube manifests (v2), following mlcube's own loader (docs/mlcube.md §1.8):
 * errors exactly where mlcube fails, warnings where it silently does something else, hints for legitimate
 * but risky constructs. The codes are documented in codes.ts.
 *
 * One parse (the AnalyzedDocument), one model walk (model.ts), at most one `toJS` (for `${...}`
 * resolution), so a keystroke costs well under a millisecond or two on a typical manifest.
 */
import type { Node, Pair } from 'yaml';
import { isMap, isPair, isScalar } from '../yaml/nodeKinds';
import type { Diagnostic } from 'vscode-languageserver-types';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { diag } from '../service/diagnostic';
import { structureDiagnostics } from '../yaml/structure';
import { keyString } from '../yaml/parsedDocument';
import { checkContext, type CheckContext } from './checkContext';
import { checkInterpolations, rootDir } from './checkInterpolations';
import { checkPlatform, checkRunnerSection, checkTopLevel } from './checkRunner';
import { checkTasks } from './checkTasks';
import { checkHostMounts } from './checkHostMounts';
import { effectiveConfig, resolveValue } from './interpolation';
import { manifestModel, quietToJS, type ParamModel } from './model';

export function validateManifest(doc: AnalyzedDocument, ctx: ServiceContext): Diagnostic[] {
  const { parsed } = doc;
  const contents = parsed.doc?.contents;
  const blank = !contents || (isScalar(contents) && contents.value === null && !parsed.doc?.errors.length);
  if (parsed.text.trim() === '' || blank) {
    return [diag(parsed.lines, [0, 0], 'error', 'mlcube/empty', 'The manifest is empty (no YAML content): mlcube fails with "Missing key tasks". Add a `tasks:` section.')];
  }
  const out = structureDiagnostics(parsed, { tool: 'mlcube', uri: doc.uri });
  // mlcube cannot load a file with syntax errors at all; checking a half-parsed tree would only add noise.
  if (parsed.docs.some((d) => d.errors.length > 0)) return out;
  const model = manifestModel(doc);
  const c = checkContext(doc, model, ctx, out);
  if (model.rootShape !== 'mapping') {
    const r = parsed.doc?.contents?.range;
    c.report('mlcube/root-not-mapping', r ? [r[0], r[1]] : [0, 0],
      `The top level of this file is a ${model.rootShape === 'list' ? 'list' : 'scalar'}: mlcube needs a mapping with \`tasks:\` (and \`docker:\`) and fails to load it.`);
    return out;
  }
  // The effective config serves only `${...}` resolution: most manifests have none, and skip the toJS.
  const config = parsed.text.includes('${') ? buildConfig(c) : undefined;
  checkTopLevel(c);
  checkRunnerSection(c, 'docker');
  checkRunnerSection(c, 'singularity');
  checkPlatform(c);
  checkTasks(c, (p) => resolvedPath(p, config, ctx));
  checkHostMounts(c, (p) => resolvedPath(p, config, ctx));
  checkInterpolations(c, config);
  // In document order, as a reader (and the Problems panel) goes through the file.
  return out.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

/** The effective config for the docker platform, as plain JS; undefined when the tree cannot be converted. */
function buildConfig(c: CheckContext): Record<string, unknown> | undefined {
  const y = c.model.yaml;
  if (!y) return undefined;
  const tasks = lazyTasksPair(c);
  // `tasks:` is most of a big manifest and interpolations rarely reach into it: it is converted without
  // it, and `tasks` becomes a property that converts itself on first read (same place, same value).
  const saved = tasks?.value;
  if (tasks) tasks.value = null;
  let js: unknown;
  try {
    // Alias bombs and other trees that cannot become JS are not worth an interpolation check.
    js = quietToJS(y);
  } finally {
    if (tasks) tasks.value = saved ?? null;
  }
  if (!js || typeof js !== 'object' || Array.isArray(js)) return undefined;
  const config = effectiveConfig(js as Record<string, unknown>, { root: rootDir(c.doc.path) });
  if (tasks && saved && Object.prototype.hasOwnProperty.call(config, 'tasks')) {
    const node = saved;
    Object.defineProperty(config, 'tasks', {
      enumerable: true,
      configurable: true,
      get(this: Record<string, unknown>) {
        const value = quietToJS(y, node);
        Object.defineProperty(this, 'tasks', { value, enumerable: true, configurable: true, writable: true });
        return value;
      },
    });
  }
  return config;
}

/**
 * The one top-level `tasks:` pair whose value may be converted on its own: only when nothing in the file
 * can tie it to the rest (no alias, no merge key; a duplicated `tasks:` keeps the whole-document path).
 */
function lazyTasksPair(c: CheckContext): Pair<Node, Node | null> | undefined {
  const text = c.doc.parsed.text;
  if (text.includes('*') || text.includes('<<')) return undefined;
  const root = c.model.yaml?.contents;
  if (!isMap(root)) return undefined;
  let found: Pair<Node, Node | null> | undefined;
  for (const item of root.items) {
    if (!isPair(item) || keyString(item) !== 'tasks') continue;
    if (found) return undefined;
    found = item as Pair<Node, Node | null>;
  }
  return found && found.value && isMap(found.value) && isScalar(found.key) ? found : undefined;
}

/** A parameter's path with `${...}` resolved; undefined when it cannot be (that is reported elsewhere). */
function resolvedPath(p: ParamModel, config: Record<string, unknown> | undefined, ctx: ServiceContext): string | undefined {
  const path = p.path;
  if (path === undefined || !path.includes('${')) return path;
  if (!config) return undefined;
  try {
    const r = resolveValue(path, config, ctx.env);
    return r.ok && typeof r.value === 'string' ? r.value : undefined;
  } catch {
    return undefined; // pathological nesting: see checkInterpolations
  }
}
