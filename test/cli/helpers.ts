/**
 * The cli tier runs the built `dist/cli.js` as a process, as a user or a CI job runs it: arguments, stdin, the
 * exit code, stdout and stderr. Also the corpus laid out at its upstream paths, and the in-process language service
 * answers to compare the CLI's output with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver-types';
import { defaultSettings, type CubeLabSettings } from '../../shared/lsp-protocol';
import { analyze } from '../../server/src/service/languageService';
import { providers } from '../../server/src/service/registry';
import { nodeFileAccess } from '../../server/src/nodeFileAccess';
import { corpusRows, repoRoot, type CorpusRow } from '../helpers/corpus';

export { repoRoot };
export const CLI = join(repoRoot, 'dist', 'cli.js');

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export interface CliOptions { cwd?: string; input?: string; env?: Record<string, string | undefined>; timeoutMs?: number }

function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (node scripts/build.mjs)`);
}

/** Starts `node dist/cli.js ...args`; stdin is a pipe (closed at once unless `input` is given), never a terminal. */
export function startCli(args: string[], opts: CliOptions = {}): { child: ChildProcess; result: Promise<CliResult> } {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(opts.input ?? '');
  const result = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`cubelab ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 120_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`)); }, opts.timeoutMs ?? 120_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
  return { child, result };
}

export function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).result;
}

/** Runs `fn` over `items` with at most `n` at a time (the machine has two cores). */
export async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i], i); }
  }));
  return out;
}

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `cubelab-cli-${name}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** The YAML files of the corpus (every folder of SOURCES.tsv), each at `<root>/<owner>/<repo>@<commit>/<upstream path>`. */
export function layOutCorpus(root: string): { row: CorpusRow; path: string }[] {
  const rows = corpusRows().filter((r) => /\.ya?ml$/i.test(r.file));
  const out: { row: CorpusRow; path: string }[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (!existsSync(row.abs)) throw new Error(`corpus file ${row.file} is listed in SOURCES.tsv but missing`);
    const p = join(root, `${row.repository}@${row.commit.slice(0, 8)}`, row.path);
    if (seen.has(p)) throw new Error(`two corpus rows lay out at ${p}`);
    seen.add(p);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, readFileSync(row.abs));
    out.push({ row, path: p });
  }
  return out;
}

/** What the language service says about a file, as the language server would (the CLI must say the same). */
export function serviceDiagnostics(path: string, text: string, folder: string, settings: CubeLabSettings = defaultSettings): { kind: string; diagnostics: Diagnostic[] } {
  const ctx = { settings, workspaceFolders: [folder], fs: nodeFileAccess, env: process.env };
  const doc = analyze(pathToFileURL(path).href, 0, text, ctx);
  const p = providers[doc.kind];
  return { kind: doc.kind, diagnostics: p ? p.validate(doc, ctx) : [] };
}

/** A diagnostic as the JSON format writes it. */
export interface JsonDiagnostic { file: string; line: number; column: number; endLine: number; endColumn: number; severity: string; code: string | null; message: string }
export interface JsonReport {
  tool: { name: string; version: string };
  files: { file: string; kind: string; problems: number }[];
  diagnostics: JsonDiagnostic[];
  summary: { files: number; error: number; warning: number; info: number; hint: number; ioErrors: number };
}

export const SEVERITIES = ['', 'error', 'warning', 'info', 'hint'];

/** A service diagnostic in the JSON format's shape (for comparisons). */
export function asJson(file: string, d: Diagnostic): JsonDiagnostic {
  return {
    file, line: d.range.start.line + 1, column: d.range.start.character + 1, endLine: d.range.end.line + 1, endColumn: d.range.end.character + 1,
    severity: SEVERITIES[d.severity ?? 1], code: d.code === undefined ? null : String(d.code), message: d.message,
  };
}

export const sortDiagnostics = (a: JsonDiagnostic, b: JsonDiagnostic): number =>
  a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.severity.localeCompare(b.severity) || (a.code ?? '').localeCompare(b.code ?? '') || a.message.localeCompare(b.message);
