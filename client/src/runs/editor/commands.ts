/**
 * The run commands (Run Task, Run with Overrides, Configure, Stop, Show Log, Re-run, Reveal Outputs, Delete,
 * Refresh), the `cubelab` task provider, the Runs view, and re-attachment after a reload with the runs'
 * terminals back. Registering is cheap: nothing here loads dockerode or reads the disk synchronously.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { TaskPlan } from '../../../../shared/lsp-protocol';
import type { RunSink } from '../backend';
import { isFinal, type RunRecord } from '../record';
import { RunStore } from '../runStore';
import { changedSecrets, digests, planSecrets, redactPlan } from '../secrets';
import { planGrants, type GrantSet } from '../../../../shared/docker/hostGrants';
import { currentHostFacts } from '../../../../shared/docker/runArgs';
import type { RunOutcome } from '../supervisor';
import { RunService } from './runService';
import { RunsView } from './runsView';
import type { RunsNode } from './runsTree';
import { RunTerminal, logTail } from './runTerminal';
import { TASK_TYPE, overridesOf, taskFor, taskProvider, type CubeLabTaskDefinition } from './taskProvider';
import { LOCAL_TARGET } from './targets';
import { TargetsView, type TargetNode } from './targetsView';
import { SweepCommand } from './sweepCommand';
import { pickTask } from './pickTask';

export { TASK_TYPE };

export class RunCommands implements vscode.Disposable {
  readonly service: RunService;
  readonly view: RunsView;
  readonly targetsView: TargetsView;
  readonly sweeps: SweepCommand;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly context: vscode.ExtensionContext, private readonly client: () => LanguageClient | undefined, private readonly output: vscode.LogOutputChannel) {
    this.service = new RunService(context, client, output);
    this.view = new RunsView(this.service);
    this.targetsView = new TargetsView(this.service);
    this.sweeps = new SweepCommand(this.service, context, client);
    this.disposables.push(this.view, this.targetsView, this.service, vscode.workspace.onDidGrantWorkspaceTrust(() => void this.reattach()));
  }

  private task(def: CubeLabTaskDefinition, plan?: TaskPlan): vscode.Task {
    return taskFor((d, sink, p, started) => this.execute(d, sink, p, started), (id) => void this.service.stop(id), def, plan);
  }

  /** Runs a task in its task terminal and resolves with its outcome (Predict with Cube waits for it to open the predictions). */
  runAndWait(def: CubeLabTaskDefinition, plan?: TaskPlan): Promise<RunOutcome | undefined> {
    return new Promise((resolve) => {
      const task = taskFor(async (d, sink, p, started) => {
        const o = await this.execute(d, sink, p, started);
        resolve(o);
        return o;
      }, (id) => void this.service.stop(id), def, plan);
      vscode.tasks.executeTask(task).then(undefined, () => resolve(undefined));
    });
  }

  provider(): vscode.TaskProvider {
    return taskProvider((d, sink, p, started) => this.execute(d, sink, p, started), (id) => void this.service.stop(id));
  }

  /** What a task terminal runs: trust, plan, target, start, follow. */
  async execute(def: CubeLabTaskDefinition, sink: RunSink, given: TaskPlan | undefined, started: (runId: string) => void): Promise<RunOutcome | undefined> {
    if (!this.service.trusted()) { sink.info('Not run: the workspace is restricted.'); return undefined; }
    const uri = vscode.Uri.file(def.manifest);
    if (!vscode.workspace.getWorkspaceFolder(uri) && !vscode.workspace.workspaceFolders?.length) {
      sink.info('Not run: open the cube\'s folder as a workspace first (runs are stored in it).');
      return undefined;
    }
    const overrides = overridesOf(def);
    try {
      const backend = this.service.targets.byName(def.target || LOCAL_TARGET);
      const plan = given ?? await this.service.plan(uri, def.task, overrides);
      // Every plan is checked, a stored one too (Re-run): a repository can ship one that asks for the host.
      const grants = await this.confirmGrants(plan);
      if (grants === false) { sink.info('Not run: the access it asks for on the host was not allowed.'); return undefined; }
      sink.info(`CubeLab: ${plan.taskName} in ${plan.image} on ${backend.name}`);
      return await this.service.execute({ manifest: def.manifest, task: plan.taskName, plan, overrides, backend, ...(grants ? { grants } : {}) }, sink, (h) => started(h.runId));
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      sink.info(`error: ${msg}`);
      this.output.error(`Run of ${def.task || 'task'} in ${def.manifest} failed to start: ${msg}`);
      void vscode.window.showErrorMessage(`CubeLab: ${msg}`);
      return undefined;
    }
  }

  /**
   * What the plan's container may do to the host: nothing (undefined), allowed (the set), or refused (false).
   * Asked once per distinct set of grants (remembered by its hash in this workspace).
   */
  private async confirmGrants(plan: TaskPlan): Promise<GrantSet | undefined | false> {
    const { grants, set } = planGrants(plan, currentHostFacts());
    if (!set.items.length) return undefined;
    const allowed = this.context.workspaceState.get<string[]>('cubelab.allowedGrants', []);
    if (allowed.includes(set.sha256)) return set;
    const answer = await vscode.window.showWarningMessage(`CubeLab: the task ${plan.taskName} gives its container access to the host it runs on.`,
      { modal: true, detail: `${grants.map((g) => `• ${g.text}`).join('\n')}\n\nThe image can then read or change what this grants. Allow it only for an image you trust. CubeLab remembers the answer for exactly this set in this workspace.` },
      'Allow and Run');
    if (answer !== 'Allow and Run') return false;
    await this.context.workspaceState.update('cubelab.allowedGrants', [...allowed, set.sha256]);
    return set;
  }

  // ------------------------------------------------------------------ commands

  /**
   * Runs a task: with targets besides the local engine, asks which (the last one used for this task first);
   * `pickTarget` asks even with the local engine alone.
   */
  async runTask(manifest?: vscode.Uri | string, task?: string, askOverrides = false, pickTarget = false): Promise<void> {
    if (!this.service.trusted()) return;
    const uri = typeof manifest === 'string' ? vscode.Uri.parse(manifest) : manifest ?? vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file') { void vscode.window.showWarningMessage('CubeLab: open an MLCube manifest (mlcube.yaml) on disk to run one of its tasks.'); return; }
    // The editor title and the Explorer name a manifest but no task: ask when it has several.
    if (task === undefined) task = await pickTask(this.client(), uri, 'Run which task?');
    if (task === undefined) return;
    const target = await this.service.targets.pick(`${uri.fsPath}#${task ?? ''}`, this.context.workspaceState, pickTarget);
    if (!target) return;
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
    await vscode.tasks.executeTask(this.task({ type: TASK_TYPE, manifest: uri.fsPath, task: task ?? '', overrides, ...(target !== LOCAL_TARGET ? { target } : {}) }));
  }

  /** Brings a remote run's outputs back now, with progress. */
  async syncOutputs(node: RunsNode | undefined): Promise<void> {
    if (node?.kind !== 'run' || !this.service.trusted()) return;
    const r = node.record;
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CubeLab: outputs of ${r.task} from ${r.target.name}` }, async (progress) => {
        let last = 0;
        await this.service.supervisorFor(node.storeRoot).syncOutputs(r.runId, {
          line: () => undefined, info: (t) => this.output.info(`[sync] ${t}`),
          progress: (message, current, total) => { const pct = total ? Math.round((100 * (current ?? 0)) / total) : last; progress.report({ message, increment: Math.max(0, pct - last) }); last = pct; },
        });
      });
      void vscode.window.showInformationMessage(`CubeLab: outputs of ${r.task} synced from ${r.target.name}.`);
    } catch (e) {
      void vscode.window.showErrorMessage(`CubeLab: ${(e as Error).message}`);
    }
  }

  /**
   * Runs a finished run's plan again. A stored plan has its secrets masked: then the current plan is asked for,
   * and used only when it equals the stored one (its secrets' changes are reported, not hidden).
   */
  async rerun(node: RunsNode | undefined): Promise<void> {
    if (node?.kind !== 'run' || !this.service.trusted()) return;
    const r = node.record;
    let plan: TaskPlan = r.plan;
    if (r.secrets?.length) {
      let fresh: TaskPlan;
      try { fresh = await this.service.plan(vscode.Uri.file(r.manifest), r.task, r.overrides); } catch (e) {
        void vscode.window.showErrorMessage(`CubeLab: cannot re-run ${r.runId}: its secret values are not stored, and the manifest cannot be planned now: ${(e as Error).message}`);
        return;
      }
      const secrets = planSecrets(fresh);
      if (JSON.stringify(redactPlan(fresh, secrets)) !== JSON.stringify(r.plan)) {
        const go = await vscode.window.showWarningMessage(`The plan of ${r.task} changed since run ${r.runId} (the manifest or the environment). Run the current plan?`, { modal: true }, 'Run Current Plan');
        if (go !== 'Run Current Plan') return;
      }
      const changed = changedSecrets(r.secrets, digests(secrets));
      if (changed.length) this.output.info(`Re-run of ${r.runId}: these values changed since: ${changed.join(', ')}.`);
      plan = fresh;
    }
    const target = r.target.name && r.target.name !== LOCAL_TARGET ? r.target.name : undefined;
    await vscode.tasks.executeTask(this.task({ type: TASK_TYPE, manifest: r.manifest, task: r.task, overrides: r.overrides, ...(target ? { target } : {}) }, plan));
  }

  /**
   * Configures the cube's image on a target (asked when there are several): built there from the synced build
   * context, or pulled there. When a remote target cannot pull an image that the local engine has, CubeLab offers
   * to copy it over the connection (docker save | docker load, streamed).
   */
  async configure(manifest?: vscode.Uri | string, task?: string): Promise<void> {
    if (!this.service.trusted()) return;
    const uri = typeof manifest === 'string' ? vscode.Uri.parse(manifest) : manifest ?? vscode.window.activeTextEditor?.document.uri;
    if (!uri) return;
    const targetName = await this.service.targets.pick(`${uri.fsPath}#${task ?? ''}`, this.context.workspaceState);
    if (!targetName) return;
    let plan: TaskPlan | undefined;
    try {
      plan = await this.service.plan(uri, task ?? '', []);
      await this.service.configure(this.service.targets.byName(targetName), plan);
      void vscode.window.showInformationMessage(`CubeLab: ${plan.image} is ready on ${targetName}.`);
    } catch (e) {
      const msg = (e as Error).message;
      const local = targetName !== LOCAL_TARGET && plan ? await this.localImage(plan.image) : false;
      const actions = local ? ['Copy Image from the Local Engine', 'Show Output'] : ['Show Output'];
      const c = await vscode.window.showErrorMessage(`CubeLab: ${msg}`, ...actions);
      if (c === 'Show Output') this.output.show();
      if (c === 'Copy Image from the Local Engine' && plan) await this.copyImage(targetName, plan.image);
    }
  }

  private async localImage(image: string): Promise<boolean> {
    try {
      const local = this.service.targets.byName(LOCAL_TARGET) as unknown as { engine: { getImage(n: string): { inspect(): Promise<unknown> } } };
      await local.engine.getImage(image).inspect();
      return true;
    } catch { return false; }
  }

  private async copyImage(targetName: string, image: string): Promise<void> {
    const target = this.service.targets.byName(targetName) as unknown as { copyImageFromLocal?: (i: string, local: unknown, r: unknown) => Promise<void> };
    const local = this.service.targets.byName(LOCAL_TARGET) as unknown as { engine: unknown };
    if (!target.copyImageFromLocal) return;
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CubeLab: copying ${image} to ${targetName}` }, () =>
        target.copyImageFromLocal!(image, local.engine, { info: (t: string) => this.output.info(`[copy] ${t}`), detail: () => undefined, warn: (t: string) => this.output.warn(`[copy] ${t}`), progress: () => undefined }));
      void vscode.window.showInformationMessage(`CubeLab: ${image} is on ${targetName} now.`);
    } catch (e) {
      void vscode.window.showErrorMessage(`CubeLab: copying ${image} to ${targetName} failed: ${(e as Error).message}`);
    }
  }

  async stopNode(node: RunsNode | undefined): Promise<void> {
    if (node?.kind === 'run') await this.service.stop(node.record.runId);
    else if (node?.kind === 'element' && this.service.trusted()) {
      try { await this.service.supervisorFor(node.storeRoot).stopElement(node.record.runId, node.element.index); } catch (e) { void vscode.window.showErrorMessage(`CubeLab: ${(e as Error).message}`); }
    }
  }

  /** Runs a sweep's failed (and stopped) elements again, as a new sweep of the same task on the same target. */
  async rerunFailed(node: RunsNode | undefined): Promise<void> {
    if (node?.kind !== 'run' || !node.record.sweep) return;
    const els = await new RunStore(node.storeRoot).readElements(node.record.runId, node.record.sweep.count);
    const indexes = els.filter((e) => e.status === 'failed' || e.status === 'stopped').map((e) => e.index);
    if (!indexes.length) { void vscode.window.showInformationMessage(`CubeLab: every element of ${node.record.runId} succeeded.`); return; }
    await this.sweeps.run(vscode.Uri.file(node.record.manifest), node.record.task, { record: node.record, indexes });
  }

  /** The batch script(s) of a Slurm run, read where they are (the cluster's run folder), shown read-only. */
  async openBatchScript(node: RunsNode | undefined): Promise<void> {
    if (!this.service.trusted() || (node?.kind !== 'run' && node?.kind !== 'element')) return;
    const target = node.kind === 'element' ? node.element.target ?? node.record.target : node.record.target;
    const backend = this.service.targets.backendFor(target) as (ReturnType<RunService['targets']['backendFor']> & { batchScript?: (t: typeof target) => Promise<string> }) | undefined;
    try {
      if (!backend?.batchScript) throw new Error(`The target ${target.name} is not configured in this window.`);
      let t = target;
      // A sweep's record holds no job; its first element's does.
      if (node.kind === 'run' && node.record.sweep) t = (await new RunStore(node.storeRoot).readElement(node.record.runId, 0))?.target ?? target;
      const text = await backend.batchScript(t);
      const doc = await vscode.workspace.openTextDocument({ language: 'shellscript', content: text });
      await vscode.window.showTextDocument(doc, { preview: true });
    } catch (e) {
      void vscode.window.showErrorMessage(`CubeLab: ${(e as Error).message}`);
    }
  }

  async showLog(file: string): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  async showLogNode(node: RunsNode | undefined): Promise<void> {
    if (node?.kind === 'run') await this.showLog(path.join(node.storeRoot, node.record.runId, 'run.log'));
    else if (node?.kind === 'element') await this.showLog(path.join(node.storeRoot, node.record.runId, 'elements', String(node.element.index), 'run.log'));
    else if (node?.kind === 'problem') await this.showLog(node.problem.file);
  }

  async revealOutputs(node: RunsNode | undefined): Promise<void> {
    if (node?.kind !== 'run') return;
    await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(node.record.plan.workspace));
  }

  async deleteRecord(node: RunsNode | undefined): Promise<void> {
    if (node?.kind !== 'run') return;
    const r = node.record;
    if (!isFinal(r.status)) { void vscode.window.showWarningMessage('CubeLab: stop the run before deleting its record.'); return; }
    const ok = await vscode.window.showWarningMessage(`Delete the record and log of run ${r.runId}? Its outputs stay where they are.`, { modal: true }, 'Delete');
    if (ok !== 'Delete') return;
    await this.service.supervisorFor(node.storeRoot).store.delete(r.runId);
    this.view.tree.refresh();
  }

  /** After a reload: each re-attached run gets a terminal again (the end of its stored log, then live lines). */
  async reattach(): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    // Only when some folder has an unfinished run this window does not follow (the runner bundle loads then).
    let open = false;
    for (const root of this.service.storeRoots()) {
      const { runs } = await new RunStore(root).list();
      if (runs.some((r) => !isFinal(r.status) && !this.service.isActiveHere(r.runId))) { open = true; break; }
    }
    if (!open) return;
    const terminals = new Map<string, RunTerminal>();
    await this.service.attachAll((root: string, record: RunRecord) => {
      const term = new RunTerminal(() => undefined, () => undefined); // closing the view does not stop the run
      for (const l of logTail(path.join(root, record.runId, 'run.log'))) term.line(l.text, l.stream);
      term.info(`CubeLab: re-attached to run ${record.runId}; following it on ${record.target.name}.`);
      terminals.set(record.runId, term);
      const terminal = vscode.window.createTerminal({ name: `${record.task} (re-attached)`, pty: term, iconPath: new vscode.ThemeIcon('debug-disconnect') });
      // Back where the run's task terminal was before the reload, without taking the focus.
      terminal.show(true);
      this.context.subscriptions.push(terminal);
      return {
        line: (t, s) => term.line(t, s),
        info: (t) => {
          term.info(t);
          // The run ended (or could not be re-attached): say so in its terminal, which stays open to read.
          if (/^CubeLab could not re-attach/.test(t)) term.info('This terminal shows the stored log only.');
        },
      };
    });
    this.view.changed();
  }

  dispose(): void { for (const d of this.disposables) d.dispose(); }
}

/** Registers everything runs need; cheap: nothing here loads dockerode or reads the disk synchronously. */
export function registerRuns(context: vscode.ExtensionContext, client: () => LanguageClient | undefined, output: vscode.LogOutputChannel): RunCommands {
  const c = new RunCommands(context, client, output);
  const uriArg = (a: unknown): vscode.Uri | string | undefined => (a instanceof vscode.Uri || typeof a === 'string' ? a : undefined);
  context.subscriptions.push(
    c,
    vscode.window.registerTreeDataProvider('cubelab.runs', c.view.tree),
    vscode.tasks.registerTaskProvider(TASK_TYPE, c.provider()),
    vscode.commands.registerCommand('cubelab.runTask', (m?: unknown, t?: unknown) => c.runTask(uriArg(m), typeof t === 'string' ? t : undefined)),
    vscode.commands.registerCommand('cubelab.runTaskWithOverrides', (m?: unknown, t?: unknown) => c.runTask(uriArg(m), typeof t === 'string' ? t : undefined, true)),
    vscode.commands.registerCommand('cubelab.configureCube', (m?: unknown, t?: unknown) => c.configure(uriArg(m), typeof t === 'string' ? t : undefined)),
    vscode.commands.registerCommand('cubelab.stopRun', (n?: RunsNode) => c.stopNode(n)),
    vscode.commands.registerCommand('cubelab.showRunLog', (n?: RunsNode) => c.showLogNode(n)),
    vscode.commands.registerCommand('cubelab.rerun', (n?: RunsNode) => c.rerun(n)),
    vscode.commands.registerCommand('cubelab.revealRunOutputs', (n?: RunsNode) => c.revealOutputs(n)),
    vscode.commands.registerCommand('cubelab.deleteRun', (n?: RunsNode) => c.deleteRecord(n)),
    vscode.commands.registerCommand('cubelab.refreshRuns', () => c.view.tree.refresh()),
    vscode.commands.registerCommand('cubelab.runSweep', (m?: unknown, t?: unknown) => c.sweeps.run(uriArg(m), typeof t === 'string' ? t : undefined)),
    vscode.commands.registerCommand('cubelab.rerunFailedElements', (n?: RunsNode) => c.rerunFailed(n)),
    vscode.commands.registerCommand('cubelab.openBatchScript', (n?: RunsNode) => c.openBatchScript(n)),
    vscode.commands.registerCommand('cubelab.runTaskOnTarget', (m?: unknown, t?: unknown) => c.runTask(uriArg(m), typeof t === 'string' ? t : undefined, false, true)),
    vscode.commands.registerCommand('cubelab.syncOutputs', (n?: RunsNode) => c.syncOutputs(n)),
    vscode.window.registerTreeDataProvider('cubelab.targets', c.targetsView),
    vscode.commands.registerCommand('cubelab.targets.connect', (n?: TargetNode) => (n?.kind === 'target' ? c.targetsView.probe(n.name) : undefined)),
    vscode.commands.registerCommand('cubelab.targets.disconnect', (n?: TargetNode) => (n?.kind === 'target' ? c.targetsView.disconnect(n.name) : undefined)),
    vscode.commands.registerCommand('cubelab.targets.refresh', async () => {
      for (const t of c.service.targets.settings()) if (c.service.targets.existing(t.name)?.connection?.state === 'connected') await c.targetsView.probe(t.name);
      c.targetsView.refresh();
    }),
    vscode.commands.registerCommand('cubelab.targets.openSshConfig', async () => {
      const file = vscode.Uri.file(path.join(os.homedir(), '.ssh', 'config'));
      try { await vscode.window.showTextDocument(file); } catch { void vscode.window.showInformationMessage(`CubeLab: there is no ${file.fsPath} yet; hosts can also be given as user@host[:port].`); }
    }),
    vscode.commands.registerCommand('cubelab.targets.add', () => vscode.commands.executeCommand('workbench.action.openSettings', 'cubelab.targets')),
  );
  // After activation returns: look for runs a previous window left running.
  setTimeout(() => void c.reattach(), 0);
  // Runs another window followed until it closed are taken over (their lock goes stale).
  const retake = setInterval(() => { if (vscode.workspace.isTrusted) void c.reattach(); }, 45_000);
  context.subscriptions.push({ dispose: () => clearInterval(retake) });
  return c;
}
