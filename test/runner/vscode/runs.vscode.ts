/**
 * Runs from inside a real VS Code (code-server) against the real Docker engine: the Run Task command with a
 * task terminal, a `cubelab` task from tasks.json, Stop. Reads the run store on disk to see the outcome.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

function folder(): vscode.WorkspaceFolder {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'a workspace folder is open');
  return f;
}

interface Rec { runId: string; task: string; status: string; exitCode: number | null; reason?: string }

function records(): Rec[] {
  const root = path.join(folder().uri.fsPath, '.cubelab', 'runs');
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).filter((n) => !n.startsWith('.')).flatMap((n) => {
    try { return [JSON.parse(fs.readFileSync(path.join(root, n, 'run.json'), 'utf8')) as Rec]; } catch { return []; }
  });
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; records: ${JSON.stringify(records())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite('CubeLab runs in VS Code', () => {
  const manifest = () => vscode.Uri.joinPath(folder().uri, 'mlcube.yaml');

  test('Run Task runs the cube task in a task terminal and records it', async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(manifest()));
    const ended = new Promise<vscode.TaskProcessEndEvent | undefined>((resolve) => {
      const d = vscode.tasks.onDidEndTaskProcess((e) => { if (e.execution.task.definition.type === 'cubelab') { d.dispose(); resolve(e); } });
      setTimeout(() => resolve(undefined), 90_000);
    });
    await vscode.commands.executeCommand('cubelab.runTask', manifest(), 'train');
    const rec = await waitFor('the train run to succeed', () => records().find((r) => r.task === 'train' && r.status === 'succeeded'));
    assert.equal(rec.exitCode, 0);
    assert.equal(fs.readFileSync(path.join(folder().uri.fsPath, 'workspace', 'model', 'model.txt'), 'utf8'), 'trained\n');
    const e = await ended;
    assert.equal(e?.exitCode, 0, 'the task ended with the run\'s exit code');
    const log = fs.readFileSync(path.join(folder().uri.fsPath, '.cubelab', 'runs', rec.runId, 'run.log'), 'utf8');
    assert.match(log, / out training into --model=\/mlcube_io0\n/);
  });

  test('a cubelab task from tasks.json runs through the task provider', async () => {
    const before = records().length;
    const tasks = await vscode.tasks.fetchTasks({ type: 'cubelab' });
    const t = tasks.find((x) => x.name === 'cube: train from tasks.json');
    assert.ok(t, `tasks.json's task is listed (${tasks.map((x) => x.name).join(', ')})`);
    await vscode.tasks.executeTask(t);
    await waitFor('a second train run', () => (records().filter((r) => r.task === 'train' && r.status === 'succeeded').length >= 2 ? true : undefined));
    assert.equal(records().length, before + 1);
  });

  test('Stop ends a running task: SIGTERM, then SIGKILL after the grace period', async () => {
    await vscode.commands.executeCommand('cubelab.runTask', manifest(), 'serve');
    const running = await waitFor('serve to run', () => records().find((r) => r.task === 'serve' && r.status === 'running'));
    const storeRoot = path.join(folder().uri.fsPath, '.cubelab', 'runs');
    await vscode.commands.executeCommand('cubelab.stopRun', { kind: 'run', record: running, storeRoot });
    const stopped = await waitFor('serve to stop', () => records().find((r) => r.runId === running.runId && r.status === 'stopped'));
    assert.equal(stopped.exitCode, 137);
    assert.equal(stopped.reason, 'Stopped by the user: killed with SIGKILL after the 1 s grace period.');
  });
});
