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
    const watcher = vscode.workspace.createFileSystemWatcher('**/.cubelab/runs/*/run.json');
    this.disposables.push(this.tree, this.statusBar, watcher,
      watcher.onDidChange(() => this.tree.refresh()), watcher.onDidCreate(() => this.tree.refresh()), watcher.onDidDelete(() => this.tree.refresh()),
      service.onDidChange(() => this.changed()));
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
