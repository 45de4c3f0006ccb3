/**
 * Registers Predict with Cube and the predictions summary (a read-only Markdown document: counts per label,
 * lowest scores first, unreadable lines by number). Cheap: nothing is read until a command runs.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { RunCommands } from '../../runs/editor/commands';
import { readPredictions } from '../read';
import { summaryMarkdown } from '../summary';
import { PredictCommand, type OpenPredictions } from './predictCommand';

export const SUMMARY_SCHEME = 'cubelab-predictions';

export interface PredictionsApi { predict: PredictCommand; showSummary(file: string): Promise<void> }

export function registerPredictions(context: vscode.ExtensionContext, runs: RunCommands, client: () => Promise<LanguageClient | undefined>, output: vscode.OutputChannel,
  openOverride?: () => OpenPredictions | undefined): PredictionsApi {
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
  const open: OpenPredictions = async (file, session) => {
    const custom = openOverride?.();
    if (custom) return custom(file, session);
    return showSummary(file);
  };
  const predict = new PredictCommand(context, runs, client, output, open);
  context.subscriptions.push(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, provider),
    vscode.commands.registerCommand('cubelab.predictWithCube', (clicked?: unknown, selected?: unknown) =>
      predict.run(clicked instanceof vscode.Uri ? clicked : undefined, Array.isArray(selected) ? selected.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : undefined)),
    vscode.commands.registerCommand('cubelab.showPredictionsSummary', async (arg?: unknown) => {
      const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
      if (!uri || uri.scheme !== 'file') { void vscode.window.showInformationMessage('CubeLab: open (or right-click) a predictions.jsonl file to summarise it.'); return; }
      await showSummary(uri.fsPath);
    }),
  );
  return { predict, showSummary };
}
