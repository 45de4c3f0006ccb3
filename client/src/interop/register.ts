/**
 * Registers Run with Form…, Import MLExchange Entry…, Export as MLExchange Entry… and Pull MedPerf Cube… at
 * activation; their code (the panel, the commands) loads from dist/interop.js on first use. Returns what the
 * integration and end-to-end tests reach through the extension's API.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { RunCommands } from '../runs/editor/commands';
import { pickTask } from '../runs/editor/pickTask';
import type { RequestSender } from '../language/request';
import type * as InteropModule from './index';

/** Also declared in shared/webview-protocol/runForm.ts; not imported, to keep its validators out of client.js. */
export const RUN_FORM_VIEW_TYPE = 'cubelab.runForm';

export interface InteropApi { forms(): InteropModule.RunForms; commands(): InteropModule.InteropCommands }

export function registerInterop(context: vscode.ExtensionContext, runs: RunCommands, client: () => Promise<LanguageClient | undefined>, output: vscode.LogOutputChannel): InteropApi {
  let loaded: { forms: InteropModule.RunForms; commands: InteropModule.InteropCommands } | undefined;
  const sender = async (): Promise<RequestSender | undefined> => client();
  const load = () => {
    if (!loaded) {
      // createRequire keeps esbuild from inlining the bundle into dist/client.js.
      const mod = createRequire(__filename)(path.join(context.extensionPath, 'dist', 'interop.js')) as typeof InteropModule;
      const forms = new mod.RunForms(context, { client: sender, runs, output });
      loaded = { forms, commands: new mod.InteropCommands(context, { client: sender, output }) };
      context.subscriptions.push(forms);
    }
    return loaded;
  };

  /** The manifest and task of Run with Form…: from the lens (uri, task), a Cubes tree task node, or the active editor and a pick. */
  const runWithForm = async (m?: unknown, t?: unknown): Promise<unknown> => {
    const node = m as { kind?: unknown; cube?: { uri?: unknown }; task?: { name?: unknown } } | undefined;
    let uri = typeof m === 'string' ? m : m instanceof vscode.Uri ? m.toString() : typeof node?.cube?.uri === 'string' ? node.cube.uri : undefined;
    let task = typeof t === 'string' ? t : typeof node?.task?.name === 'string' ? node.task.name : undefined;
    if (!uri) {
      const doc = vscode.window.activeTextEditor?.document;
      if (!doc || doc.uri.scheme !== 'file') { void vscode.window.showWarningMessage('CubeLab: open an MLCube manifest (mlcube.yaml) to run one of its tasks with a form.'); return undefined; }
      uri = doc.uri.toString();
    }
    if (task === undefined) {
      task = await pickTask(await client(), vscode.Uri.parse(uri), 'Run with Form');
      if (task === undefined) return undefined;
    }
    return load().forms.open(uri, task);
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('cubelab.runWithForm', runWithForm),
    vscode.commands.registerCommand('cubelab.importMlexchange', (file?: unknown, dest?: unknown) => load().commands.importEntry(file, dest)),
    vscode.commands.registerCommand('cubelab.exportMlexchange', (arg?: unknown, target?: unknown) => load().commands.exportEntry(arg, target)),
    vscode.commands.registerCommand('cubelab.pullMedperf', (source?: unknown, dest?: unknown) => load().commands.pullMedperf(source, dest)),
  );
  return { forms: () => load().forms, commands: () => load().commands };
}
