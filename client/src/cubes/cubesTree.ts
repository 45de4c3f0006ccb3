/**
 * The Cubes tree: the MLCube manifests of the workspace and their tasks, as the language server lists them
 * (`cubelab/cubes`), with Run, Configure and Open. It refreshes on events (manifest files created, changed or
 * deleted; manifest documents edited; workspace folders changed), never by polling, and asks the server only
 * when the view is shown. Registering it does no I/O.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CubesRequest, type CubesResult, type CubeInfo, type CubeTaskInfo } from '../../../shared/lsp-protocol';
import { sendRequest } from '../language/request';

export type CubesNode = { kind: 'cube'; cube: CubeInfo } | { kind: 'task'; cube: CubeInfo; task: CubeTaskInfo };

const RESTRICTED_MESSAGE = 'Restricted Mode: CubeLab lists the cubes but runs and configures nothing until you trust this workspace.';
const MANIFEST_FILE = /^mlcube.*\.ya?ml$/i;

export class CubesTreeProvider implements vscode.TreeDataProvider<CubesNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Set after each listing: what the view's message should say. */
  message: string | undefined;
  onMessage: (m: string | undefined) => void = () => undefined;

  constructor(private readonly client: Promise<LanguageClient | undefined>) {}

  refresh(): void { this.changed.fire(); }

  async getChildren(node?: CubesNode): Promise<CubesNode[]> {
    if (node?.kind === 'cube') return node.cube.tasks.map((task) => ({ kind: 'task', cube: node.cube, task }));
    if (node) return [];
    let notes: string[] = [];
    let nodes: CubesNode[] = [];
    try {
      const client = await this.client;
      if (!client) throw new Error('the CubeLab language server is not running');
      const res: CubesResult = await sendRequest(client, CubesRequest);
      nodes = res.cubes.map((cube) => ({ kind: 'cube', cube }));
      if (res.truncated) notes.push('The workspace is large: CubeLab stopped looking for manifests at its limit; some cubes may be missing.');
    } catch (e) {
      notes = [`Could not list the cubes: ${(e as Error).message}`];
    }
    if (!vscode.workspace.isTrusted) notes.unshift(RESTRICTED_MESSAGE);
    this.message = notes.length ? notes.join(' ') : undefined;
    this.onMessage(this.message);
    return nodes;
  }

  getTreeItem(node: CubesNode): vscode.TreeItem {
    const uri = vscode.Uri.parse(node.cube.uri);
    if (node.kind === 'cube') {
      const item = new vscode.TreeItem(node.cube.name, node.cube.tasks.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
      item.id = node.cube.uri;
      item.iconPath = new vscode.ThemeIcon('package');
      item.description = vscode.workspace.asRelativePath(uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
      item.tooltip = `${uri.fsPath}\n${node.cube.tasks.length} task(s)`;
      item.resourceUri = uri;
      item.contextValue = 'cubelab.cube';
      item.command = { command: 'cubelab.cubes.open', title: 'Open Manifest', arguments: [node] };
      return item;
    }
    const item = new vscode.TreeItem(node.task.name);
    item.id = `${node.cube.uri}#${node.task.name}`;
    item.iconPath = new vscode.ThemeIcon('symbol-method');
    item.tooltip = `Task ${node.task.name} of ${path.basename(uri.fsPath)}`;
    item.contextValue = 'cubelab.cube.task';
    item.command = { command: 'cubelab.cubes.open', title: 'Open Task', arguments: [node] };
    return item;
  }

  dispose(): void { this.changed.dispose(); }
}

function isManifest(uri: vscode.Uri): boolean {
  return MANIFEST_FILE.test(path.basename(uri.path));
}

/** Registers the Cubes view, its commands and its refresh events. */
export function registerCubes(context: vscode.ExtensionContext, client: Promise<LanguageClient | undefined>): CubesTreeProvider {
  const tree = new CubesTreeProvider(client);
  const view = vscode.window.createTreeView('cubelab.cubes', { treeDataProvider: tree, showCollapseAll: true });
  tree.onMessage = (m) => { view.message = m; };
  let timer: NodeJS.Timeout | undefined;
  // Typing in a manifest fires many events: one refresh after a short pause.
  const soon = (): void => { if (timer) clearTimeout(timer); timer = setTimeout(() => { timer = undefined; tree.refresh(); }, 300); };
  const watcher = vscode.workspace.createFileSystemWatcher('**/mlcube*.{yaml,yml}');
  // A manifest written into a folder that was just created (git checkout, unzip, mkdir && cp) is not
  // reported by the watcher above, only the folder is: a created or deleted folder refreshes too.
  const folders = vscode.workspace.createFileSystemWatcher('**/*', false, true, false);
  const onFolderEvent = (uri: vscode.Uri): void => { if (isManifest(uri) || !path.extname(uri.path)) soon(); };
  const target = (n: CubesNode | undefined): [string, string] | undefined => (n ? [n.cube.uri, n.kind === 'task' ? n.task.name : ''] : undefined);
  context.subscriptions.push(
    tree, view, watcher, folders,
    watcher.onDidCreate(soon), watcher.onDidDelete(soon), watcher.onDidChange(soon),
    folders.onDidCreate(onFolderEvent), folders.onDidDelete(onFolderEvent),
    vscode.workspace.onDidChangeTextDocument((e) => { if (e.contentChanges.length && isManifest(e.document.uri)) soon(); }),
    vscode.workspace.onDidChangeWorkspaceFolders(soon),
    vscode.workspace.onDidGrantWorkspaceTrust(() => tree.refresh()),
    { dispose: () => { if (timer) clearTimeout(timer); } },
    vscode.commands.registerCommand('cubelab.cubes.run', (n?: CubesNode) => {
      const t = target(n);
      return t && vscode.commands.executeCommand('cubelab.runTask', ...t);
    }),
    vscode.commands.registerCommand('cubelab.cubes.runOnTarget', (n?: CubesNode) => {
      const t = target(n);
      return t && vscode.commands.executeCommand('cubelab.runTaskOnTarget', ...t);
    }),
    vscode.commands.registerCommand('cubelab.cubes.configure', (n?: CubesNode) => {
      const t = target(n);
      return t && vscode.commands.executeCommand('cubelab.configureCube', ...t);
    }),
    vscode.commands.registerCommand('cubelab.cubes.publish', (n?: CubesNode) => n && vscode.commands.executeCommand('cubelab.registries.publish', vscode.Uri.parse(n.cube.uri))),
    vscode.commands.registerCommand('cubelab.cubes.open', async (n?: CubesNode) => {
      if (!n) return;
      const editor = await vscode.window.showTextDocument(vscode.Uri.parse(n.cube.uri), { preview: true });
      if (n.kind === 'task') {
        const { start, end } = n.task.range;
        const range = new vscode.Range(start.line, start.character, end.line, end.character);
        editor.selection = new vscode.Selection(range.start, range.end);
        editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      }
    }),
    vscode.commands.registerCommand('cubelab.cubes.refresh', () => tree.refresh()),
  );
  return tree;
}
