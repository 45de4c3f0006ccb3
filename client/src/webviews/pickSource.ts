/**
 * Asks which event storage to show: the `event_storage.log` files found in the workspace, or a folder
 * chosen on disk (a grid search folder, or an event storage root holding several).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { listGridSearches, LOG_FILE } from '../events/index';
import { SIDE_EFFECT_ROOMS } from '../events/storage';

/** A path or Uri given to the command (from a tree item or a test) is taken as it is. */
export function sourceFromArgument(arg: unknown): string | undefined {
  const path = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
  if (!path) return undefined;
  return path.endsWith(LOG_FILE) ? path : join(path, LOG_FILE);
}

export async function pickEventLog(): Promise<string | undefined> {
  // MLboard's publisher rooms hold empty logs next to the grid searches (docs/mlgym.md §3.1): not something to show.
  const found = (await vscode.workspace.findFiles(`**/event_storage/*/${LOG_FILE}`, '**/node_modules/**', 500))
    .filter((u) => !SIDE_EFFECT_ROOMS.has(u.path.split('/').slice(-2, -1)[0] ?? ''));
  type Item = vscode.QuickPickItem & { path?: string };
  const items: Item[] = found
    .sort((a, b) => b.fsPath.localeCompare(a.fsPath))
    .map((u) => ({ label: `$(graph-line) ${u.path.split('/').slice(-2, -1)[0]}`, description: vscode.workspace.asRelativePath(u), path: u.fsPath }));
  items.push({ label: '$(folder-opened) Choose a folder…', description: 'an event storage or grid search folder' });
  const choice = found.length === 0 ? items[0] : await vscode.window.showQuickPick(items, { placeHolder: 'Event storage to show', matchOnDescription: true });
  if (!choice) return undefined;
  if (choice.path) return choice.path;
  const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Show' });
  if (!folder?.[0]) return undefined;
  const dir = folder[0].fsPath;
  if (existsSync(join(dir, LOG_FILE))) return join(dir, LOG_FILE);
  const searches = (await listGridSearches(dir)).filter((g) => g.logPath);
  if (searches.length === 0) {
    void vscode.window.showWarningMessage(`CubeLab: no ${LOG_FILE} in ${dir} or its grid search folders.`);
    return undefined;
  }
  if (searches.length === 1 && searches[0]) return searches[0].logPath;
  const pick = await vscode.window.showQuickPick(searches.map((g) => ({ label: g.id, path: g.logPath })), { placeHolder: 'Grid search' });
  return pick?.path;
}
