/**
 * The targets a run can go to, from the settings: the local Docker engine (`cubelab.docker.host`, always
 * there, named `local`) and the entries of `cubelab.targets`. One backend per target, created on first use and
 * dropped when the settings change; a run's record names its target, so re-attach finds the backend by it.
 * SSH prompts (passwords, passphrases, unknown host keys) reach the user here, through VS Code's dialogs.
 * In a restricted workspace `cubelab.targets` is not read (VS Code gives its default) and nothing is contacted.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TargetSettings } from '../../backends/index';
import type { Backend, BackendEnvironment } from '../backend';
import type { RunTarget } from '../record';
import type { RunnerModule } from './runnerLoader';

export const LOCAL_TARGET = 'local';

/** `${workspaceFolder}` in image builder commands: the first workspace folder (a demo names its repository's script). */
function resolveBuilders(value: unknown): Record<string, string[]> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  const out: Record<string, string[]> = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = (v as string[]).map((a) => a.split('${workspaceFolder}').join(folder));
  }
  return out;
}

export class TargetRegistry implements vscode.Disposable {
  private readonly backends = new Map<string, Backend>();
  private readonly listener: vscode.Disposable;
  private readonly changed = new vscode.EventEmitter<void>();
  /** A target was added, removed, connected or disconnected. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly runner: () => RunnerModule, private readonly extensionPath: string) {
    this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('cubelab.targets') || e.affectsConfiguration('cubelab.docker')) this.reset();
    });
  }

  /** Every configured target, the local engine first. */
  settings(): TargetSettings[] {
    const cfg = vscode.workspace.getConfiguration('cubelab');
    const local: TargetSettings = { name: LOCAL_TARGET, kind: 'docker', host: cfg.get<string>('docker.host', '') };
    // Commands that make images on this machine: never from a restricted workspace's settings.
    if (vscode.workspace.isTrusted) local.imageBuilders = resolveBuilders(cfg.get<unknown>('docker.imageBuilders', {}));
    // Restricted workspaces: VS Code hides the workspace's value; the user's own targets are still not contacted.
    const more = (vscode.workspace.isTrusted ? cfg.get<unknown[]>('targets', []) : []).filter((t): t is TargetSettings =>
      !!t && typeof t === 'object' && typeof (t as TargetSettings).name === 'string' && typeof (t as TargetSettings).kind === 'string' && (t as TargetSettings).name !== LOCAL_TARGET);
    return [local, ...more];
  }

  private environment(): BackendEnvironment {
    const cfg = vscode.workspace.getConfiguration('cubelab');
    return {
      stopGraceSeconds: cfg.get<number>('docker.stopGraceSeconds', 10), retryMs: 1000,
      askpassMain: path.join(this.extensionPath, 'dist', 'askpass.js'),
      prompts: {
        ask: async (p) => {
          if (p.kind === 'host-key') {
            const ok = await vscode.window.showWarningMessage(`CubeLab: ${p.host} presents a host key that is not in your known_hosts.`,
              { modal: true, detail: `${p.text.replace(/\s*Are you sure you want to continue connecting.*$/s, '')}\n\nAccept it only if this fingerprint is the host's (ask its administrator). It is then added to your known_hosts, as ssh does.` },
              'Accept and Connect');
            return ok === 'Accept and Connect' ? 'yes' : 'no';
          }
          return vscode.window.showInputBox({ title: `CubeLab: SSH to ${p.host}`, prompt: p.text.trim(), password: p.kind !== 'other', ignoreFocusOut: true });
        },
        confirmOverwrite: async (files) => {
          const go = await vscode.window.showWarningMessage(`CubeLab: ${files.length} local output file(s) changed since the last sync would be overwritten by the run's outputs.`,
            { modal: true, detail: files.slice(0, 20).join('\n') + (files.length > 20 ? `\n… and ${files.length - 20} more` : '') }, 'Overwrite', 'Keep Mine');
          return go === 'Overwrite';
        },
      },
    };
  }

  /** The backend of a target by name; throws a sentence when there is no such target or kind. */
  byName(name: string): Backend {
    const existing = this.backends.get(name);
    if (existing) return existing;
    const s = this.settings().find((t) => t.name === name);
    if (!s) throw new Error(`There is no CubeLab target named "${name}" (cubelab.targets).`);
    const factory = this.runner().backendFactories[s.kind];
    if (!factory) throw new Error(`The target "${name}" has kind "${s.kind}", which this version of CubeLab cannot run.`);
    const b = factory(s, this.environment());
    this.backends.set(name, b);
    b.connection?.on('state', () => this.changed.fire());
    return b;
  }

  /** The backend that runs a record's target, if that target is configured here. */
  backendFor(target: RunTarget): Backend | undefined {
    for (const s of this.settings()) {
      if (s.kind !== target.kind) continue;
      try {
        const b = this.byName(s.name);
        if (b.owns(target)) return b;
      } catch { /* a target whose settings are broken: it owns nothing */ }
    }
    return undefined;
  }

  /** A target's backend if it was created (never creates one: the Targets view must not load dockerode). */
  existing(name: string): Backend | undefined { return this.backends.get(name); }

  /**
   * Asks which target (the last one used for `key` first); with only the local engine configured, no question.
   * Undefined when the user cancelled.
   */
  async pick(key: string, memory: vscode.Memento, always = false): Promise<string | undefined> {
    const all = this.settings();
    if (all.length === 1 && !always) return LOCAL_TARGET;
    const last = memory.get<string>(`cubelab.target:${key}`);
    const items = all.map((t) => ({
      label: t.name, description: t.kind === 'docker' ? `local Docker engine${t.host ? ` (${String(t.host)})` : ''}` : t.kind === 'kubernetes' ? `Kubernetes · ${[t.context ?? 'current context', t.namespace].filter(Boolean).map(String).join(' / ')}` : `${t.kind} · ${String(t.host ?? '')}`,
      detail: this.existing(t.name)?.connection ? `connection: ${this.existing(t.name)?.connection?.state}` : undefined,
    }));
    items.sort((a, b) => (a.label === last ? -1 : b.label === last ? 1 : 0));
    const picked = await vscode.window.showQuickPick(items, { title: 'Run on which target?', placeHolder: last ? `Last used: ${last}` : 'local: the Docker engine on this machine' });
    if (!picked) return undefined;
    await memory.update(`cubelab.target:${key}`, picked.label);
    return picked.label;
  }

  private reset(): void {
    for (const b of this.backends.values()) void b.dispose();
    this.backends.clear();
    this.changed.fire();
  }

  dispose(): void {
    this.reset();
    this.listener.dispose();
    this.changed.dispose();
  }
}
