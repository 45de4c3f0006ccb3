/**
 * `cubelab plan <manifest> [task] [overrides…]`: the task plan the editor runs (server/src/mlcube/plan.ts, as the
 * language server computes it for an open manifest), as readable text, as JSON, or (`--docker`) as the exact
 * `docker run` line mlcube would hand to the shell. Also the manifest loading shared with `cubelab run`.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileUri } from '../../../shared/fileUri';
import type { TaskPlan, TaskPlanResult } from '../../../shared/lsp-protocol';
import { analyze } from '../../../server/src/service/languageService';
import { planTask } from '../../../server/src/mlcube/plan';
import { REQUEST_BUDGET_MS, withinBudget } from '../../../server/src/service/budget';
import { IoError, optFlag, optString, parseArgs, UsageError, type OptionSpec, type ParsedArgs } from './args';
import { serviceContext } from './checkCore';
import { displayPath, nativePath, type Streams } from './output';
import type { CliSettings } from './settings';

/** The `mlcube run` flags the planner understands (server/src/mlcube/overrides.ts); `--workspace` is CubeLab's own here. */
const MLCUBE_FLAGS = ['--network', '--security', '--gpus', '--memory', '--cpu', '--mount'];

/**
 * Lets the `mlcube run` flags, and `-P`/`-p` configuration overrides, through the option parser as override words.
 * `--workspace` is not among them: it names CubeLab's workspace folder; mlcube's own goes after `--`.
 */
export function mlcubePassThrough(name: string, inline: boolean): { takesValue: boolean } | undefined {
  if (MLCUBE_FLAGS.includes(name)) return { takesValue: true };
  if (name === '-P' || name === '-p') return { takesValue: !inline };
  return undefined;
}

/** The manifest, task and override words of `plan` and `run`: a second word with `=` is an override, not a task. */
export function manifestTaskOverrides(command: string, args: ParsedArgs, requireTask: boolean): { manifest: string; task: string; overrides: string[] } {
  const [manifest, ...rest] = args.positionals;
  if (!manifest) throw new UsageError(`cubelab ${command}: which manifest? (cubelab ${command} <manifest>${requireTask ? ' <task>' : ' [task]'} …, see cubelab ${command} --help)`);
  const first = rest[0];
  const isTask = first !== undefined && !first.includes('=') && !first.startsWith('-');
  const task = isTask ? first : '';
  const overrides = [...(isTask ? rest.slice(1) : rest), ...args.afterDashDash];
  if (requireTask && !task) throw new UsageError(`cubelab ${command}: which task? (cubelab ${command} <manifest> <task> …, see cubelab ${command} --help)`);
  return { manifest, task, overrides };
}

/** Reads a manifest file: a clear I/O error when it is missing, a folder, or unreadable. */
export function readManifest(given: string, cwd: string): { abs: string; text: string } {
  const abs = path.resolve(cwd, given);
  try {
    if (statSync(abs).isDirectory()) {
      throw new IoError(`${given} is a folder; name the manifest file (e.g. ${nativePath(path.join(given, 'mlcube.yaml'))})`);
    }
    return { abs, text: readFileSync(abs, 'utf8') };
  } catch (e) {
    if (e instanceof IoError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError(code === 'ENOENT' ? `${given}: no such file` : `${given}: cannot be read (${code ?? (e as Error).message})`);
  }
}

/** Plans a task as the language server does for an open manifest (same budget); the settings classify the file. */
export function planManifest(abs: string, text: string, task: string, overrides: string[], settings: CliSettings, folder: string): TaskPlanResult {
  const ctx = serviceContext(settings.service, folder);
  const doc = analyze(pathToFileUri(abs), 0, text, ctx);
  if (doc.kind !== 'mlcube') {
    return { ok: false, code: 'document', error: `${abs} is not an MLCube manifest (CubeLab recognises it as ${doc.kind === 'none' ? 'nothing it knows' : doc.kind}).` };
  }
  const r = withinBudget(REQUEST_BUDGET_MS, () => planTask(doc, { uri: doc.uri, task, overrides }, ctx));
  if (!r.exceeded) return r.value;
  return r.value ?? { ok: false, code: 'budget', error: `The manifest is too expensive to plan (${r.reason}).` };
}

export const PLAN_OPTIONS: readonly OptionSpec[] = [
  { name: 'docker', help: 'print only the docker run line mlcube would use (platforms.docker.command)' },
  { name: 'json', help: 'print the whole plan as JSON' },
  { name: 'config', value: 'FILE', help: 'read CubeLab settings from FILE instead of the folder\'s .vscode/settings.json' },
  { name: 'help', short: 'h', help: 'show this help' },
];

export const PLAN_HELP = `Usage: cubelab plan [options] <manifest> [task] [overrides…]

Prints the plan of a task as CubeLab runs it: mounts, arguments, environment, GPUs, the image build, and the
docker and singularity command lines. Without a task: the manifest's only task.

Overrides are mlcube run's: name=value (a parameter), -Pkey.path=value (the configuration), --network,
--security, --gpus, --memory, --cpu, --mount (--x=v or --x v). Everything after -- is passed as is (mlcube's
own --workspace goes there).

Exit code: 0 with a plan, 1 when mlcube would refuse the task (its error on stderr), 2 on a usage or I/O error.`;

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** The plan as text for a person. */
export function planText(plan: TaskPlan, io: Pick<Streams, 'cwd' | 'platform'>): string {
  const p = (s: string) => nativePath(s, io.platform);
  const rows: [string, string][] = [
    ['task', plan.taskName],
    ['image', plan.image],
    ['MLCube root', p(plan.root)],
    ['workspace', p(plan.workspace)],
    ['entrypoint', plan.entrypoint.length ? plan.entrypoint.join(' ') : '(the image\'s)'],
    ['arguments', plan.args.join(' ') || '(none)'],
    ['GPUs', plan.gpus ?? 'none'],
    ['environment', typeof plan.env === 'string' ? plan.env || '(none)' : Object.entries(plan.env).map(([k, v]) => `${k}=${v}`).join(' ') || '(none)'],
  ];
  const lines = rows.map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`);
  lines.push('mounts:');
  for (const m of plan.mounts) lines.push(`  ${p(m.host)} -> ${m.container}${m.mode ? ` (${m.mode})` : ''}${m.io ? ` [${m.io}]` : ''}`);
  if (!plan.mounts.length) lines.push('  (none)');
  if (plan.mkdirs.length) { lines.push('creates:'); for (const d of plan.mkdirs) lines.push(`  ${p(d)}`); }
  if (plan.workspaceSync.length) { lines.push('copies first:'); for (const s of plan.workspaceSync) lines.push(`  ${p(s.from)} -> ${p(s.to)} (${s.kind})`); }
  const b = plan.platforms.docker.imageBuild;
  lines.push(`image build:  ${b.action === 'build' ? `docker build from ${p(b.file)}` : 'docker pull'} (build_strategy ${b.strategy}; Dockerfile present: ${yesNo(b.fileExists)})`);
  lines.push('docker:');
  lines.push(`  ${plan.platforms.docker.command}`);
  const sing = plan.platforms.singularity;
  if (sing) { lines.push('singularity:'); lines.push(`  ${sing.command}`); }
  if (plan.warnings.length) { lines.push('warnings:'); for (const w of plan.warnings) lines.push(`  - ${w.replace(/\n/g, '\n    ')}`); }
  return `${lines.join('\n')}\n`;
}

export async function runPlan(argv: readonly string[], io: Streams, loadSettings: (manifest: string, config?: string) => { settings: CliSettings; folder: string }): Promise<number> {
  const args = parseArgs('plan', argv, PLAN_OPTIONS, { passThrough: mlcubePassThrough });
  if (optFlag(args, 'docker') && optFlag(args, 'json')) throw new UsageError('cubelab plan: --docker and --json exclude each other (see cubelab plan --help)');
  const { manifest, task, overrides } = manifestTaskOverrides('plan', args, false);
  const { abs, text } = readManifest(manifest, io.cwd);
  const { settings, folder } = loadSettings(abs, optString(args, 'config'));
  for (const w of settings.warnings) io.err(`cubelab: warning: ${w}\n`);
  const result = planManifest(abs, text, task, overrides, settings, folder);
  if (!result.ok) {
    io.err(`cubelab plan: ${displayPath(abs, io.cwd, io.platform)}${task ? ` (task ${task})` : ''}: ${result.error}\n`);
    for (const w of result.warnings ?? []) io.err(`cubelab: warning: ${w}\n`);
    return 1;
  }
  if (optFlag(args, 'docker')) {
    for (const w of result.plan.warnings) io.err(`cubelab: warning: ${w}\n`);
    io.out(`${result.plan.platforms.docker.command}\n`);
  } else if (optFlag(args, 'json')) {
    io.out(`${JSON.stringify(result.plan, null, 2)}\n`);
  } else {
    io.out(planText(result.plan, io));
  }
  return 0;
}
