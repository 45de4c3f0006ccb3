// A small LSP client over stdio for the benchmark: starts a server process, answers its configuration
// requests, sends documents and edits, and times the answers (diagnostics are matched to the edit that
// caused them: by version when the server publishes one, else as the next publication for that URI).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';

export class LspDriver {
  constructor(name, command, args, { configuration, rootPath }) {
    this.name = name;
    this.stderr = '';
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (b) => { this.stderr += b; });
    this.conn = createMessageConnection(new StreamMessageReader(this.proc.stdout), new StreamMessageWriter(this.proc.stdin));
    this.waiters = new Map(); // uri -> [{ version, resolve }]
    this.lastPublished = new Map();
    this.configured = false;
    this.conn.onNotification('textDocument/publishDiagnostics', (p) => {
      const t = performance.now();
      this.lastPublished.set(p.uri, p);
      const list = this.waiters.get(p.uri) ?? [];
      const keep = [];
      for (const w of list) {
        if (w.version === undefined || p.version === undefined || p.version === null || p.version >= w.version) w.resolve({ t, diagnostics: p.diagnostics });
        else keep.push(w);
      }
      this.waiters.set(p.uri, keep);
    });
    this.conn.onRequest('workspace/configuration', (p) => { this.configured = true; return p.items.map((i) => configuration(i.section)); });
    this.conn.onRequest('client/registerCapability', () => null);
    this.conn.onRequest('window/workDoneProgress/create', () => null);
    this.conn.onNotification('window/logMessage', () => undefined);
    this.conn.onNotification('telemetry/event', () => undefined);
    this.conn.onRequest(() => null); // anything else the server may ask (custom requests): no answer needed
    this.conn.listen();
    this.rootUri = pathToFileURL(rootPath).href;
    this.versions = new Map();
  }

  async start() {
    await this.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: this.rootUri,
      workspaceFolders: [{ uri: this.rootUri, name: 'bench' }],
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: {
          synchronization: { dynamicRegistration: false, didSave: false },
          completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          publishDiagnostics: { relatedInformation: true, versionSupport: true },
        },
      },
    });
    this.conn.sendNotification('initialized', {});
    this.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    // Settings are pulled asynchronously after `initialized`; give the server time to apply them.
    const deadline = performance.now() + 5000;
    while (!this.configured && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
  }

  waitDiagnostics(uri, version) {
    return new Promise((resolve) => {
      const list = this.waiters.get(uri) ?? [];
      list.push({ version, resolve });
      this.waiters.set(uri, list);
    });
  }

  /** Opens a document; resolves with the time until its first diagnostics. */
  async open(uri, text) {
    this.versions.set(uri, 1);
    const wait = this.waitDiagnostics(uri, 1);
    const t0 = performance.now();
    this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    const { t, diagnostics } = await wait;
    return { ms: t - t0, diagnostics };
  }

  /** One incremental change; resolves with the time until the diagnostics of that version. */
  async change(uri, range, text) {
    const version = this.versions.get(uri) + 1;
    this.versions.set(uri, version);
    const wait = this.waitDiagnostics(uri, version);
    const t0 = performance.now();
    this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range, text }] });
    const { t, diagnostics } = await wait;
    return { ms: t - t0, diagnostics };
  }

  async completion(uri, position) {
    const t0 = performance.now();
    const r = await this.conn.sendRequest('textDocument/completion', { textDocument: { uri }, position });
    const items = Array.isArray(r) ? r : r?.items ?? [];
    return { ms: performance.now() - t0, items };
  }

  close(uri) { this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } }); }

  async stop() {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      this.conn.sendNotification('exit');
    } catch { /* gone */ }
    this.conn.dispose();
    this.proc.kill();
  }
}
