/**
 * GitHub Actions workflow commands, one annotation per diagnostic:
 * `::error file=F,line=L,col=C,title=CODE::MESSAGE` (`warning` for warnings, `notice` for info and hints), with
 * the escapes the runner expects (`%`, CR, LF in the message; also `:` and `,` in the properties). File paths are
 * relative to the current folder (the workspace checkout), with `/`.
 */
import type { CheckReport } from '../checkCore';
import { severityName } from '../checkCore';

export const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
export const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function formatGithub(report: CheckReport): string {
  const lines: string[] = [];
  for (const f of report.files) {
    for (const d of f.diagnostics) {
      const sev = severityName(d);
      const command = sev === 'error' ? 'error' : sev === 'warning' ? 'warning' : 'notice';
      const props = [
        `file=${escapeProperty(f.portable)}`,
        `line=${d.range.start.line + 1}`,
        `col=${d.range.start.character + 1}`,
        `title=${escapeProperty(d.code === undefined ? 'CubeLab' : `CubeLab ${String(d.code)}`)}`,
      ];
      lines.push(`::${command} ${props.join(',')}::${escapeData(d.message)}`);
    }
  }
  for (const p of report.problems) lines.push(`::error title=CubeLab::${escapeData(p)}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}
