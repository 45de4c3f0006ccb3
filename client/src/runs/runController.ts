/**
 * The editor side of runs: commands, the `cubelab` task type (CustomExecution + a Pseudoterminal), the Runs
 * tree, the status-bar count of active runs, and re-attachment after a reload. The runner itself (dockerode)
 * is loaded on first use from dist/runner.js. Nothing runs in a restricted workspace.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { TaskPlanRequest, type TaskPlan, type TaskPlanParams, type TaskPlanResult } from '../../../shared/lsp-protocol';
import type { DockerRunner } from '../runners/docker/dockerRunner';
import type { RunOutcome, RunSink, CancelToken } from '../runners/runner';
import { loadRunnerModule } from './runnerLoader';
import { FINAL_STATUSES, RunStore, type RunRecord } from './runStore';
import { RunsTreeProvider, type RunsNode } from './runsTree';
import { RunTerminal, logTail } from './runTerminal';
import { sendRequest } from '../language/request';

export const TASK_TYPE = 'cubelab';

/** What tasks.json, keybindings and "Run Task" give: `{"type": "cubelab", "manifest": ..., "task": ..., "overrides": [...]}`. */
export interface CubeLabTaskDefinition extends vscode.TaskDefinition {
  type: 'cubelab';
  manifest: string;
  task: string;
  overrides?: string[] | Record<string, string>;
}


export class RunController implements vscode.Disposable {
  readonly tree: RunsTreeProvider;
  private readonly runners = new Map<string, DockerRunner>();
  private readonly active = new Map<string, { store: RunStore }>();
  private readonly statusBar: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: () => LanguageClient | undefined,
    private readonly output: vscode.OutputChannel,
  ) {
    this.tree = new RunsTreeProvider(() => this.listNodes());
    this.statusBar = vscode.window.createStatusBarItem('cubelab.activeRuns', vscode.StatusBarAlignment.Left, 10);
    this.statusBar.name = 'CubeLab active runs';
    this.statusBar.command = 'cubelab.runs.focus';
    const watcher = vscode.workspace.createFileSystemWatcher('**/.cubelab/runs/*/run.json');
    // Other windows and the runner write records: the tree follows the files, it never polls.
    this.disposables.push(this.tree, this.statusBar, watcher,
      watcher.onDidChange(() => this.tree.refresh()), watcher.onDidCreate(() => this.tree.refresh()), watcher.onDidDelete(() => this.tree.refresh()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.reattach()));
  }

  // ------------------------------------------------------------------ stores and runners

  storeFor(folder: vscode.WorkspaceFolder): RunStore {
    const rel = vscode.workspace.getConfiguration('cubelab', folder.uri).get<string>('runs.folder', '.cubelab/runs') || '.cubelab/runs';
    return new RunStore(path.resolve(folder.uri.fsPath, rel));
  }

  stores(): RunStore[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => this.storeFor(f));
  }

  private runnerFor(store: RunStore): DockerRunner {
    let r = this.runners.get(store.root);
    if (!r) {
      const cfg = vscode.workspace.getConfiguration('cubelab');
      const mod = loadRunnerModule(this.context.extensionPath);
      r = new mod.DockerRunner({
        store,
        hostSetting: cfg.get<string>('docker.host', ''),
        stopGraceSeconds: cfg.get<number>('docker.stopGraceSeconds', 10),
      });
      this.runners.set(store.root, r);
    }
    return r;
  }

  private async listNodes(): Promise<RunsNode[]> {
    const nodes: RunsNode[] = [];
    for (const store of this.stores()) {
      const { runs, problems } = await store.list();
      for (const record of runs) nodes.push({ kind: 'run', record, storeRoot: store.root });
      for (const problem of problems) nodes.push({ kind: 'problem', problem });
    }
    return nodes;
  }

  private changed(): void {
    this.tree.refresh();
    const n = this.active.size;
    this.statusBar.text = `$(sync~spin) ${n} run${n === 1 ? '' : 's'}`;
    this.statusBar.tooltip = `CubeLab: ${n} active run${n === 1 ? '' : 's'}`;
    if (n) this.statusBar.show(); else this.statusBar.hide();
  }

  // ------------------------------------------------------------------ trust

  private trusted(): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage('CubeLab runs nothing in a restricted workspace: a cube task executes code from this folder, and settings could become part of a command. Trust the workspace to run it.', 'Manage Workspace Trust')
      .then((c) => { if (c) void vscode.commands.executeCommand('workbench.trust.manage'); });
    return false;
  }

  // ------------------------------------------------------------------ plans

  private async plan(manifest: vscode.Uri, task: string, overrides: string[]): Promise<TaskPlan> {
    const client = this.client();
    if (!client) throw new Error('The CubeLab language server is not running.');
    // The server plans open documents only.
    await vscode.workspace.openTextDocument(manifest);
    if (!client.isRunning()) await client.start();
    const params: TaskPlanParams = { uri: manifest.toString(), task, overrides };
    const result = await sendRequest(client, TaskPlanRequest, params);
    if (!result.ok) throw new Error(result.error);
    for (const w of result.plan.warnings) this.output.appendLine(`[plan] warning: ${w}`);
    return result.plan;
  }

  // ------------------------------------------------------------------ tasks (CustomExecution)

  /**
   * A `cubelab` task for a manifest's task; its terminal runs the plan when it opens. `as` keeps the
   * definition and name VS Code gave (a tasks.json entry): a resolved task must carry them unchanged.
   */
  taskFor(def: CubeLabTaskDefinition, plan?: TaskPlan, as?: { definition: vscode.TaskDefinition; name: string; scope?: vscode.Task['scope'] }): vscode.Task {
    const uri = vscode.Uri.file(def.manifest);
    const folder = as?.scope ?? vscode.workspace.getWorkspaceFolder(uri) ?? vscode.TaskScope.Workspace;
    const name = as?.name ?? `${def.task || 'task'} (${path.basename(path.dirname(def.manifest))})`;
    return new vscode.Task(as?.definition ?? def, folder, name, TASK_TYPE, new vscode.CustomExecution(async () => {
      let runId: string | undefined;
      return new RunTerminal((t) => {
        void this.execute(def, t, plan, (id) => { runId = id; }).then((o) => t.finish(o?.status === 'succeeded' ? 0 : 1));
      }, () => { if (runId) void this.stop(runId); });
    }));
  }

  provider(): vscode.TaskProvider {
    return {
      provideTasks: () => [],
      resolveTask: (task) => {
        const d = task.definition as Partial<CubeLabTaskDefinition>;
        if (d.type !== TASK_TYPE || typeof d.manifest !== 'string') return undefined;
        const manifest = path.isAbsolute(d.manifest) || !task.scope || typeof task.scope === 'number'
          ? d.manifest : path.join(task.scope.uri.fsPath, d.manifest);
        return this.taskFor({ ...d, type: TASK_TYPE, manifest, task: d.task ?? '' } as CubeLabTaskDefinition, undefined,
          { definition: task.definition, name: task.name, scope: task.scope });
      },
    };
  }

  private async execute(def: CubeLabTaskDefinition, sink: RunSink, given: TaskPlan | undefined, started: (runId: string) => void): Promise<RunOutcome | undefined> {
    if (!this.trusted()) { sink.info('Not run: the workspace is restricted.'); return undefined; }
    const uri = vscode.Uri.file(def.manifest);
    const folder = vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) { sink.info('Not run: open the cube\'s folder as a workspace first (runs are stored in it).'); return undefined; }
    const overrides = Array.isArray(def.overrides) ? def.overrides
      : Object.entries(def.overrides ?? {}).map(([k, v]) => `${k}=${v}`);
    const store = this.storeFor(folder);
    try {
      const plan = given ?? await this.plan(uri, def.task, overrides);
      sink.info(`CubeLab: ${plan.taskName} in ${plan.image}`);
      const runner = this.runnerFor(store);
      const cfg = vscode.workspace.getConfiguration('cubelab');
      const handle = await runner.run({
        manifest: def.manifest, task: plan.taskName, plan, overrides, asHostUser: cfg.get<boolean>('docker.runAsHostUser', false),
      }, sink);
      started(handle.runId);
      this.active.set(handle.runId, { store });
      this.changed();
      const outcome = await handle.done;
      this.active.delete(handle.runId);
      this.changed();
      this.announce(outcome, store);
      return outcome;
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      sink.info(`error: ${msg}`);
      this.output.appendLine(`Run of ${def.task || 'task'} in ${def.manifest} failed to start: ${msg}`);
      this.changed();
      void vscode.window.showErrorMessage(`CubeLab: ${msg}`);
      return undefined;
    }
  }

  private announce(o: RunOutcome, store: RunStore): void {
    if (o.status === 'failed') {
      void vscode.window.showErrorMessage(`CubeLab: run ${o.runId} failed${o.exitCode !== null ? ` (exit code ${o.exitCode})` : ''}. ${o.reason ?? ''}`, 'Show Log')
        .then((c) => { if (c) void this.showLog(store.logPath(o.runId)); });
    }
  }

  // ------------------------------------------------------------------ commands

  async runTask(manifest?: vscode.Uri | string, task?: string, askOverrides = false): Promise<void> {
    if (!this.trusted()) return;
    const uri = typeof manifest === 'string' ? vscode.Uri.parse(manifest) : manifest ?? vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file') { void vscode.window.showWarningMessage('CubeLab: open an MLCube manifest (mlcube.yaml) on disk to run one of its tasks.'); return; }
    let overrides: string[] = [];
    const key = `cubelab.overrides:${uri.fsPath}#${task ?? ''}`;
    if (askOverrides) {
      const last = this.context.workspaceState.get<string>(key, '');
      const typed = await vscode.window.showInputBox({
        title: `Run ${task || 'task'} with overrides`, value: last,
        prompt: 'Space-separated: name=value for parameters, -Pkey.path=value for the configuration (e.g. -Pdocker.build_strategy=always)',
      });
      if (typed === undefined) return;
      await this.context.workspaceState.update(key, typed);
      overrides = typed.split(/\s+/).filter(Boolean);
    }
    await vscode.tasks.executeTask(this.taskFor({ type: TASK_TYPE, manifest: uri.fsPath, task: task ?? '', overrides }));
  }

  async rerun(node: RunsNode | undefined): Promise<void> {
    if (node?.kind !== 'run' || !this.trusted()) return;
    const r = node.record;
    await vscode.tasks.executeTask(this.taskFor({ type: TASK_TYPE, manifest: r.manifest, task: r.task, overrides: r.overrides }, r.plan));
  }

  async configure(manifest?: vscode.Uri | string, task?: string): Promise<void> {
    if (!this.trusted()) return;
    const uri = typeof manifest === 'string' ? vscode.Uri.parse(manifest) : manifest ?? vscode.window.activeTextEditor?.document.uri;
    if (!uri) return;
    const folder = vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    try {
      const plan = await this.plan(uri, task ?? '', []);
      const runner = this.runnerFor(this.storeFor(folder));
      const b = plan.imageBuild;
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CubeLab: configuring ${plan.image}`, cancellable: true }, async (progress, token) => {
        const cancel: CancelToken = { get cancelled() { return token.isCancellationRequested; }, onCancel: (l) => { token.onCancellationRequested(l); } };
        let lastPct = 0;
        const sink: RunSink = {
          line: () => undefined,
          info: (t) => this.output.appendLine(`[configure] ${t}`),
          progress: (message, current, total) => {
            const pct = total ? Math.round((100 * (current ?? 0)) / total) : lastPct;
            progress.report({ message, increment: Math.max(0, pct - lastPct) });
            lastPct = pct;
          },
        };
        // `mlcube configure` builds for auto and always alike.
        await runner.configure(plan.image, { strategy: b.strategy, context: b.context, file: b.file, args: b.buildArgs }, sink, cancel);
      });
      void vscode.window.showInformationMessage(`CubeLab: ${plan.image} is ready.`);
    } catch (e) {
      void vscode.window.showErrorMessage(`CubeLab: ${(e as Error).message}`, 'Show Output').then((c) => { if (c) this.output.show(); });
    }
  }

  async stop(runId: string): Promise<void> {
    // Nothing runs in a restricted workspace, and the engine setting must not be read there either.
    if (!this.trusted()) return;
    const store = this.active.get(runId)?.store ?? this.stores().find((s) => existsSync(s.recordPath(runId)));
    if (!store) return;
    try { await this.runnerFor(store).stop(runId); } catch (e) { void vscode.window.showErrorMessage(`CubeLab: ${(e as Error).message}`); }
  }

  async stopNode(node: RunsNode | undefined): Promise<void> {
    if (node?.kind === 'run') await this.stop(node.record.runId);
  }

  async showLog(file: string): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  async showLogNode(node: RunsNode | undefined): Promise<void> {
    if (node?.kind === 'run') await this.showLog(path.join(node.storeRoot, node.record.runId, 'run.log'));
    else if (node?.kind === 'problem') await this.showLog(node.problem.file);
  }

  async revealOutputs(node: RunsNode | undefined): Promise<void> {
    if (node?.kind !== 'run') return;
    await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(node.record.plan.workspace));
  }

  async deleteRecord(node: RunsNode | undefined): Promise<void> {
    if (node?.kind !== 'run') return;
    const r = node.record;
    if (!FINAL_STATUSES.includes(r.status)) { void vscode.window.showWarningMessage('CubeLab: stop the run before deleting its record.'); return; }
    const ok = await vscode.window.showWarningMessage(`Delete the record and log of run ${r.runId}? Its outputs stay where they are.`, { modal: true }, 'Delete');
    if (ok !== 'Delete') return;
    await new RunStore(node.storeRoot).delete(r.runId);
    this.tree.refresh();
  }

  /** After a reload: runs the store says are unfinished are looked up in the engine and followed again. */
  async reattach(): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    for (const store of this.stores()) {
      const { runs } = await store.list();
      const open = runs.filter((r: RunRecord) => !FINAL_STATUSES.includes(r.status) && !this.active.has(r.runId));
      if (!open.length) continue;
      try {
        // Each re-attached run gets a terminal again (not focused): the end of its stored log, then the live lines.
        const terminals = new Map<string, RunTerminal>();
        const sinkFor = (runId: string): RunSink => {
          const record = open.find((r) => r.runId === runId);
          const term = new RunTerminal(() => undefined, () => undefined); // closing the view does not stop the run
          for (const l of logTail(store.logPath(runId))) term.line(l.text, l.stream);
          term.info(`CubeLab: re-attached to run ${runId}; following its container.`);
          terminals.set(runId, term);
          const terminal = vscode.window.createTerminal({ name: `${record?.task ?? 'run'} (re-attached)`, pty: term, iconPath: new vscode.ThemeIcon('debug-disconnect') });
          // Back where the run's task terminal was before the reload, without taking the focus.
          terminal.show(true);
          this.context.subscriptions.push(terminal);
          return term;
        };
        const handles = await this.runnerFor(store).attach(sinkFor);
        for (const h of handles) {
          this.active.set(h.runId, { store });
          void h.done.then((o) => {
            terminals.get(h.runId)?.info(`CubeLab: run ${o.status}${o.exitCode !== null ? ` (exit code ${o.exitCode})` : ''}.`);
            this.active.delete(h.runId); this.changed(); this.announce(o, store);
          });
        }
        this.output.appendLine(`Re-attached ${handles.length} run(s) in ${store.root}.`);
      } catch (e) {
        this.output.appendLine(`Could not re-attach runs in ${store.root}: ${(e as Error).message}`);
      }
      this.changed();
    }
  }

  dispose(): void {
    for (const r of this.runners.values()) void r.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** Registers everything runs need; cheap: nothing here loads dockerode or reads the disk synchronously. */
export function registerRuns(context: vscode.ExtensionContext, client: () => LanguageClient | undefined, output: vscode.OutputChannel): RunController {
  const c = new RunController(context, client, output);
  const uriArg = (a: unknown): vscode.Uri | string | undefined => (a instanceof vscode.Uri || typeof a === 'string' ? a : undefined);
  context.subscriptions.push(
    c,
    vscode.window.registerTreeDataProvider('cubelab.runs', c.tree),
    vscode.tasks.registerTaskProvider(TASK_TYPE, c.provider()),
    vscode.commands.registerCommand('cubelab.runTask', (m?: unknown, t?: unknown) => c.runTask(uriArg(m), typeof t === 'string' ? t : undefined)),
    vscode.commands.registerCommand('cubelab.runTaskWithOverrides', (m?: unknown, t?: unknown) => c.runTask(uriArg(m), typeof t === 'string' ? t : undefined, true)),
    vscode.commands.registerCommand('cubelab.configureCube', (m?: unknown, t?: unknown) => c.configure(uriArg(m), typeof t === 'string' ? t : undefined)),
    vscode.commands.registerCommand('cubelab.stopRun', (n?: RunsNode) => c.stopNode(n)),
    vscode.commands.registerCommand('cubelab.showRunLog', (n?: RunsNode) => c.showLogNode(n)),
    vscode.commands.registerCommand('cubelab.rerun', (n?: RunsNode) => c.rerun(n)),
    vscode.commands.registerCommand('cubelab.revealRunOutputs', (n?: RunsNode) => c.revealOutputs(n)),
    vscode.commands.registerCommand('cubelab.deleteRun', (n?: RunsNode) => c.deleteRecord(n)),
    vscode.commands.registerCommand('cubelab.refreshRuns', () => c.tree.refresh()),
  );
  // After activation returns: look for runs a previous window left running.
  setTimeout(() => void c.reattach(), 0);
  return c;
}
