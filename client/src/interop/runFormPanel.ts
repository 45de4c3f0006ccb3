/**
 * The Run form panel's extension side: asks the language server for a task's form (fields from the schema beside
 * its parameters file), opens one panel per task, remembers the last values per task (workspace state), and on
 * Save / Run has the server check the values and give the file's new text, writes it, and runs the task through
 * the run layer (the task terminal and the Runs view as for Run Task). Restricted workspace: the form shows,
 * nothing is written or run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RunFormRequest, RunFormWriteRequest, type RunFormSpec } from '../../../shared/lsp-protocol';
import {
  RUN_FORM_VIEW_TYPE, isFormValue, isRunFormFromWebview,
  type FormValue, type RunFormData, type RunFormFromWebview, type RunFormToWebview,
} from '../../../shared/webview-protocol/runForm';
import { sendRequest, type RequestSender } from '../language/request';
import { PanelHost } from '../webviews/panelHost';
import type { RunCommands } from '../runs/editor/commands';

export const VALUES_KEY = 'cubelab.runForm.values';
/** Remembered values of at most this many tasks (oldest forgotten first). */
const MAX_REMEMBERED = 200;

type Remembered = Record<string, { values: Record<string, FormValue>; at: number }>;

export interface RunFormDeps {
  client: () => Promise<RequestSender | undefined>;
  runs: Pick<RunCommands, 'runAndWait'>;
  output: vscode.LogOutputChannel;
}

const taskKey = (manifest: string, task: string) => `${manifest}#${task}`;

function relLabel(file: string): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
  return folder ? path.relative(folder.uri.fsPath, file).split(path.sep).join('/') : file;
}

/** Only values of the form's fields, of the right kinds (what was remembered may be from an older schema). */
function pick(spec: RunFormSpec, from: Record<string, unknown> | undefined): Record<string, FormValue> {
  const out: Record<string, FormValue> = {};
  if (!from) return out;
  for (const f of spec.fields) {
    if (!Object.prototype.hasOwnProperty.call(from, f.key)) continue;
    const v = from[f.key];
    if (isFormValue(v)) Object.defineProperty(out, f.key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export class RunFormPanel implements vscode.Disposable {
  readonly host: PanelHost<RunFormFromWebview, RunFormToWebview>;
  private spec: RunFormSpec | undefined;
  private busy = false;
  /** Test hook and status: the last outcome reported to the page. */
  lastResult: { ok: boolean; message: string } | undefined;

  constructor(readonly panel: vscode.WebviewPanel, private readonly context: vscode.ExtensionContext, readonly manifestUri: string,
    readonly task: string, private readonly deps: RunFormDeps, private readonly onDispose: (p: RunFormPanel) => void) {
    this.host = new PanelHost(panel, context.extensionUri, { bundle: 'runform', title: panel.title, isIncoming: isRunFormFromWebview, output: deps.output });
    this.host.onReady(() => void this.sendInit());
    this.host.onMessage((m) => void this.receive(m));
    panel.onDidDispose(() => this.dispose());
  }

  get key(): string { return taskKey(this.manifestUri, this.task); }

  /** Asks the server for the form; an error closes nothing (the message says what is wrong). */
  async load(): Promise<{ ok: true; spec: RunFormSpec } | { ok: false; error: string }> {
    const client = await this.deps.client();
    if (!client) return { ok: false, error: 'The CubeLab language server is not running (see the CubeLab output).' };
    const r = await sendRequest(client, RunFormRequest, { uri: this.manifestUri, task: this.task });
    if (!r.ok) return r;
    this.spec = r.form;
    this.panel.title = `Run ${r.form.task} with Form`;
    return { ok: true, spec: r.form };
  }

  private remembered(): Remembered {
    const r = this.context.workspaceState.get<unknown>(VALUES_KEY);
    return r && typeof r === 'object' ? r as Remembered : {};
  }

  private async remember(values: Record<string, FormValue>): Promise<void> {
    const all = { ...this.remembered() };
    all[this.key] = { values, at: Date.now() };
    const keys = Object.keys(all);
    if (keys.length > MAX_REMEMBERED) {
      for (const k of keys.sort((a, b) => (all[a]?.at ?? 0) - (all[b]?.at ?? 0)).slice(0, keys.length - MAX_REMEMBERED)) delete all[k];
    }
    await this.context.workspaceState.update(VALUES_KEY, all);
  }

  private async sendInit(): Promise<void> {
    const r = await this.load().catch((e: unknown) => ({ ok: false as const, error: (e as Error).message }));
    if (!r.ok) {
      this.deps.output.warn(`[runform] ${r.error}`);
      void vscode.window.showErrorMessage(`CubeLab: ${r.error}`);
      this.dispose();
      return;
    }
    const spec = r.spec;
    const last = pick(spec, this.remembered()[this.key]?.values);
    const form: RunFormData = {
      title: `${spec.cubeName} · ${spec.task}`, task: spec.task,
      manifestLabel: relLabel(spec.manifest), parametersLabel: relLabel(spec.parametersFile), schemaLabel: relLabel(spec.schemaFile),
      source: spec.source, fields: spec.fields,
      values: { ...spec.values, ...last },
      fileValues: spec.values, defaults: spec.defaults, notes: spec.notes, readOnly: !vscode.workspace.isTrusted,
    };
    this.host.send({ type: 'init', form });
    if (this.busy) this.host.send({ type: 'busy', busy: true });
  }

  private result(ok: boolean, message: string, errors: Record<string, string> = {}): void {
    this.lastResult = { ok, message };
    this.host.send({ type: 'result', ok, message, errors });
  }

  private async receive(m: RunFormFromWebview): Promise<void> {
    switch (m.type) {
      case 'changed': if (this.spec) await this.remember(pick(this.spec, m.values)); break;
      case 'openFile': {
        const file = m.which === 'parameters' ? this.spec?.parametersFile : this.spec?.schemaFile;
        if (file) await vscode.window.showTextDocument(vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.Beside, preview: true }).then(undefined, (e: unknown) => this.result(false, `Cannot open ${file}: ${(e as Error).message}`));
        break;
      }
      case 'save':
      case 'run': await this.submit(m.type, m.values); break;
    }
  }

  private async submit(kind: 'save' | 'run', values: Record<string, FormValue>): Promise<void> {
    if (this.busy) return;
    if (!vscode.workspace.isTrusted) { this.result(false, 'Not written: the workspace is restricted. Trust the workspace to save or run.'); return; }
    this.busy = true;
    this.host.send({ type: 'busy', busy: true });
    try {
      if (this.spec) await this.remember(pick(this.spec, values));
      const client = await this.deps.client();
      if (!client) { this.result(false, 'The CubeLab language server is not running (see the CubeLab output).'); return; }
      const w = await sendRequest(client, RunFormWriteRequest, { uri: this.manifestUri, task: this.task, values });
      if (!w.ok) { this.result(false, w.error, w.errors); return; }
      // An editor with unsaved changes to the same file: writing under it would lose them or the form's values.
      const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && path.resolve(d.uri.fsPath) === path.resolve(w.path));
      if (open?.isDirty) { this.result(false, `${relLabel(w.path)} has unsaved changes in an editor: save or revert them first.`); return; }
      await mkdir(path.dirname(w.path), { recursive: true });
      await writeFile(w.path, w.text, 'utf8');
      this.deps.output.info(`[runform] wrote ${w.path} for ${this.task}`);
      if (kind === 'save') { this.result(true, `Saved ${relLabel(w.path)}.`); return; }
      this.result(true, `Saved ${relLabel(w.path)}. Running ${this.task}…`);
      const manifest = vscode.Uri.parse(this.manifestUri).fsPath;
      const outcome = await this.deps.runs.runAndWait({ type: 'cubelab', manifest, task: this.task });
      if (!outcome) this.result(false, `${this.task} did not run (see its terminal).`);
      else if (outcome.status === 'succeeded') this.result(true, `${this.task} finished: run ${outcome.runId} succeeded.`);
      else this.result(false, `${this.task} ended: run ${outcome.runId} ${outcome.status}${outcome.exitCode !== null ? ` (exit code ${outcome.exitCode})` : ''}${outcome.reason ? `: ${outcome.reason}` : ''}.`);
    } catch (e) {
      this.deps.output.error(`[runform] ${(e as Error).stack ?? String(e)}`);
      this.result(false, `Not done: ${(e as Error).message}`);
    } finally {
      this.busy = false;
      this.host.send({ type: 'busy', busy: false });
    }
  }

  reveal(): void { this.panel.reveal(); }

  dispose(): void {
    this.host.dispose();
    this.onDispose(this);
  }
}

/** The open Run form panels, one per task. */
export class RunForms implements vscode.Disposable {
  private readonly panels = new Map<string, RunFormPanel>();

  constructor(private readonly context: vscode.ExtensionContext, private readonly deps: RunFormDeps) {}

  /** Opens (or reveals) the form of a task. `manifestUri` is the manifest's URI as text. */
  async open(manifestUri: string, task: string): Promise<RunFormPanel | undefined> {
    const existing = this.panels.get(taskKey(manifestUri, task));
    if (existing) { existing.reveal(); return existing; }
    // Check before opening a panel: a task without a schema gets a message, not an empty panel.
    const client = await this.deps.client();
    if (!client) { void vscode.window.showErrorMessage('CubeLab: the language server is not running (see the CubeLab output).'); return undefined; }
    const probe = await sendRequest(client, RunFormRequest, { uri: manifestUri, task });
    if (!probe.ok) { void vscode.window.showErrorMessage(`CubeLab: ${probe.error}`); return undefined; }
    const panel = vscode.window.createWebviewPanel(RUN_FORM_VIEW_TYPE, `Run ${probe.form.task} with Form`, vscode.ViewColumn.Active, { enableFindWidget: false });
    const p = new RunFormPanel(panel, this.context, manifestUri, task, this.deps, (x) => { if (this.panels.get(x.key) === x) this.panels.delete(x.key); });
    this.panels.set(p.key, p);
    return p;
  }

  /** The panel of a task, if open (tests and the status bar). */
  get(manifestUri: string, task: string): RunFormPanel | undefined { return this.panels.get(taskKey(manifestUri, task)); }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
  }
}

