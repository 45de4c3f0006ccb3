/**
 * The Experiments tree: the MLgym event storages found in the workspace and in runs' outputs
 * (`cubelab.events.storageGlobs`), one node per grid search, its experiments, and each experiment's checkpoints
 * by epoch (Reveal, Copy path). It refreshes on file-system events, never by polling, and reads nothing until
 * the view is shown: registering only creates the view, the commands and the watchers of the globs. The
 * reading code (event reader, glob walk) loads from dist/experimentsTree.js on the first listing.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as ModelModule from './model';
import type { ExperimentsTreeNode, FoundLog, GridSearchNode } from './model';
import { globMatcher } from '../../../shared/glob';

type Node = ExperimentsTreeNode | { kind: 'message'; text: string };

// Duplicated from model.ts: importing it would pull the reader into the activation bundle.
const DEFAULT_GLOBS = ['**/event_storage/*/event_storage.log'];
const EXCLUDE = '**/node_modules/**';
/** A live run appends many lines a second: at most one refresh per this interval. */
const REFRESH_MS = 1000;

const UNKNOWN_STATE_ICON: [string, string?] = ['beaker'];
const STATE_ICONS: Record<string, [string, string?]> = {
  running: ['sync~spin', 'charts.blue'],
  queued: ['clock'],
  configured: ['circle-outline'],
  done: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  unknown: UNKNOWN_STATE_ICON,
};

/** The storage globs, without the ones too long or with too many brace alternatives to match in bounded time (shared/glob.ts). */
function storageGlobs(): string[] {
  const globs = vscode.workspace.getConfiguration('cubelab').get<string[]>('events.storageGlobs', DEFAULT_GLOBS);
  const usable = Array.isArray(globs) ? globs.filter((g) => typeof g === 'string' && g.length > 0 && globMatcher(g).ok) : [];
  return usable.length ? usable : DEFAULT_GLOBS;
}

export class ExperimentsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private model?: ModelModule.ExperimentsModel;
  /** Storage roots and run output folders found by the last listing: watched for changes below them. */
  onFolders: (folders: string[]) => void = () => undefined;

  constructor(private readonly loadModel: () => typeof ModelModule) {}

  refresh(): void { this.changed.fire(); }

  private get experimentsModel(): ModelModule.ExperimentsModel {
    if (!this.model) this.model = new (this.loadModel().ExperimentsModel)();
    return this.model;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    try {
      if (!node) return await this.gridSearches();
      if (node.kind === 'gridSearch') return await this.experimentsModel.experiments(node);
      if (node.kind === 'experiment') return node.checkpoints;
      return [];
    } catch (e) {
      return [{ kind: 'message', text: `Could not list the experiments: ${(e as Error).message}` }];
    }
  }

  private async gridSearches(): Promise<Node[]> {
    const mod = this.loadModel();
    const globs = storageGlobs();
    const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const found: FoundLog[] = [];
    const watchDirs = new Set<string>();
    for (const glob of globs) {
      for (const uri of await vscode.workspace.findFiles(glob, EXCLUDE, 2000)) {
        const root = path.dirname(path.dirname(uri.fsPath));
        found.push({ logPath: uri.fsPath, where: vscode.workspace.asRelativePath(vscode.Uri.file(root), multiRoot) });
        watchDirs.add(root);
      }
    }
    // Runs write outputs to their mlcube workspace and mounts, which may lie outside the workspace folders.
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const stores = (vscode.workspace.workspaceFolders ?? []).map((f) => {
      const rel = vscode.workspace.getConfiguration('cubelab', f.uri).get<string>('runs.folder', '.cubelab/runs') || '.cubelab/runs';
      return path.resolve(f.uri.fsPath, rel);
    });
    // Not in a restricted workspace: run records come with the folder, and must not pick what gets walked.
    for (const { dir, active } of vscode.workspace.isTrusted ? await mod.runOutputDirs(stores) : []) {
      if (folders.some((f) => mod.isInside(dir, f))) continue; // the workspace search covered it
      // Watched whole only while a run writes there; otherwise only the storages found in it.
      if (active) watchDirs.add(dir);
      for (const logPath of await mod.findLogsUnder(dir, globs)) {
        found.push({ logPath, where: path.dirname(path.dirname(logPath)) });
        watchDirs.add(path.dirname(path.dirname(logPath)));
      }
    }
    this.onFolders([...watchDirs]);
    return this.experimentsModel.gridSearches(found);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const None = vscode.TreeItemCollapsibleState.None;
    const Collapsed = vscode.TreeItemCollapsibleState.Collapsed;
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text, None);
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      return item;
    }
    if (node.kind === 'gridSearch') {
      const item = new vscode.TreeItem(node.label, Collapsed);
      item.id = node.dir;
      item.description = node.description;
      item.tooltip = node.tooltip;
      item.iconPath = new vscode.ThemeIcon('graph-line');
      item.contextValue = 'cubelab.experiments.gridSearch';
      return item;
    }
    if (node.kind === 'experiment') {
      const item = new vscode.TreeItem(node.label, node.checkpoints.length ? Collapsed : None);
      item.id = `experiment:${node.dir}`;
      item.description = node.description;
      item.tooltip = node.tooltip;
      const [icon, color] = STATE_ICONS[node.state] ?? UNKNOWN_STATE_ICON;
      item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
      item.contextValue = 'cubelab.experiments.experiment';
      return item;
    }
    const item = new vscode.TreeItem(node.label, None);
    item.id = node.dir;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.iconPath = new vscode.ThemeIcon('save-all');
    item.resourceUri = vscode.Uri.file(node.dir);
    item.contextValue = 'cubelab.experiments.checkpoint';
    return item;
  }

  dispose(): void { this.changed.dispose(); }
}

/** A path for Reveal / Copy path: a checkpoint's folder, an experiment's folder, a grid search's folder. */
function nodePath(n: Node | undefined): string | undefined {
  if (!n || n.kind === 'message') return undefined;
  return n.dir;
}

/** Registers the Experiments view, its commands and its watchers. No file is read here. */
export function registerExperiments(context: vscode.ExtensionContext): ExperimentsTreeProvider {
  let mod: typeof ModelModule | undefined;
  // createRequire keeps esbuild from inlining the reader into dist/client.js.
  const load = (): typeof ModelModule => (mod ??= createRequire(__filename)(path.join(context.extensionPath, 'dist', 'experimentsTree.js')) as typeof ModelModule);
  const tree = new ExperimentsTreeProvider(load);
  const view = vscode.window.createTreeView('cubelab.experiments', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  // Selecting experiments in the tree compares them in the open Metrics and Experiments panels of their log.
  const onSelection = view.onDidChangeSelection((e) => {
    const byLog = new Map<string, string[]>();
    for (const n of e.selection) {
      if (n.kind !== 'experiment') continue;
      const log = path.join(n.gridSearchDir, 'event_storage.log');
      byLog.set(log, [...(byLog.get(log) ?? []), n.id]);
    }
    for (const [log, ids] of byLog) void vscode.commands.executeCommand('cubelab.experiments.selectInPanels', log, ids);
  });

  let timer: NodeJS.Timeout | undefined;
  // Throttled, not debounced: a log written continuously would otherwise never refresh.
  const soon = (): void => { if (!timer) timer = setTimeout(() => { timer = undefined; tree.refresh(); }, REFRESH_MS); };
  const onAny = (w: vscode.FileSystemWatcher): vscode.Disposable =>
    vscode.Disposable.from(w, w.onDidCreate(soon), w.onDidChange(soon), w.onDidDelete(soon));

  // The globs themselves: a new grid search anywhere in the workspace.
  let globWatchers: vscode.Disposable[] = [];
  const watchGlobs = (): void => {
    for (const d of globWatchers) d.dispose();
    globWatchers = storageGlobs().map((g) => onAny(vscode.workspace.createFileSystemWatcher(g)));
  };
  watchGlobs();
  // Below each storage root and run output folder found: checkpoints, experiment folders, configs.
  const folderWatchers = new Map<string, vscode.Disposable>();
  tree.onFolders = (folders) => {
    const keep = new Set(folders);
    for (const [dir, d] of folderWatchers) if (!keep.has(dir)) { d.dispose(); folderWatchers.delete(dir); }
    for (const dir of folders) {
      if (!folderWatchers.has(dir)) folderWatchers.set(dir, onAny(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '**'))));
    }
  };
  // New runs (their outputs may hold a storage outside the workspace), in each folder's run store.
  let runsWatchers: vscode.Disposable[] = [];
  const watchRuns = (): void => {
    for (const d of runsWatchers) d.dispose();
    runsWatchers = (vscode.workspace.workspaceFolders ?? []).map((f) => {
      const rel = vscode.workspace.getConfiguration('cubelab', f.uri).get<string>('runs.folder', '.cubelab/runs') || '.cubelab/runs';
      return onAny(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(f, `${rel.replace(/\\/g, '/')}/*/run.json`)));
    });
  };
  watchRuns();

  const copyPath = async (n?: Node): Promise<void> => {
    const p = nodePath(n);
    if (!p) return;
    await vscode.env.clipboard.writeText(p);
    vscode.window.setStatusBarMessage(`CubeLab: copied ${p}`, 3000);
  };
  const gridSearchLog = (n?: Node): string | undefined => (n?.kind === 'gridSearch' ? (n as GridSearchNode).logPath : undefined);

  context.subscriptions.push(
    tree, view, onSelection,
    { dispose: () => { for (const d of [...globWatchers, ...runsWatchers, ...folderWatchers.values()]) d.dispose(); if (timer) clearTimeout(timer); } },
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('cubelab.events.storageGlobs')) { watchGlobs(); tree.refresh(); }
      else if (e.affectsConfiguration('cubelab.runs.folder')) { watchRuns(); tree.refresh(); }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => { watchRuns(); tree.refresh(); }),
    vscode.commands.registerCommand('cubelab.experiments.refresh', () => tree.refresh()),
    // The existing panel commands take the log path (see webviews/pickSource.ts sourceFromArgument).
    vscode.commands.registerCommand('cubelab.experiments.openMetrics', (n?: Node) =>
      vscode.commands.executeCommand('cubelab.openMetrics', gridSearchLog(n))),
    vscode.commands.registerCommand('cubelab.experiments.openTable', (n?: Node) =>
      vscode.commands.executeCommand('cubelab.openExperiments', gridSearchLog(n))),
    vscode.commands.registerCommand('cubelab.experiments.reveal', async (n?: Node) => {
      const p = nodePath(n);
      if (!p) return;
      const uri = vscode.Uri.file(p);
      // Inside the workspace the Explorer shows it (also in a browser, where there is no OS file manager).
      await vscode.commands.executeCommand(vscode.workspace.getWorkspaceFolder(uri) ? 'revealInExplorer' : 'revealFileInOS', uri);
    }),
    vscode.commands.registerCommand('cubelab.experiments.copyPath', copyPath),
  );
  return tree;
}
