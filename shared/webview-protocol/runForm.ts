/**
 * The Run form panel's message contract (extension <-> webviews/runform), the form's field model (also what
 * the language server's `cubelab/runForm` answers, shared/lsp-protocol.ts), and the value check both sides
 * run: the page to show errors as the user types, the extension (through the server) before a file is written.
 * A form comes from a task's parameter schema: MLExchange `gui_parameters` of an imported entry, or a
 * `parameters.schema.json` next to the parameters file (server/src/forms/).
 */
import { hasFields, isArrayOf, isBoolean, isNumber, isObject, isOptional, isString, isStringArray, messageValidator } from './guards';

export const RUN_FORM_VIEW_TYPE = 'cubelab.runForm';

export type FormValue = string | number | boolean;
export type FormWidget = 'number' | 'slider' | 'dropdown' | 'radio' | 'switch' | 'text';
export const FORM_WIDGETS: readonly FormWidget[] = ['number', 'slider', 'dropdown', 'radio', 'switch', 'text'];

export interface FormOption { label: string; value: FormValue }

export interface FormField {
  /** The key in the parameters file (`param_key`, or the JSON Schema property). */
  key: string;
  label: string;
  description?: string;
  widget: FormWidget;
  /** number and slider: whole numbers only. */
  integer?: boolean;
  /** number and slider: the value is written as a float (`2.0`), as the schema's type says. */
  float?: boolean;
  min?: number;
  max?: number;
  step?: number;
  /** dropdown and radio. */
  options?: FormOption[];
  required?: boolean;
  /** text: length bounds. (JSON Schema's `pattern` is not checked: a schema from a cloned repository could make a regular expression backtrack for minutes.) */
  minLength?: number;
  maxLength?: number;
  default?: FormValue;
}

/** What the form shows: the fields, the values to start from, and where they go. */
export interface RunFormData {
  /** `<cube name> · <task>`. */
  title: string;
  task: string;
  /** For display: the manifest and the parameters file, relative to the workspace folder when inside it. */
  manifestLabel: string;
  parametersLabel: string;
  schemaLabel: string;
  source: 'gui_parameters' | 'json-schema';
  fields: FormField[];
  values: Record<string, FormValue>;
  /** Values of the parameters file now (for "Reset to File"), and the schema's defaults. */
  fileValues: Record<string, FormValue>;
  defaults: Record<string, FormValue>;
  /** Fields of the schema that cannot be shown (kept in the file as they are). */
  notes: string[];
  /** The workspace is restricted: the form can be filled, not written or run. */
  readOnly: boolean;
}

export type RunFormToWebview =
  | { type: 'init'; form: RunFormData }
  /** The answer to a save or run: `errors` per field key (server-side check), `message` for the status line. */
  | { type: 'result'; ok: boolean; message: string; errors: Record<string, string> }
  | { type: 'busy'; busy: boolean };

export type RunFormFromWebview =
  | { type: 'ready' }
  /** The values as they are now (remembered per task, so the form opens with them next time). */
  | { type: 'changed'; values: Record<string, FormValue> }
  /** Writes the parameters file. */
  | { type: 'save'; values: Record<string, FormValue> }
  /** Writes the parameters file, then runs the task. */
  | { type: 'run'; values: Record<string, FormValue> }
  | { type: 'openFile'; which: 'parameters' | 'schema' };

export interface RunFormViewState { values: Record<string, FormValue> }

export const isFormValue = (v: unknown): v is FormValue => isString(v) || isNumber(v) || isBoolean(v);
const isValues = (v: unknown): v is Record<string, FormValue> => isObject(v) && Object.keys(v).length <= 1000 && Object.values(v).every(isFormValue);
const isOption = (v: unknown): v is FormOption => hasFields(v, { label: isString, value: isFormValue });

export function isFormField(v: unknown): v is FormField {
  return hasFields(v, {
    key: isString, label: isString, description: isOptional(isString), widget: (w) => FORM_WIDGETS.includes(w as FormWidget),
    integer: isOptional(isBoolean), float: isOptional(isBoolean), min: isOptional(isNumber), max: isOptional(isNumber), step: isOptional(isNumber),
    options: isOptional(isArrayOf(isOption)), required: isOptional(isBoolean),
    minLength: isOptional(isNumber), maxLength: isOptional(isNumber), default: isOptional(isFormValue),
  });
}

export function isRunFormData(v: unknown): v is RunFormData {
  return hasFields(v, {
    title: isString, task: isString, manifestLabel: isString, parametersLabel: isString, schemaLabel: isString,
    source: (s) => s === 'gui_parameters' || s === 'json-schema', fields: isArrayOf(isFormField), values: isValues,
    fileValues: isValues, defaults: isValues, notes: isStringArray, readOnly: isBoolean,
  });
}

export const isRunFormToWebview = messageValidator<RunFormToWebview>({
  init: { form: isRunFormData },
  result: { ok: isBoolean, message: isString, errors: (e) => isObject(e) && Object.values(e).every(isString) },
  busy: { busy: isBoolean },
});

export const isRunFormFromWebview = messageValidator<RunFormFromWebview>({
  ready: {},
  changed: { values: isValues },
  save: { values: isValues },
  run: { values: isValues },
  openFile: { which: (w) => w === 'parameters' || w === 'schema' },
});

export const isRunFormViewState = (v: unknown): v is RunFormViewState => hasFields(v, { values: isValues });

const sameValue = (a: FormValue, b: FormValue): boolean => a === b || (typeof a === 'number' && typeof b === 'number' && a === b);

/**
 * Checks values against the fields: types, bounds, steps, options, lengths, required fields. Returns a
 * message per field key that is wrong; unknown keys are errors too (nothing unasked is written).
 */
export function checkFormValues(fields: readonly FormField[], values: Record<string, unknown>): Record<string, string> {
  // A map, then own properties whatever the key (`__proto__` included): no message is lost to the prototype.
  const errors = new Map<string, string>();
  const byKey = new Map(fields.map((f) => [f.key, f]));
  for (const k of Object.keys(values)) if (!byKey.has(k)) errors.set(k, `"${k}" is not a field of this form.`);
  for (const f of fields) {
    const v = Object.prototype.hasOwnProperty.call(values, f.key) ? values[f.key] : undefined;
    if (v === undefined || v === '') {
      if (f.required && !(f.widget === 'text' && v === '' && !f.minLength)) errors.set(f.key, `${f.label} is required.`);
      continue;
    }
    switch (f.widget) {
      case 'number':
      case 'slider': {
        if (typeof v !== 'number' || !Number.isFinite(v)) { errors.set(f.key, `${f.label} must be a number.`); break; }
        if (f.integer && !Number.isInteger(v)) { errors.set(f.key, `${f.label} must be a whole number.`); break; }
        if (f.min !== undefined && v < f.min) { errors.set(f.key, `${f.label} must be at least ${f.min}.`); break; }
        if (f.max !== undefined && v > f.max) { errors.set(f.key, `${f.label} must be at most ${f.max}.`); break; }
        if (f.step !== undefined && f.step > 0) {
          const base = f.min ?? 0;
          const n = (v - base) / f.step;
          if (Math.abs(n - Math.round(n)) > 1e-9 * Math.max(1, Math.abs(n))) errors.set(f.key, `${f.label} must be ${base} plus a multiple of ${f.step}.`);
        }
        break;
      }
      case 'switch':
        if (typeof v !== 'boolean') errors.set(f.key, `${f.label} must be on or off.`);
        break;
      case 'dropdown':
      case 'radio':
        if (!isFormValue(v) || !(f.options ?? []).some((o) => sameValue(o.value, v))) errors.set(f.key, `${f.label} must be one of: ${(f.options ?? []).map((o) => o.label).join(', ')}.`);
        break;
      case 'text': {
        if (typeof v !== 'string') { errors.set(f.key, `${f.label} must be text.`); break; }
        if (f.minLength !== undefined && v.length < f.minLength) { errors.set(f.key, `${f.label} must have at least ${f.minLength} characters.`); break; }
        if (f.maxLength !== undefined && v.length > f.maxLength) errors.set(f.key, `${f.label} must have at most ${f.maxLength} characters.`);
        break;
      }
    }
  }
  return Object.fromEntries(errors);
}
