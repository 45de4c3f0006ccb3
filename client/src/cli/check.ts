/**
 * `cubelab check [paths…|-]`: the editor's diagnostics for every MLCube manifest and MLgym config under the paths
 * (default: the current folder), or for one document read from stdin. Exit code 1 when there is an error (or more
 * warnings than --max-warnings allows), 2 on a usage or I/O error, 0 otherwise.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { providers } from '../../../server/src/service/registry';
import { IoError, optCount, optString, parseArgs, UsageError, type OptionSpec } from './args';
import { checkText, counts, serviceContext, type CheckedFile, type CheckReport } from './checkCore';
import { findCandidates, type WalkProblem } from './discover';
import { formatGithub } from './formats/github';
import { formatJson } from './formats/json';
import { formatSarif } from './formats/sarif';
import { formatText } from './formats/text';
import { displayPath, portablePath, Progress, type Streams } from './output';
import { readSettingsFile, settingsFor, workspaceFolderFor, type CliSettings } from './settings';

export const CHECK_OPTIONS: readonly OptionSpec[] = [
  { name: 'format', short: 'f', value: 'FORMAT', choices: ['text', 'json', 'sarif', 'github'], help: 'text (default), json, sarif (SARIF 2.1.0) or github (workflow annotations)' },
  { name: 'max-warnings', value: 'N', help: 'exit 1 when there are more than N warnings (default: no limit)' },
  { name: 'config', value: 'FILE', help: 'read CubeLab settings from FILE (JSON with comments) instead of .vscode/settings.json' },
  { name: 'workspace', value: 'DIR', help: 'the workspace folder (settings, relative globs); default: the git root of each path, else the path' },
  { name: 'stdin-filename', value: 'NAME', help: 'the file name of the document read from stdin (-), to recognise it by name' },
  { name: 'help', short: 'h', help: 'show this help' },
];

export const CHECK_HELP = `Usage: cubelab check [options] [paths…|-]

Checks MLCube manifests and MLgym configs as the editor does, and prints every diagnostic with its file, line,
column, severity, code and message. Folders are searched for .yaml/.yml files (and files named by
cubelab.files.manifestGlobs / mlgymGlobs); each is recognised by name and content as in the editor, and
cubelab.files.exclude leaves files out. Settings come from the workspace folder's .vscode/settings.json, or
--config. "-" reads one document from stdin. Without paths: the current folder.

Exit code: 1 when there is an error (or more warnings than --max-warnings), 2 on a usage or I/O error, else 0.`;

interface Target { abs: string; given: string; isDir: boolean }

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function runCheck(argv: readonly string[], io: Streams): Promise<number> {
  const args = parseArgs('check', argv, CHECK_OPTIONS);
  const paths = [...args.positionals, ...args.afterDashDash];
  const format = optString(args, 'format') ?? 'text';
  const maxWarnings = optCount('check', args, 'max-warnings');
  const config = optString(args, 'config');
  const explicitWorkspace = optString(args, 'workspace');
  const stdinName = optString(args, 'stdin-filename');
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('cubelab check: "-" (stdin) may be given once (see cubelab check --help)');
  if (stdinName !== undefined && !paths.includes('-')) throw new UsageError('cubelab check: --stdin-filename needs "-" among the paths (see cubelab check --help)');

  const report: CheckReport = { files: [], read: 0, problems: [], notes: [] };
  // A --config file is read once, before anything else (a missing or broken one is an I/O error, exit 2).
  const show = (p: string): string => displayPath(p, io.cwd, io.platform);
  const configured = config ? readSettingsFile(path.resolve(io.cwd, config), show) : undefined;
  const settingsCache = new Map<string, CliSettings>();
  const settingsOf = (folder: string): CliSettings => {
    let s = configured ?? settingsCache.get(folder);
    if (!s) {
      s = settingsFor(folder, undefined, show);
      settingsCache.set(folder, s);
      for (const w of s.warnings) report.notes.push(`warning: ${w}`);
    }
    return s;
  };
  if (configured) for (const w of configured.warnings) report.notes.push(`warning: ${w}`);

  const progress = new Progress(io);
  const recognised = (abs: string | undefined, name: string, portable: string, text: string, folder: string | undefined, named: boolean): void => {
    const settings = settingsOf(folder ?? io.cwd).service;
    const ctx = serviceContext(settings, folder);
    const { kind, diagnostics } = checkText(abs ?? path.join(io.cwd, 'stdin.yaml'), text, ctx);
    if (kind !== 'none' && providers[kind]) report.files.push({ path: abs, name, portable, kind, diagnostics } satisfies CheckedFile);
    else if (named) report.notes.push(`${name} is neither an MLCube manifest nor an MLgym config (CubeLab recognised it as ${kind === 'none' ? 'nothing it checks' : kind}): not checked.`);
  };

  if (paths.includes('-')) {
    const abs = stdinName !== undefined ? path.resolve(io.cwd, stdinName) : undefined;
    let text: string;
    try { text = await readStdin(); } catch (e) { throw new IoError(`cannot read stdin (${(e as Error).message})`); }
    report.read++;
    const folder = explicitWorkspace ? workspaceFolderFor('', explicitWorkspace) : abs ? workspaceFolderFor(path.dirname(abs)) : io.cwd;
    recognised(abs, abs ? displayPath(abs, io.cwd, io.platform) : '<stdin>', abs ? portablePath(abs, io.cwd, io.platform) : 'stdin', text, folder, true);
  }

  const targets: Target[] = [];
  for (const given of paths.filter((p) => p !== '-').concat(paths.length === 0 ? ['.'] : [])) {
    const abs = path.resolve(io.cwd, given);
    try {
      targets.push({ abs, given, isDir: statSync(abs).isDirectory() });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      report.problems.push(code === 'ENOENT' ? `${given}: no such file or folder` : `${given}: cannot be read (${code ?? (e as Error).message})`);
    }
  }
  // A file reached from two of the paths given is checked once.
  const seen = new Set<string>();
  for (const t of targets) {
    const folder = workspaceFolderFor(t.abs, explicitWorkspace);
    const settings = settingsOf(folder).service;
    const walkProblems: WalkProblem[] = [];
    const files = t.isDir
      ? findCandidates(t.abs, folder, settings, walkProblems, (d, n) => progress.update(`cubelab check: ${n} files found, searching ${displayPath(d, io.cwd, io.platform)}`))
      : [t.abs];
    for (const p of walkProblems) report.problems.push(`cannot read folder ${displayPath(p.path, io.cwd, io.platform)} (${p.code})`);
    if (t.isDir && files.length === 0 && walkProblems.length === 0) report.notes.push(`no YAML files under ${displayPath(t.abs, io.cwd, io.platform)}.`);
    files.forEach((file, i) => {
      if (seen.has(file)) return;
      seen.add(file);
      progress.update(`cubelab check: ${i + 1}/${files.length} ${displayPath(file, io.cwd, io.platform)}`);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        report.problems.push(`${displayPath(file, io.cwd, io.platform)}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        return;
      }
      report.read++;
      // A file named on the command line is classified whatever its name, as the editor classifies any file it opens.
      recognised(file, displayPath(file, io.cwd, io.platform), portablePath(file, io.cwd, io.platform), text, folder, !t.isDir);
    });
  }
  progress.done();
  for (const s of configured ? [configured] : settingsCache.values()) if (!s.service.validation.enable) report.notes.push(`cubelab.validation.enable is false${s.source ? ` in ${displayPath(s.source, io.cwd, io.platform)}` : ''}: nothing is reported, as in the editor.`);

  const version = typeof CUBELAB_VERSION === 'string' ? CUBELAB_VERSION : '0.0.0-dev';
  const text = format === 'json' ? formatJson(report, version)
    : format === 'sarif' ? formatSarif(report, version, io.cwd)
      : format === 'github' ? formatGithub(report)
        : formatText(report);
  for (const n of report.notes) io.err(`cubelab: ${n}\n`);
  for (const p of report.problems) io.err(`cubelab: error: ${p}\n`);
  io.out(text);
  if (report.problems.length) return 2;
  const c = counts(report);
  if (c.error > 0) return 1;
  if (maxWarnings !== undefined && c.warning > maxWarnings) {
    io.err(`cubelab: ${c.warning} warnings, more than --max-warnings ${maxWarnings} allows.\n`);
    return 1;
  }
  return 0;
}

declare const CUBELAB_VERSION: string | undefined;
