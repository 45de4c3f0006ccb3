/**
 * What the active YAML document is, as the server classified it, shown in two places: the
 * `cubelab.documentKind` context key (menus and the palette show Run Task, Preview Grid... only where they can
 * act) and a language status item (the `{}` next to the language mode) with the server's state.
 * The server owns the classification; this file only asks (`cubelab/documentKind`) and shows the answer.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { DocumentKindRequest, type DocumentKind, type DocumentKindResult } from '../../../shared/lsp-protocol';
import { sendRequest } from './request';

/** The language server as the user sees it. `restarted`: running again after it died; `crashed`: given up. */
export type ServerState = 'starting' | 'running' | 'restarted' | 'stopped' | 'crashed';

export const DOCUMENT_KIND_CONTEXT = 'cubelab.documentKind';

const KIND_LABEL: Record<DocumentKind, string> = {
  mlcube: 'MLCube manifest',
  'mlcube-settings': 'MLCube system settings',
  'mlcube-legacy': 'MLCube v1 manifest',
  'mlgym-run': 'MLgym run config',
  'mlgym-gs': 'MLgym grid search',
  none: 'Not a CubeLab file',
};

export function kindLabel(kind: DocumentKind): string { return KIND_LABEL[kind]; }

/** The status item's detail line for a server state (restarts: how many times it was restarted this session). */
export function serverStateDetail(state: ServerState, restarts: number): string {
  switch (state) {
    case 'starting': return 'CubeLab language server starting…';
    case 'running': return 'CubeLab language server running';
    case 'restarted': return `CubeLab language server restarted after it stopped unexpectedly (${restarts}×)`;
    case 'stopped': return 'CubeLab language server stopped (CubeLab: Restart Language Server)';
    case 'crashed': return 'CubeLab language server crashed repeatedly and was not restarted (CubeLab: Restart Language Server)';
  }
}

const YAML_SELECTOR: vscode.DocumentSelector = { language: 'yaml' };
const REFRESH_AFTER_EDIT_MS = 300;

export class DocumentStatus implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  private readonly disposables: vscode.Disposable[] = [];
  private kind: DocumentKind | undefined;
  private state: ServerState = 'starting';
  private restarts = 0;
  private pending = 0;
  private generation = 0;
  private editTimer: NodeJS.Timeout | undefined;

  constructor(private readonly client: () => LanguageClient | undefined) {
    this.item = vscode.languages.createLanguageStatusItem('cubelab.documentKind', YAML_SELECTOR);
    this.item.name = 'CubeLab';
    this.item.command = { title: 'Show Log', command: 'cubelab.showOutput', tooltip: 'Show the CubeLab log (runs, endpoint, language server)' };
    this.disposables.push(
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => void this.refresh()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document !== vscode.window.activeTextEditor?.document) return;
        // A new file becomes a manifest as its keys are typed: ask again once typing pauses.
        clearTimeout(this.editTimer);
        this.editTimer = setTimeout(() => void this.refresh(), REFRESH_AFTER_EDIT_MS);
      }),
      // The server publishes a document's diagnostics after analysing it: the kind is known from then on.
      vscode.languages.onDidChangeDiagnostics((e) => {
        const active = vscode.window.activeTextEditor?.document.uri.toString();
        if (active && e.uris.some((u) => u.toString() === active)) void this.refresh();
      }),
      { dispose: () => clearTimeout(this.editTimer) },
    );
    this.render();
  }

  setServerState(state: ServerState, restarts: number): void {
    const becameReady = (state === 'running' || state === 'restarted') && this.state !== state;
    this.state = state;
    this.restarts = restarts;
    this.render();
    if (becameReady) void this.refresh();
  }

  /** Asks the server what the active document is; the newest answer wins. */
  async refresh(): Promise<void> {
    const doc = vscode.window.activeTextEditor?.document;
    const gen = ++this.generation;
    const client = this.client();
    if (!doc || doc.languageId !== 'yaml' || !client?.isRunning()) {
      // No answer to give: menus that need a kind hide (an empty key matches no `==` clause).
      if (!doc || doc.languageId !== 'yaml') this.setKind(undefined);
      return;
    }
    this.pending++;
    this.render();
    try {
      const { kind }: DocumentKindResult = await sendRequest(client, DocumentKindRequest, { uri: doc.uri.toString() });
      if (gen === this.generation) this.setKind(kind);
    } catch {
      // The server restarting answers nothing; the state change asks again.
    } finally {
      this.pending--;
      this.render();
    }
  }

  private setKind(kind: DocumentKind | undefined): void {
    if (kind === this.kind) return;
    this.kind = kind;
    void vscode.commands.executeCommand('setContext', DOCUMENT_KIND_CONTEXT, kind ?? '');
    this.render();
  }

  private render(): void {
    const item = this.item;
    item.text = this.kind ? kindLabel(this.kind) : 'CubeLab';
    item.detail = serverStateDetail(this.state, this.restarts);
    item.busy = this.state === 'starting' || this.pending > 0;
    item.severity = this.state === 'crashed' || this.state === 'stopped' ? vscode.LanguageStatusSeverity.Error
      : this.state === 'restarted' ? vscode.LanguageStatusSeverity.Warning
        : vscode.LanguageStatusSeverity.Information;
  }

  dispose(): void { for (const d of this.disposables) d.dispose(); }
}
