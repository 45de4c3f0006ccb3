/**
 * Drives the built language server (dist/server.js) as a separate process over the LSP wire protocol
 * (JSON-RPC over stdio), as VS Code does. Collects published diagnostics per URI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export const repoRoot = join(__dirname, '..', '..');

export class LspClient {
  readonly connection: MessageConnection;
  readonly process: ChildProcess;
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  private readonly waiters: (() => void)[] = [];
  private versions = new Map<string, number>();
  stderr = '';

  constructor(settings: Record<string, unknown> = {}) {
    this.process = spawn(process.execPath, [join(repoRoot, 'dist', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr!.on('data', (b) => { this.stderr += b; });
    this.connection = createMessageConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    this.connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, p);
      for (const w of this.waiters.splice(0)) w();
    });
    this.connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map(() => settings));
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onNotification('window/logMessage', () => undefined);
    this.connection.listen();
  }

  static async start(opts: { rootPath?: string; settings?: Record<string, unknown> } = {}): Promise<LspClient> {
    const c = new LspClient(opts.settings);
    const root = opts.rootPath ?? repoRoot;
    await c.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(root).href,
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: 'root' }],
      capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: { relatedInformation: true } } },
    });
    c.connection.sendNotification('initialized', {});
    return c;
  }

  open(path: string, text: string, languageId = 'yaml'): string {
    const uri = pathToFileURL(path).href;
    this.versions.set(uri, 1);
    this.diagnostics.delete(uri);
    this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return uri;
  }

  change(uri: string, text: string): void {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    this.diagnostics.delete(uri);
    this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  /** Waits until diagnostics for `uri` have been published (after the last open or change). */
  async diagnosticsFor(uri: string, timeoutMs = 5000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    const want = this.versions.get(uri) ?? 0;
    const fresh = () => { const d = this.diagnostics.get(uri); return d !== undefined && (d.version === undefined || d.version === null || d.version >= want); };
    while (!fresh()) {
      if (Date.now() > deadline) throw new Error(`no diagnostics published for ${uri} within ${timeoutMs} ms; server stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 50); });
    }
    return this.diagnostics.get(uri)!.diagnostics;
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  get alive(): boolean { return this.process.exitCode === null && this.process.signalCode === null; }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (!this.alive) resolve(); else this.process.once('exit', () => resolve());
    });
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification('exit');
    } catch { /* already gone */ }
    // The server exits on `exit`; kill it only if it does not, and dispose the connection after it is gone
    // so that no write lands on a destroyed stream.
    const timer = setTimeout(() => this.process.kill(), 2000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
  }
}
