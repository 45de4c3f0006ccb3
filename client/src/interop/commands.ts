/**
 * Import MLExchange Entry…, Export as MLExchange Entry… and Pull MedPerf Cube…. The language server reads and
 * converts (entries, cubes, records: docs/interop.md); this side picks files and folders, writes (never over an
 * existing file), and for MedPerf downloads and verifies through the registry code (dist/registry.js). Import
 * and export only write files the user picked and run nothing; the MedPerf pull downloads and runs the Docker
 * engine, so it is refused in a restricted workspace.
 */
import { createRequire } from 'node:module';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  MedperfRecordRequest, MlexchangeExportRequest, MlexchangeImportRequest,
  type ImportedEntry, type MedperfPlan,
} from '../../../shared/lsp-protocol';
import { sendRequest, type RequestSender } from '../language/request';
import { loadRunnerModule } from '../runs/editor/runnerLoader';
import type * as RegistryModule from '../registry/index';

/** The largest entry or record file read (the server refuses larger text too). */
const MAX_TEXT_BYTES = 16 << 20;

export interface InteropDeps {
  client: () => Promise<RequestSender | undefined>;
  output: vscode.LogOutputChannel;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A manifest from a command's argument: a Uri, a URI string, a Cubes tree node, else the active editor. */
export function manifestArg(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string') return arg.includes('://') ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  const cube = (arg as { cube?: { uri?: unknown } } | undefined)?.cube;
  if (cube && typeof cube.uri === 'string') return vscode.Uri.parse(cube.uri);
  const doc = vscode.window.activeTextEditor?.document;
  return doc && doc.uri.scheme === 'file' ? doc.uri : undefined;
}

/** One path segment from untrusted text (an entry's or record's name). */
export function safeFolderName(name: string): string {
  const s = name.normalize('NFKC').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|-+$/g, '').slice(0, 80);
  return s || 'cube';
}

async function exists(p: string): Promise<boolean> {
  try { await stat(p); return true; } catch { return false; }
}

async function readBoundedText(file: string, what: string): Promise<string> {
  const st = await stat(file);
  if (!st.isFile()) throw new Error(`${file} is not a file.`);
  if (st.size > MAX_TEXT_BYTES) throw new Error(`${what} ${file} is ${st.size} bytes: more than the ${MAX_TEXT_BYTES} CubeLab reads.`);
  return readFile(file, 'utf8');
}

export class InteropCommands {
  private registry: typeof RegistryModule | undefined;

  constructor(private readonly context: vscode.ExtensionContext, private readonly deps: InteropDeps) {}

  private async server(): Promise<RequestSender> {
    const c = await this.deps.client();
    if (!c) throw new Error('the CubeLab language server is not running (see the CubeLab output).');
    return c;
  }

  private fail(what: string, e: unknown): void {
    this.deps.output.error(`[interop] ${what}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    void vscode.window.showErrorMessage(`CubeLab: ${what} failed: ${message(e)}`);
  }

  private defaultFolder(): vscode.Uri | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri;
  }

  // ---------------------------------------------------------------- MLExchange import

  /** Imports an entry file (or a registry dump of several) as cubes in a folder the user picks. Returns the manifests written. */
  async importEntry(arg?: unknown, destArg?: unknown): Promise<string[]> {
    try {
      let file = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.file(arg) : undefined;
      if (!file) {
        const picked = await vscode.window.showOpenDialog({ title: 'Import MLExchange Entry', canSelectMany: false, filters: { 'MLExchange entry (JSON)': ['json'] }, defaultUri: this.defaultFolder() });
        file = picked?.[0];
      }
      if (!file) return [];
      const text = await readBoundedText(file.fsPath, 'The entry');
      const r = await sendRequest(await this.server(), MlexchangeImportRequest, { text, source: path.basename(file.fsPath) });
      if (!r.ok) { void vscode.window.showErrorMessage(`CubeLab: cannot import ${path.basename(file.fsPath)}: ${r.error}`); return []; }
      const cubes = r.entries.filter((e) => e.manifest && e.files.length);
      const notesOnly = r.entries.filter((e) => !e.manifest);
      for (const e of notesOnly) this.deps.output.info(`[interop] ${e.contentType} ${e.name} ${e.version}: ${e.notes.join(' ')}`);
      if (!cubes.length) {
        const why = notesOnly.map((e) => `${e.name} (${e.contentType}): ${e.notes[0] ?? 'nothing to import'}`).join('; ');
        void vscode.window.showWarningMessage(`CubeLab: no cube to import from ${path.basename(file.fsPath)}. ${why}`);
        return [];
      }
      let dest = destArg instanceof vscode.Uri ? destArg : typeof destArg === 'string' ? vscode.Uri.file(destArg) : undefined;
      if (!dest) {
        const picked = await vscode.window.showOpenDialog({ title: `Folder for the imported cube${cubes.length > 1 ? 's' : ''}`, canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Import Here', defaultUri: this.defaultFolder() ?? vscode.Uri.file(path.dirname(file.fsPath)) });
        dest = picked?.[0];
      }
      if (!dest) return [];
      const manifests: string[] = [];
      const skipped: string[] = [];
      for (const e of cubes) {
        const written = await this.writeCube(dest.fsPath, e);
        if (written) manifests.push(written); else skipped.push(e.folder);
      }
      for (const e of cubes) if (e.notes.length) this.deps.output.info(`[interop] ${e.name} ${e.version}: ${e.notes.join(' ')}`);
      if (manifests[0]) await vscode.window.showTextDocument(vscode.Uri.file(manifests[0]), { preview: false });
      const notes = [...cubes, ...notesOnly].flatMap((e) => e.notes);
      const summary = `CubeLab: imported ${manifests.length} cube${manifests.length === 1 ? '' : 's'} (${cubes.filter((e) => !skipped.includes(e.folder)).map((e) => `${e.name}: ${e.tasks.length} task${e.tasks.length === 1 ? '' : 's'}`).join(', ') || 'none'})`
        + (skipped.length ? `; not written, the folder exists: ${skipped.join(', ')}` : '') + (notes.length ? `. ${notes.length} note(s) in the CubeLab output.` : '.');
      if (skipped.length) void vscode.window.showWarningMessage(summary, 'Show Output').then((c) => { if (c) this.deps.output.show(); });
      else void vscode.window.showInformationMessage(summary, ...(notes.length ? ['Show Output'] : [])).then((c) => { if (c) this.deps.output.show(); });
      return manifests;
    } catch (e) { this.fail('Import MLExchange Entry', e); return []; }
  }

  /** Writes one imported cube into `<dest>/<folder>`; an existing folder is left alone (nothing overwritten). */
  private async writeCube(dest: string, e: ImportedEntry): Promise<string | undefined> {
    const root = path.join(dest, safeFolderName(e.folder));
    if (await exists(root)) return undefined;
    for (const f of e.files) {
      const parts = f.path.split('/');
      if (!parts.length || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) throw new Error(`the entry's file "${f.path.slice(0, 80)}" is outside its cube: refused.`);
      const target = path.join(root, ...parts);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, f.text, { encoding: 'utf8', flag: 'wx' });
    }
    return e.manifest ? path.join(root, ...e.manifest.split('/')) : undefined;
  }

  // ---------------------------------------------------------------- MLExchange export

  /** Exports a manifest's cube as an entry; written only when it validates. Returns the file written. */
  async exportEntry(arg?: unknown, targetArg?: unknown): Promise<string | undefined> {
    try {
      const manifest = manifestArg(arg);
      if (!manifest) { void vscode.window.showWarningMessage('CubeLab: open an MLCube manifest (mlcube.yaml) to export its cube as an MLExchange entry.'); return undefined; }
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'CubeLab: exporting as an MLExchange entry' },
        async () => sendRequest(await this.server(), MlexchangeExportRequest, { uri: manifest.toString() }));
      if (!r.ok) { void vscode.window.showErrorMessage(`CubeLab: cannot export ${vscode.workspace.asRelativePath(manifest)}: ${r.error}`); return undefined; }
      if (r.problems.length) {
        for (const p of r.problems) this.deps.output.error(`[interop] export: ${p}`);
        void vscode.window.showErrorMessage(`CubeLab: the entry does not validate against ${r.schema}: ${r.problems.slice(0, 3).join('; ')}${r.problems.length > 3 ? ` (and ${r.problems.length - 3} more in the CubeLab output)` : ''}. Nothing was written.`);
        return undefined;
      }
      let target = targetArg instanceof vscode.Uri ? targetArg : typeof targetArg === 'string' ? vscode.Uri.file(targetArg) : undefined;
      if (!target) {
        target = await vscode.window.showSaveDialog({ title: 'Export as MLExchange Entry', defaultUri: vscode.Uri.file(path.join(path.dirname(manifest.fsPath), r.fileName)), filters: { 'MLExchange entry (JSON)': ['json'] } });
      }
      if (!target) return undefined;
      // The save dialog has asked about replacing; a path given by a caller is never overwritten.
      await writeFile(target.fsPath, r.text, { encoding: 'utf8', flag: targetArg ? 'wx' : 'w' });
      for (const w of r.warnings) this.deps.output.warn(`[interop] export: ${w}`);
      // Not awaited: the command is done when the file is written (a caller must not wait for a click).
      const written = target;
      void vscode.window.showInformationMessage(
        `CubeLab: exported ${r.contentType} entry ${path.basename(written.fsPath)} (valid against ${r.schema})${r.warnings.length ? `; ${r.warnings.length} thing(s) not carried over, see the CubeLab output` : ''}.`, 'Open')
        .then((choice) => (choice === 'Open' ? vscode.window.showTextDocument(written) : undefined));
      return written.fsPath;
    } catch (e) { this.fail('Export as MLExchange Entry', e); return undefined; }
  }

  // ---------------------------------------------------------------- MedPerf pull

  private registryModule(): typeof RegistryModule {
    // createRequire keeps esbuild from inlining the registry bundle.
    this.registry ??= createRequire(__filename)(path.join(this.context.extensionPath, 'dist', 'registry.js')) as typeof RegistryModule;
    return this.registry;
  }

  /** Pulls a MedPerf cube record (a URL, or a record's JSON file) into a new folder, every hash checked. Returns the manifest. */
  async pullMedperf(sourceArg?: unknown, destArg?: unknown): Promise<string | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('CubeLab pulls nothing in a restricted workspace: a MedPerf pull downloads files and runs the Docker engine. Trust the workspace first.', 'Manage Workspace Trust')
        .then((c) => { if (c) void vscode.commands.executeCommand('workbench.trust.manage'); });
      return undefined;
    }
    try {
      let source = typeof sourceArg === 'string' ? sourceArg : sourceArg instanceof vscode.Uri ? sourceArg.fsPath : undefined;
      if (!source) {
        source = await vscode.window.showInputBox({
          title: 'Pull MedPerf Cube', prompt: 'The cube record: its URL (a MedPerf server\'s /api/v0/mlcubes/<id>/, or a record served anywhere) or a record\'s JSON file on disk',
          placeHolder: 'https://api.medperf.org/api/v0/mlcubes/1/', ignoreFocusOut: true,
          validateInput: (v) => (/^https?:\/\//i.test(v.trim()) || path.isAbsolute(v.trim()) ? undefined : 'An http(s) URL or an absolute path to a record\'s JSON file'),
        });
      }
      if (!source) return undefined;
      source = source.trim();
      const mod = this.registryModule();
      const recordText = /^https?:\/\//i.test(source) ? await mod.fetchRecord(source) : await readBoundedText(source, 'The record');
      const server = await this.server();
      const describe = async (text: string, manifestText?: string): Promise<MedperfPlan> => {
        const r = await sendRequest(server, MedperfRecordRequest, { text, ...(manifestText !== undefined ? { manifest: manifestText } : {}) });
        if (!r.ok) throw new Error(r.error);
        return r.plan;
      };
      const first = await describe(recordText);
      let dest = destArg instanceof vscode.Uri ? destArg.fsPath : typeof destArg === 'string' ? destArg : undefined;
      if (!dest) {
        const parent = await vscode.window.showOpenDialog({ title: `Folder to pull MedPerf cube "${first.name}" into`, canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Pull Here', defaultUri: this.defaultFolder() });
        if (!parent?.[0]) return undefined;
        dest = path.join(parent[0].fsPath, safeFolderName(first.name));
      }
      const runner = loadRunnerModule(this.context.extensionPath);
      const host = vscode.workspace.getConfiguration('cubelab').get<string>('docker.host', '') || undefined;
      const docker = new runner.DockerBackend({ name: 'local', ...(host ? { host } : {}) }).engine;
      const engine = mod.medperfImageEngine(mod.dockerImageEngine(docker), docker);
      const finalDest = dest;
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CubeLab: pulling MedPerf cube ${first.name}`, cancellable: true }, async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return mod.pullMedperf({
          recordText, source, describe, dest: finalDest, engine, signal: abort.signal,
          progress: (m) => progress.report({ message: m }),
          confirmUnverified: async (what) => (await vscode.window.showWarningMessage(
            `The MedPerf record gives no hash for ${what.join(', ')}: CubeLab cannot verify ${what.length === 1 ? 'it' : 'them'}. Pull anyway?`, { modal: true }, 'Pull Unverified')) === 'Pull Unverified',
        });
      });
      for (const f of result.files) this.deps.output.info(`[medperf] ${f.path}: ${f.status}${f.algorithm !== 'none' ? ` (${f.algorithm})` : ''} from ${f.url}`);
      if (result.image) this.deps.output.info(`[medperf] image ${result.image.reference}: ${result.image.status} by ${result.image.by}${result.image.pulled ? ', pulled' : ''}`);
      for (const w of result.warnings) this.deps.output.warn(`[medperf] ${w}`);
      const unverified = result.files.filter((f) => f.status === 'unverified').length + (result.image?.status === 'unverified' ? 1 : 0);
      await vscode.window.showTextDocument(vscode.Uri.file(result.manifest), { preview: false });
      void vscode.window.showInformationMessage(`CubeLab: pulled MedPerf cube ${result.name} (${result.form} record): ${result.files.length} file(s)${result.image ? ' and the image' : ''}, ${unverified ? `${unverified} unverified (accepted)` : 'every hash verified'}.`);
      return result.manifest;
    } catch (e) { this.fail('Pull MedPerf Cube', e); return undefined; }
  }
}
