/**
 * Side by side with an extension that reports YAML syntax itself (Red Hat's YAML, whose yaml-language-server
 * parses every YAML file): CubeLab then leaves pure YAML problems (syntax errors, duplicate keys: the YAML
 * spec's own rules, which that server reports too) to it, so none shows twice, and keeps every check of its own
 * (what mlcube or MLgym would do with the file, several documents in one file). The command line and any
 * editor without such an extension still get all of them.
 */
import type { Diagnostic } from 'vscode-languageserver-types';

/** Codes of CubeLab's diagnostics that only restate YAML's own rules. */
export const YAML_SYNTAX_CODES: ReadonlySet<string> = new Set(['yaml-syntax', 'duplicate-key']);

/** The diagnostics CubeLab publishes while `owner` (an extension id, or null) reports YAML syntax. */
export function leaveSyntaxTo(owner: string | null, diagnostics: Diagnostic[]): Diagnostic[] {
  return owner ? diagnostics.filter((d) => !YAML_SYNTAX_CODES.has(String(d.code))) : diagnostics;
}
