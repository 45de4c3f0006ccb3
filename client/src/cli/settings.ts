/**
 * CubeLab's settings for the CLI: the workspace folder's `.vscode/settings.json` (JSONC, as VS Code writes it), or
 * the file given with `--config`. Keys are read as VS Code reads them: flat (`"cubelab.files.exclude": [...]`),
 * nested (`"cubelab": {"files": {...}}`) or any mix. A value of the wrong type is reported and its default used, as
 * the language server filters settings; a glob the bounded matcher refuses is reported and matches nothing.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { defaultSettings, type CubeLabSettings } from '../../../shared/lsp-protocol';
import { globMatcher } from '../../../shared/glob';
import { IoError } from './args';
import { JsoncError, parseJsonc } from './jsonc';

export interface TargetEntry { name: string; kind: string; [field: string]: unknown }

export interface CliSettings {
  /** The file the settings came from (undefined: defaults). */
  source?: string;
  /** What the language service reads (files.*, validation.*). */
  service: CubeLabSettings;
  runsFolder: string;
  docker: { host: string; stopGraceSeconds: number; runAsHostUser: boolean };
  /** `cubelab.targets` entries that have a name and a kind (the local engine is not among them). */
  targets: TargetEntry[];
  /** What was wrong in the file (wrong types, refused globs): shown on stderr, never fatal. */
  warnings: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `cubelab.files.exclude` from flat, nested or mixed keys; undefined when absent. */
export function lookup(obj: unknown, key: string): unknown {
  const find = (o: unknown, segs: string[]): unknown => {
    if (!isObject(o)) return undefined;
    for (let k = segs.length; k >= 1; k--) {
      const name = segs.slice(0, k).join('.');
      if (!Object.prototype.hasOwnProperty.call(o, name)) continue;
      if (k === segs.length) return o[name];
      const r = find(o[name], segs.slice(k));
      if (r !== undefined) return r;
    }
    return undefined;
  };
  return find(obj, key.split('.'));
}

/** The settings in a JSONC object (already parsed); `source` names it in warnings. */
export function settingsFrom(value: unknown, source?: string): CliSettings {
  const warnings: string[] = [];
  const where = source ? ` in ${source}` : '';
  const get = <T>(key: string, ok: (v: unknown) => v is T, fallback: T, expected: string): T => {
    const v = lookup(value, key);
    if (v === undefined) return fallback;
    if (ok(v)) return v;
    warnings.push(`${key}${where} should be ${expected}; the default is used.`);
    return fallback;
  };
  const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  const globs = (key: 'manifestGlobs' | 'mlgymGlobs' | 'exclude'): string[] => {
    const list = get(`cubelab.files.${key}`, isStrings, defaultSettings.files[key], 'a list of glob patterns (strings)');
    for (const g of list) {
      const m = globMatcher(g, { nocase: true });
      if (!m.ok) warnings.push(`the pattern ${JSON.stringify(g.length > 80 ? `${g.slice(0, 77)}...` : g)} in cubelab.files.${key}${where} is ignored: ${m.reason}.`);
    }
    return list;
  };
  const service: CubeLabSettings = {
    files: { manifestGlobs: globs('manifestGlobs'), mlgymGlobs: globs('mlgymGlobs'), exclude: globs('exclude') },
    validation: { ...defaultSettings.validation, enable: get('cubelab.validation.enable', isBool, defaultSettings.validation.enable, 'true or false') },
  };
  const rawTargets = get('cubelab.targets', Array.isArray, [] as unknown[], 'a list of targets');
  const targets: TargetEntry[] = [];
  for (const t of rawTargets) {
    if (isObject(t) && typeof t.name === 'string' && typeof t.kind === 'string' && t.name !== 'local') targets.push(t as TargetEntry);
    else warnings.push(`an entry of cubelab.targets${where} has no name and kind (or is named "local"): it is left out.`);
  }
  return {
    source,
    service,
    runsFolder: get('cubelab.runs.folder', isString, '.cubelab/runs', 'a folder path') || '.cubelab/runs',
    docker: {
      host: get('cubelab.docker.host', isString, '', 'a Docker host (unix://..., tcp://..., ssh://...)'),
      stopGraceSeconds: get('cubelab.docker.stopGraceSeconds', isNumber, 10, 'a number of seconds'),
      runAsHostUser: get('cubelab.docker.runAsHostUser', isBool, false, 'true or false'),
    },
    targets,
    warnings,
  };
}

/** How a settings file is named in messages (relative to the current folder, for instance). */
export type ShowPath = (p: string) => string;

/** Reads a settings file; a missing `--config` file, or one that is no JSONC object, is an I/O error. */
export function readSettingsFile(file: string, show: ShowPath = (p) => p): CliSettings {
  const shown = show(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError(code === 'ENOENT' ? `settings file ${shown} does not exist` : code === 'EISDIR' ? `settings file ${shown} is a folder` : `cannot read settings file ${shown} (${code ?? (e as Error).message})`);
  }
  let value: unknown;
  try { value = parseJsonc(text); } catch (e) {
    throw new IoError(`settings file ${shown} is not valid JSON with comments: ${e instanceof JsoncError ? e.message : String(e)}`);
  }
  if (!isObject(value)) throw new IoError(`settings file ${shown} does not hold an object ({...})`);
  return { ...settingsFrom(value, shown), source: file };
}

export const SETTINGS_FILE = path.join('.vscode', 'settings.json');

/** The settings of a workspace folder: `--config` when given, else its `.vscode/settings.json`, else defaults. */
export function settingsFor(folder: string, configFile?: string, show?: ShowPath): CliSettings {
  if (configFile) return readSettingsFile(path.resolve(configFile), show);
  const file = path.join(folder, SETTINGS_FILE);
  return existsSync(file) ? readSettingsFile(file, show) : settingsFrom({});
}

/** The nearest folder at or above `dir` holding `.git` (a folder, or a file for worktrees), or undefined. */
export function gitRoot(dir: string): string | undefined {
  let d = path.resolve(dir);
  for (;;) {
    if (existsSync(path.join(d, '.git'))) return d;
    const up = path.dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

/**
 * The workspace folder of a path, as the editor would have it open: `--workspace` when given, else the path's git
 * root, else the folder itself (for a file, its folder).
 */
export function workspaceFolderFor(p: string, explicit?: string): string {
  if (explicit) {
    const abs = path.resolve(explicit);
    let isDir = false;
    try { isDir = statSync(abs).isDirectory(); } catch { /* reported below */ }
    if (!isDir) throw new IoError(`workspace folder ${explicit} does not exist or is not a folder`);
    return abs;
  }
  let dir = path.resolve(p);
  try { if (!statSync(dir).isDirectory()) dir = path.dirname(dir); } catch { dir = path.dirname(dir); }
  return gitRoot(dir) ?? dir;
}
