/** A v1 manifest ("mlcube_root", mlcube <= 0.0.4) gets one diagnostic that says what it is, not a wall of errors. */
import type { Diagnostic } from 'vscode-languageserver-types';
import type { AnalyzedDocument } from '../service/languageService';
import { diag } from '../service/diagnostic';

export function validateLegacyManifest(doc: AnalyzedDocument): Diagnostic[] {
  const { text, lines } = doc.parsed;
  const m = /^schema_type[ \t]*:.*$/m.exec(text);
  const span: [number, number] = m ? [m.index, m.index + m[0].length] : [0, Math.min(text.length, lines.lineStart(1))];
  return [diag(lines, span, 'info', 'mlcube/legacy-v1',
    'This is a legacy v1 MLCube file (schema_type: mlcube_*, used by mlcube <= 0.0.4). Current mlcube rejects it ("ListConfig does not support attribute access"); the v2 format keeps docker and tasks in one mlcube.yaml.')];
}
