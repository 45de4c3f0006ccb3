/**
 * Registers the panel commands and serializers at activation; everything else (the panels, the event
 * reader, the downsampling) loads from dist/panels.js on the first command or restored panel, so activation
 * does not grow.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as PanelsModule from './panels';
import type { LanguageClientSource } from './modelCardPanel';

// The view types are also declared in shared/webview-protocol/{metrics,experiments,modelCard}.ts (checked by a unit test);
// importing them here would pull the validators into the activation bundle.
export const VIEW_TYPES = { metrics: 'cubelab.metrics', experiments: 'cubelab.experiments', modelCard: 'cubelab.modelCard' } as const;

/** `languageClient`: the language client once loaded (the model card reads stored configs through it). */
export function registerWebviews(context: vscode.ExtensionContext, output: vscode.LogOutputChannel, languageClient?: LanguageClientSource): void {
  let panels: PanelsModule.WebviewPanels | undefined;
  const load = (): PanelsModule.WebviewPanels => {
    if (!panels) {
      // createRequire keeps esbuild from inlining the panels bundle into dist/client.js.
      const mod = createRequire(__filename)(path.join(context.extensionPath, 'dist', 'panels.js')) as typeof PanelsModule;
      panels = new mod.WebviewPanels(context, output, languageClient);
      context.subscriptions.push(panels);
    }
    return panels;
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('cubelab.openMetrics', (arg?: unknown) => load().openMetrics(arg)),
    vscode.commands.registerCommand('cubelab.openExperiments', (arg?: unknown) => load().openExperiments(arg)),
    // (gridSearchDir, experimentId) from a caller; without them the command asks.
    // Internal (not in the palette): the Experiments tree's selection; only panels already open care.
    vscode.commands.registerCommand('cubelab.experiments.selectInPanels', (logPath?: unknown, ids?: unknown) => {
      if (panels && typeof logPath === 'string' && Array.isArray(ids)) panels.selectExperiments(logPath, ids.filter((x): x is string => typeof x === 'string'));
    }),
    vscode.commands.registerCommand('cubelab.openModelCard', (gridSearchDir?: unknown, experimentId?: unknown) => load().openModelCard(gridSearchDir, experimentId)),
    vscode.commands.registerCommand('cubelab.clearEventIndex', () => load().clearEventIndex()),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPES.metrics, {
      deserializeWebviewPanel: async (panel, state: unknown) => load().restoreMetrics(panel, state),
    }),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPES.experiments, {
      deserializeWebviewPanel: async (panel, state: unknown) => load().restoreExperiments(panel, state),
    }),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPES.modelCard, {
      deserializeWebviewPanel: async (panel, state: unknown) => load().restoreModelCard(panel, state),
    }),
  );
}
