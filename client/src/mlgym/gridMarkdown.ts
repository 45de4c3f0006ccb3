/**
 * The Markdown of a grid-search preview page: experiment ids and the values that vary between experiments.
 * Pure (no vscode import) so that it is unit-tested directly.
 */
import type { GridExpansionResult } from '../../../shared/lsp-protocol';

export const PAGE_SIZE = 100;

function cell(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function valueAt(config: unknown, path: string[]): unknown {
  let v: unknown = config;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

export function pageCount(count: number, pageSize = PAGE_SIZE): number {
  return Math.max(1, Math.ceil(count / pageSize));
}

export function gridMarkdown(fileName: string, result: GridExpansionResult, page: number, pageSize = PAGE_SIZE): string {
  const lines: string[] = [`# Grid search: ${fileName}`, ''];
  if (result.error) {
    lines.push(`MLgym cannot expand this grid: ${result.error}`, '');
    return lines.join('\n');
  }
  const pages = pageCount(result.count, pageSize);
  const first = page * pageSize;
  const last = Math.min(result.count, first + pageSize) - 1;
  lines.push(`**${result.count.toLocaleString('en-US')} experiment${result.count === 1 ? '' : 's'}**, in MLgym's order (first key varies slowest).`, '');
  if (result.count === 0) return lines.join('\n');
  lines.push(`Page ${page + 1} of ${pages} (experiments ${first}–${last}).`, '');
  const paths = result.varying ?? [];
  if (paths.length === 0) {
    lines.push('No sweep: a single experiment with the config as written.', '');
    return lines.join('\n');
  }
  // The value of a swept key; a nested alternative shows as the whole chosen value.
  lines.push(`| id | ${paths.map((p) => `\`${p.join('.')}\``).join(' | ')} |`);
  lines.push(`|---:|${paths.map(() => '---').join('|')}|`);
  for (const e of result.experiments) lines.push(`| ${e.id} | ${paths.map((p) => cell(valueAt(e.config, p))).join(' | ')} |`);
  lines.push('');
  return lines.join('\n');
}
