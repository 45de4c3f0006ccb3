/**
 * The `cubelab` task type: `{"type": "cubelab", "manifest": ..., "task": ..., "overrides": [...], "target": ...}`
 * in tasks.json, keybindings and "Run Task". Each task is a CustomExecution whose Pseudoterminal (RunTerminal)
 * runs the plan when it opens and stops the run when the user closes it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TaskPlan } from '../../../../shared/lsp-protocol';
import type { RunSink } from '../backend';
import type { RunOutcome } from '../supervisor';
import { RunTerminal } from './runTerminal';

export const TASK_TYPE = 'cubelab';

export interface CubeLabTaskDefinition extends vscode.TaskDefinition {
  type: 'cubelab';
  manifest: string;
  task: string;
  overrides?: string[] | Record<string, string>;
  /** A target name of `cubelab.targets` (`local` by default). */
  target?: string;
}

/** How a task's terminal runs it (the run service's execute, with trust and plan). */
export type TaskExecutor = (def: CubeLabTaskDefinition, sink: RunSink, plan: TaskPlan | undefined, started: (runId: string) => void) => Promise<RunOutcome | undefined>;

export function overridesOf(def: CubeLabTaskDefinition): string[] {
  return Array.isArray(def.overrides) ? def.overrides : Object.entries(def.overrides ?? {}).map(([k, v]) => `${k}=${v}`);
}

/**
 * A `cubelab` task for a manifest's task; its terminal runs the plan when it opens. `as` keeps the definition
 * and name VS Code gave (a tasks.json entry): a resolved task must carry them unchanged.
 */
export function taskFor(execute: TaskExecutor, stop: (runId: string) => void, def: CubeLabTaskDefinition, plan?: TaskPlan,
  as?: { definition: vscode.TaskDefinition; name: string; scope?: vscode.Task['scope'] }): vscode.Task {
  const uri = vscode.Uri.file(def.manifest);
  const folder = as?.scope ?? vscode.workspace.getWorkspaceFolder(uri) ?? vscode.TaskScope.Workspace;
  const name = as?.name ?? `${def.task || 'task'} (${path.basename(path.dirname(def.manifest))})${def.target && def.target !== 'local' ? ` on ${def.target}` : ''}`;
  return new vscode.Task(as?.definition ?? def, folder, name, TASK_TYPE, new vscode.CustomExecution(async () => {
    let runId: string | undefined;
    return new RunTerminal((t) => {
      void execute(def, t, plan, (id) => { runId = id; }).then((o) => t.finish(o?.status === 'succeeded' ? 0 : 1));
    }, () => { if (runId) stop(runId); });
  }));
}

export function taskProvider(execute: TaskExecutor, stop: (runId: string) => void): vscode.TaskProvider {
  return {
    provideTasks: () => [],
    resolveTask: (task) => {
      const d = task.definition as Partial<CubeLabTaskDefinition>;
      if (d.type !== TASK_TYPE || typeof d.manifest !== 'string') return undefined;
      const manifest = path.isAbsolute(d.manifest) || !task.scope || typeof task.scope === 'number'
        ? d.manifest : path.join(task.scope.uri.fsPath, d.manifest);
      return taskFor(execute, stop, { ...d, type: TASK_TYPE, manifest, task: d.task ?? '' } as CubeLabTaskDefinition, undefined,
        { definition: task.definition, name: task.name, scope: task.scope });
    },
  };
}
