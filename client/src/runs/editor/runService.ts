/**
 * The editor's side of runs: one supervisor per workspace folder's run store, backends chosen by target (not by
 * folder), the task plan asked of the language server, the workspace-trust gate, and the count of active runs.
 * The supervisor and the backends load from dist/runner.js on first use, never at activation.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { TaskPlanRequest, type TaskPlan, type TaskPlanParams } from '../../../../shared/lsp-protocol';
import { sendRequest } from '../../language/request';
import type { Backend, CancelToken, RunSink } from '../backend';
import type { RunRecord, RunTarget } from '../record';
import type { RunHandle, RunOutcome, Supervisor } from '../supervisor';
import type { RunStore } from '../runStore';
import { loadRunnerModule, type RunnerModule } from './runnerLoader';
import { TargetRegistry } from './targets';

export class RunService implements vscode.Disposable {
  private readonly supervisors = new Map<string, Supervisor>();
  private readonly active = new Map<string, RunStore>();
  private readonly changedEmitter = new vscode.EventEmitter<void>();
  /** Fires when a run starts or ends in this window, or a record this window wrote changes. */
  readonly onDidChange = this.changedEmitter.event;
  readonly targets: TargetRegistry;

  constructor(
    readonly context: vscode.ExtensionContext,
    private readonly client: () => LanguageClient | undefined,
    readonly output: vscode.LogOutputChannel,
  ) {
    this.targets = new TargetRegistry(() => this.runner(), context.extensionPath);
  }

  runner(): RunnerModule { return loadRunnerModule(this.context.extensionPath); }

  // ------------------------------------------------------------------ stores and supervisors

  storeRoot(folder: vscode.WorkspaceFolder): string {
    const rel = vscode.workspace.getConfiguration('cubelab', folder.uri).get<string>('runs.folder', '.cubelab/runs') || '.cubelab/runs';
    return path.resolve(folder.uri.fsPath, rel);
  }

  storeRoots(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => this.storeRoot(f));
  }

  supervisorFor(root: string): Supervisor {
    let s = this.supervisors.get(root);
    if (!s) {
      const mod = this.runner();
      const cfg = vscode.workspace.getConfiguration('cubelab');
      s = new mod.Supervisor({
        store: new mod.RunStore(root),
        backendFor: (t: RunTarget) => this.targets.backendFor(t),
        stopGraceSeconds: cfg.get<number>('docker.stopGraceSeconds', 10),
        onRecord: () => this.changedEmitter.fire(),
      });
      this.supervisors.set(root, s);
    }
    return s;
  }

  activeCount(): number { return this.active.size; }
  isActiveHere(runId: string): boolean { return this.active.has(runId); }

  // ------------------------------------------------------------------ trust

  /** Nothing runs, and no target is contacted, in a restricted workspace. */
  trusted(quiet = false): boolean {
    if (vscode.workspace.isTrusted) return true;
    if (!quiet) {
      void vscode.window.showWarningMessage('CubeLab runs nothing in a restricted workspace: a cube task executes code from this folder, and settings could become part of a command. Trust the workspace to run it.', 'Manage Workspace Trust')
        .then((c) => { if (c) void vscode.commands.executeCommand('workbench.trust.manage'); });
    }
    return false;
  }

  // ------------------------------------------------------------------ plans

  async plan(manifest: vscode.Uri, task: string, overrides: string[]): Promise<TaskPlan> {
    const client = this.client();
    if (!client) throw new Error('The CubeLab language server is not running.');
    // The server plans open documents only.
    await vscode.workspace.openTextDocument(manifest);
    if (!client.isRunning()) await client.start();
    const params: TaskPlanParams = { uri: manifest.toString(), task, overrides };
    const result = await sendRequest(client, TaskPlanRequest, params);
    if (!result.ok) throw new Error(result.error);
    for (const w of result.plan.warnings) this.output.warn(`[plan] ${w}`);
    return result.plan;
  }

  // ------------------------------------------------------------------ runs

  /** Starts a run and follows it to its end; the sink (a task terminal) sees everything. */
  async execute(req: {
    manifest: string; task: string; plan: TaskPlan; overrides: string[]; backend: Backend; grants?: RunRecord['grants'];
  }, sink: RunSink, started: (h: RunHandle) => void): Promise<RunOutcome> {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(req.manifest)) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('Open the cube\'s folder as a workspace first (runs are stored in it).');
    const root = this.storeRoot(folder);
    const sup = this.supervisorFor(root);
    const cfg = vscode.workspace.getConfiguration('cubelab');
    const handle = await sup.start({
      backend: req.backend, manifest: req.manifest, task: req.plan.taskName, plan: req.plan, overrides: req.overrides,
      asHostUser: cfg.get<boolean>('docker.runAsHostUser', false), ...(req.grants ? { grants: req.grants } : {}),
    }, sink);
    started(handle);
    return this.track(handle, root);
  }

  /** Follows a handle's end: the count, the views, and a message when it failed. */
  track(handle: RunHandle, root: string): Promise<RunOutcome> {
    this.active.set(handle.runId, (this.supervisors.get(root) as Supervisor).store);
    this.changedEmitter.fire();
    return handle.done.then((o) => {
      this.active.delete(handle.runId);
      this.changedEmitter.fire();
      this.announce(o, root);
      return o;
    });
  }

  private announce(o: RunOutcome, root: string): void {
    if (o.status === 'failed') {
      void vscode.window.showErrorMessage(`CubeLab: run ${o.runId} failed${o.exitCode !== null ? ` (exit code ${o.exitCode})` : ''}. ${o.reason ?? ''}`, 'Show Log')
        .then((c) => { if (c) void vscode.window.showTextDocument(vscode.Uri.file(path.join(root, o.runId, 'run.log')), { preview: true }); });
    }
  }

  /** The store and record of a run, wherever it lives in this workspace. */
  async find(runId: string): Promise<{ root: string; record: RunRecord } | undefined> {
    for (const root of this.storeRoots()) {
      try { return { root, record: await this.supervisorFor(root).store.read(runId) }; } catch { /* not here */ }
    }
    return undefined;
  }

  async stop(runId: string): Promise<void> {
    // Nothing runs in a restricted workspace, and no target is contacted there either.
    if (!this.trusted()) return;
    const found = await this.find(runId);
    if (!found) return;
    try { await this.supervisorFor(found.root).stop(runId); } catch (e) { void vscode.window.showErrorMessage(`CubeLab: ${(e as Error).message}`); }
  }

  async configure(backend: Backend, plan: TaskPlan): Promise<void> {
    const b = plan.platforms.docker.imageBuild;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CubeLab: configuring ${plan.image} on ${backend.name}`, cancellable: true }, async (progress, token) => {
      const cancel: CancelToken = { get cancelled() { return token.isCancellationRequested; }, onCancel: (l) => { token.onCancellationRequested(l); } };
      let lastPct = 0;
      await backend.configure(plan.image, { strategy: b.strategy, context: b.context, file: b.file, args: b.buildArgs }, {
        info: (t) => this.output.info(`[configure] ${t}`),
        detail: (t) => this.output.debug(`[configure] ${t}`),
        warn: (t) => this.output.warn(`[configure] ${t}`),
        progress: (message, current, total) => {
          const pct = total ? Math.round((100 * (current ?? 0)) / total) : lastPct;
          progress.report({ message, increment: Math.max(0, pct - lastPct) });
          lastPct = pct;
        },
      }, cancel);
    });
  }

  /** After a reload (or trust granted): every folder's unfinished runs that no other window follows. */
  async attachAll(sinkFor: (root: string, record: RunRecord) => RunSink): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    for (const root of this.storeRoots()) {
      try {
        const handles = await this.supervisorFor(root).attach((r) => sinkFor(root, r));
        for (const h of handles) void this.track(h, root);
        if (handles.length) this.output.info(`Re-attached ${handles.length} run(s) in ${root}.`);
      } catch (e) {
        this.output.error(`Could not re-attach runs in ${root}: ${(e as Error).message}`);
      }
    }
  }

  dispose(): void {
    for (const s of this.supervisors.values()) void s.dispose();
    this.targets.dispose();
    this.changedEmitter.dispose();
  }
}
