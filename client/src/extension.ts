/**
 * CubeLab's entry point. Activation stays cheap: it registers commands and starts the language server
 * in the background; it never touches Docker or the network (those wait until a command needs them).
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as LanguageModule from './language/index';
import type { CubeLabLanguageClient } from './language/languageClient';
import { bundleStart, type ActivationTiming } from './activationTiming';
import { registerPreviewGrid } from './mlgym/previewGrid';
import { registerRuns } from './runs/editor/commands';
import { registerEndpoint } from './endpoint/endpointCommands';
import { registerCubes } from './cubes/cubesTree';
import { registerWebviews } from './webviews/register';
import { registerExperiments } from './experiments/tree';
import { registerRegistries } from './registry/editor/register';
import { registerPredictions } from './predictions/editor/register';
import { registerInterop } from './interop/register';

/** What CubeLab exports to other extensions and to its own integration tests. */
export interface CubeLabApi {
  activation: ActivationTiming;
  serverInfo(): Promise<{ version: string; pid: number; documents: number }>;
  restartCount(): number;
}

export function activate(context: vscode.ExtensionContext): CubeLabApi {
  const loaded = bundleStart();
  const activateStart = performance.now();
  // The one CubeLab log (runs, endpoint, panels, registries, language server), with levels; the server's LSP
  // trace has a channel of its own (language/languageClient.ts).
  const output = vscode.window.createOutputChannel('CubeLab', { log: true });
  context.subscriptions.push(output);
  // The language client library is most of the client's code. It loads from its own bundle right after
  // activate() returns, so activation stays cheap and the server still starts at once.
  let language: CubeLabLanguageClient | undefined;
  const languageReady = new Promise<CubeLabLanguageClient>((resolve, reject) => {
    setImmediate(() => {
      try {
        const mod = createRequire(__filename)(path.join(context.extensionPath, 'dist', 'language.js')) as typeof LanguageModule;
        language = new mod.CubeLabLanguageClient(context, output);
        context.subscriptions.push(language);
        language.start();
        resolve(language);
      } catch (err) {
        output.error(`Could not load the language client: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        void vscode.window.showErrorMessage('CubeLab: the language client could not be loaded. See the CubeLab output.');
        reject(err);
      }
    });
  });
  languageReady.catch(() => undefined);

  context.subscriptions.push(
    vscode.commands.registerCommand('cubelab.restartServer', async () => {
      await (await languageReady).restart();
      void vscode.window.showInformationMessage('CubeLab: language server restarted.');
    }),
    vscode.commands.registerCommand('cubelab.showOutput', () => output.show()),
    vscode.commands.registerCommand('cubelab.showServerTrace', async () => (await languageReady).showTrace()),
    // The walkthrough (package.json contributes.walkthroughs), also under Help: Welcome.
    vscode.commands.registerCommand('cubelab.gettingStarted', () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#gettingStarted`, false)),
    vscode.commands.registerCommand('cubelab.showServerInfo', async () => {
      const client = await languageReady;
      const info = await client.serverInfo();
      const t = api.activation;
      void vscode.window.showInformationMessage(
        `CubeLab ${info.version}: server pid ${info.pid}, ${info.documents} open document(s), activation ${t.totalMs.toFixed(1)} ms, restarts ${client.restarts}.`);
    }),
  );

  registerPreviewGrid(context, () => language?.languageClient);
  // Runs: commands, Runs tree, task type; the supervisor and its backends load on first use (dist/runner.js).
  const runs = registerRuns(context, () => language?.languageClient, output);
  // Predict with Cube (Explorer context menu) and the predictions summary: run through the run layer above.
  registerPredictions(context, runs, () => languageReady.then((l) => l.languageClient, () => undefined), output);
  // Run with Form…, MLExchange import/export, MedPerf pull: dist/interop.js on first use.
  registerInterop(context, runs, () => languageReady.then((l) => l.languageClient, () => undefined), output);
  registerEndpoint(context, output); // MLboard-compatible endpoint: off by default, loads dist/endpoint.js on start
  registerCubes(context, languageReady.then((l) => l.languageClient, () => undefined));
  // Metrics, Experiments and Model card panels: load dist/panels.js on first use; the model card asks the
  // language server for its reading of a run's stored configs.
  registerWebviews(context, output, () => languageReady.then((l) => l.languageClient, () => undefined));
  registerExperiments(context); // Experiments tree: reads storages from dist/experimentsTree.js when shown
  registerRegistries(context, output, () => languageReady.then((l) => l.languageClient, () => undefined)); // Registries view and publish/pull: dist/registry.js on first use
  const activateEnd = performance.now();
  const api: CubeLabApi = {
    activation: { bundleStart: loaded, activateStart, activateEnd, totalMs: activateEnd - loaded },
    serverInfo: async () => (await languageReady).serverInfo(),
    restartCount: () => language?.restarts ?? 0,
  };
  output.info(`CubeLab activated in ${api.activation.totalMs.toFixed(1)} ms (bundle load ${(activateStart - loaded).toFixed(1)} ms).`);
  return api;
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the language client.
}
