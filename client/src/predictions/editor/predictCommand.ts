/**
 * "Predict with Cube…" (Explorer context menu on files and folders, and the command palette): picks a cube and
 * its inference task (tasks named like infer/predict first), a target (any the run layer offers), stages the
 * selection as the task's input folder, runs the task in its task terminal through the run layer, and when it
 * ends opens the predictions. Nothing runs in a restricted workspace.
 */
import * as path from 'node:path';
import { writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CubesRequest, type CubeInfo, type TaskPlan } from '../../../../shared/lsp-protocol';
import { sendRequest } from '../../language/request';
import type { RunCommands } from '../../runs/editor/commands';
import { LOCAL_TARGET } from '../../runs/editor/targets';
import { TASK_TYPE } from '../../runs/editor/taskProvider';
import {
  findPredictionsFile, inferenceTasksFirst, obviousSelectionParam, predictOverrides, predictionStamp, predictionsParam, selectionParamCandidates,
  stageSelection, taskParams, type TaskParam,
} from '../predict';

/** What a finished prediction leaves beside its predictions.jsonl: where the inputs are, for the review. */
export interface PredictSession {
  version: 1;
  runId: string;
  manifest: string;
  task: string;
  target: string;
  /** The folder the task read (paths in predictions.jsonl are relative to it). */
  inputFolder: string;
  /** What was selected in the Explorer. */
  selection: string[];
  predictions: string;
  created: string;
}

export const SESSION_FILE = 'predict.json';

export type OpenPredictions = (file: string, session?: PredictSession) => Promise<void>;

export class PredictCommand {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly runs: RunCommands,
    private readonly client: () => Promise<LanguageClient | undefined>,
    private readonly output: vscode.LogOutputChannel,
    private readonly open: OpenPredictions,
  ) {}

  /** The Explorer passes the clicked item and the whole selection; the palette passes nothing. */
  async run(clicked?: vscode.Uri, selected?: vscode.Uri[]): Promise<void> {
    if (!this.runs.service.trusted()) return;
    let uris = (selected?.length ? selected : clicked ? [clicked] : []).filter((u) => u.scheme === 'file');
    if (!uris.length) {
      const picked = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, canSelectMany: true, openLabel: 'Predict', title: 'Predict with Cube: images or folders to predict' });
      if (!picked?.length) return;
      uris = picked;
    }
    const paths = uris.map((u) => u.fsPath);
    try {
      await this.predict(paths);
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      this.output.error(`Predict with Cube: ${msg}`);
      void vscode.window.showErrorMessage(`CubeLab: ${msg}`);
    }
  }

  private async predict(paths: string[]): Promise<void> {
    const choice = await this.pickCubeTask();
    if (!choice) return;
    const manifest = vscode.Uri.parse(choice.cube.uri);
    const key = `${manifest.fsPath}#${choice.task}`;
    const base = await this.runs.service.plan(manifest, choice.task, []);
    const params = taskParams(base);
    const input = await this.pickInputParam(params, key, choice.task);
    if (!input) return;
    const outputParam = predictionsParam(params);
    if (!outputParam) throw new Error(`The task ${choice.task} of ${choice.cube.name} has no output to write predictions into (expected an output parameter named like "predictions").`);
    const target = await this.runs.service.targets.pick(key, this.context.workspaceState);
    if (!target) return;

    const folder = vscode.workspace.getWorkspaceFolder(manifest) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('Open the cube\'s folder as a workspace first (runs and staged inputs are kept in it).');
    const stamp = predictionStamp(paths);
    const staging = path.join(folder.uri.fsPath, '.cubelab', 'predict', stamp, 'input');
    const staged = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'CubeLab: staging the selection', cancellable: true }, (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      return stageSelection(paths, staging, ac.signal);
    });
    if (staged.staged && staged.files === 0) throw new Error('The selection holds no files to predict.');
    const outFolder = path.join(base.workspace, 'predictions', stamp);
    const { overrides, predictionsHint } = predictOverrides(input, staged.folder, outputParam, outFolder);
    this.output.info(`Predict with Cube: ${choice.cube.name} › ${choice.task} on ${target}; input ${staged.folder}${staged.staged ? ` (${staged.files} file(s) staged)` : ''}; predictions in ${predictionsHint}`);
    let plan: TaskPlan;
    try { plan = await this.runs.service.plan(manifest, choice.task, overrides); } catch (e) { throw new Error(`Cannot plan ${choice.task} with the selection: ${(e as Error).message}`); }
    const outcome = await this.runs.runAndWait({ type: TASK_TYPE, manifest: manifest.fsPath, task: choice.task, overrides, ...(target !== LOCAL_TARGET ? { target } : {}) }, plan);
    if (!outcome) return; // not started (refused, cancelled): the terminal says why
    if (outcome.status !== 'succeeded') return; // the run service shows the failure with its log
    const file = await findPredictionsFile(predictionsHint);
    if (!file) {
      void vscode.window.showWarningMessage(`CubeLab: ${choice.task} succeeded but wrote no predictions.jsonl in ${predictionsHint}.`);
      return;
    }
    const session: PredictSession = {
      version: 1, runId: outcome.runId, manifest: manifest.fsPath, task: choice.task, target, inputFolder: staged.folder,
      selection: paths, predictions: file, created: new Date().toISOString(),
    };
    await writeFile(path.join(path.dirname(file), SESSION_FILE), JSON.stringify(session, null, 2) + '\n').catch(() => undefined);
    await this.open(file, session);
  }

  /** One pick for cube and task together: inference-like tasks first, the last choice on top. */
  private async pickCubeTask(): Promise<{ cube: CubeInfo; task: string } | undefined> {
    const client = await this.client();
    if (!client) throw new Error('The CubeLab language server is not running.');
    const { cubes } = await sendRequest(client, CubesRequest);
    const items: (vscode.QuickPickItem & { cube: CubeInfo; task: string; rank: number })[] = [];
    for (const cube of cubes) {
      const tasks = inferenceTasksFirst(cube.tasks.map((t) => t.name));
      tasks.forEach((task, i) => items.push({
        label: `${cube.name} › ${task}`, description: vscode.workspace.asRelativePath(vscode.Uri.parse(cube.uri)), cube, task,
        rank: i === 0 && tasks.length && /infer|predict|detect|segment|classify/i.test(task) ? 0 : 1,
      }));
    }
    if (!items.length) throw new Error('No MLCube manifest with tasks was found in this workspace.');
    const last = this.context.workspaceState.get<string>('cubelab.predict.last');
    items.sort((a, b) => (a.label === last ? -1 : b.label === last ? 1 : a.rank - b.rank));
    const picked = await vscode.window.showQuickPick(items, { title: 'Predict with Cube: which cube and inference task?', placeHolder: 'cube › task (tasks named like infer or predict first)', matchOnDescription: true });
    if (!picked) return undefined;
    await this.context.workspaceState.update('cubelab.predict.last', picked.label);
    return { cube: picked.cube, task: picked.task };
  }

  /** The input folder that takes the selection: the only candidate, the remembered one, or asked. */
  private async pickInputParam(params: TaskParam[], key: string, task: string): Promise<TaskParam | undefined> {
    const candidates = selectionParamCandidates(params);
    if (!candidates.length) throw new Error(`The task ${task} has no input folder to give the selection to.`);
    const obvious = obviousSelectionParam(params);
    if (obvious) return obvious;
    const remembered = this.context.workspaceState.get<string>(`cubelab.predict.input:${key}`);
    const likely = candidates[0]!;
    const known = candidates.find((c) => c.name === remembered);
    if (known) return known;
    const picked = await vscode.window.showQuickPick(candidates.map((c) => ({ label: c.name, description: c === likely ? 'likely' : '', detail: `now: ${c.host}`, param: c })), { title: `Which input of ${task} gets the selection?` });
    if (!picked) return undefined;
    await this.context.workspaceState.update(`cubelab.predict.input:${key}`, picked.param.name);
    return picked.param;
  }
}
