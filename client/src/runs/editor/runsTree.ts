/** The Runs tree: every run record of the workspace's run stores, newest first, refreshed by events. */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { describeTarget, isActive, type RunRecord, type SweepElement } from '../record';
import { RunStore } from '../runStore';
import type { StoreProblem } from '../runStore';

export type RunsNode =
  | { kind: 'run'; record: RunRecord; storeRoot: string }
  /** One element of a sweep (its own log, exit code and outputs in `elements/<i>/`). */
  | { kind: 'element'; record: RunRecord; storeRoot: string; element: SweepElement }
  | { kind: 'problem'; problem: StoreProblem };

const ICONS: Record<RunRecord['status'], [string, string?]> = {
  queued: ['clock', 'charts.yellow'],
  configuring: ['loading~spin'],
  running: ['sync~spin', 'charts.blue'],
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  stopped: ['debug-stop', 'disabledForeground'],
  'target-unreachable': ['warning', 'list.warningForeground'],
};

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly list: () => Promise<RunsNode[]>) {}

  refresh(): void { this.changed.fire(); }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (!node) return this.list();
    if (node.kind !== 'run' || !node.record.sweep) return [];
    // A sweep's elements, read when it is expanded (a thousand of them are a thousand small files).
    const els = await new RunStore(node.storeRoot).readElements(node.record.runId, node.record.sweep.count);
    return els.map((element) => ({ kind: 'element' as const, record: node.record, storeRoot: node.storeRoot, element }));
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'problem') {
      const item = new vscode.TreeItem(`${node.problem.runId}: unreadable record`);
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      item.tooltip = `${node.problem.file}: ${node.problem.error}. CubeLab skips this run.`;
      item.contextValue = 'cubelab.run.problem';
      return item;
    }
    if (node.kind === 'element') return this.elementItem(node.record, node.storeRoot, node.element);
    const r = node.record;
    const item = new vscode.TreeItem(r.sweep ? `${r.task} (sweep of ${r.sweep.count})` : r.task, r.sweep ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    const [icon, color] = ICONS[r.status] ?? ['circle-outline'];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const end = r.endedAt ? Date.parse(r.endedAt) : Date.now();
    const parts: string[] = [r.status === 'target-unreachable' ? 'target unreachable' : r.status, formatDuration(end - Date.parse(r.startedAt))];
    if (r.exitCode !== null) parts.push(`exit ${r.exitCode}`);
    if (r.target.kind !== 'docker' || r.target.name !== 'local') parts.push(r.target.name);
    if (r.sweep) {
      const c = r.sweep.counts;
      const done = (c.succeeded ?? 0) + (c.failed ?? 0) + (c.stopped ?? 0);
      parts.splice(1, 0, `${done}/${r.sweep.count} done${c.running ? `, ${c.running} running` : ''}${c.queued ? `, ${c.queued} queued` : ''}${c.failed ? `, ${c.failed} failed` : ''}`);
    }
    item.description = parts.join(' · ');
    // Record text comes from files a repository can ship: a plain-string tooltip renders nothing as Markdown
    // (no links, no images, no command URIs).
    const lines = [
      `${r.task} · ${r.status}`, '',
      `manifest: ${r.manifest}`, `image: ${r.image.name}${r.image.id ? ` (${r.image.id.slice(7, 19)})` : ''}`, `target: ${describeTarget(r.target)}`,
      `started: ${r.startedAt}`, ...(r.endedAt ? [`ended: ${r.endedAt}`] : []),
      ...(r.git ? [`git: ${r.git.commit.slice(0, 10)}${r.git.dirty ? ' (uncommitted changes)' : ''}`] : []),
      ...(r.overrides.length ? [`overrides: ${r.overrides.join(' ')}`] : []),
      ...(r.reason ? ['', r.reason] : []),
    ];
    item.tooltip = lines.join('\n');
    item.id = `${node.storeRoot}/${r.runId}`;
    // `.remote`: the outputs live on another host (Sync Outputs applies); `.slurm`: a batch script to open.
    const remote = r.target.kind === 'docker-ssh' || r.target.kind === 'kubernetes' || (r.target.kind === 'slurm' && !!r.target.host);
    item.contextValue = `${isActive(r.status) ? 'cubelab.run.active' : 'cubelab.run.final'}${remote ? '.remote' : ''}${r.sweep ? '.sweep' : ''}${r.target.kind === 'slurm' ? '.slurm' : ''}`;
    item.command = { command: 'cubelab.showRunLog', title: 'Show Log', arguments: [node] };
    return item;
  }

  private elementItem(r: RunRecord, storeRoot: string, e: SweepElement): vscode.TreeItem {
    const item = new vscode.TreeItem(`#${e.index} ${e.overrides.join(' ') || '(no overrides)'}`);
    const [icon, color] = ICONS[e.status] ?? ['circle-outline'];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const parts: string[] = [e.status === 'target-unreachable' ? 'target unreachable' : e.status];
    if (e.startedAt) parts.push(formatDuration((e.endedAt ? Date.parse(e.endedAt) : Date.now()) - Date.parse(e.startedAt)));
    if (e.exitCode !== null) parts.push(`exit ${e.exitCode}`);
    item.description = parts.join(' · ');
    item.tooltip = [`element ${e.index} of ${r.runId}`, `overrides: ${e.overrides.join(' ')}`, ...(e.reason ? ['', e.reason] : [])].join('\n');
    item.id = `${storeRoot}/${r.runId}#${e.index}`;
    item.contextValue = `${isActive(e.status) ? 'cubelab.element.active' : 'cubelab.element.final'}${e.target?.kind === 'slurm' ? '.slurm' : ''}`;
    item.command = { command: 'vscode.open', title: 'Show Log', arguments: [vscode.Uri.file(path.join(storeRoot, r.runId, 'elements', String(e.index), 'run.log'))] };
    return item;
  }

  dispose(): void { this.changed.dispose(); }
}
