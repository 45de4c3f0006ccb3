/** The one way the server builds diagnostics: a code, a message that says what the tool would do, an exact range. */
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver-types';
import type { LineIndex } from '../yaml/parsedDocument';

export const SOURCE = 'CubeLab';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

/** One row of a format's code table (mlcube/codes.ts, mlgym/codes.ts): its severity and what it means. */
export interface CodeDoc {
  readonly severity: Severity;
  readonly doc: string;
}

const severities: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function diag(
  lines: LineIndex,
  span: [number, number],
  severity: Severity,
  code: string,
  message: string,
  extra?: { related?: DiagnosticRelatedInformation[]; data?: unknown },
): Diagnostic {
  const d: Diagnostic = { range: lines.range(span[0], span[1]), severity: severities[severity], code, source: SOURCE, message };
  if (extra?.related) d.relatedInformation = extra.related;
  if (extra?.data !== undefined) d.data = extra.data;
  return d;
}
