/**
 * "Sweep…": one cube task over a list of override sets, on any target. The sets come from a product typed in
 * a quick input (`lr=0.1,0.01 batch=32,64`), a sweep file of the workspace (read by the language server), or an
 * MLgym grid-search config whose combinations the server expands: each combination gets a single-combination
 * config written for it, passed to the file parameter the user picks (remembered per task). Every element gets
 * its own workspace in the sweep's run folder (`elements/<i>/workspace`, mlcube's `--workspace`), so each one's
 * outputs are its own. Plans come from the server; the supervisor runs the elements (parallelism at a time).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CubesRequest, GridExpansionRequest, SweepFileRequest, type CubesResult, type GridExpansionResult, type SweepFileResult, type TaskPlan,
} from '../../../../shared/lsp-protocol';
import { grantSet, planGrants } from '../../../../shared/docker/hostGrants';
import { currentHostFacts } from '../../../../shared/docker/runArgs';
import { sendRequest } from '../../language/request';
import { RunStore } from '../runStore';
import type { RunRecord } from '../record';
import type { RunService } from './runService';
import { RunTerminal } from './runTerminal';
import { LOCAL_TARGET } from './targets';

/** Most elements one sweep may have (a typo in a product can ask for millions). */
export const MAX_SWEEP = 10_000;

/**
 * A product typed as words: `name=v1,v2` (a parameter) or `-Pkey=v1,v2` (the configuration); the first word
 * varies slowest. Returns the override words of each element, or a sentence saying what is wrong.
 */
export function parseProduct(text: string): string[][] | string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (!words.length) return 'Type at least one name=value1,value2.';
  let combos: string[][] = [[]];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0 || eq === w.length - 1) return `"${w}" is not name=value1,value2.`;
    const name = w.slice(0, eq);
    const values = w.slice(eq + 1).split(',').filter((v) => v !== '');
    if (!values.length) return `"${w}" has no value.`;
    if (combos.length * values.length > MAX_SWEEP) return `That is more than ${MAX_SWEEP} elements.`;
    combos = combos.flatMap((c) => values.map((v) => [...c, `${name}=${v}`]));
  }
  return combos;
}

interface SweepSource { elements: string[][]; label: string; parallelism?: number; configs?: { param: string; file: string; texts: string[] } }

export class SweepCommand {
  constructor(private readonly service: RunService, private readonly context: vscode.ExtensionContext, private readonly client: () => import('vscode-languageclient/node').LanguageClient | undefined) {}

  async run(manifest?: vscode.Uri | string, task?: string, only?: { record: RunRecord; indexes: number[] }): Promise<void> {
    if (!this.service.trusted()) return;
    const uri = typeof manifest === 'string' ? vscode.Uri.parse(manifest) : manifest ?? vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file') { void vscode.window.showWarningMessage('CubeLab: open an MLCube manifest (mlcube.yaml) on disk to sweep one of its tasks.'); return; }
    const taskName = task || await this.pickTask(uri);
    if (!taskName) return;
    const key = `${uri.fsPath}#${taskName}`;
    let source: SweepSource | undefined;
    if (only) {
      // Re-run: the chosen elements' overrides, without the workspace the first sweep gave them.
      const els = await new RunStore(this.storeRootFor(uri)).readElements(only.record.runId, only.record.sweep?.count ?? 0);
      source = { elements: els.filter((e) => only.indexes.includes(e.index)).map((e) => e.overrides.filter((o) => !o.startsWith('--workspace'))), label: `re-run of ${only.indexes.length} element(s) of ${only.record.runId}`, ...(only.record.sweep ? { parallelism: only.record.sweep.parallelism } : {}) };
    } else source = await this.pickSource(uri, taskName, key);
    if (!source || !source.elements.length) return;
    const target = await this.service.targets.pick(key, this.context.workspaceState);
    if (!target) return;
    const cfg = vscode.workspace.getConfiguration('cubelab');
    const parallelism = source.parallelism ?? cfg.get<number>('sweeps.parallelism', 2);
    const root = this.storeRootFor(uri);
    const runId = new RunStore(root).newRunId(taskName);
    const elementDir = (i: number) => path.join(root, runId, 'elements', String(i));
    try {
      const plans = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CubeLab: planning ${source.elements.length} element(s) of ${taskName}`, cancellable: true }, async (progress, token) => {
        const out: { overrides: string[]; plan: TaskPlan }[] = [];
        for (const [i, words] of source!.elements.entries()) {
          if (token.isCancellationRequested) return undefined;
          let overrides = words;
          if (source!.configs) {
            const file = path.join(elementDir(i), 'config', source!.configs.file);
            mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
            writeFileSync(file, source!.configs.texts[i] ?? '');
            overrides = [...words, `${source!.configs.param}=${file}`];
          }
          const plan = await this.service.plan(uri, taskName, [...overrides, `--workspace=${path.join(elementDir(i), 'workspace')}`]);
          out.push({ overrides, plan });
          progress.report({ increment: 100 / source!.elements.length });
        }
        return out;
      });
      if (!plans) return;
      const grants = await this.confirmGrants(plans.map((p) => p.plan), taskName);
      if (grants === false) return;
      const backend = this.service.targets.byName(target);
      const term = new RunTerminal(() => undefined, () => undefined);
      const terminal = vscode.window.createTerminal({ name: `${taskName} sweep${target !== LOCAL_TARGET ? ` on ${target}` : ''}`, pty: term, iconPath: new vscode.ThemeIcon('layers') });
      terminal.show(true);
      this.context.subscriptions.push(terminal);
      term.info(`CubeLab: sweep of ${plans.length} element(s) of ${taskName} (${source.label}), ${parallelism} at a time, on ${backend.name}`);
      const sup = this.service.supervisorFor(root);
      const handle = await sup.startSweep({
        backend, manifest: uri.fsPath, task: taskName, elements: plans, parallelism, source: source.label, runId,
        asHostUser: cfg.get<boolean>('docker.runAsHostUser', false), ...(grants ? { grants } : {}),
      }, term);
      void this.service.track(handle, root).then((o) => term.info(`CubeLab: sweep ${o.status}. ${o.reason ?? ''}`));
    } catch (e) {
      void vscode.window.showErrorMessage(`CubeLab: ${(e as Error).message}`);
    }
  }

  private storeRootFor(uri: vscode.Uri): string {
    const folder = vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('Open the cube\'s folder as a workspace first (runs are stored in it).');
    return this.service.storeRoot(folder);
  }

  private async pickTask(uri: vscode.Uri): Promise<string | undefined> {
    const client = this.client();
    if (!client) return undefined;
    await vscode.workspace.openTextDocument(uri);
    const cubes: CubesResult = await sendRequest(client, CubesRequest);
    const tasks = cubes.cubes.find((c) => c.uri === uri.toString())?.tasks.map((t) => t.name) ?? [];
    if (tasks.length === 1) return tasks[0];
    return vscode.window.showQuickPick(tasks, { title: 'Sweep which task?' });
  }

  private async pickSource(uri: vscode.Uri, task: string, key: string): Promise<SweepSource | undefined> {
    const kind = await vscode.window.showQuickPick([
      { label: 'Values typed here', detail: 'A product such as lr=0.1,0.01 batch=32,64 (the first name varies slowest)', id: 'product' },
      { label: 'A sweep file…', detail: 'A *.sweep.yaml of the workspace: explicit override sets and/or a product', id: 'file' },
      { label: 'An MLgym grid search…', detail: 'Each combination of a grid-search config becomes a config file passed to a parameter of the task', id: 'grid' },
    ], { title: `Sweep ${task}: where do the override sets come from?` });
    if (!kind) return undefined;
    if (kind.id === 'product') {
      const last = this.context.workspaceState.get<string>(`cubelab.sweep.product:${key}`, '');
      const typed = await vscode.window.showInputBox({
        title: `Sweep ${task}`, value: last, prompt: 'name=value1,value2 for parameters, -Pkey.path=v1,v2 for the configuration; every combination is one element',
        validateInput: (t) => { const r = parseProduct(t); return typeof r === 'string' ? r : undefined; },
      });
      if (typed === undefined) return undefined;
      await this.context.workspaceState.update(`cubelab.sweep.product:${key}`, typed);
      const r = parseProduct(typed);
      return typeof r === 'string' ? undefined : { elements: r, label: typed.trim() };
    }
    const client = this.client();
    if (!client) throw new Error('The CubeLab language server is not running.');
    if (kind.id === 'file') {
      const files = await vscode.workspace.findFiles('**/*.sweep.{yaml,yml}', '**/node_modules/**', 200);
      const f = await vscode.window.showQuickPick(files.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { title: 'Which sweep file?' });
      if (!f) return undefined;
      const r: SweepFileResult = await sendRequest(client, SweepFileRequest, { uri: f.uri.toString() });
      if (!r.ok) throw new Error(r.error);
      if (r.task && r.task !== task) throw new Error(`${f.label} is a sweep of task ${r.task}, not of ${task}.`);
      return { elements: r.elements, label: f.label, ...(r.parallelism ? { parallelism: r.parallelism } : {}) };
    }
    const files = await vscode.workspace.findFiles('**/{gs_config,*_config}*.{yml,yaml}', '**/{node_modules,.cubelab}/**', 200);
    const f = await vscode.window.showQuickPick(files.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { title: 'Which grid-search config?' });
    if (!f) return undefined;
    await vscode.workspace.openTextDocument(f.uri);
    const first: GridExpansionResult = await sendRequest(client, GridExpansionRequest, { uri: f.uri.toString(), offset: 0, limit: 1000 });
    if (first.error) throw new Error(first.error);
    if (first.count > MAX_SWEEP) throw new Error(`${f.label} expands to ${first.count} experiments; a sweep is limited to ${MAX_SWEEP}.`);
    const experiments = [...first.experiments];
    while (experiments.length < first.count) {
      const page: GridExpansionResult = await sendRequest(client, GridExpansionRequest, { uri: f.uri.toString(), offset: experiments.length, limit: 1000 });
      if (!page.experiments.length) break;
      experiments.push(...page.experiments);
    }
    // The file parameter that receives each combination's config (remembered per task).
    const plan = await this.service.plan(uri, task, []);
    const params = plan.paramArgs.map((a) => /^--([^=]+)=/.exec(a)?.[1]).filter((x): x is string => !!x);
    const last = this.context.workspaceState.get<string>(`cubelab.sweep.param:${key}`);
    const param = await vscode.window.showQuickPick(params.sort((a, b) => (a === last ? -1 : b === last ? 1 : 0)), { title: `Which parameter of ${task} receives each combination's config?` });
    if (!param) return undefined;
    await this.context.workspaceState.update(`cubelab.sweep.param:${key}`, param);
    // JSON is YAML: MLgym (PyYAML) reads each single-combination config as written.
    return { elements: experiments.map(() => []), label: `${f.label} (${experiments.length} combinations)`, configs: { param, file: path.basename(f.uri.fsPath), texts: experiments.map((x) => `${JSON.stringify(x.config, null, 2)}\n`) } };
  }

  /** The union of the elements' grants, confirmed once (as a single run's are). */
  private async confirmGrants(plans: TaskPlan[], task: string): Promise<ReturnType<typeof grantSet> | undefined | false> {
    const union = new Map<string, string>();
    for (const p of plans) for (const g of planGrants(p, currentHostFacts()).grants) union.set(g.id, g.text);
    const set = grantSet([...union].map(([id, text]) => ({ id, text })));
    if (!set.items.length) return undefined;
    const allowed = this.context.workspaceState.get<string[]>('cubelab.allowedGrants', []);
    if (allowed.includes(set.sha256)) return set;
    const answer = await vscode.window.showWarningMessage(`CubeLab: the sweep of ${task} gives its containers access to the host they run on.`,
      { modal: true, detail: `${[...union.values()].map((t) => `• ${t}`).join('\n')}\n\nAllow it only for an image you trust.` }, 'Allow and Run');
    if (answer !== 'Allow and Run') return false;
    await this.context.workspaceState.update('cubelab.allowedGrants', [...allowed, set.sha256]);
    return set;
  }
}
