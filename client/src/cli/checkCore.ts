/**
 * The checking itself, shared by every output format: a document analysed and validated by the pure language
 * service exactly as the language server does it (service/languageService.ts `analyze`, the budgeted providers of
 * service/registry.ts), with the workspace folder's settings.
 */
import { pathToFileUri } from '../../../shared/fileUri';
import type { Diagnostic } from 'vscode-languageserver-types';
import type { CubeLabSettings, DocumentKind } from '../../../shared/lsp-protocol';
import { analyze, type ServiceContext } from '../../../server/src/service/languageService';
import { providers } from '../../../server/src/service/registry';
import { nodeFileAccess } from '../../../server/src/nodeFileAccess';

export type SeverityName = 'error' | 'warning' | 'info' | 'hint';

export interface CheckedFile {
  /** Absolute path; for stdin, the path given with --stdin-filename (resolved) or undefined. */
  path?: string;
  /** The name shown to people (relative to the current folder, native separators; `<stdin>`). */
  name: string;
  /** The name for machines (SARIF, annotations): relative, `/` separators. */
  portable: string;
  kind: DocumentKind;
  diagnostics: Diagnostic[];
}

export interface CheckReport {
  /** Files recognised as manifests or configs, in the order checked. */
  files: CheckedFile[];
  /** Candidate files read (recognised or not). */
  read: number;
  /** I/O problems (missing paths, unreadable files and folders): exit code 2. */
  problems: string[];
  /** Notes for stderr that change nothing (a named file that is not a manifest or config, settings warnings). */
  notes: string[];
}

export function severityName(d: Diagnostic): SeverityName {
  // LSP: 1 error, 2 warning, 3 information, 4 hint; an unset severity is shown as an error.
  switch (d.severity ?? 1) {
    case 2: return 'warning';
    case 3: return 'info';
    case 4: return 'hint';
    default: return 'error';
  }
}

export function counts(report: CheckReport): Record<SeverityName, number> {
  const c: Record<SeverityName, number> = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const f of report.files) for (const d of f.diagnostics) c[severityName(d)]++;
  return c;
}

export function serviceContext(settings: CubeLabSettings, folder: string | undefined): ServiceContext {
  return { settings, workspaceFolders: folder ? [folder] : [], fs: nodeFileAccess, env: process.env };
}

/** The kind of a document and its diagnostics (none when validation is off, or for kinds CubeLab leaves alone). */
export function checkText(absPath: string, text: string, ctx: ServiceContext): { kind: DocumentKind; diagnostics: Diagnostic[] } {
  const doc = analyze(pathToFileUri(absPath), 0, text, ctx);
  const provider = providers[doc.kind];
  if (!provider || !ctx.settings.validation.enable) return { kind: doc.kind, diagnostics: [] };
  const diagnostics = provider.validate(doc, ctx).slice().sort((a, b) =>
    a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || (a.severity ?? 1) - (b.severity ?? 1));
  return { kind: doc.kind, diagnostics };
}
