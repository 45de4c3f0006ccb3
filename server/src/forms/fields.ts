/**
 * Form fields from a parameter schema (docs/interop.md §3): MLExchange `gui_parameters` descriptors
 * (int, float, str, slider, dropdown, radio, bool; the newer `data` for options and `checked` for bools), or a
 * JSON Schema object (`integer`/`number` with `minimum`/`maximum`/`multipleOf`, `string` with
 * `minLength`/`maxLength`, `boolean`, `enum` or `oneOf` of `const`s with `title`s, `default`, `required`;
 * `x-widget` picks `slider`, `radio`, `dropdown`, `switch`, `text` or `number`). What cannot be a field
 * (a graph, an object, a list) is named in the notes and stays in the file as it is.
 */
import { FORM_WIDGETS, isFormValue, type FormField, type FormOption, type FormValue, type FormWidget } from '../../../shared/webview-protocol/runForm';
import { PyFloat, isFloatValue, numberOf } from '../interop/pyValues';

const isDict = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const finite = (v: unknown): number | undefined => { const n = numberOf(v); return n !== undefined && Number.isFinite(n) ? n : undefined; };
const text = (v: unknown, max = 200): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
export const MAX_FIELDS = 500;

/** A value as the page handles it: PyFloat as a number; numeric strings of number fields as numbers. */
export function formValue(field: FormField | undefined, v: unknown): FormValue | undefined {
  if (v instanceof PyFloat) return v.value;
  if (field && (field.widget === 'number' || field.widget === 'slider') && typeof v === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
  return isFormValue(v) ? v : undefined;
}

/** A checked value as it goes into the parameters file: a whole number of a float field stays a float (`2.0`). */
export function fileValue(field: FormField, v: FormValue): unknown {
  if (typeof v === 'number' && field.float && Number.isInteger(v)) return new PyFloat(v);
  return v;
}

function optionsOf(list: unknown): FormOption[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: FormOption[] = [];
  for (const o of list.slice(0, 1000)) {
    if (isDict(o)) {
      const value = o.value instanceof PyFloat ? o.value.value : o.value;
      if (isFormValue(value)) out.push({ label: text(o.label) ?? String(value), value });
    } else if (isFormValue(o)) out.push({ label: String(o), value: o });
  }
  return out;
}

/** Fields from MLExchange gui_parameters descriptors. */
export function fieldsFromGui(list: unknown): { fields: FormField[]; notes: string[] } {
  const fields: FormField[] = [];
  const notes: string[] = [];
  if (!Array.isArray(list)) return { fields, notes: ['gui_parameters.json is not a list of descriptors.'] };
  const seen = new Set<string>();
  for (const [i, p] of list.entries()) {
    if (fields.length >= MAX_FIELDS) { notes.push(`Only the first ${MAX_FIELDS} parameters are shown.`); break; }
    if (!isDict(p)) { notes.push(`gui_parameters[${i}] is not an object: not shown.`); continue; }
    const key = text(p.param_key, 500) || text(p.name, 500);
    if (!key) { notes.push(`gui_parameters[${i}] has neither param_key nor name: not shown.`); continue; }
    if (seen.has(key)) { notes.push(`"${key}" appears twice in gui_parameters: the form shows the first.`); continue; }
    const type = text(p.type) ?? '';
    const label = text(p.title) || key;
    const value = 'value' in p ? p.value : p.checked;
    const base = { key, label, ...(text(p.description) ? { description: text(p.description, 2000) } : {}) };
    const bounds = { ...(finite(p.min) !== undefined ? { min: finite(p.min) } : {}), ...(finite(p.max) !== undefined ? { max: finite(p.max) } : {}), ...(finite(p.step) !== undefined && (finite(p.step) as number) > 0 ? { step: finite(p.step) } : {}) };
    let f: FormField | undefined;
    switch (type) {
      case 'int': f = { ...base, widget: 'number', integer: true, ...bounds }; break;
      case 'float': f = { ...base, widget: 'number', float: true, ...bounds }; break;
      case 'slider': {
        const float = [p.min, p.max, p.step, value].some(isFloatValue);
        f = { ...base, widget: 'slider', ...(float ? { float: true } : { integer: true }), ...bounds };
        break;
      }
      case 'str': f = { ...base, widget: 'text' }; break;
      case 'dropdown': f = { ...base, widget: 'dropdown', options: optionsOf(p.options ?? p.data) ?? [] }; break;
      case 'radio': f = { ...base, widget: 'radio', options: optionsOf(p.options ?? p.data) ?? [] }; break;
      case 'bool': f = { ...base, widget: 'switch' }; break;
      default: notes.push(`"${label}" is a ${type || 'typeless'} component, not a value: not shown.`); continue;
    }
    const d = formValue(f, value);
    if (d !== undefined) f.default = d;
    seen.add(key);
    fields.push(f);
  }
  return { fields, notes };
}

/** Fields from a JSON Schema of the parameters file (an object schema with `properties`). */
export function fieldsFromJsonSchema(schema: unknown): { fields: FormField[]; notes: string[] } {
  const fields: FormField[] = [];
  const notes: string[] = [];
  if (!isDict(schema) || !isDict(schema.properties)) return { fields, notes: ['The schema has no "properties": nothing to show.'] };
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((x): x is string => typeof x === 'string') : []);
  for (const [key, s] of Object.entries(schema.properties)) {
    if (fields.length >= MAX_FIELDS) { notes.push(`Only the first ${MAX_FIELDS} properties are shown.`); break; }
    if (!isDict(s)) { notes.push(`"${key}": its schema is not an object: not shown.`); continue; }
    const types = (Array.isArray(s.type) ? s.type : [s.type]).filter((t) => t !== 'null');
    const type = typeof types[0] === 'string' ? types[0] : undefined;
    const widgetWanted = typeof s['x-widget'] === 'string' && FORM_WIDGETS.includes(s['x-widget'] as FormWidget) ? s['x-widget'] as FormWidget : undefined;
    const base = { key, label: text(s.title) || key, ...(text(s.description) ? { description: text(s.description, 2000) } : {}), ...(required.has(key) ? { required: true } : {}) };
    let options: FormOption[] | undefined;
    if (Array.isArray(s.enum)) options = optionsOf(s.enum);
    else if (Array.isArray(s.oneOf) && s.oneOf.every((o) => isDict(o) && 'const' in o)) {
      options = optionsOf((s.oneOf as Record<string, unknown>[]).map((o) => ({ value: o.const, label: text(o.title) ?? String(o.const) })));
    }
    let f: FormField | undefined;
    if (options) f = { ...base, widget: widgetWanted === 'radio' ? 'radio' : 'dropdown', options };
    else if (type === 'integer' || type === 'number') {
      const min = finite(s.minimum);
      const max = finite(s.maximum);
      const step = finite(s.multipleOf);
      const widget: FormWidget = widgetWanted === 'slider' && min !== undefined && max !== undefined ? 'slider' : 'number';
      f = { ...base, widget, ...(type === 'integer' ? { integer: true } : { float: true }), ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), ...(step !== undefined && step > 0 ? { step } : {}) };
      if (widgetWanted === 'slider' && widget !== 'slider') notes.push(`"${key}" asks for a slider but has no minimum and maximum: shown as a number.`);
    } else if (type === 'boolean') f = { ...base, widget: 'switch' };
    else if (type === 'string') {
      const minLength = finite(s.minLength);
      const maxLength = finite(s.maxLength);
      f = { ...base, widget: 'text', ...(minLength !== undefined ? { minLength } : {}), ...(maxLength !== undefined ? { maxLength } : {}) };
    } else { notes.push(`"${key}" is ${type ? `of type ${type}` : 'untyped'}: not shown (it stays in the file as it is).`); continue; }
    const d = formValue(f, s.default);
    if (d !== undefined) f.default = d;
    fields.push(f);
  }
  return { fields, notes };
}
