/**
 * Code lenses above each task of a manifest: "▶ Run", "Sweep…" and "Configure". They name the client's commands
 * (client/src/runs/editor/commands.ts: `cubelab.runTask(manifestUri, task)`, `cubelab.runSweep(manifestUri, task)`,
 * `cubelab.configureCube(manifestUri, task)`);
 * the client decides whether anything may run (workspace trust), so the lenses show in every workspace.
 */
import type { CodeLens } from 'vscode-languageserver-types';
import type { AnalyzedDocument } from '../service/languageService';
import { manifestModel } from './model';

export const RUN_COMMAND = 'cubelab.runTask';
export const CONFIGURE_COMMAND = 'cubelab.configureCube';
export const SWEEP_COMMAND = 'cubelab.runSweep';

export function manifestCodeLenses(doc: AnalyzedDocument): CodeLens[] {
  const { lines } = doc.parsed;
  const out: CodeLens[] = [];
  for (const t of manifestModel(doc).tasks) {
    const range = lines.range(t.entry.keySpan[0], t.entry.keySpan[1]);
    out.push(
      { range, command: { title: '▶ Run', command: RUN_COMMAND, arguments: [doc.uri, t.name] } },
      { range, command: { title: 'Sweep…', command: SWEEP_COMMAND, arguments: [doc.uri, t.name] } },
      { range, command: { title: 'Configure', command: CONFIGURE_COMMAND, arguments: [doc.uri, t.name] } },
    );
  }
  return out;
}
