/**
 * The extension side of one webview panel: the page (strict CSP with a nonce, resources only from
 * dist/webviews and media), the handshake (nothing is sent before the page's `ready`; then `onReady` sends
 * the full `init`, so anything earlier is simply not sent), and validated receiving (invalid messages are dropped, counted
 * and logged). No retainContextWhenHidden: panels keep their state with getState/setState and restore
 * through a serializer.
 */
import * as vscode from 'vscode';
import { webviewHtml } from './html';

export interface PanelHostOptions<In> {
  /** Bundle name: dist/webviews/<name>.js (+ .css). */
  bundle: string;
  title: string;
  isIncoming: (v: unknown) => v is In;
  output: vscode.LogOutputChannel;
  /** Folders besides dist/webviews and media the page may load from (the Review panel's images). */
  resourceRoots?: vscode.Uri[];
}

export function webviewOptions(extensionUri: vscode.Uri, extraRoots: vscode.Uri[] = []): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews'), vscode.Uri.joinPath(extensionUri, 'media'), ...extraRoots],
  };
}

export class PanelHost<In extends { type: string }, Out extends { type: string }> implements vscode.Disposable {
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly handlers: ((m: In) => void)[] = [];
  private readonly readyHandlers: ((m: Extract<In, { type: 'ready' }>) => void)[] = [];
  dropped = 0;
  disposed = false;

  constructor(readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, private readonly options: PanelHostOptions<In>) {
    const webview = panel.webview;
    webview.options = webviewOptions(extensionUri, options.resourceRoots);
    const asUri = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webviews', file)).toString();
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      title: options.title,
      scriptUri: asUri(`${options.bundle}.js`),
      styleUris: [asUri(`${options.bundle}.css`)],
    });
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
      // A hidden panel's page is destroyed (no retainContextWhenHidden); it sends ready again when shown.
      panel.onDidChangeViewState((e) => { if (!e.webviewPanel.visible) this.ready = false; }),
    );
  }

  private receive(m: unknown): void {
    if (!this.options.isIncoming(m)) {
      this.dropped++;
      const type = typeof m === 'object' && m !== null && 'type' in m ? String((m as { type: unknown }).type) : typeof m;
      this.options.output.warn(`[${this.options.bundle}] dropped an invalid message from the webview (${type}); ${this.dropped} so far`);
      return;
    }
    if (m.type === 'ready') {
      // A reload of the page (e.g. after the panel was hidden) sends ready again: start over with fresh data.
      this.ready = true;
      for (const h of this.readyHandlers) h(m as Extract<In, { type: 'ready' }>);
      return;
    }
    for (const h of this.handlers) h(m);
  }

  /** `h` gets the page's `ready` message (a page may say something about itself in it, e.g. its width). */
  onReady(h: (m: Extract<In, { type: 'ready' }>) => void): void {
    this.readyHandlers.push(h);
  }

  onMessage(h: (m: In) => void): void {
    this.handlers.push(h);
  }

  /** Sends if the page is ready; before that nothing is sent (the init sent on ready has it all). */
  send(m: Out): boolean {
    if (this.disposed || !this.ready) return false;
    void this.panel.webview.postMessage(m);
    return true;
  }

  get isReady(): boolean {
    return this.ready;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
