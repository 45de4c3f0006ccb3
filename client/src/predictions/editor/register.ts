/**
 * Registers Predict with Cube, the predictions summary (a read-only Markdown document), the Review panel and its
 * keyboard commands, Export Labelled Data and Retrain from Reviews. Cheap: the panel, the exports and the
 * retrain load from dist/predictions.js on first use; nothing is read until a command runs.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { RunCommands } from '../../runs/editor/commands';
import { readPredictions } from '../read';
import { summaryMarkdown } from '../summary';
import { PredictCommand } from './predictCommand';
import type * as LoopModule from './loop';

export const SUMMARY_SCHEME = 'cubelab-predictions';
/** Also declared in shared/webview-protocol/review.ts; not imported, to keep its validators out of client.js. */
export const REVIEW_VIEW_TYPE = 'cubelab.review';

/** The review commands a keybinding or the palette sends to the active Review panel. */
export const REVIEW_COMMANDS = ['accept', 'reject', 'acceptAndNext', 'skip', 'next', 'previous', 'first', 'last', 'deleteBox'] as const;

export interface PredictionsApi { predict: PredictCommand; showSummary(file: string): Promise<void>; openReview(file: string): Promise<unknown> }

export function registerPredictions(context: vscode.ExtensionContext, runs: RunCommands, client: () => Promise<LanguageClient | undefined>, output: vscode.LogOutputChannel): PredictionsApi {
  let loaded: { mod: typeof LoopModule; panels: LoopModule.ReviewPanels; loop: LoopModule.FeedbackLoop } | undefined;
  const load = () => {
    if (!loaded) {
      // createRequire keeps esbuild from inlining the bundle into dist/client.js.
      const mod = createRequire(__filename)(path.join(context.extensionPath, 'dist', 'predictions.js')) as typeof LoopModule;
      const panels = new mod.ReviewPanels(context, output);
      loaded = { mod, panels, loop: new mod.FeedbackLoop(context, output, runs) };
      context.subscriptions.push(panels);
    }
    return loaded;
  };

  const changed = new vscode.EventEmitter<vscode.Uri>();
  const provider: vscode.TextDocumentContentProvider = {
    onDidChange: changed.event,
    async provideTextDocumentContent(uri) {
      const file = uri.query;
      try {
        const read = await readPredictions(file);
        return summaryMarkdown(read, path.relative(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', file) || file);
      } catch (e) {
        return `# Predictions\n\nCannot read ${file}: ${(e as Error).message}\n`;
      }
    },
  };
  const showSummary = async (file: string) => {
    const uri = vscode.Uri.from({ scheme: SUMMARY_SCHEME, path: `/${path.basename(path.dirname(file))} predictions summary.md`, query: file });
    changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Active });
  };
  const openReview = async (file: string) => load().panels.open(file);
  const predict = new PredictCommand(context, runs, client, output, async (file) => { await openReview(file); });

  /** The predictions file a command is about: its argument, the active Review panel's, the active editor's, or one picked. */
  const fileOf = async (arg: unknown, pick = true): Promise<string | undefined> => {
    if (arg instanceof vscode.Uri && arg.scheme === 'file') return arg.fsPath;
    if (typeof arg === 'string') return arg;
    const panel = loaded?.panels.current();
    if (panel) return panel.predictionsFile;
    const doc = vscode.window.activeTextEditor?.document.uri;
    if (doc?.scheme === 'file' && doc.fsPath.endsWith('.jsonl')) return doc.fsPath;
    if (!pick) return undefined;
    const found = await vscode.workspace.findFiles('**/predictions*.jsonl', '**/node_modules/**', 200);
    if (!found.length) { void vscode.window.showInformationMessage('CubeLab: no predictions.jsonl in this workspace: run "Predict with Cube…" on some images first.'); return undefined; }
    const picked = await vscode.window.showQuickPick(found.sort((a, b) => b.fsPath.localeCompare(a.fsPath)).map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { title: 'Which predictions?' });
    return picked?.uri.fsPath;
  };
  const toPanel = (command: string, arg?: number) => {
    const panel = loaded?.panels.current();
    if (!panel) { void vscode.window.showInformationMessage('CubeLab: open a Review panel first (Predict with Cube…, or "Review Predictions" on a predictions.jsonl).'); return; }
    panel.command(command as LoopModule.ReviewCommandName, arg);
  };

  context.subscriptions.push(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, provider),
    vscode.commands.registerCommand('cubelab.predictWithCube', (clicked?: unknown, selected?: unknown) =>
      predict.run(clicked instanceof vscode.Uri ? clicked : undefined, Array.isArray(selected) ? selected.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : undefined)),
    vscode.commands.registerCommand('cubelab.showPredictionsSummary', async (arg?: unknown) => {
      const file = await fileOf(arg);
      if (file) await showSummary(file);
    }),
    vscode.commands.registerCommand('cubelab.reviewPredictions', async (arg?: unknown) => {
      const file = await fileOf(arg);
      if (file) await openReview(file);
    }),
    ...REVIEW_COMMANDS.map((c) => vscode.commands.registerCommand(`cubelab.review.${c}`, () => toPanel(c))),
    vscode.commands.registerCommand('cubelab.review.pickClass', (arg?: unknown) => {
      const n = typeof arg === 'number' ? arg : typeof arg === 'object' && arg !== null && typeof (arg as { index?: unknown }).index === 'number' ? (arg as { index: number }).index : undefined;
      if (n !== undefined) toPanel('pickClass', n);
    }),
    vscode.commands.registerCommand('cubelab.review.undo', async () => {
      const panel = loaded?.panels.current();
      if (panel) await panel.undo();
    }),
    vscode.commands.registerCommand('cubelab.exportLabelledData', async (arg?: unknown, req?: unknown) => {
      const file = await fileOf(arg);
      return load().loop.exportLabelled(file, typeof req === 'object' && req !== null ? req as LoopModule.ExportRequest : {});
    }),
    vscode.commands.registerCommand('cubelab.retrainFromReviews', async (arg?: unknown, req?: unknown) => {
      const file = await fileOf(arg);
      return load().loop.retrain(file, typeof req === 'object' && req !== null ? req as LoopModule.ExportRequest : {});
    }),
    vscode.window.registerWebviewPanelSerializer(REVIEW_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => load().panels.restore(panel, state),
    }),
  );
  return { predict, showSummary, openReview };
}
