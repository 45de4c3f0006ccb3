/**
 * The Review panel's extension side: reads a predictions.jsonl (bad lines reported by number, the rest shown) and
 * its reviews.jsonl, serves the page (images from the folder the task read), appends the page's verdicts, keeps
 * this window's undo stack, follows what another window appends to the same reviews file, and forwards the
 * review commands (keybindings) to the active panel. Loaded from dist/predictions.js on first use.
 */
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PanelHost } from '../../webviews/panelHost';
import {
  REVIEW_VIEW_TYPE, isReviewFromWebview, isReviewViewState,
  type ReviewCommand, type ReviewFromWebview, type ReviewItem, type ReviewToWebview,
} from '../../../../shared/webview-protocol/review';
import { readPredictions, type PredictionsFile } from '../read';
import { ReviewsFile } from '../reviews';
import { classesOf, reviewItemsOf } from '../reviewItems';

export const REVIEWS_FILE = 'reviews.jsonl';
export const SESSION_FILE = 'predict.json';

/** The defaults of package.json's keybindings, for the page's help line. */
export const DEFAULT_KEYS: Record<string, string> = {
  acceptAndNext: 'Enter', accept: 'A', reject: 'R', skip: 'S', undo: 'U', next: 'J', previous: 'K', deleteBox: 'Delete',
};

/** Where the prediction paths are relative to: predict.json's input folder, else the predictions file's folder. */
export function inputFolderOf(predictionsFile: string): { inputFolder: string; runId?: string; manifest?: string; task?: string } {
  const session = path.join(path.dirname(predictionsFile), SESSION_FILE);
  if (existsSync(session)) {
    try {
      const s = JSON.parse(readFileSync(session, 'utf8')) as { inputFolder?: unknown; runId?: unknown; manifest?: unknown; task?: unknown };
      if (typeof s.inputFolder === 'string' && existsSync(s.inputFolder)) {
        return { inputFolder: s.inputFolder, ...(typeof s.runId === 'string' ? { runId: s.runId } : {}), ...(typeof s.manifest === 'string' ? { manifest: s.manifest } : {}), ...(typeof s.task === 'string' ? { task: s.task } : {}) };
      }
    } catch { /* a broken session file: fall back */ }
  }
  return { inputFolder: path.dirname(predictionsFile) };
}

export class ReviewPanel implements vscode.Disposable {
  readonly host: PanelHost<ReviewFromWebview, ReviewToWebview>;
  private file: PredictionsFile | undefined;
  readonly reviews: ReviewsFile;
  private readonly undoStack: string[] = [];
  private keyToIndex = new Map<string, number[]>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly inputFolder: string;
  /** Sends (test hook): what the panel last painted, per the page. */
  lastPainted = -1;

  constructor(readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, readonly predictionsFile: string,
    private readonly output: vscode.LogOutputChannel, private readonly onDispose: (p: ReviewPanel) => void) {
    this.inputFolder = inputFolderOf(predictionsFile).inputFolder;
    this.reviews = new ReviewsFile(path.join(path.dirname(predictionsFile), REVIEWS_FILE));
    this.host = new PanelHost(panel, extensionUri, {
      bundle: 'review', title: `Review: ${path.basename(path.dirname(predictionsFile))}`, isIncoming: isReviewFromWebview, output,
      resourceRoots: [vscode.Uri.file(this.inputFolder), vscode.Uri.file(path.dirname(predictionsFile))],
    });
    this.host.onReady(() => void this.sendInit());
    this.host.onMessage((m) => void this.receive(m));
    panel.onDidDispose(() => this.dispose());
    panel.onDidChangeViewState((e) => { if (!e.webviewPanel.active) void vscode.commands.executeCommand('setContext', 'cubelab.review.inputFocused', false); });
    this.follow();
  }

  private async sendInit(): Promise<void> {
    try {
      this.file = await readPredictions(this.predictionsFile);
      await this.reviews.refresh();
    } catch (e) {
      void vscode.window.showErrorMessage(`CubeLab: cannot read ${this.predictionsFile}: ${(e as Error).message}`);
      return;
    }
    const f = this.file;
    const built = reviewItemsOf(f, this.reviews.state);
    this.keyToIndex = built.keyToIndex;
    const items = built.items;
    const webview = this.panel.webview;
    this.host.send({
      type: 'init', source: this.predictionsFile, title: `Review: ${path.relative(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', this.predictionsFile) || this.predictionsFile}`,
      imageBase: webview.asWebviewUri(vscode.Uri.file(this.inputFolder)).toString(),
      maskBase: webview.asWebviewUri(vscode.Uri.file(path.dirname(this.predictionsFile))).toString(),
      classes: classesOf(f), items, problems: f.problems.slice(0, 50), problemCount: f.problemCount, keys: DEFAULT_KEYS,
    });
    if (f.problemCount) this.output.warn(`[review] ${this.predictionsFile}: ${f.problemCount} unreadable line(s): ${f.problems.slice(0, 5).map((p) => `line ${p.line}: ${p.message}`).join('; ')}`);
  }

  private async receive(m: ReviewFromWebview): Promise<void> {
    switch (m.type) {
      case 'verdict': {
        const p = this.file?.predictions[m.i];
        if (!p) return;
        const line = await this.reviews.append({ sha256: p.sha256, model: p.model, verdict: m.verdict, ...(m.correction ? { correction: m.correction } : {}) });
        this.undoStack.push(line.id);
        // Confirms this verdict and brings in whatever another window appended meanwhile.
        await this.pushUpdates(await this.reviews.refresh());
        return;
      }
      case 'undo': await this.undo(); return;
      case 'inputFocus': void vscode.commands.executeCommand('setContext', 'cubelab.review.inputFocused', m.focused); return;
      case 'painted': this.lastPainted = m.i; return;
      case 'stateChanged': return;
    }
  }

  /** Undoes this window's last verdict that is still in force; the page goes back to that item. */
  async undo(): Promise<void> {
    while (this.undoStack.length) {
      const id = this.undoStack.pop()!;
      if (this.reviews.state.isUndone(id)) continue;
      await this.reviews.append({ undo: id });
      const key = this.reviews.state.keyOfAction(id);
      const keys = new Set(await this.reviews.refresh());
      if (key) keys.add(key);
      await this.pushUpdates([...keys], key ? this.keyToIndex.get(key)?.[0] : undefined);
      return;
    }
    void vscode.window.showInformationMessage('CubeLab: nothing to undo in this window.');
  }

  /** Sends the current state of items whose reviews changed (by key) and reveals the first. */
  private async pushUpdates(keys: string[], reveal?: number): Promise<number> {
    const updates: { i: number; verdict: ReviewItem['verdict']; correction?: ReviewItem['correction'] }[] = [];
    for (const k of keys) {
      const r = this.reviews.state.getKey(k);
      for (const i of this.keyToIndex.get(k) ?? []) updates.push({ i, verdict: r.verdict, ...(r.correction ? { correction: r.correction } : {}) });
    }
    if (updates.length) this.host.send({ type: 'reviews', updates });
    if (reveal !== undefined) this.host.send({ type: 'reveal', i: reveal });
    return updates.length;
  }

  /** Another window's lines (and this window's, once read back): folded in and shown. */
  private follow(): void {
    const refresh = async () => {
      try {
        const keys = await this.reviews.refresh();
        if (keys.length && this.file) await this.pushUpdates(keys);
      } catch { /* the file is being replaced: next time */ }
    };
    try {
      this.watcher = watch(path.dirname(this.reviews.path), (_e, name) => { if (!name || name === REVIEWS_FILE) void refresh(); });
    } catch { /* no watcher here: the timer alone */ }
    this.timer = setInterval(() => void refresh(), 1500);
  }

  command(command: ReviewCommand, arg?: number): void {
    this.host.send({ type: 'command', command, ...(arg !== undefined ? { arg } : {}) });
  }

  dispose(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    this.host.dispose();
    this.onDispose(this);
  }
}

/** The panels of this window, the active one for the commands, and the serializer's restore. */
export class ReviewPanels implements vscode.Disposable {
  private readonly panels = new Set<ReviewPanel>();
  private active: ReviewPanel | undefined;

  constructor(private readonly context: vscode.ExtensionContext, private readonly output: vscode.LogOutputChannel) {}

  open(predictionsFile: string): ReviewPanel {
    for (const p of this.panels) if (p.predictionsFile === predictionsFile) { p.panel.reveal(); return p; }
    const panel = vscode.window.createWebviewPanel(REVIEW_VIEW_TYPE, `Review: ${path.basename(path.dirname(predictionsFile))}`, vscode.ViewColumn.Active, { enableScripts: true });
    return this.attach(panel, predictionsFile);
  }

  restore(panel: vscode.WebviewPanel, state: unknown): void {
    if (isReviewViewState(state) && state.source && existsSync(state.source)) this.attach(panel, state.source);
    else panel.dispose();
  }

  private attach(panel: vscode.WebviewPanel, file: string): ReviewPanel {
    const p = new ReviewPanel(panel, this.context.extensionUri, file, this.output, (x) => { this.panels.delete(x); if (this.active === x) this.active = undefined; });
    this.panels.add(p);
    this.active = p;
    panel.onDidChangeViewState((e) => { if (e.webviewPanel.active) this.active = p; });
    return p;
  }

  /** The panel the review commands go to: the active one, else the last one used. */
  current(): ReviewPanel | undefined {
    for (const p of this.panels) if (p.panel.active) return p;
    return this.active;
  }

  dispose(): void { for (const p of [...this.panels]) p.dispose(); }
}
