/**
 * `cubelab/runForm` and `cubelab/runFormWrite`: a task's form (its parameters file, the schema beside it, the
 * fields, the values now) and the checked text of the parameters file for the values the user gave. The
 * client writes the file and runs the task; nothing here writes.
 */
import type { RunFormResult, RunFormSpec, RunFormWriteResult } from '../../../shared/lsp-protocol';
import { checkFormValues, type FormValue } from '../../../shared/webview-protocol/runForm';
import type { AnalyzedDocument, FileAccess, ServiceContext } from '../service/languageService';
import { planTask } from '../mlcube/plan';
import { manifestModel } from '../mlcube/model';
import { parseJsonLossless, setOwn } from '../interop/pyValues';
import { readParameters, writeParameters } from '../interop/paramsFile';
import { fieldsFromGui, fieldsFromJsonSchema, fileValue, formValue } from './fields';
import { locateParameters } from './locate';

/** Schemas and parameters files larger than this are refused (a cloned repository must not stall the server). */
export const MAX_FILE_BYTES = 1 << 20;

export function readBounded(fs: FileAccess, path: string, what: string): { ok: true; text: string | undefined } | { ok: false; error: string } {
  const size = fs.size?.(path);
  if (size !== undefined && size > MAX_FILE_BYTES) return { ok: false, error: `${what} ${path} is ${size} bytes: more than the ${MAX_FILE_BYTES} CubeLab reads.` };
  if (!fs.exists(path)) return { ok: true, text: undefined };
  const text = fs.readFile?.(path);
  if (text !== undefined && text.length > MAX_FILE_BYTES) return { ok: false, error: `${what} ${path} is more than ${MAX_FILE_BYTES} characters.` };
  return { ok: true, text };
}

type Built = { ok: true; form: RunFormSpec; existing: string | undefined } | { ok: false; error: string };

function build(doc: AnalyzedDocument, task: string, ctx: ServiceContext): Built {
  const planned = planTask(doc, { uri: doc.uri, task }, ctx);
  if (!planned.ok) return { ok: false, error: `${task}: the task cannot be planned: ${planned.error.split('\n')[0]}` };
  const plan = planned.plan;
  const loc = locateParameters(plan, ctx.fs);
  if (!loc) return { ok: false, error: `${plan.taskName} has no parameters file (an input file ending in .yaml or .yml): nothing to fill in.` };
  if (!loc.schema) return { ok: false, error: `${plan.taskName}'s parameters file ${loc.file} has no schema beside it (gui_parameters.json or parameters.schema.json).` };
  const schemaRead = readBounded(ctx.fs, loc.schema.path, 'The schema');
  if (!schemaRead.ok) return schemaRead;
  if (schemaRead.text === undefined) return { ok: false, error: `The schema ${loc.schema.path} cannot be read.` };
  let schema: unknown;
  try { schema = parseJsonLossless(schemaRead.text); } catch (e) { return { ok: false, error: `The schema ${loc.schema.path} is not JSON: ${(e as Error).message}.` }; }
  const { fields, notes } = loc.schema.kind === 'gui_parameters' ? fieldsFromGui(schema) : fieldsFromJsonSchema(schema);
  const fileRead = readBounded(ctx.fs, loc.file, 'The parameters file');
  if (!fileRead.ok) return fileRead;
  let fileValues: Record<string, unknown> = {};
  if (fileRead.text === undefined) notes.push(`${loc.file} does not exist yet: the form writes it.`);
  else {
    const r = readParameters(fileRead.text);
    if (!r.ok) return { ok: false, error: `The parameters file ${loc.file} cannot be read: ${r.error}.` };
    fileValues = r.values;
  }
  const values: Record<string, FormValue> = {};
  const defaults: Record<string, FormValue> = {};
  for (const f of fields) {
    if (f.default !== undefined) setOwn(defaults, f.key, f.default);
    const v = formValue(f, Object.prototype.hasOwnProperty.call(fileValues, f.key) ? fileValues[f.key] : undefined);
    if (v !== undefined) setOwn(values, f.key, v);
    else if (f.default !== undefined) setOwn(values, f.key, f.default);
  }
  const name = manifestModel(doc).top.get('name')?.scalar;
  return {
    ok: true,
    existing: fileRead.text,
    form: {
      manifest: doc.path, cubeName: typeof name === 'string' && name ? name : plan.root.split('/').pop() ?? 'cube', task: plan.taskName,
      parametersFile: loc.file, schemaFile: loc.schema.path, source: loc.schema.kind, fields, values, defaults, notes,
    },
  };
}

export function runForm(doc: AnalyzedDocument, task: string, ctx: ServiceContext): RunFormResult {
  const b = build(doc, task, ctx);
  return b.ok ? { ok: true, form: b.form } : b;
}

export function runFormWrite(doc: AnalyzedDocument, task: string, values: Record<string, unknown>, ctx: ServiceContext): RunFormWriteResult {
  const b = build(doc, task, ctx);
  if (!b.ok) return { ...b, errors: {} };
  const errors = checkFormValues(b.form.fields, values);
  if (Object.keys(errors).length) return { ok: false, error: `${Object.keys(errors).length} value(s) are not valid: ${Object.values(errors).join(' ')}`, errors };
  const out: Record<string, unknown> = {};
  for (const f of b.form.fields) {
    const v = Object.prototype.hasOwnProperty.call(values, f.key) ? values[f.key] : undefined;
    if (v !== undefined && v !== '') setOwn(out, f.key, fileValue(f, v as FormValue));
    else if (v === '' && f.widget === 'text') setOwn(out, f.key, '');
  }
  return { ok: true, path: b.form.parametersFile, text: writeParameters(out, b.existing) };
}
