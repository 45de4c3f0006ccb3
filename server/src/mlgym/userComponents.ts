/**
 * What the user's blueprints add to MLgym, declared in a workspace file, `.cubelab/mlgym-components.yml`
 * (found in the config's folder or the nearest parent that has one, up to the workspace folder):
 *
 *   components:                      # pairs registered with register_component_type(...)
 *     - type: MODEL_REGISTRY
 *       variant: MY_MODELS
 *       config_keys: {depth: 3}      # or a list of names; omitted = any key accepted
 *       slots: [iterators]           # requirement names it reads; omitted = any
 *       splits: [train, val]         # split names it outputs (for subscriptions)
 *       doc: My own model registry
 *   injectable_ids: [id_my_collator] # ids the blueprint maps
 *   required_components: [model, optimizer, trainer, evaluator, checkpointing_strategy, early_stopping_strategy]
 *   working_directory: ..            # where `python run.py` starts, relative to the folder holding .cubelab/
 *
 * A file in the repository rather than a setting: it travels with the blueprint code, and the
 * "declare this component" quick fix can write it with a plain workspace edit.
 */
import type { ServiceContext } from '../service/languageService';
import { parseYaml } from '../yaml/parsedDocument';
import { isPlainObject, toPy } from './pyyaml';
import { BUILTIN_INJECTABLE_IDS, DEFAULT_REQUIRED_COMPONENTS, builtinRegistry, type ComponentRegistry, type ConfigKeySpec, type VariantSpec } from './registry';

export const USER_COMPONENTS_FILE = '.cubelab/mlgym-components.yml';

export interface MlgymProject {
  registry: ComponentRegistry;
  injectableIds: Set<string>;
  requiredComponents: string[];
  /** Absolute working directory the run starts in, when declared. */
  workingDirectory?: string;
  /** Absolute path of the declarations file (existing or where it would be created). */
  file: string;
  fileExists: boolean;
}

const cache = new Map<string, { text: string; project: Omit<MlgymProject, 'file' | 'fileExists'> }>();
let emptyProject: Omit<MlgymProject, 'file' | 'fileExists'> | undefined;

function dirName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i > 0 ? p.slice(0, i) : '/';
}

export function joinPath(dir: string, rel: string): string {
  // Absolute: `/x`, a Windows drive (`c:\x`, `C:/x`) or a UNC path (`\\server\share`).
  if (/^([\\/]|[A-Za-z]:[\\/])/.test(rel)) return normalize(rel);
  return normalize(`${dir.replace(/[\\/]+$/, '')}/${rel}`);
}

function normalize(p: string): string {
  // A UNC path keeps its two leading separators (`//server/share/x`), written with `/` as everywhere here.
  const root = /^[\\/]{2}[^\\/]/.test(p) ? '//' : p.startsWith('/') ? '/' : '';
  const abs = root !== '';
  const out: string[] = [];
  for (const part of p.split(/[\\/]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') { if (out.length && out[out.length - 1] !== '..') out.pop(); else if (!abs) out.push('..'); continue; }
    out.push(part);
  }
  return root + out.join('/');
}

/** Where the declarations file for a document lives (the nearest existing one, else the workspace folder's). */
export function findDeclarationsFile(docPath: string, ctx: ServiceContext): { file: string; exists: boolean } {
  const folder = ctx.workspaceFolders.filter((f) => docPath.startsWith(f.replace(/[\\/]+$/, '') + '/')).sort((a, b) => b.length - a.length)[0];
  let dir = dirName(docPath);
  for (let i = 0; i < 40; i++) {
    const candidate = joinPath(dir, USER_COMPONENTS_FILE);
    if (ctx.fs.exists(candidate)) return { file: candidate, exists: true };
    if (folder && normalize(dir) === normalize(folder)) break;
    const up = dirName(dir);
    if (up === dir) break;
    dir = up;
  }
  return { file: joinPath(folder ?? dirName(docPath), USER_COMPONENTS_FILE), exists: false };
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function parseDeclarations(text: string, file: string): Omit<MlgymProject, 'file' | 'fileExists'> {
  const parsed = parseYaml(text);
  const root = toPy(parsed.doc?.contents, parsed.doc);
  const data = isPlainObject(root) ? root : {};
  const variants: VariantSpec[] = [];
  for (const c of Array.isArray(data.components) ? data.components : []) {
    if (!isPlainObject(c) || typeof c.type !== 'string' || typeof c.variant !== 'string') continue;
    const keys: ConfigKeySpec[] = [];
    let openConfig = true;
    if (Array.isArray(c.config_keys)) { openConfig = false; for (const k of strings(c.config_keys)) keys.push({ name: k, doc: 'Declared in ' + USER_COMPONENTS_FILE }); }
    else if (isPlainObject(c.config_keys)) { openConfig = false; for (const [k, d] of Object.entries(c.config_keys)) keys.push({ name: k, default: d, doc: 'Declared in ' + USER_COMPONENTS_FILE }); }
    const slots = 'slots' in c ? strings(c.slots).map((name) => ({ name, doc: 'Declared in ' + USER_COMPONENTS_FILE, subscription: 'any' as const })) : [];
    const splits = 'splits' in c ? strings(c.splits) : undefined;
    variants.push({
      type: c.type, variant: c.variant, doc: typeof c.doc === 'string' ? c.doc : `Registered by your blueprint (declared in ${USER_COMPONENTS_FILE}).`,
      configKeys: keys, openConfig, slots, anySlots: !('slots' in c), produces: splits ? 'none' : 'unknown', producesSplits: splits, origin: 'user',
    });
  }
  const declaredRequired = 'required_components' in data ? strings(data.required_components) : undefined;
  return {
    registry: builtinRegistry(variants),
    injectableIds: new Set([...BUILTIN_INJECTABLE_IDS, ...strings(data.injectable_ids)]),
    requiredComponents: declaredRequired ?? [...DEFAULT_REQUIRED_COMPONENTS],
    workingDirectory: typeof data.working_directory === 'string' ? joinPath(dirName(dirName(file)), data.working_directory) : undefined,
  };
}

/** The registry and project facts that apply to a document. */
export function projectFor(docPath: string, ctx: ServiceContext): MlgymProject {
  const { file, exists } = findDeclarationsFile(docPath, ctx);
  const text = exists ? ctx.fs.readFile?.(file) : undefined;
  if (text === undefined) {
    emptyProject ??= parseDeclarations('', file);
    return { ...emptyProject, file, fileExists: exists };
  }
  const hit = cache.get(file);
  if (hit && hit.text === text) return { ...hit.project, file, fileExists: true };
  const project = parseDeclarations(text, file);
  cache.set(file, { text, project });
  return { ...project, file, fileExists: true };
}

/** The YAML a quick fix appends to declare a pair. */
export function declarationSnippet(type: string, variant: string, configKeys: string[], slots: string[], withHeader: boolean): string {
  const lines: string[] = [];
  if (withHeader) lines.push('# Components your MLgym blueprints register (read by CubeLab).', 'components:');
  lines.push(`  - type: ${type}`, `    variant: ${variant}`);
  if (configKeys.length) lines.push(`    config_keys: [${configKeys.join(', ')}]`);
  if (slots.length) lines.push(`    slots: [${slots.join(', ')}]`);
  return lines.join('\n') + '\n';
}
