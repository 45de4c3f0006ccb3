/**
 * `cubelab run <manifest> <task> [overrides…]`: runs a task with the editor's run layer (the supervisor, the run
 * store, the backends of client/src/backends/index.ts), streams its output (the task's stdout to stdout, its stderr
 * and CubeLab's own lines to stderr), records it in `<workspace folder>/.cubelab/runs` like a run started in the
 * editor, and exits with the task's exit code. Ctrl+C (SIGINT) or SIGTERM stops the run as the Stop button does
 * (SIGTERM to the task, SIGKILL after the grace period; a second Ctrl+C kills it now), and the CLI exits once the
 * record is final. Prompts (SSH passwords) only when stdin is a terminal.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { CancelToken, RunSink } from '../runs/backend';
import { describeTarget, type TargetKind } from '../runs/record';
import type { RunHandle } from '../runs/supervisor';
import { optFlag, optString, parseArgs, UsageError, type OptionSpec } from './args';
import { grantsOfPlan } from './grants';
import { manifestTaskOverrides, mlcubePassThrough, planManifest, readManifest } from './planCommand';
import { displayPath, Progress, type Streams } from './output';
import { terminalPrompts } from './prompts';
import { settingsFor, workspaceFolderFor, type CliSettings, type TargetEntry } from './settings';

export const RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'target', short: 't', value: 'NAME', help: 'where to run: local (the local Docker engine, default) or a target of cubelab.targets' },
  { name: 'workspace', value: 'DIR', help: 'the workspace folder (run store, settings); default: the manifest\'s git root, else its folder' },
  { name: 'config', value: 'FILE', help: 'read CubeLab settings from FILE instead of the workspace folder\'s .vscode/settings.json' },
  { name: 'allow-host-access', help: 'run even though the plan grants the container access to the host (privileged, host folders...)' },
  { name: 'help', short: 'h', help: 'show this help' },
];

export const RUN_HELP = `Usage: cubelab run [options] <manifest> <task> [overrides…]

Runs a task as the editor runs it: the same plan, supervisor and backends. The task's output is streamed (its
stdout on stdout, its stderr and CubeLab's own lines on stderr) and the run is recorded in
<workspace folder>/.cubelab/runs (cubelab.runs.folder), where the editor's Runs view shows it.
Ctrl+C stops the run as the Stop button does (SIGTERM, then SIGKILL after cubelab.docker.stopGraceSeconds);
a second Ctrl+C kills it at once. The CLI exits when the record is final, with the task's exit code.

Overrides are mlcube run's: name=value, -Pkey.path=value, --network, --security, --gpus, --memory, --cpu,
--mount; everything after -- is passed as is (mlcube's own --workspace goes there).

A plan that grants the container access to the host is refused unless --allow-host-access is given.
Nothing is asked when stdin is not a terminal.

Exit code: the task's; 1 when the task cannot be planned or started; 2 on a usage or I/O error or a refused run.`;

/** The local engine first, then `cubelab.targets`, as the editor's target registry lists them. */
export function targetsOf(settings: CliSettings): TargetEntry[] {
  return [{ name: 'local', kind: 'docker', host: settings.docker.host }, ...settings.targets];
}

export async function runRun(argv: readonly string[], io: Streams): Promise<number> {
  const args = parseArgs('run', argv, RUN_OPTIONS, { passThrough: mlcubePassThrough });
  const { manifest, task, overrides } = manifestTaskOverrides('run', args, true);
  const { abs, text } = readManifest(manifest, io.cwd);
  const folder = workspaceFolderFor(abs, optString(args, 'workspace'));
  const settings = settingsFor(folder, optString(args, 'config'), (p) => displayPath(p, io.cwd, io.platform));
  for (const w of settings.warnings) io.err(`cubelab: warning: ${w}\n`);

  const targets = targetsOf(settings);
  const targetName = optString(args, 'target') ?? 'local';
  const target = targets.find((t) => t.name === targetName);
  if (!target) throw new UsageError(`cubelab run: there is no target named "${targetName}" (targets: ${targets.map((t) => t.name).join(', ')}; more in cubelab.targets)`);

  const result = planManifest(abs, text, task, overrides, settings, folder);
  if (!result.ok) {
    io.err(`cubelab run: ${displayPath(abs, io.cwd, io.platform)} (task ${task}): ${result.error}\n`);
    return 1;
  }
  const plan = result.plan;
  for (const w of plan.warnings) io.err(`cubelab: warning: ${w}\n`);

  const grants = grantsOfPlan(plan);
  if (grants.texts.length && !optFlag(args, 'allow-host-access')) {
    io.err(`cubelab run: refused: task ${plan.taskName} of ${displayPath(abs, io.cwd, io.platform)} grants the container access to the host:\n`);
    for (const t of grants.texts) io.err(`  - ${t}\n`);
    io.err('Run it with --allow-host-access if you trust this manifest.\n');
    return 2;
  }

  // The run layer (dockerode, ssh) loads only for `run`.
  const mod = await import('../backends/index');
  const factory = mod.backendFactories[target.kind as TargetKind];
  if (!factory) throw new UsageError(`cubelab run: the target "${target.name}" has kind "${target.kind}", which this version of CubeLab cannot run`);
  const askpass = path.join(__dirname, 'askpass.js');
  const backend = factory(target as Parameters<typeof factory>[0], {
    stopGraceSeconds: settings.docker.stopGraceSeconds, retryMs: 1000,
    prompts: terminalPrompts(!!process.stdin.isTTY),
    ...(existsSync(askpass) ? { askpassMain: askpass } : {}),
  });
  const store = new mod.RunStore(path.resolve(folder, settings.runsFolder));
  const supervisor = new mod.Supervisor({ store, backendFor: (t) => (backend.owns(t) ? backend : undefined), stopGraceSeconds: settings.docker.stopGraceSeconds });

  const progress = new Progress(io, 0);
  const sink: RunSink = {
    line: (t, stream) => { progress.done(); (stream === 'out' ? io.out : io.err)(`${t}\n`); },
    info: (t) => { progress.done(); io.err(`cubelab: ${t}\n`); },
    progress: (message, current, total) => progress.update(`cubelab: ${message}${total ? ` ${Math.round((100 * (current ?? 0)) / total)}%` : ''}`),
  };

  let handle: RunHandle | undefined;
  let signals = 0;
  const cancelListeners: (() => void)[] = [];
  const cancel: CancelToken = { get cancelled() { return signals > 0; }, onCancel: (l) => { cancelListeners.push(l); } };
  const stop = (grace?: number): void => {
    if (!handle) return;
    supervisor.stop(handle.runId, grace).catch((e: Error) => io.err(`cubelab: could not stop run ${handle?.runId}: ${e.message}\n`));
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    progress.done();
    if (signals === 1) {
      io.err(`\ncubelab: ${sig}: stopping the run (SIGTERM, then SIGKILL after ${settings.docker.stopGraceSeconds} s); again to kill it now.\n`);
      if (handle) stop(); else for (const l of cancelListeners) l();
    } else if (signals === 2) {
      io.err(`cubelab: ${sig}: killing the run now.\n`);
      stop(0);
    } else {
      io.err('cubelab: waiting for the run\'s record to be final.\n');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    try {
      handle = await supervisor.start({
        backend, manifest: abs, task: plan.taskName, plan, overrides, asHostUser: settings.docker.runAsHostUser,
        ...(grants.set.items.length ? { grants: grants.set } : {}),
      }, sink, cancel);
    } catch (e) {
      progress.done();
      io.err(`cubelab run: ${(e as Error).message}\n`);
      return signals > 0 ? 130 : 1;
    }
    io.err(`cubelab: run ${handle.runId} on ${describeTarget(handle.target)}\n`);
    // A signal that came while the work was being submitted: stop it now that it has an id.
    if (signals > 0) stop(signals > 1 ? 0 : undefined);
    const outcome = await handle.done;
    progress.done();
    io.err(`cubelab: record: ${displayPath(store.recordPath(outcome.runId), io.cwd, io.platform)}\n`);
    if (outcome.status === 'succeeded') return 0;
    if (outcome.exitCode !== null) return outcome.exitCode;
    return outcome.status === 'stopped' ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await supervisor.dispose().catch(() => undefined);
    await backend.dispose().catch(() => undefined);
  }
}
