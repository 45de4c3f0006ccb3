/**
 * The Runs view and the status-bar count of active runs. The tree lists every record of the workspace's run
 * stores, newest first, and follows the files (other windows write records too): it never polls.
 */
import * as vscode from 'vscode';
import { RunStore } from '../runStore';
import type { RunService } from './runService';
import { RunsTreeProvider, type RunsNode } from './runsTree';

export class RunsView implements vscode.Disposable {
  readonly tree: RunsTreeProvider;
  private readonly statusBar: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly service: RunService) {
    this.tree = new RunsTreeProvider(() => this.listNodes());
    this.statusBar = vscode.window.createStatusBarItem('cubelab.activeRuns', vscode.StatusBarAlignment.Left, 10);
    this.statusBar.name = 'CubeLab active runs';
    this.statusBar.command = 'cubelab.runs.focus';
    this.watchStores();
    this.disposables.push(this.tree, this.statusBar, { dispose: () => this.disposeWatchers() },
      // cubelab.runs.folder is per workspace folder (resource scope): the watchers follow it and the folders.
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('cubelab.runs.folder')) this.storesChanged(); }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.storesChanged()),
      service.onDidChange(() => this.changed()));
  }

  private watchers: vscode.Disposable[] = [];

  /** One watcher per run store (each workspace folder's cubelab.runs.folder, inside the folder or not). */
  private watchStores(): void {
    this.disposeWatchers();
    for (const root of new Set(this.service.storeRoots())) {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), '*/run.json'));
      this.watchers.push(w, w.onDidChange(() => this.tree.refresh()), w.onDidCreate(() => this.tree.refresh()), w.onDidDelete(() => this.tree.refresh()));
    }
  }

  private disposeWatchers(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
  }

  private storesChanged(): void {
    this.watchStores();
    this.tree.refresh();
  }

  private async listNodes(): Promise<RunsNode[]> {
    const nodes: RunsNode[] = [];
    // Reading records needs no backend: the store is plain files (light enough for the activation bundle).
    for (const root of this.service.storeRoots()) {
      const { runs, problems } = await new RunStore(root).list();
      for (const record of runs) nodes.push({ kind: 'run', record, storeRoot: root });
      for (const problem of problems) nodes.push({ kind: 'problem', problem });
    }
    return nodes;
  }

  changed(): void {
    this.tree.refresh();
    const n = this.service.activeCount();
    this.statusBar.text = `$(sync~spin) ${n} run${n === 1 ? '' : 's'}`;
    this.statusBar.tooltip = `CubeLab: ${n} active run${n === 1 ? '' : 's'}`;
    if (n) this.statusBar.show(); else this.statusBar.hide();
  }

  dispose(): void { for (const d of this.disposables) d.dispose(); }
}
