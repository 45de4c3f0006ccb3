/**
 * The language server's interop requests (docs/interop.md): MLExchange entries in (`cubelab/mlexchangeImport`)
 * and out (`cubelab/mlexchangeExport`), MedPerf records read (`cubelab/medperfRecord`). The server reads and
 * converts; the client downloads, verifies and writes.
 */
import type { MlexchangeExportResult, MlexchangeImportParams, MlexchangeImportResult, MedperfRecordParams, MedperfRecordResult, TaskPlan } from '../../../shared/lsp-protocol';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { manifestModel } from '../mlcube/model';
import { loadManifest } from '../mlcube/planning/manifest';
import { planTask } from '../mlcube/plan';
import { readEntries, EntryError } from './mlexchange/entry';
import { importEntry } from './mlexchange/importEntry';
import { exportCube } from './mlexchange/exportCube';
import { medperfPlan } from './medperf/record';

/** Entries larger than this are refused: the registry's dump of 14 models is 77 KB. */
export const MAX_ENTRY_TEXT = 16 << 20;

export function mlexchangeImport(p: MlexchangeImportParams): MlexchangeImportResult {
  if (typeof p.text !== 'string') return { ok: false, error: 'No text given.' };
  if (p.text.length > MAX_ENTRY_TEXT) return { ok: false, error: `${p.source ?? 'The file'} is larger than ${MAX_ENTRY_TEXT} characters: not an MLExchange entry CubeLab reads.` };
  try {
    const entries = readEntries(p.text, p.source ?? 'the file');
    if (!entries.length) return { ok: false, error: `${p.source ?? 'The file'} holds no entry.` };
    return { ok: true, entries: entries.map((e) => importEntry(e, entries)) };
  } catch (e) {
    if (e instanceof EntryError) return { ok: false, error: e.message };
    throw e;
  }
}

export function mlexchangeExport(doc: AnalyzedDocument, ctx: ServiceContext): MlexchangeExportResult {
  if (doc.kind !== 'mlcube') return { ok: false, error: `${doc.path || doc.uri} is not an MLCube manifest.` };
  const loaded = loadManifest(doc.parsed);
  if (!loaded.ok) return { ok: false, error: loaded.error };
  const tasks = manifestModel(doc).tasks.map((t) => t.name);
  if (!tasks.length) return { ok: false, error: 'The manifest has no task: an entry needs at least one command.' };
  const plans: TaskPlan[] = [];
  for (const task of tasks) {
    const r = planTask(doc, { uri: doc.uri, task }, ctx);
    if (!r.ok) return { ok: false, error: `Task ${task} cannot be planned: ${r.error.split('\n')[0]}` };
    plans.push(r.plan);
  }
  const out = exportCube({ manifestPath: doc.path, manifest: loaded.value, plans, fs: ctx.fs });
  return { ok: true, text: out.text, fileName: out.fileName, contentType: out.contentType, schema: out.schema, problems: out.problems, warnings: out.warnings };
}

export function medperfRecord(p: MedperfRecordParams): MedperfRecordResult {
  if (typeof p.text !== 'string') return { ok: false, error: 'No record given.' };
  if (p.text.length > MAX_ENTRY_TEXT || (p.manifest?.length ?? 0) > MAX_ENTRY_TEXT) return { ok: false, error: `The record is larger than ${MAX_ENTRY_TEXT} characters: refused.` };
  return medperfPlan(p.text, p.manifest);
}
