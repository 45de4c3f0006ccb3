/**
 * The Model card panel, extension side: which experiment to show (command arguments, else a grid search and
 * an experiment picked by the user), the page (PanelHost: CSP, handshake, validation), the card built from
 * the grid search folder on every `ready` and `refresh`, and the HTML and JSON exports. Restored after a
 * reload from the page's saved state.
 */
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { StoredConfigRequest } from '../../../shared/lsp-protocol';
import {
  MODEL_CARD_VIEW_TYPE, isModelCardFromWebview, isModelCardViewState,
  type ModelCardData, type ModelCardFromWebview, type ModelCardToWebview,
} from '../../../shared/webview-protocol/modelCard';
import { LOG_FILE, readGridSearchFolder } from '../events/index';
import { cardFromFiles, experimentAggregate, loadCardFiles, loadModelCard, type CardFiles, type StoredConfigReader } from '../modelcard/load';
import { listCheckpoints } from '../events/storage';
import type { SessionListener, SessionRegistry } from './runSession';
import { modelCardHtml, modelCardJson } from '../modelcard/exportHtml';
import { PanelHost, webviewOptions } from './panelHost';
import { pickEventLog } from './pickSource';
import { sendRequest } from '../language/request';
import { experimentDir, isSafeExperimentId } from '../events/storage';

export interface ModelCardTarget { gridSearchDir: string; experimentId: string }

/** The language client once it is loaded, undefined when it could not be (activation loads it lazily). */
export type LanguageClientSource = () => Promise<LanguageClient | undefined>;

/** Least time between two live updates of a card. */
const LIVE_CARD_MS = 250;

/** How long the card waits for the server's reading before it reads the configs itself. */
const SERVER_TIMEOUT_MS = 10_000;

/** Reads stored configs through `cubelab/storedConfig`; answers undefined (the card falls back) without a server. */
export function serverStoredConfigReader(client: LanguageClientSource): StoredConfigReader {
  return async (path) => {
    const c = await client();
    if (!c) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), SERVER_TIMEOUT_MS); });
    try {
      return await Promise.race([sendRequest(c, StoredConfigRequest, { path }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

const pathOf = (arg: unknown): string | undefined => (arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' && arg ? arg : undefined);
const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };

/**
 * Reads the command's arguments: `(gridSearchDir, experimentId)`, where the first may also be the grid
 * search's event_storage.log, or an experiment folder (then the id is its name). Undefined parts are asked for.
 */
export function targetFromArguments(first: unknown, second: unknown): Partial<ModelCardTarget> {
  let dir = pathOf(first);
  let experimentId = typeof second === 'number' && Number.isInteger(second) ? String(second) : typeof second === 'string' && second ? second : undefined;
  if (dir?.endsWith(LOG_FILE)) dir = dirname(dir);
  if (dir && experimentId === undefined && /^\d+$/.test(basename(dir)) && existsSync(join(dir, 'experiment_config.json'))) {
    experimentId = basename(dir);
    dir = dirname(dir);
  }
  return { gridSearchDir: dir, experimentId };
}

async function pickExperiment(gridSearchDir: string): Promise<string | undefined> {
  const gs = await readGridSearchFolder(gridSearchDir);
  if (gs.experimentIds.length === 0) {
    void vscode.window.showWarningMessage(`CubeLab: ${gridSearchDir} has no experiment folders.`);
    return undefined;
  }
  if (gs.experimentIds.length === 1) return gs.experimentIds[0];
  const pick = await vscode.window.showQuickPick(gs.experimentIds.map((id) => ({ label: `Experiment ${id}`, id })), { placeHolder: `Experiment of ${gs.id}` });
  return pick?.id;
}

export class ModelCardPanels implements vscode.Disposable {
  private readonly hosts = new Set<PanelHost<ModelCardFromWebview, ModelCardToWebview>>();

  private readonly readStoredConfig?: StoredConfigReader;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    languageClient?: LanguageClientSource,
    /** The sessions of the Metrics and Experiments panels: a card follows its log through them. */
    private readonly sessions?: SessionRegistry,
  ) {
    this.readStoredConfig = languageClient ? serverStoredConfigReader(languageClient) : undefined;
  }

  async open(first?: unknown, second?: unknown): Promise<PanelHost<ModelCardFromWebview, ModelCardToWebview> | undefined> {
    const given = targetFromArguments(first, second);
    let gridSearchDir = given.gridSearchDir;
    if (!gridSearchDir) {
      const log = await pickEventLog();
      if (!log) return undefined;
      gridSearchDir = dirname(log);
    }
    if (!isDir(gridSearchDir)) {
      void vscode.window.showErrorMessage(`CubeLab: ${gridSearchDir} is not a grid search folder.`);
      return undefined;
    }
    const experimentId = given.experimentId ?? (await pickExperiment(gridSearchDir));
    if (experimentId === undefined) return undefined;
    const panel = vscode.window.createWebviewPanel(MODEL_CARD_VIEW_TYPE, `Model card ${experimentId}`, vscode.ViewColumn.Active, webviewOptions(this.context.extensionUri));
    return this.attach(panel, { gridSearchDir, experimentId });
  }

  /** Serializer entry point: the state is the page's own getState(), validated before use. */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    if (isModelCardViewState(state) && isDir(state.gridSearchDir)) this.attach(panel, state);
    else panel.dispose();
  }

  private attach(panel: vscode.WebviewPanel, target: ModelCardTarget): PanelHost<ModelCardFromWebview, ModelCardToWebview> {
    const gsId = basename(target.gridSearchDir);
    panel.title = `Model card: ${gsId} / ${target.experimentId}`;
    const host = new PanelHost<ModelCardFromWebview, ModelCardToWebview>(panel, this.context.extensionUri, {
      bundle: 'modelcard', title: panel.title, isIncoming: isModelCardFromWebview, output: this.output,
    });
    let card: ModelCardData | undefined;
    // The log is followed through the session the Metrics and Experiments panels of this grid search share.
    const logPath = join(target.gridSearchDir, LOG_FILE);
    const session = this.sessions && existsSync(logPath) ? this.sessions.acquire(logPath) : undefined;
    let files: CardFiles | undefined;
    const load = async (): Promise<ModelCardData | undefined> => {
      try {
        if (!session) return await loadModelCard(target.gridSearchDir, target.experimentId, { readStoredConfig: this.readStoredConfig });
        files = await loadCardFiles(target.gridSearchDir, target.experimentId, { readStoredConfig: this.readStoredConfig });
        await session.ready;
        lastEpoch = experimentAggregate(session.aggregator, target.experimentId)?.lastEpoch;
        return cardFromFiles(files, session.aggregator, session.reader.stats.badLines);
      } catch (err) {
        const text = `Could not build the model card: ${err instanceof Error ? err.message : String(err)}`;
        this.output.info(`[modelcard] ${text}`);
        host.send({ type: 'status', text });
        return undefined;
      }
    };
    // Loads may overlap (ready, then Refresh): only the latest one is shown.
    let latest = 0;
    const sendCard = async () => {
      const mine = ++latest;
      const c = await load();
      if (c && mine === latest) { card = c; host.send({ type: 'card', card: c, gridSearchDir: target.gridSearchDir }); }
    };
    const exportAs = async (kind: 'html' | 'json') => {
      const c = card ?? (await load());
      if (!c) return;
      if (!isSafeExperimentId(target.experimentId)) {
        host.send({ type: 'status', text: `Not exported: the experiment id ${JSON.stringify(target.experimentId)} is not a folder name.` });
        return;
      }
      const suggested = join(experimentDir(target.gridSearchDir, target.experimentId), `model_card_${gsId}_${target.experimentId.split('/').pop() ?? ''}.${kind}`);
      const written = await this.saveFile(suggested, kind === 'html' ? { HTML: ['html'] } : { JSON: ['json'] }, () => (kind === 'html' ? modelCardHtml(c) : modelCardJson(c)));
      if (written) host.send({ type: 'status', text: `Exported ${written}` });
    };
    // Live: the card follows its experiment as the log grows, at most every LIVE_CARD_MS and off the flush that
    // feeds the charts (a card carries every result series: a summary, not the live chart).
    let lastEpoch: number | undefined;
    let liveTimer: NodeJS.Timeout | undefined;
    let lastLive = 0;
    const sendLive = () => {
      liveTimer = undefined;
      lastLive = Date.now();
      if (!files || !session || !host.isReady) return;
      const f = files;
      const aggregate = experimentAggregate(session.aggregator, target.experimentId);
      const send = () => {
        const c = cardFromFiles(f, session.aggregator, session.reader.stats.badLines);
        card = c;
        host.send({ type: 'card', card: c, gridSearchDir: target.gridSearchDir });
      };
      // A new evaluated epoch may come with a new checkpoint folder.
      if (aggregate && aggregate.lastEpoch !== lastEpoch && f.experimentDir) {
        lastEpoch = aggregate.lastEpoch;
        void listCheckpoints(f.experimentDir).then((cps) => { f.checkpoints = cps; send(); }, send);
      } else send();
    };
    const listener: SessionListener = {
      reset: () => { if (!liveTimer) liveTimer = setTimeout(sendLive, 0); },
      changed: (ids) => {
        if (liveTimer || !ids.some((id) => id === target.experimentId || id.split('/').pop() === target.experimentId)) return;
        liveTimer = setTimeout(sendLive, Math.max(0, lastLive + LIVE_CARD_MS - Date.now()));
      },
    };
    if (session) session.add(listener);
    host.onReady(() => { void sendCard(); });
    host.onMessage((m) => {
      switch (m.type) {
        case 'exportHtml': void exportAs('html'); break;
        case 'exportJson': void exportAs('json'); break;
        case 'refresh': void sendCard(); break;
        case 'stateChanged': break; // kept by the page (getState/setState); the serializer hands it back
      }
    });
    this.hosts.add(host);
    panel.onDidDispose(() => {
      this.hosts.delete(host);
      if (liveTimer) clearTimeout(liveTimer);
      if (session) this.sessions?.release(session, listener);
    });
    return host;
  }

  private async saveFile(suggested: string, filters: Record<string, string[]>, content: () => string): Promise<string | undefined> {
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(suggested), filters });
    if (!target) return undefined;
    try {
      await writeFile(target.fsPath, content());
      this.output.info(`Exported ${target.fsPath}`);
      return target.fsPath;
    } catch (err) {
      void vscode.window.showErrorMessage(`CubeLab: could not write ${target.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  /** Dropped-message counts of the open model card panels. */
  droppedMessages(): number {
    let n = 0;
    for (const h of this.hosts) n += h.dropped;
    return n;
  }

  dispose(): void {
    for (const h of [...this.hosts]) h.dispose();
  }
}
