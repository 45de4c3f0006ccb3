/**
 * The JSON format: every file checked (with the kind CubeLab gave it) and every diagnostic with its file, 1-based
 * line and column (end exclusive, as in the editor), severity, code and message, plus the counts.
 */
import type { CheckReport } from '../checkCore';
import { counts, severityName } from '../checkCore';

export function formatJson(report: CheckReport, version: string): string {
  const diagnostics = report.files.flatMap((f) => f.diagnostics.map((d) => ({
    file: f.name,
    line: d.range.start.line + 1,
    column: d.range.start.character + 1,
    endLine: d.range.end.line + 1,
    endColumn: d.range.end.character + 1,
    severity: severityName(d),
    code: d.code === undefined ? null : String(d.code),
    message: d.message,
  })));
  const out = {
    tool: { name: 'cubelab', version },
    files: report.files.map((f) => ({ file: f.name, kind: f.kind, problems: f.diagnostics.length })),
    diagnostics,
    summary: { files: report.files.length, ...counts(report), ioErrors: report.problems.length },
    ...(report.problems.length ? { ioErrors: report.problems } : {}),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
