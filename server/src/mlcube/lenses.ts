/**
 * Code lenses above each task of a manifest: "▶ Run", "Run with Form…" (a task whose parameters file has a
 * schema beside it, server/src/forms/locate.ts; `cubelab.runWithForm(manifestUri, task)`), "Sweep…" and "Configure". They name the client's commands
 * (client/src/runs/editor/commands.ts: `cubelab.runTask(manifestUri, task)`, `cubelab.runSweep(manifestUri, task)`,
 * `cubelab.configureCube(manifestUri, task)`);
 * the client decides whether anything may run (workspace trust), so the lenses show in every workspace.
 */
import type { CodeLens } from 'vscode-languageserver-types';
import type { AnalyzedDocument } from '../service/languageService';
import type { ServiceContext } from '../service/languageService';
import { manifestModel, type TaskModel } from './model';
import { joinPosix, splitPosix } from './mounts';
import { schemaOf } from '../forms/locate';

export const RUN_COMMAND = 'cubelab.runTask';
export const CONFIGURE_COMMAND = 'cubelab.configureCube';
export const SWEEP_COMMAND = 'cubelab.runSweep';
export const FORM_COMMAND = 'cubelab.runWithForm';

/**
 * Whether a task has a parameters file with a schema beside it: a cheap look at the manifest as written (an
 * input `.yaml` path without interpolation, under `<root>/workspace`), not a plan; the form's request plans.
 */
function hasForm(doc: AnalyzedDocument, t: TaskModel, ctx: ServiceContext): boolean {
  if (!doc.path.startsWith('/')) return false;
  const workspace = joinPosix(splitPosix(doc.path)[0], 'workspace');
  return t.params.some((p) => p.io === 'input' && p.path !== undefined && !p.path.includes('$') && !p.path.startsWith('~')
    && /\.ya?ml$/i.test(p.path) && p.declaredType !== 'directory'
    && !!schemaOf(p.path.startsWith('/') ? p.path : joinPosix(workspace, p.path), ctx.fs));
}

export function manifestCodeLenses(doc: AnalyzedDocument, ctx?: ServiceContext): CodeLens[] {
  const { lines } = doc.parsed;
  const out: CodeLens[] = [];
  for (const t of manifestModel(doc).tasks) {
    const range = lines.range(t.entry.keySpan[0], t.entry.keySpan[1]);
    out.push(
      { range, command: { title: '▶ Run', command: RUN_COMMAND, arguments: [doc.uri, t.name] } },
      ...(ctx && hasForm(doc, t, ctx) ? [{ range, command: { title: 'Run with Form…', command: FORM_COMMAND, arguments: [doc.uri, t.name] } }] : []),
      { range, command: { title: 'Sweep…', command: SWEEP_COMMAND, arguments: [doc.uri, t.name] } },
      { range, command: { title: 'Configure', command: CONFIGURE_COMMAND, arguments: [doc.uri, t.name] } },
    );
  }
  return out;
}
