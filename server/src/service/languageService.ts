/**
 * The pure language service: functions over an analysed document that know nothing of connections.
 * Each document kind (MLCube manifest, MLgym config, ...) brings a `KindProvider`; the LSP wiring in
 * server.ts only finds the provider for a document and adapts its answers.
 */
import type {
  CodeAction, CodeLens, CompletionList, Definition, Diagnostic, DocumentLink, DocumentSymbol,
  FoldingRange, Hover, InlayHint, Position, Range,
} from 'vscode-languageserver-types';
import type { CubeLabSettings, DocumentKind } from '../../../shared/lsp-protocol';
import { parseYaml, type ParsedYaml } from '../yaml/parsedDocument';
import { fileUriToPath } from '../../../shared/fileUri';
import { classify } from './documentKind';

/** What every provider receives: the document, parsed once, and the context the server knows. */
export interface AnalyzedDocument {
  readonly uri: string;
  /** File-system path (empty for non-file URIs). */
  readonly path: string;
  readonly version: number;
  readonly kind: DocumentKind;
  readonly parsed: ParsedYaml;
}

export interface ServiceContext {
  settings: CubeLabSettings;
  workspaceFolders: string[];
  /** Read access to the file system, injectable so tests stay pure. */
  fs: FileAccess;
  env: Record<string, string | undefined>;
}

export interface FileAccess {
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  readDir(path: string): string[];
  /** UTF-8 text of a file, or undefined when it cannot be read (optional: the MLgym declarations file). */
  readFile?(path: string): string | undefined;
  /** Size in bytes of a file, or undefined when it is not one (optional: lets a reader refuse a huge file before reading it). */
  size?(path: string): number | undefined;
}

export interface KindProvider {
  validate(doc: AnalyzedDocument, ctx: ServiceContext): Diagnostic[];
  complete?(doc: AnalyzedDocument, pos: Position, ctx: ServiceContext): CompletionList | null;
  hover?(doc: AnalyzedDocument, pos: Position, ctx: ServiceContext): Hover | null;
  definition?(doc: AnalyzedDocument, pos: Position, ctx: ServiceContext): Definition | null;
  codeActions?(doc: AnalyzedDocument, range: Range, diagnostics: Diagnostic[], ctx: ServiceContext): CodeAction[];
  codeLenses?(doc: AnalyzedDocument, ctx: ServiceContext): CodeLens[];
  inlayHints?(doc: AnalyzedDocument, range: Range, ctx: ServiceContext): InlayHint[];
  symbols?(doc: AnalyzedDocument, ctx: ServiceContext): DocumentSymbol[];
  documentLinks?(doc: AnalyzedDocument, ctx: ServiceContext): DocumentLink[];
  foldingRanges?(doc: AnalyzedDocument, ctx: ServiceContext): FoldingRange[];
}

export type ProviderRegistry = Partial<Record<DocumentKind, KindProvider>>;

export function analyze(uri: string, version: number, text: string, ctx: Pick<ServiceContext, 'settings' | 'workspaceFolders'>): AnalyzedDocument {
  const path = fileUriToPath(uri) || uri;
  const kind = classify({ path, text, settings: ctx.settings, workspaceFolders: ctx.workspaceFolders });
  // Documents of no interest are not parsed at all.
  const parsed = kind === 'none' ? parseYaml('') : parseYaml(text);
  return { uri, path, version, kind, parsed };
}
