/**
 * LSP wiring, and nothing more: documents in, the pure language service's answers out.
 * Every handler is guarded so that a bug on one document can never take the server down.
 */
import {
  createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, DidChangeConfigurationNotification,
  type InitializeParams, type InitializeResult, type Connection,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  DocumentKindRequest, ServerInfoRequest, TaskPlanRequest, GridExpansionRequest, CubesRequest, StoredConfigRequest, SweepFileRequest, defaultSettings, type CubeLabSettings,
  MlexchangeImportRequest, MlexchangeExportRequest, MedperfRecordRequest, RunFormRequest, RunFormWriteRequest,
  YamlSyntaxOwnerNotification, type CubeLabInitializationOptions,
} from '../../shared/lsp-protocol';
import { leaveSyntaxTo } from './service/yamlSyntaxOwner';
import { fileUriToPath as uriToPath } from '../../shared/fileUri';
import { type AnalyzedDocument, type KindProvider, type ServiceContext } from './service/languageService';
import { providers } from './service/registry';
import { nodeFileAccess } from './nodeFileAccess';
import { analyzeIncrementally, IncrementalValidator } from './yaml/incremental';
import { planTask } from './mlcube/plan';
import { expandGridRequest } from './mlgym/gridRequest';
import { listCubes } from './cubes';
import { storedConfig } from './mlgym/storedConfig';
import { readSweepFile } from './mlcube/sweepFile';
import { mlexchangeExport, mlexchangeImport, medperfRecord } from './interop/requests';
import { runForm, runFormWrite } from './forms/runForm';
import { REQUEST_BUDGET_MS, withinBudget } from './service/budget';
import { globMatcher } from '../../shared/glob';

declare const CUBELAB_VERSION: string; // injected by esbuild

const connection: Connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const ctx: ServiceContext = { settings: defaultSettings, workspaceFolders: [], fs: nodeFileAccess, env: process.env };
const cache = new Map<string, AnalyzedDocument>();
const timers = new Map<string, NodeJS.Timeout>();
const incrementalValidator = new IncrementalValidator();
const validatedVersion = new Map<string, number>();
let configurationPull = false;
/** The extension that reports YAML syntax errors itself (Red Hat's YAML), told by the client; null: CubeLab does. */
let yamlSyntaxOwner: string | null = null;
let codeLensRefresh = false;
let inlayHintRefresh = false;
let refreshPending = false;

function guard<T>(what: string, fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    connection.console.error(`CubeLab: ${what} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return fallback;
  }
}

function analyzed(uri: string): AnalyzedDocument | undefined {
  const td = documents.get(uri);
  if (!td) return undefined;
  const hit = cache.get(uri);
  if (hit && hit.version === td.version) return hit;
  // An edit inside one task of a large manifest re-parses only that task (yaml/incremental.ts).
  const doc = guard('analysis', undefined, () => analyzeIncrementally(hit, uri, td.version, td.getText(), ctx));
  if (doc) cache.set(uri, doc);
  return doc;
}

/**
 * Asks the client to fetch lenses and inlay hints again. VS Code may ask for them before the document's
 * didOpen reaches the server (the provider registers first), and an empty answer is never asked again:
 * without this, a freshly opened manifest can stay without its "▶ Run" lenses until the first edit.
 */
const LATE_REFRESH_MS = [1_000, 4_000];

function refreshViews(): void {
  if (refreshPending || (!codeLensRefresh && !inlayHintRefresh)) return;
  refreshPending = true;
  setImmediate(() => {
    refreshPending = false;
    if (codeLensRefresh) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
    if (inlayHintRefresh) void connection.sendRequest('workspace/inlayHint/refresh').catch(() => undefined);
  });
}

function providerFor(uri: string): [AnalyzedDocument, KindProvider] | undefined {
  const doc = analyzed(uri);
  if (!doc) return undefined;
  const p = providers[doc.kind];
  return p ? [doc, p] : undefined;
}

function validateNow(uri: string): void {
  timers.delete(uri);
  const hit = providerFor(uri);
  const diagnostics = hit && ctx.settings.validation.enable ? leaveSyntaxTo(yamlSyntaxOwner, guard('validation', [], () => incrementalValidator.validate(hit[0], hit[1], ctx))) : [];
  validatedVersion.set(uri, documents.get(uri)?.version ?? -1);
  void connection.sendDiagnostics({ uri, version: documents.get(uri)?.version, diagnostics });
}

function scheduleValidation(uri: string, delay: number): void {
  const t = timers.get(uri);
  if (t) clearTimeout(t);
  if (delay <= 0) { validateNow(uri); return; }
  timers.set(uri, setTimeout(() => validateNow(uri), delay));
}

async function pullSettings(): Promise<void> {
  if (!configurationPull) return;
  const s = (await connection.workspace.getConfiguration('cubelab')) as Partial<CubeLabSettings> | null;
  const files = { ...defaultSettings.files, ...(s?.files ?? {}) };
  // Glob settings a workspace can set (restricted in untrusted workspaces): lists of strings only, and a
  // pattern the matcher refuses (too long, too many brace alternatives; shared/glob.ts) said so once, here.
  for (const key of ['manifestGlobs', 'mlgymGlobs', 'exclude'] as const) {
    const globs: unknown = files[key];
    files[key] = Array.isArray(globs) ? globs.filter((g): g is string => typeof g === 'string') : defaultSettings.files[key];
    for (const g of files[key]) {
      const m = globMatcher(g, { nocase: true });
      if (!m.ok) connection.console.warn(`CubeLab: the pattern ${JSON.stringify(g.length > 80 ? `${g.slice(0, 77)}...` : g)} in cubelab.files.${key} is ignored: ${m.reason}.`);
    }
  }
  ctx.settings = {
    files,
    validation: { ...defaultSettings.validation, ...(s?.validation ?? {}) },
  };
}

connection.onInitialize((params: InitializeParams): InitializeResult => {
  configurationPull = !!params.capabilities.workspace?.configuration;
  codeLensRefresh = !!params.capabilities.workspace?.codeLens?.refreshSupport;
  inlayHintRefresh = !!params.capabilities.workspace?.inlayHint?.refreshSupport;
  ctx.workspaceFolders = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter(Boolean);
  const init = params.initializationOptions as CubeLabInitializationOptions | undefined;
  yamlSyntaxOwner = typeof init?.yamlSyntaxOwner === 'string' ? init.yamlSyntaxOwner : null;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      completionProvider: { triggerCharacters: [':', ' ', '{', '$', '.', '/', '-'], resolveProvider: false },
      hoverProvider: true,
      definitionProvider: true,
      codeActionProvider: { codeActionKinds: ['quickfix'] },
      codeLensProvider: { resolveProvider: false },
      inlayHintProvider: true,
      documentSymbolProvider: true,
      documentLinkProvider: { resolveProvider: false },
      foldingRangeProvider: true,
    },
    serverInfo: { name: 'cubelab-language-server', version: CUBELAB_VERSION },
  };
});

connection.onInitialized(async () => {
  if (configurationPull) {
    void connection.client.register(DidChangeConfigurationNotification.type, { section: 'cubelab' });
    await guard('settings', Promise.resolve(), pullSettings);
    for (const d of documents.all()) scheduleValidation(d.uri, 0);
    refreshViews();
  }
});

connection.onNotification(YamlSyntaxOwnerNotification, (p) => {
  const owner = typeof p?.extension === 'string' ? p.extension : null;
  if (owner === yamlSyntaxOwner) return;
  yamlSyntaxOwner = owner;
  for (const d of documents.all()) scheduleValidation(d.uri, 0);
});

connection.onDidChangeConfiguration(async () => {
  await pullSettings().catch((e) => connection.console.error(String(e)));
  cache.clear();
  for (const d of documents.all()) scheduleValidation(d.uri, 0);
  refreshViews();
});

// VS Code may also drop a refresh that arrives before its editor has subscribed to the new provider (seen
// under load: no lens request until the first edit), so a newly opened document refreshes again a little later.
documents.onDidOpen((e) => {
  scheduleValidation(e.document.uri, 0);
  refreshViews();
  for (const ms of LATE_REFRESH_MS) setTimeout(refreshViews, ms).unref();
});
// Opening fires both events for the same version: validate it once.
documents.onDidChangeContent((e) => { if (validatedVersion.get(e.document.uri) !== e.document.version) scheduleValidation(e.document.uri, ctx.settings.validation.debounceMs); });
documents.onDidClose((e) => {
  cache.delete(e.document.uri);
  incrementalValidator.forget(e.document.uri);
  validatedVersion.delete(e.document.uri);
  const t = timers.get(e.document.uri);
  if (t) clearTimeout(t);
  timers.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

connection.onCompletion((p) => guard('completion', null, () => { const h = providerFor(p.textDocument.uri); return h?.[1].complete?.(h[0], p.position, ctx) ?? null; }));
connection.onHover((p) => guard('hover', null, () => { const h = providerFor(p.textDocument.uri); return h?.[1].hover?.(h[0], p.position, ctx) ?? null; }));
connection.onDefinition((p) => guard('definition', null, () => { const h = providerFor(p.textDocument.uri); return h?.[1].definition?.(h[0], p.position, ctx) ?? null; }));
connection.onCodeAction((p) => guard('code actions', [], () => { const h = providerFor(p.textDocument.uri); return h?.[1].codeActions?.(h[0], p.range, p.context.diagnostics, ctx) ?? []; }));
connection.onCodeLens((p) => guard('code lenses', [], () => { const h = providerFor(p.textDocument.uri); return h?.[1].codeLenses?.(h[0], ctx) ?? []; }));
connection.languages.inlayHint.on((p) => guard('inlay hints', [], () => { const h = providerFor(p.textDocument.uri); return h?.[1].inlayHints?.(h[0], p.range, ctx) ?? []; }));
connection.onDocumentSymbol((p) => guard('symbols', [], () => { const h = providerFor(p.textDocument.uri); return h?.[1].symbols?.(h[0], ctx) ?? []; }));
connection.onDocumentLinks((p) => guard('links', [], () => { const h = providerFor(p.textDocument.uri); return h?.[1].documentLinks?.(h[0], ctx) ?? []; }));
connection.onFoldingRanges((p) => guard('folding', [], () => { const h = providerFor(p.textDocument.uri); return h?.[1].foldingRanges?.(h[0], ctx) ?? []; }));

connection.onRequest(DocumentKindRequest, (p) => ({ kind: analyzed(p.uri)?.kind ?? 'none' }));
connection.onRequest(ServerInfoRequest, () => ({ version: CUBELAB_VERSION, pid: process.pid, documents: documents.all().length }));
/** `fn`'s answer within the request budget (service/budget.ts), or `tooExpensive` when it has none in time. */
function budgeted<T>(tooExpensive: (reason: string) => T, fn: () => T): T {
  const r = withinBudget(REQUEST_BUDGET_MS, fn);
  return !r.exceeded ? r.value : r.value !== undefined ? r.value : tooExpensive(r.reason);
}

connection.onRequest(TaskPlanRequest, (p) => guard('task plan', { ok: false as const, error: 'Internal error while planning the task (see the CubeLab output).' }, () => {
  const doc = analyzed(p.uri);
  if (!doc || doc.kind !== 'mlcube') return { ok: false as const, error: `${p.uri} is not an open MLCube manifest.` };
  return budgeted((reason) => ({ ok: false as const, error: `The manifest is too expensive to plan (${reason}).` }), () => planTask(doc, p, ctx));
}));
connection.onRequest(GridExpansionRequest, (p) => guard('grid expansion', { count: 0, experiments: [] }, () => {
  const doc = analyzed(p.uri);
  return doc ? budgeted((reason) => ({ count: 0, experiments: [], error: `The grid is too expensive to expand (${reason}).` }), () => expandGridRequest(doc, p, ctx)) : { count: 0, experiments: [] };
}));

connection.onRequest(CubesRequest, () => guard('cubes', { cubes: [], truncated: false }, () =>
  listCubes(ctx, documents.all().map((d) => analyzed(d.uri)).filter((d): d is AnalyzedDocument => !!d))));
connection.onRequest(StoredConfigRequest, (p) => guard('stored config', { ok: false as const, error: 'Internal error while reading the stored config (see the CubeLab output).' },
  () => storedConfig(p.path, ctx)));
connection.onRequest(SweepFileRequest, (p) => guard('sweep file', { ok: false as const, error: 'Internal error while reading the sweep file (see the CubeLab output).' }, () => {
  // An open document's text (unsaved edits included), else the file on disk.
  const open = documents.get(p.uri)?.getText();
  const path = uriToPath(p.uri);
  const text = open ?? (path ? ctx.fs.readFile?.(path) : undefined);
  if (text === undefined) return { ok: false as const, error: `Cannot read the sweep file ${path ?? p.uri}.` };
  if (text.length > 1_000_000) return { ok: false as const, error: 'The sweep file is over 1 MB: too large to be a list of override sets.' };
  return budgeted((reason) => ({ ok: false as const, error: `The sweep file is too expensive to read (${reason}).` }), () => readSweepFile(text));
}));
documents.listen(connection);
connection.listen();

// ---- Interop (docs/interop.md): MLExchange entries in and out, MedPerf records, run forms ----
/** An open manifest, or one read from disk (a command on a Cubes tree node need not open it). */
function manifestDoc(uri: string): AnalyzedDocument | undefined {
  const open = analyzed(uri);
  if (open) return open;
  const path = uriToPath(uri);
  const text = path ? ctx.fs.readFile?.(path) : undefined;
  if (text === undefined || text.length > 4_000_000) return undefined;
  return guard('analysis', undefined, () => analyzeIncrementally(undefined, uri, 0, text, ctx));
}
connection.onRequest(MlexchangeImportRequest, (p) => guard('MLExchange import', { ok: false as const, error: 'Internal error while reading the entry (see the CubeLab output).' },
  () => budgeted((reason) => ({ ok: false as const, error: `The entry is too expensive to read (${reason}).` }), () => mlexchangeImport(p))));
connection.onRequest(MlexchangeExportRequest, (p) => guard('MLExchange export', { ok: false as const, error: 'Internal error while exporting the cube (see the CubeLab output).' }, () => {
  const doc = manifestDoc(p.uri);
  if (!doc) return { ok: false as const, error: `Cannot read ${uriToPath(p.uri) || p.uri}.` };
  return budgeted((reason) => ({ ok: false as const, error: `The cube is too expensive to export (${reason}).` }), () => mlexchangeExport(doc, ctx));
}));
connection.onRequest(MedperfRecordRequest, (p) => guard('MedPerf record', { ok: false as const, error: 'Internal error while reading the record (see the CubeLab output).' },
  () => budgeted((reason) => ({ ok: false as const, error: `The record is too expensive to read (${reason}).` }), () => medperfRecord(p))));
connection.onRequest(RunFormRequest, (p) => guard('run form', { ok: false as const, error: 'Internal error while making the form (see the CubeLab output).' }, () => {
  const doc = manifestDoc(p.uri);
  if (!doc || doc.kind !== 'mlcube') return { ok: false as const, error: `${uriToPath(p.uri) || p.uri} is not an MLCube manifest.` };
  return budgeted((reason) => ({ ok: false as const, error: `The form is too expensive to make (${reason}).` }), () => runForm(doc, p.task, ctx));
}));
connection.onRequest(RunFormWriteRequest, (p) => guard('run form', { ok: false as const, error: 'Internal error while checking the values (see the CubeLab output).', errors: {} }, () => {
  const doc = manifestDoc(p.uri);
  if (!doc || doc.kind !== 'mlcube') return { ok: false as const, error: `${uriToPath(p.uri) || p.uri} is not an MLCube manifest.`, errors: {} };
  const values = p.values && typeof p.values === 'object' ? p.values as Record<string, unknown> : {};
  return budgeted((reason) => ({ ok: false as const, error: `The values are too expensive to check (${reason}).`, errors: {} }), () => runFormWrite(doc, p.task, values, ctx));
}));
