/** The Runs tree: every run record of the workspace's run stores, newest first, refreshed by events. */
import * as vscode from 'vscode';
import { describeTarget, isActive, type RunRecord } from '../record';
import type { StoreProblem } from '../runStore';

export type RunsNode = { kind: 'run'; record: RunRecord; storeRoot: string } | { kind: 'problem'; problem: StoreProblem };

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
    return node ? [] : this.list();
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'problem') {
      const item = new vscode.TreeItem(`${node.problem.runId}: unreadable record`);
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      item.tooltip = `${node.problem.file}: ${node.problem.error}. CubeLab skips this run.`;
      item.contextValue = 'cubelab.run.problem';
      return item;
    }
    const r = node.record;
    const item = new vscode.TreeItem(r.task);
    const [icon, color] = ICONS[r.status] ?? ['circle-outline'];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const end = r.endedAt ? Date.parse(r.endedAt) : Date.now();
    const parts: string[] = [r.status === 'target-unreachable' ? 'target unreachable' : r.status, formatDuration(end - Date.parse(r.startedAt))];
    if (r.exitCode !== null) parts.push(`exit ${r.exitCode}`);
    if (r.target.kind !== 'docker' || r.target.name !== 'local') parts.push(r.target.name);
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
    // `.remote`: the outputs live on another host (Sync Outputs applies).
    item.contextValue = `${isActive(r.status) ? 'cubelab.run.active' : 'cubelab.run.final'}${r.target.kind === 'docker' ? '' : '.remote'}`;
    item.command = { command: 'cubelab.showRunLog', title: 'Show Log', arguments: [node] };
    return item;
  }

  dispose(): void { this.changed.dispose(); }
}
