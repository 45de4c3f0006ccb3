/**
 * `cubelab/storedConfig`: a config a run stored on disk (`grid_search_config.yml`, `run_config.yml`) read the
 * way the server reads an open one: classified, parsed once, read into the MLgym model (PyYAML semantics,
 * anchors resolved) and validated by the kind's provider. The model card and its pipeline graph take their
 * components from here instead of a second, differently behaving YAML reading.
 */
import { pathToFileUri } from '../../../shared/fileUri';
import type { Diagnostic } from 'vscode-languageserver-types';
import type { StoredConfigComponent, StoredConfigDiagnostics, StoredConfigResult } from '../../../shared/lsp-protocol';
import { analyze, type ServiceContext } from '../service/languageService';
import { providers } from '../service/registry';
import { parseYaml } from '../yaml/parsedDocument';
import { analysisOf } from './analysis';
import type { Block } from './model';
import { PyDate, toPy } from './pyyaml';

/** Values written out at most (alias-heavy files expand exponentially as plain JSON). */
export const MAX_JSON_VALUES = 200_000;
const FIRST_DIAGNOSTICS = 10;

/** Copies a PyYAML reading into plain JSON within a shared budget; what is past the budget becomes null. */
class JsonCopier {
  truncated = false;
  private left = MAX_JSON_VALUES;

  copy(v: unknown, depth = 0): unknown {
    if (--this.left < 0 || depth > 200) { this.truncated = true; return null; }
    if (v === null || v === undefined) return null;
    if (typeof v === 'number') {
      // JSON has no NaN or infinities: written as Python's json.dumps writes them, as text.
      return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    }
    if (typeof v === 'string' || typeof v === 'boolean') return v;
    if (v instanceof PyDate) return v.text;
    if (Array.isArray(v)) return v.map((x) => this.copy(x, depth + 1));
    if (typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.copy(x, depth + 1);
      return out;
    }
    return String(v);
  }
}

function countDiagnostics(diagnostics: Diagnostic[]): StoredConfigDiagnostics {
  const out: StoredConfigDiagnostics = { errors: 0, warnings: 0, infos: 0, hints: 0, first: [] };
  for (const d of diagnostics) {
    // LSP: 1 error, 2 warning, 3 information, 4 hint; an unset severity is shown as an error.
    const s = d.severity ?? 1;
    if (s === 1) out.errors++; else if (s === 2) out.warnings++; else if (s === 3) out.infos++; else out.hints++;
    if ((s === 1 || s === 2) && out.first.length < FIRST_DIAGNOSTICS) {
      out.first.push({ line: d.range.start.line, severity: s === 1 ? 'error' : 'warning', code: d.code === undefined ? '' : String(d.code), message: d.message });
    }
  }
  return out;
}

function componentOf(block: Block, json: JsonCopier): StoredConfigComponent {
  return {
    name: block.name,
    component_type_key: block.type ?? null,
    variant_key: block.variant ?? null,
    config: (json.copy(block.config) ?? {}) as Record<string, unknown>,
    requirements: block.requirements.map((r) => ({ name: r.name ?? null, component_name: r.componentName ?? null, subscription: json.copy(r.subscription) })),
  };
}

/** Reads and understands the config at `path` (not necessarily open). Pure over `ctx.fs`. */
export function storedConfig(path: string, ctx: ServiceContext): StoredConfigResult {
  if (!path) return { ok: false, error: 'No file given.' };
  if (!ctx.fs.exists(path)) return { ok: false, error: `${path} does not exist.` };
  if (ctx.fs.isDirectory(path)) return { ok: false, error: `${path} is a folder, not a config file.` };
  const text = ctx.fs.readFile?.(path);
  if (text === undefined) return { ok: false, error: `${path} cannot be read.` };
  // A stored config is asked for by name: the workspace's exclude globs (e.g. `.cubelab/`, where runs write
  // their outputs) decide what the editor validates, not what a panel may read.
  const settings = { ...ctx.settings, files: { ...ctx.settings.files, exclude: [] } };
  const doc = analyze(pathToFileUri(path), 0, text, { settings, workspaceFolders: ctx.workspaceFolders });
  // Documents of kind `none` are not parsed by analyze(): check and read those here, with the same parser.
  const parsed = doc.kind === 'none' ? parseYaml(text) : doc.parsed;
  const syntax = parsed.docs.flatMap((d) => d.errors)[0];
  if (syntax) {
    const line = parsed.lines.positionAt(syntax.pos[0]).line + 1;
    return { ok: false, error: `${path} is not valid YAML (line ${line}): ${syntax.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '')}` };
  }
  const json = new JsonCopier();
  const value = json.copy(toPy(parsed.doc?.contents, parsed.doc));
  const provider = providers[doc.kind];
  const diagnostics = countDiagnostics(provider ? provider.validate(doc, ctx) : []);
  let components: StoredConfigComponent[] = [];
  let globalConfig: unknown = null;
  let modelInfo: unknown = null;
  if (doc.kind === 'mlgym-gs') {
    const { model } = analysisOf(doc, ctx);
    components = model.blocks.filter((b) => b.map).map((b) => componentOf(b, json));
    globalConfig = model.globalConfig ? json.copy(toPy(model.globalConfig.value, model.doc)) : null;
    modelInfo = model.modelInfo ? json.copy(toPy(model.modelInfo.value, model.doc)) : null;
  }
  return { ok: true, kind: doc.kind, components, globalConfig, modelInfo, value, diagnostics, ...(json.truncated ? { truncated: true } : {}) };
}
