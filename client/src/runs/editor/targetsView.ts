/**
 * The Targets view: each target with its reachability (connected, not connected, or the last failure), its
 * engine version once probed, and the runs active on it; Connect / Disconnect / Open SSH config; and the
 * connection state in the status bar. Nothing is contacted until the user connects or runs something, and
 * nothing at all in a restricted workspace.
 */
import * as vscode from 'vscode';
import { describeTarget, isActive, type RunRecord } from '../record';
import { RunStore } from '../runStore';
import type { RunService } from './runService';
import { LOCAL_TARGET } from './targets';

export type TargetNode =
  | { kind: 'target'; name: string; targetKind: string; host: string }
  | { kind: 'run'; record: RunRecord; storeRoot: string };

interface Probe { version?: string; error?: string }

export class TargetsView implements vscode.TreeDataProvider<TargetNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly probes = new Map<string, Probe>();
  private readonly status: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly service: RunService) {
    this.status = vscode.window.createStatusBarItem('cubelab.targets', vscode.StatusBarAlignment.Left, 9);
    this.status.name = 'CubeLab targets';
    this.status.command = 'cubelab.targets.focus';
    this.disposables.push(this.emitter, this.status, service.targets.onDidChange(() => this.refresh()), service.onDidChange(() => this.refresh()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh()));
    this.refresh();
  }

  refresh(): void {
    this.emitter.fire();
    this.updateStatus();
  }

  private updateStatus(): void {
    const remote = this.service.targets.settings().filter((t) => t.name !== LOCAL_TARGET);
    if (!remote.length || !vscode.workspace.isTrusted) { this.status.hide(); return; }
    const states = remote.map((t) => ({ name: t.name, state: this.service.targets.existing(t.name)?.connection?.state ?? 'disconnected' }));
    const up = states.filter((s) => s.state === 'connected').length;
    const connecting = states.some((s) => s.state === 'connecting');
    this.status.text = `${connecting ? '$(sync~spin)' : up ? '$(remote)' : '$(debug-disconnect)'} ${up}/${remote.length} connected`;
    this.status.tooltip = `CubeLab targets: ${states.map((s) => `${s.name} ${s.state}`).join(', ')}`;
    this.status.show();
  }

  /** Connects and asks the engine for its version (the user asked: Connect or Refresh). */
  async probe(name: string): Promise<void> {
    if (!this.service.trusted()) return;
    try {
      const info = await this.service.targets.byName(name).probe();
      this.probes.set(name, { ...(info.version ? { version: info.version } : {}) });
    } catch (e) {
      this.probes.set(name, { error: (e as Error).message });
      void vscode.window.showErrorMessage(`CubeLab: ${(e as Error).message}`);
    }
    this.refresh();
  }

  async disconnect(name: string): Promise<void> {
    await this.service.targets.existing(name)?.connection?.close();
    this.probes.delete(name);
    this.refresh();
  }

  async getChildren(node?: TargetNode): Promise<TargetNode[]> {
    if (!node) {
      return this.service.targets.settings().map((t) => ({ kind: 'target', name: t.name, targetKind: t.kind, host: String(t.host ?? (t.kind === 'kubernetes' ? [t.context ?? 'current context', t.namespace].filter(Boolean).join(' / ') : '')) }));
    }
    if (node.kind !== 'target') return [];
    const out: TargetNode[] = [];
    for (const root of this.service.storeRoots()) {
      const { runs } = await new RunStore(root).list();
      for (const r of runs) if (isActive(r.status) && (r.target.name === node.name || (node.name === LOCAL_TARGET && r.target.kind === 'docker' && r.target.name === LOCAL_TARGET))) out.push({ kind: 'run', record: r, storeRoot: root });
    }
    return out;
  }

  getTreeItem(node: TargetNode): vscode.TreeItem {
    if (node.kind === 'run') {
      const item = new vscode.TreeItem(node.record.task);
      item.description = `${node.record.status} · ${node.record.runId}`;
      item.iconPath = new vscode.ThemeIcon('sync~spin');
      item.tooltip = describeTarget(node.record.target);
      item.command = { command: 'cubelab.showRunLog', title: 'Show Log', arguments: [{ kind: 'run', record: node.record, storeRoot: node.storeRoot }] };
      return item;
    }
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
    const probe = this.probes.get(node.name);
    const conn = this.service.targets.existing(node.name)?.connection;
    let state: 'connected' | 'disconnected' | 'failed' | 'local' = node.name === LOCAL_TARGET ? 'local' : conn?.state === 'connected' ? 'connected' : probe?.error ? 'failed' : 'disconnected';
    if (conn?.state === 'connecting') state = 'disconnected';
    const kind = node.targetKind === 'docker' ? 'local Docker engine' : node.targetKind === 'docker-ssh' ? `Docker over SSH · ${node.host}` : node.targetKind === 'kubernetes' ? `Kubernetes · ${node.host}` : node.targetKind;
    const parts = [kind];
    if (state === 'connected') parts.push('connected');
    else if (state === 'failed') parts.push('unreachable');
    else if (state === 'disconnected') parts.push(conn?.state === 'connecting' ? 'connecting…' : 'not connected');
    if (probe?.version) parts.push(`engine ${probe.version}`);
    item.description = parts.join(' · ');
    item.tooltip = probe?.error ?? conn?.lastError?.message ?? kind;
    item.iconPath = new vscode.ThemeIcon(state === 'connected' ? 'remote' : state === 'failed' ? 'error' : state === 'local' ? 'vm' : 'debug-disconnect',
      state === 'failed' ? new vscode.ThemeColor('list.errorForeground') : undefined);
    item.contextValue = `cubelab.target.${state}`;
    return item;
  }

  dispose(): void { for (const d of this.disposables) d.dispose(); }
}
