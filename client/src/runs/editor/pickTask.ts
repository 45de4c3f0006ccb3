/** Which task of a manifest to run, when a command (editor title, palette, Explorer) names none. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CubesRequest, type CubesResult } from '../../../../shared/lsp-protocol';
import { sendRequest } from '../../language/request';

/**
 * The manifest's only task without asking; a quick pick when it has several; undefined when cancelled.
 * The server lists the tasks (it owns parsing); without it the empty name lets the plan take the only task.
 */
export async function pickTask(client: LanguageClient | undefined, uri: vscode.Uri, title: string): Promise<string | undefined> {
  if (!client) return '';
  await vscode.workspace.openTextDocument(uri); // the server knows open documents and the workspace's manifests
  const cubes: CubesResult = await sendRequest(client, CubesRequest);
  const tasks = cubes.cubes.find((c) => c.uri === uri.toString())?.tasks.map((t) => t.name) ?? [];
  if (tasks.length <= 1) return tasks[0] ?? '';
  return vscode.window.showQuickPick(tasks, { title, placeHolder: 'Task of the manifest' });
}
