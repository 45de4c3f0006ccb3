/**
 * Decides what a YAML document is, by file name and by content, before anything is parsed in full.
 * Cheap on purpose (a few regular expressions over the text): it runs for every YAML file the editor opens,
 * and every file that is neither a manifest nor an MLgym config must cost (almost) nothing.
 */
import type { CubeLabSettings, DocumentKind } from '../../../shared/lsp-protocol';
import { globMatcher } from '../../../shared/glob';

export interface ClassifyInput {
  /** File-system path of the document (or the URI path for non-file schemes). */
  path: string;
  text: string;
  /** Workspace folder paths, for workspace-relative glob matching. */
  workspaceFolders?: string[];
  settings: Pick<CubeLabSettings, 'files'>;
}

const topKey = (key: string) => new RegExp(`^${key}[ \\t]*:`, 'm');
const LEGACY_V1 = /^schema_type[ \t]*:[ \t]*['"]?mlcube_(root|task|invoke|platform)\b/m;
const SETTINGS_KEYS = [topKey('runners'), topKey('platforms')];
const MEDPERF_CONTAINER = topKey('container_type');
const MEDPERF_META = /^(git_mlcube_url|image_hash|mlcube_hash)[ \t]*:/m;
const COOKIECUTTER = /\{\{\s*cookiecutter\./;
const MANIFEST_NAME = /^mlcube([_.-][^/]*)?\.ya?ml$/i;
const MLGYM_RUN_NAME = /^run_config[^/]*\.ya?ml$/i;
const MLGYM_GS_NAME = /^(gs_config[^/]*|[^/]*_config[^/]*)\.ya?ml$/i;
const COMPONENT_TYPE_KEY = /^[ \t]+component_type_key[ \t]*:/m;
const MLGYM_GS_ONLY_NAME = /^gs_config[^/]*\.ya?ml$/i;
// CV / nested-CV validation configs: a ValidationMode key (or its 2021 name) holding `iterator_key`.
const MLGYM_CV = /^(CROSS_VALIDATION|NESTED_CV|NESTED_CROSS_VALIDATION|GRID_SEARCH|CV|NestedCV)[ \t]*:[ \t]*(#.*)?\r?\n(?:[ \t]*(#.*)?\r?\n)*[ \t]+iterator_key[ \t]*:/m;

export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

/**
 * Whether the path (absolute, or relative to a workspace folder) matches one of the globs. The globs come from
 * settings a workspace can set: each is compiled once and matched in bounded time (shared/glob.ts); a pattern
 * too long or with too many brace alternatives matches nothing.
 */
function matchesAny(globs: string[], path: string, folders: string[]): boolean {
  if (globs.length === 0) return false;
  const p = path.replace(/\\/g, '/');
  const candidates = [p];
  for (const f of folders) {
    const folder = f.replace(/\\/g, '/').replace(/\/$/, '');
    if (p.startsWith(folder + '/')) candidates.push(p.slice(folder.length + 1));
  }
  return globs.some((g) => {
    const m = typeof g === 'string' ? globMatcher(g, { nocase: true }) : undefined;
    return !!m && m.ok && candidates.some((c) => m.match(c));
  });
}

/** What the content says, for a file whose name says "manifest" (or that a glob forces to be one). */
function manifestContentKind(text: string): DocumentKind {
  if (LEGACY_V1.test(text)) return 'mlcube-legacy';
  if (SETTINGS_KEYS.some((r) => r.test(text)) && !topKey('tasks').test(text)) return 'mlcube-settings';
  if (MEDPERF_CONTAINER.test(text) || MEDPERF_META.test(text) || COOKIECUTTER.test(text)) return 'none';
  return 'mlcube';
}

function looksLikeManifest(text: string): boolean {
  return topKey('tasks').test(text) && (topKey('docker').test(text) || topKey('singularity').test(text) || topKey('platform').test(text))
    && !MEDPERF_CONTAINER.test(text) && !COOKIECUTTER.test(text);
}

function looksLikeMlgymRun(text: string): boolean {
  // run_config: the scheme of the run (`train`, `warm_start`, ...) plus where its grid search lives.
  return topKey('gs_config_path').test(text) || (topKey('environment').test(text) && topKey('logging').test(text))
    || (topKey('run_configuration').test(text) && (topKey('environment').test(text) || topKey('logging').test(text)));
}

function looksLikeMlgymGs(text: string): boolean {
  return COMPONENT_TYPE_KEY.test(text) || MLGYM_CV.test(text);
}

export function classify(input: ClassifyInput): DocumentKind {
  const { path, text, settings } = input;
  const folders = input.workspaceFolders ?? [];
  const name = baseName(path);
  if (!/\.ya?ml$/i.test(name) && !matchesAny([...settings.files.manifestGlobs, ...settings.files.mlgymGlobs], path, folders)) return 'none';
  if (matchesAny(settings.files.exclude, path, folders)) return 'none';
  if (matchesAny(settings.files.manifestGlobs, path, folders)) return manifestContentKind(text);
  if (matchesAny(settings.files.mlgymGlobs, path, folders)) return looksLikeMlgymRun(text) ? 'mlgym-run' : 'mlgym-gs';
  if (MANIFEST_NAME.test(name)) return manifestContentKind(text);
  if (MLGYM_RUN_NAME.test(name) && (looksLikeMlgymRun(text) || text.trim() === '')) return 'mlgym-run';
  if (MLGYM_GS_ONLY_NAME.test(name) && (text.trim() === '' || !looksLikeMlgymRun(text))) return 'mlgym-gs';
  if (topKey('run_configuration').test(text) && looksLikeMlgymRun(text)) return 'mlgym-run';
  if (looksLikeMlgymGs(text) && (MLGYM_GS_NAME.test(name) || /^[^/]*\.ya?ml$/i.test(name))) return 'mlgym-gs';
  if (looksLikeMlgymRun(text) && MLGYM_RUN_NAME.test(name)) return 'mlgym-run';
  if (looksLikeManifest(text) && !LEGACY_V1.test(text)) return 'mlcube';
  return 'none';
}
