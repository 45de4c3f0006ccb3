/**
 * The Metrics and Experiments panels, extension side (bundled as dist/panels.js and loaded on the first
 * command or restore, see register.ts). Each panel is a PanelHost (page, CSP, handshake, validation) fed by
 * the RunSession of its event log; panels of the same log share it and its selection.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import {
  METRICS_VIEW_TYPE, isMetricsFromWebview, isMetricsViewState,
  type MetricsFromWebview, type MetricsToWebview,
} from '../../../shared/webview-protocol/metrics';
import {
  EXPERIMENTS_VIEW_TYPE, isExperimentsFromWebview, isExperimentsViewState,
  type ExperimentsFromWebview, type ExperimentsToWebview,
} from '../../../shared/webview-protocol/experiments';
import { PanelHost, webviewOptions } from './panelHost';
import { SessionRegistry, type RunSession, type SessionListener } from './runSession';
import { MetricsFeed, metricsCsv } from './metricsData';
import { ExperimentsFeed } from './experimentsData';
import { pickEventLog, sourceFromArgument } from './pickSource';
import { ModelCardPanels, type LanguageClientSource } from './modelCardPanel';
import { experimentDir, isSafeExperimentId } from '../events/storage';
import { EventIndexStore } from '../events/eventIndex';

/** Default of `cubelab.events.indexCacheMB`: a 1M-event log's index is about 5 MB. */
export const DEFAULT_INDEX_CACHE_MB = 256;

/** `cubelab.events.indexCacheMB`: the cap of the event index store, in bytes. */
function indexCapBytes(): number {
  const mb = vscode.workspace.getConfiguration('cubelab').get<number>('events.indexCacheMB', DEFAULT_INDEX_CACHE_MB);
  return Math.max(0, Number.isFinite(mb) ? mb : DEFAULT_INDEX_CACHE_MB) * 1024 * 1024;
}

export class WebviewPanels implements vscode.Disposable {
  /** Event indexes of the logs the panels read, in the global storage (logs are named by absolute path). */
  readonly indexStore: EventIndexStore;
  private readonly sessions: SessionRegistry;
  private readonly hosts = new Set<PanelHost<{ type: string }, { type: string }>>();
  private readonly configWatch: vscode.Disposable;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    /** The language client, for the model card's stored configs (cubelab/storedConfig). */
    private readonly languageClient?: LanguageClientSource,
  ) {
    this.indexStore = new EventIndexStore(join(context.globalStorageUri.fsPath, 'event-index'), indexCapBytes());
    this.sessions = new SessionRegistry({ index: this.indexStore, log: (text) => output.info(`[events] ${text}`) });
    this.configWatch = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('cubelab.events.indexCacheMB')) return;
      this.indexStore.maxBytes = indexCapBytes();
      void this.indexStore.evict();
    });
  }

  /** `CubeLab: Clear Event Index`: removes every saved index (logs are read from their start next time). */
  async clearEventIndex(): Promise<void> {
    const before = await this.indexStore.stats();
    const cap = this.indexStore.maxBytes;
    this.indexStore.maxBytes = 0;
    await this.indexStore.evict();
    this.indexStore.maxBytes = cap;
    void vscode.window.showInformationMessage(`CubeLab: removed ${before.files} event index file(s) (${(before.bytes / 1024 / 1024).toFixed(1)} MB).`);
  }

  async openMetrics(arg?: unknown): Promise<PanelHost<MetricsFromWebview, MetricsToWebview> | undefined> {
    const source = sourceFromArgument(arg) ?? (await pickEventLog());
    if (!source) return undefined;
    const panel = vscode.window.createWebviewPanel(METRICS_VIEW_TYPE, 'Metrics', vscode.ViewColumn.Active, webviewOptions(this.context.extensionUri));
    return this.attachMetrics(panel, source);
  }

  async openExperiments(arg?: unknown): Promise<PanelHost<ExperimentsFromWebview, ExperimentsToWebview> | undefined> {
    const source = sourceFromArgument(arg) ?? (await pickEventLog());
    if (!source) return undefined;
    const panel = vscode.window.createWebviewPanel(EXPERIMENTS_VIEW_TYPE, 'Experiments', vscode.ViewColumn.Active, webviewOptions(this.context.extensionUri));
    return this.attachExperiments(panel, source);
  }

  /** Serializer entry points: the state is the page's own getState(), validated before use. */
  restoreMetrics(panel: vscode.WebviewPanel, state: unknown): void {
    if (isMetricsViewState(state) && state.source && existsSync(dirname(state.source))) this.attachMetrics(panel, state.source, state.selected);
    else panel.dispose();
  }

  restoreExperiments(panel: vscode.WebviewPanel, state: unknown): void {
    if (isExperimentsViewState(state) && state.source && existsSync(dirname(state.source))) this.attachExperiments(panel, state.source, state.selected);
    else panel.dispose();
  }

  /** The Model card panels (modelCardPanel.ts), created on first use; they share this lazily loaded bundle. */
  private modelCardPanels?: ModelCardPanels;
  private get modelCards(): ModelCardPanels {
    return (this.modelCardPanels ??= new ModelCardPanels(this.context, this.output, this.languageClient, this.sessions));
  }

  openModelCard(gridSearchDir?: unknown, experimentId?: unknown): ReturnType<ModelCardPanels['open']> {
    return this.modelCards.open(gridSearchDir, experimentId);
  }

  restoreModelCard(panel: vscode.WebviewPanel, state: unknown): void {
    this.modelCards.restore(panel, state);
  }

  private track<I extends { type: string }, O extends { type: string }>(host: PanelHost<I, O>, session: RunSession, listener: SessionListener): void {
    const h = host as unknown as PanelHost<{ type: string }, { type: string }>;
    this.hosts.add(h);
    session.add(listener);
    host.panel.onDidDispose(() => { this.hosts.delete(h); this.sessions.release(session, listener); });
  }

  /** Experiments selected elsewhere (the Experiments tree): the open panels of that log show them. */
  selectExperiments(logPath: string, ids: string[]): void {
    this.sessions.peek(logPath)?.setSelection(ids, undefined);
  }

  private attachMetrics(panel: vscode.WebviewPanel, source: string, selection?: string[]): PanelHost<MetricsFromWebview, MetricsToWebview> {
    const session = this.sessions.acquire(source);
    if (selection && session.selection.length === 0) session.selection = selection;
    panel.title = `Metrics: ${session.title}`;
    const host = new PanelHost<MetricsFromWebview, MetricsToWebview>(panel, this.context.extensionUri, {
      bundle: 'metrics', title: panel.title, isIncoming: isMetricsFromWebview, output: this.output,
    });
    const feed = new MetricsFeed();
    const sendInit = () => host.send(feed.init(session.aggregator, source, session.title, session.selection));
    const listener: SessionListener = {
      reset: sendInit,
      changed: (ids) => { if (!host.isReady) return; for (const m of feed.append(session.aggregator, ids)) host.send(m); },
      selection: (ids, from) => { if (from !== listener) host.send({ type: 'select', experiments: [...ids] }); },
      status: (text, badLines) => host.send({ type: 'status', text, badLines }),
    };
    host.onReady((m) => { if (m.width) feed.width = m.width; void session.ready.then(sendInit); });
    host.onMessage((m) => {
      switch (m.type) {
        case 'requestRange': void session.ready.then(() => host.send(feed.range(session.aggregator, m.key, m.min, m.max, m.width, m.request))); break;
        case 'selectExperiments': session.setSelection(m.experiments, listener); break;
        case 'exportCsv': void this.saveFile(join(session.gridSearchDir, m.key ? `${m.key}.csv` : 'metrics.csv'), { CSV: ['csv'] }, () => metricsCsv(session.aggregator, m.key)); break;
        case 'exportPng': void this.saveFile(join(session.gridSearchDir, `${m.key}.png`), { PNG: ['png'] }, () => Buffer.from(m.dataUrl.slice(m.dataUrl.indexOf(',') + 1), 'base64')); break;
        case 'stateChanged': break; // kept by the page (getState/setState); the serializer hands it back
      }
    });
    this.track(host, session, listener);
    return host;
  }

  private attachExperiments(panel: vscode.WebviewPanel, source: string, selection?: string[]): PanelHost<ExperimentsFromWebview, ExperimentsToWebview> {
    const session = this.sessions.acquire(source);
    if (selection && session.selection.length === 0) session.selection = selection;
    panel.title = `Experiments: ${session.title}`;
    const host = new PanelHost<ExperimentsFromWebview, ExperimentsToWebview>(panel, this.context.extensionUri, {
      bundle: 'experiments', title: panel.title, isIncoming: isExperimentsFromWebview, output: this.output,
    });
    const feed = new ExperimentsFeed();
    const sendInit = () => host.send(feed.init(session.aggregator, source, session.title, session.selection));
    const listener: SessionListener = {
      reset: sendInit,
      changed: (ids) => { if (!host.isReady) return; const m = feed.update(session.aggregator, ids); if (m) host.send(m); },
      selection: (ids, from) => { if (from !== listener) host.send({ type: 'select', ids: [...ids] }); },
    };
    host.onReady(() => { void session.ready.then(sendInit); });
    host.onMessage((m) => {
      switch (m.type) {
        case 'selectExperiments': session.setSelection(m.ids, listener); break;
        case 'openExperiment': void this.openExperiment(session, m.id); break;
        // Only experiments of this log: an id is also a path below the grid search.
        case 'openModelCard': if (session.aggregator.experiments.has(m.id)) void vscode.commands.executeCommand('cubelab.openModelCard', session.gridSearchDir, m.id); break;
        case 'stateChanged': break;
      }
    });
    this.track(host, session, listener);
    return host;
  }

  private async openExperiment(session: RunSession, id: string): Promise<void> {
    if (!session.aggregator.experiments.has(id)) return;
    if (!isSafeExperimentId(id)) { void vscode.window.showWarningMessage(`CubeLab: the experiment id ${JSON.stringify(id)} of this log is not a folder name; its files are not opened.`); return; }
    const config = join(experimentDir(session.gridSearchDir, id), 'experiment_config.json');
    const file = existsSync(config) ? config : undefined;
    if (file) await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
    else void vscode.window.showInformationMessage(`CubeLab: experiment ${id} has no experiment_config.json in ${session.gridSearchDir}.`);
  }

  private async saveFile(suggested: string, filters: Record<string, string[]>, content: () => string | Buffer): Promise<void> {
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(suggested), filters });
    if (!target) return;
    try {
      await writeFile(target.fsPath, content());
      this.output.info(`Exported ${target.fsPath}`);
    } catch (err) {
      void vscode.window.showErrorMessage(`CubeLab: could not write ${target.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Dropped-message counts per open panel (for the output and the integration tests). */
  droppedMessages(): number {
    let n = 0;
    for (const h of this.hosts) n += h.dropped;
    n += this.modelCardPanels?.droppedMessages() ?? 0;
    return n;
  }

  dispose(): void {
    this.configWatch.dispose();
    for (const h of [...this.hosts]) h.dispose();
    this.sessions.disposeAll();
    this.modelCardPanels?.dispose();
  }
}
