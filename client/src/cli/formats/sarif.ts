/**
 * SARIF 2.1.0 (OASIS), as code-scanning uploads read it: one run of the tool `CubeLab`, a rule per diagnostic code
 * reported (its doc from the code tables, server/src/mlcube/codes.ts and server/src/mlgym/codes.ts), a result per
 * diagnostic with its level and region (1-based lines; columns in UTF-16 code units as the editor counts them, end
 * column exclusive), artifact paths relative to `%SRCROOT%` (the current folder) when inside it.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { MLCUBE_CODES } from '../../../../server/src/mlcube/codes';
import { MLGYM_CODES } from '../../../../server/src/mlgym/codes';
import { TOO_EXPENSIVE } from '../../../../server/src/service/budget';
import { fileUriToPath as uriToPath, pathToFileUri } from '../../../../shared/fileUri';
import type { CodeDoc, Severity } from '../../../../server/src/service/diagnostic';
import type { CheckReport } from '../checkCore';
import { severityName, type SeverityName } from '../checkCore';
import { portablePath } from '../output';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const level = (s: SeverityName | Severity): 'error' | 'warning' | 'note' => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');

/** What the code tables say about a code (undefined for a code no table lists). */
export function codeDoc(code: string): CodeDoc | undefined {
  if (Object.prototype.hasOwnProperty.call(MLCUBE_CODES, code)) return (MLCUBE_CODES as Record<string, CodeDoc>)[code];
  const gym = code.startsWith('mlgym/') ? code.slice('mlgym/'.length) : '';
  if (gym && Object.prototype.hasOwnProperty.call(MLGYM_CODES, gym)) return (MLGYM_CODES as Record<string, CodeDoc>)[gym];
  if (code === TOO_EXPENSIVE) return { severity: 'warning', doc: 'The document is too expensive to check within the time budget; CubeLab stopped checking it.' };
  return undefined;
}

/** The doc without its trailing `data: {...}` note (meant for the quick fixes), and its first sentence. */
function describe(doc: string): { full: string; short: string } {
  const full = doc.replace(/\s*data: \{[^}]*\}\s*$/, '').trim();
  const m = /^(.+?[.!?])(\s|$)/.exec(full);
  return { full, short: m?.[1] ?? full };
}

/** A relative URI reference for a relative path (each segment percent-encoded), or a file URI for an absolute one. */
function artifactUri(portable: string): { uri: string; uriBaseId?: string } {
  if (/^([A-Za-z]:)?\//.test(portable)) return { uri: pathToFileUri(portable) };
  return { uri: portable.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

function region(d: Pick<Diagnostic, 'range'>): Record<string, number> {
  return {
    startLine: d.range.start.line + 1,
    startColumn: d.range.start.character + 1,
    endLine: d.range.end.line + 1,
    endColumn: d.range.end.character + 1,
  };
}

export function formatSarif(report: CheckReport, version: string, cwd: string): string {
  const codes: string[] = [];
  for (const f of report.files) for (const d of f.diagnostics) {
    const c = d.code === undefined ? 'cubelab/diagnostic' : String(d.code);
    if (!codes.includes(c)) codes.push(c);
  }
  codes.sort();
  const rules = codes.map((id) => {
    const doc = codeDoc(id);
    const text = doc ? describe(doc.doc) : undefined;
    return {
      id,
      ...(text ? { shortDescription: { text: text.short }, fullDescription: { text: text.full } } : {}),
      defaultConfiguration: { level: doc ? level(doc.severity) : 'warning' },
      properties: { tags: [id.split('/')[0]] },
    };
  });
  const artifacts = report.files.map((f) => ({ location: artifactUri(f.portable), sourceLanguage: 'yaml', properties: { kind: f.kind } }));
  const results = report.files.flatMap((f, index) => f.diagnostics.map((d) => {
    const ruleId = d.code === undefined ? 'cubelab/diagnostic' : String(d.code);
    const related = (d.relatedInformation ?? []).map((r, i) => {
      const p = uriToPath(r.location.uri);
      return {
        id: i + 1,
        physicalLocation: { artifactLocation: p ? artifactUri(portablePath(p, cwd)) : { uri: r.location.uri }, region: region(r.location) },
        message: { text: r.message },
      };
    });
    return {
      ruleId,
      ruleIndex: codes.indexOf(ruleId),
      level: level(severityName(d)),
      message: { text: d.message },
      locations: [{ physicalLocation: { artifactLocation: { ...artifactUri(f.portable), index }, region: region(d) } }],
      ...(related.length ? { relatedLocations: related } : {}),
    };
  }));
  const cwdUri = pathToFileUri(cwd.endsWith('/') || cwd.endsWith('\\') ? cwd : `${cwd}/`);
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'CubeLab', version, semanticVersion: version, rules } },
      invocations: [{
        executionSuccessful: report.problems.length === 0,
        ...(report.problems.length ? { toolExecutionNotifications: report.problems.map((p) => ({ level: 'error', message: { text: p } })) } : {}),
      }],
      originalUriBaseIds: { '%SRCROOT%': { uri: cwdUri } },
      artifacts,
      results,
      columnKind: 'utf16CodeUnits',
    }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
