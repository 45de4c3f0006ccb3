/**
 * Starts the CubeLab language server and restarts it, once announced, if its process dies. Its messages go to
 * the CubeLab log; the LSP trace (setting cubelab.trace.server) to a channel of its own, so a verbose trace
 * never buries run and endpoint lines.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import {
  CloseAction, ErrorAction, LanguageClient, RevealOutputChannelOn, State, TransportKind,
  type CloseHandlerResult, type ErrorHandler, type ErrorHandlerResult, type LanguageClientOptions, type ServerOptions,
} from 'vscode-languageclient/node';
import { ServerInfoRequest, ServerNoticeNotification, type CubeLabInitializationOptions, type ServerInfoResult } from '../../../shared/lsp-protocol';
import { DocumentStatus, type ServerState } from './documentStatus';
import { followYamlSyntaxOwner, yamlSyntaxOwner } from './yamlSyntaxOwner';

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 3 * 60_000;

export class CubeLabLanguageClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private crashes: number[] = [];
  private announcedRestart = false;
  private gaveUp = false;
  private traceChannel: vscode.OutputChannel | undefined;
  private readonly status = new DocumentStatus(() => this.client);
  private readonly yamlOwner = followYamlSyntaxOwner(() => this.client);
  /** How many times the server was restarted after dying (for tests and the info command). */
  restarts = 0;

  constructor(private readonly context: vscode.ExtensionContext, private readonly output: vscode.LogOutputChannel) {}

  /** Creates the client and starts the server in the background; activation never waits for it. */
  start(): void {
    const serverModule = this.context.asAbsolutePath(path.join('dist', 'server.js'));
    // Debug arguments are a setting, and settings never reach a command line in a restricted workspace.
    const extra = vscode.workspace.isTrusted ? vscode.workspace.getConfiguration('cubelab').get<string[]>('server.extraArgs', []) : [];
    const serverOptions: ServerOptions = {
      run: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: extra } },
      debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009', ...extra] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'yaml' },
        { scheme: 'untitled', language: 'yaml' },
      ],
      synchronize: { configurationSection: 'cubelab' },
      // A function: asked again at every (re)start of the server.
      initializationOptions: (): CubeLabInitializationOptions => ({ yamlSyntaxOwner: yamlSyntaxOwner() }),
      outputChannel: this.output,
      traceOutputChannel: (this.traceChannel ??= vscode.window.createOutputChannel('CubeLab Language Server Trace')),
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      errorHandler: this.errorHandler(),
    };
    this.client = new LanguageClient('cubelab', 'CubeLab Language Server', serverOptions, clientOptions);
    this.client.onDidChangeState((e) => this.status.setServerState(this.serverState(e.newState), this.restarts));
    this.client.onNotification(ServerNoticeNotification, (n) => {
      const show = n.level === 'error' ? vscode.window.showErrorMessage : n.level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void show(`CubeLab: ${n.message}`);
    });
    this.client.start().catch((err: unknown) => {
      this.output.error(`Language server failed to start: ${String(err)}`);
      void vscode.window.showErrorMessage('CubeLab: the language server could not start. See the CubeLab output for details.', 'Show Output')
        .then((c) => { if (c) this.output.show(); });
    });
  }

  private errorHandler(): ErrorHandler {
    return {
      error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue, handled: true }),
      closed: (): CloseHandlerResult => {
        const now = Date.now();
        this.crashes = [...this.crashes.filter((t) => now - t < RESTART_WINDOW_MS), now];
        if (this.crashes.length > MAX_RESTARTS) {
          this.gaveUp = true;
          this.output.error(`The language server stopped ${this.crashes.length} times in 3 minutes; not restarted.`);
          void vscode.window.showErrorMessage(`CubeLab: the language server stopped ${this.crashes.length} times in 3 minutes and will not be restarted. Run "CubeLab: Restart Language Server" to try again.`);
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        this.restarts++;
        this.output.warn('The language server stopped unexpectedly; restarting it.');
        if (!this.announcedRestart) {
          // Said once per session: a second crash is in the output channel, not in the user's face.
          this.announcedRestart = true;
          void vscode.window.showWarningMessage('CubeLab: the language server stopped unexpectedly and was restarted.');
        }
        return { action: CloseAction.Restart, handled: true };
      },
    };
  }

  async restart(): Promise<void> {
    if (!this.client) return this.start();
    this.crashes = [];
    this.gaveUp = false;
    await this.client.restart();
  }

  async serverInfo(): Promise<ServerInfoResult> {
    if (!this.client) throw new Error('The CubeLab language server is not running.');
    if (!this.client.isRunning()) await this.client.start();
    return this.client.sendRequest(ServerInfoRequest);
  }

  get languageClient(): LanguageClient | undefined { return this.client; }

  /** Shows the LSP trace channel (empty unless cubelab.trace.server is messages or verbose). */
  showTrace(): void { this.traceChannel?.show(true); }

  private serverState(state: State): ServerState {
    if (state === State.Starting) return 'starting';
    if (state === State.Running) return this.restarts > 0 ? 'restarted' : 'running';
    return this.gaveUp ? 'crashed' : 'stopped';
  }

  dispose(): void {
    void this.client?.stop();
    this.status.dispose();
    this.yamlOwner.dispose();
    this.traceChannel?.dispose();
  }
}
