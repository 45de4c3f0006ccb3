/**
 * The text format: one line per diagnostic, `file:line:column: severity code: message` (1-based line and column,
 * the form terminals and editors turn into links), then a summary line. Messages of several lines are indented.
 */
import type { CheckReport } from '../checkCore';
import { counts, severityName } from '../checkCore';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatText(report: CheckReport): string {
  const lines: string[] = [];
  for (const f of report.files) {
    for (const d of f.diagnostics) {
      const { line, character } = d.range.start;
      const code = d.code === undefined ? '' : ` ${String(d.code)}`;
      lines.push(`${f.name}:${line + 1}:${character + 1}: ${severityName(d)}${code}: ${d.message.replace(/\r?\n/g, '\n    ')}`);
    }
  }
  const c = counts(report);
  const problems = c.error + c.warning + c.info + c.hint;
  const withProblems = report.files.filter((f) => f.diagnostics.length).length;
  const detail = [plural(c.error, 'error'), plural(c.warning, 'warning'), ...(c.info ? [`${c.info} info`] : []), ...(c.hint ? [plural(c.hint, 'hint')] : [])].join(', ');
  lines.push(problems
    ? `${plural(problems, 'problem')} (${detail}) in ${plural(withProblems, 'file')}; ${plural(report.files.length, 'file')} checked.`
    : `No problems; ${plural(report.files.length, 'file')} checked.`);
  return `${lines.join('\n')}\n`;
}
