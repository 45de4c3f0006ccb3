/**
 * The targets a run can go to, from the settings: the local Docker engine (`cubelab.docker.host`, always
 * there, named `local`) and the entries of `cubelab.targets`. One backend per target, created on first use and
 * dropped when the settings change; a run's record names its target, so re-attach finds the backend by it.
 */
import * as vscode from 'vscode';
import type { TargetSettings } from '../../backends/index';
import type { Backend } from '../backend';
import type { RunTarget } from '../record';
import type { RunnerModule } from './runnerLoader';

export const LOCAL_TARGET = 'local';

export class TargetRegistry implements vscode.Disposable {
  private readonly backends = new Map<string, Backend>();
  private readonly listener: vscode.Disposable;

  constructor(private readonly runner: () => RunnerModule) {
    this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('cubelab.targets') || e.affectsConfiguration('cubelab.docker')) this.reset();
    });
  }

  /** Every configured target, the local engine first. */
  settings(): TargetSettings[] {
    const cfg = vscode.workspace.getConfiguration('cubelab');
    const local: TargetSettings = { name: LOCAL_TARGET, kind: 'docker', host: cfg.get<string>('docker.host', '') };
    const more = cfg.get<unknown[]>('targets', []).filter((t): t is TargetSettings =>
      !!t && typeof t === 'object' && typeof (t as TargetSettings).name === 'string' && typeof (t as TargetSettings).kind === 'string' && (t as TargetSettings).name !== LOCAL_TARGET);
    return [local, ...more];
  }

  /** The backend of a target by name; throws a sentence when there is no such target or kind. */
  byName(name: string): Backend {
    const existing = this.backends.get(name);
    if (existing) return existing;
    const s = this.settings().find((t) => t.name === name);
    if (!s) throw new Error(`There is no CubeLab target named "${name}" (cubelab.targets).`);
    const mod = this.runner();
    const factory = mod.backendFactories[s.kind];
    if (!factory) throw new Error(`The target "${name}" has kind "${s.kind}", which this version of CubeLab cannot run.`);
    const cfg = vscode.workspace.getConfiguration('cubelab');
    const b = factory(s, { stopGraceSeconds: cfg.get<number>('docker.stopGraceSeconds', 10), retryMs: 1000 });
    this.backends.set(name, b);
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

  private reset(): void {
    for (const b of this.backends.values()) void b.dispose();
    this.backends.clear();
  }

  dispose(): void {
    this.reset();
    this.listener.dispose();
  }
}
