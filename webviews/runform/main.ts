/**
 * The Run form (webview): one control per field of a task's parameter schema (vscode-elements text fields,
 * dropdowns, radios and toggle switches; a native range input for sliders, which vscode-elements lacks), each
 * value checked as it is typed with the same check the extension runs before writing (shared/webview-protocol/
 * runForm.ts). Save writes the parameters file, Run writes it and runs the task; both stay disabled while a
 * value is wrong. Every change is posted (`changed`) so the extension remembers the last values per task.
 */
import './style.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { VscodeRadio } from '@vscode-elements/elements/dist/vscode-radio/vscode-radio.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import {
  checkFormValues, isRunFormToWebview, isRunFormViewState,
  type FormField, type FormValue, type RunFormData, type RunFormFromWebview, type RunFormToWebview, type RunFormViewState,
} from '../../shared/webview-protocol/runForm';
import { connectToHost, el } from '../shared/host';

const host = connectToHost<RunFormToWebview, RunFormFromWebview, RunFormViewState>(isRunFormToWebview, isRunFormViewState);

let form: RunFormData | undefined;
let values: Record<string, FormValue> = {};
/** The extension's check of the last save or run, per key; cleared for a key when its value changes. */
let serverErrors: Record<string, string> = {};
let busy = false;
/** Per key: puts a value into the control (Reset) and shows its error. */
const controls = new Map<string, { set(v: FormValue | undefined): void; error: HTMLElement; row: HTMLElement; control: Element | null }>();

const app = document.getElementById('app') as HTMLElement;
const header = el('header', 'header');
const titleEl = el('h1', 'title');
const meta = el('div', 'meta');
header.append(titleEl, meta);
const notesEl = el('ul', 'notes');
const fieldsEl = el('div', 'fields');
fieldsEl.setAttribute('role', 'group');
const actions = el('div', 'actions');
const runButton = document.createElement('vscode-button') as VscodeButton;
runButton.id = 'run';
runButton.textContent = 'Run';
runButton.setAttribute('icon', 'play');
const saveButton = document.createElement('vscode-button') as VscodeButton;
saveButton.id = 'save';
saveButton.textContent = 'Save';
saveButton.secondary = true;
const resetFile = document.createElement('vscode-button') as VscodeButton;
resetFile.id = 'reset-file';
resetFile.textContent = 'Reset to File';
resetFile.secondary = true;
const resetDefaults = document.createElement('vscode-button') as VscodeButton;
resetDefaults.id = 'reset-defaults';
resetDefaults.textContent = 'Reset to Defaults';
resetDefaults.secondary = true;
actions.append(runButton, saveButton, resetFile, resetDefaults);
const statusEl = el('div', 'status');
statusEl.id = 'status';
statusEl.setAttribute('role', 'status');
statusEl.setAttribute('aria-live', 'polite');
app.append(header, notesEl, fieldsEl, actions, statusEl);

const own = (o: Record<string, FormValue>, k: string): FormValue | undefined => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

function setValue(key: string, v: FormValue | undefined): void {
  const next = new Map(Object.entries(values));
  if (v === undefined) next.delete(key); else next.set(key, v);
  // Own properties whatever the key (a `__proto__` field stays a field).
  values = {};
  for (const [k, x] of next) Object.defineProperty(values, k, { value: x, enumerable: true, writable: true, configurable: true });
}

function changed(key: string, v: FormValue | undefined): void {
  setValue(key, v);
  if (Object.prototype.hasOwnProperty.call(serverErrors, key)) {
    const rest = { ...serverErrors };
    delete rest[key];
    serverErrors = rest;
  }
  host.setState({ values });
  host.post({ type: 'changed', values });
  delete statusEl.dataset.sticky; // the extension's message was about the values before this change
  showErrors();
}

/** A number typed in a text field: '' when empty, the text itself when it is not a number (so the check says so). */
function parseNumber(text: string): FormValue {
  const t = text.trim();
  if (t === '') return '';
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

function numberControl(f: FormField, row: HTMLElement, id: string): (v: FormValue | undefined) => void {
  const input = document.createElement('vscode-textfield') as VscodeTextfield;
  input.id = id;
  input.type = 'number';
  if (f.min !== undefined) input.min = f.min;
  if (f.max !== undefined) input.max = f.max;
  if (f.step !== undefined) input.step = f.step;
  else if (f.integer) input.step = 1;
  input.addEventListener('input', () => changed(f.key, parseNumber(input.value)));
  row.append(input);
  return (v) => { input.value = v === undefined ? '' : String(v); };
}

function sliderControl(f: FormField, row: HTMLElement, id: string): (v: FormValue | undefined) => void {
  const wrap = el('div', 'slider');
  const range = document.createElement('input');
  range.type = 'range';
  range.id = id;
  range.min = String(f.min ?? 0);
  range.max = String(f.max ?? 100);
  range.step = f.step !== undefined ? String(f.step) : f.integer ? '1' : 'any';
  const shown = el('output', 'slider-value');
  shown.htmlFor.add(id);
  range.addEventListener('input', () => { shown.textContent = range.value; changed(f.key, Number(range.value)); });
  wrap.append(range, shown);
  row.append(wrap);
  return (v) => { range.value = typeof v === 'number' ? String(v) : range.min; shown.textContent = typeof v === 'number' ? String(v) : ''; };
}

function dropdownControl(f: FormField, row: HTMLElement, id: string): (v: FormValue | undefined) => void {
  const select = document.createElement('vscode-single-select') as VscodeSingleSelect;
  select.id = id;
  const options = f.options ?? [];
  // Option values may be numbers or booleans: the select holds their index.
  if (!f.required) {
    const none = document.createElement('vscode-option');
    none.setAttribute('value', '');
    none.textContent = '(none)';
    select.append(none);
  }
  options.forEach((o, i) => {
    const opt = document.createElement('vscode-option');
    opt.setAttribute('value', String(i));
    opt.textContent = o.label;
    select.append(opt);
  });
  select.addEventListener('change', () => {
    const o = select.value === '' ? undefined : options[Number(select.value)];
    changed(f.key, o ? o.value : '');
  });
  row.append(select);
  return (v) => {
    const i = options.findIndex((o) => o.value === v);
    select.value = i >= 0 ? String(i) : '';
  };
}

function radioControl(f: FormField, row: HTMLElement, id: string): (v: FormValue | undefined) => void {
  const group = document.createElement('vscode-radio-group');
  group.id = id;
  const options = f.options ?? [];
  const radios = options.map((o, i) => {
    const r = document.createElement('vscode-radio') as VscodeRadio;
    r.name = `radio-${id}`;
    r.value = String(i);
    r.label = o.label;
    r.addEventListener('change', () => { if (r.checked) changed(f.key, o.value); });
    group.append(r);
    return r;
  });
  row.append(group);
  return (v) => { options.forEach((o, i) => { (radios[i] as VscodeRadio).checked = o.value === v; }); };
}

function switchControl(f: FormField, row: HTMLElement, id: string): (v: FormValue | undefined) => void {
  const box = document.createElement('vscode-checkbox') as VscodeCheckbox;
  box.id = id;
  box.toggle = true;
  box.label = f.label;
  box.addEventListener('change', () => changed(f.key, box.checked));
  row.append(box);
  return (v) => { box.checked = v === true; };
}

function textControl(f: FormField, row: HTMLElement, id: string): (v: FormValue | undefined) => void {
  const input = document.createElement('vscode-textfield') as VscodeTextfield;
  input.id = id;
  if (f.maxLength !== undefined) input.maxLength = f.maxLength;
  input.addEventListener('input', () => changed(f.key, input.value));
  row.append(input);
  return (v) => { input.value = v === undefined ? '' : String(v); };
}

const MAKERS: Record<FormField['widget'], (f: FormField, row: HTMLElement, id: string) => (v: FormValue | undefined) => void> = {
  number: numberControl, slider: sliderControl, dropdown: dropdownControl, radio: radioControl, switch: switchControl, text: textControl,
};

function render(data: RunFormData): void {
  form = data;
  controls.clear();
  titleEl.textContent = data.title;
  meta.replaceChildren();
  const fileLink = el('a', 'file-link', data.parametersLabel);
  fileLink.href = '#';
  fileLink.id = 'open-parameters';
  fileLink.addEventListener('click', (e) => { e.preventDefault(); host.post({ type: 'openFile', which: 'parameters' }); });
  const schemaLink = el('a', 'file-link', data.schemaLabel);
  schemaLink.href = '#';
  schemaLink.id = 'open-schema';
  schemaLink.addEventListener('click', (e) => { e.preventDefault(); host.post({ type: 'openFile', which: 'schema' }); });
  meta.append(el('span', undefined, 'Writes '), fileLink, el('span', undefined, ` · fields from ${data.source === 'gui_parameters' ? 'MLExchange gui_parameters' : 'a JSON Schema'} `), schemaLink,
    el('span', undefined, ` · manifest ${data.manifestLabel}`));
  notesEl.replaceChildren(...data.notes.map((n) => el('li', undefined, n)));
  notesEl.hidden = data.notes.length === 0;
  fieldsEl.replaceChildren();
  data.fields.forEach((f, i) => {
    const id = `field-${i}`;
    const row = el('div', 'field');
    row.dataset.key = f.key;
    row.dataset.widget = f.widget;
    if (f.widget !== 'switch') {
      const label = el('label', 'label', f.label + (f.required ? ' *' : ''));
      label.htmlFor = id;
      label.id = `${id}-label`;
      row.append(label);
    }
    const set = MAKERS[f.widget](f, row, id);
    const control = row.querySelector(`#${id}`);
    if (f.description) {
      const d = el('div', 'description', f.description);
      d.id = `${id}-description`;
      row.append(d);
      control?.setAttribute('aria-describedby', `${id}-description ${id}-error`);
    } else control?.setAttribute('aria-describedby', `${id}-error`);
    if (f.widget !== 'switch') control?.setAttribute('aria-labelledby', `${id}-label`);
    const bounds = [f.min !== undefined ? `min ${f.min}` : '', f.max !== undefined ? `max ${f.max}` : '', f.step !== undefined ? `step ${f.step}` : ''].filter(Boolean).join(', ');
    if (bounds) row.append(el('div', 'bounds', bounds));
    const error = el('div', 'error');
    error.id = `${id}-error`;
    error.setAttribute('role', 'alert');
    row.append(error);
    fieldsEl.append(row);
    controls.set(f.key, { set, error, row, control });
    set(own(values, f.key));
  });
  showErrors();
}

function fillAll(from: Record<string, FormValue>): void {
  if (!form) return;
  values = {};
  for (const f of form.fields) {
    const v = own(from, f.key);
    if (v !== undefined) setValue(f.key, v);
    controls.get(f.key)?.set(v);
  }
  serverErrors = {};
  host.setState({ values });
  host.post({ type: 'changed', values });
  showErrors();
}

function showErrors(): void {
  if (!form) return;
  const local = checkFormValues(form.fields, values);
  let count = 0;
  for (const [key, c] of controls) {
    const has = (o: Record<string, string>) => (Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined);
    const msg = has(local) ?? has(serverErrors);
    c.error.textContent = msg ?? '';
    c.row.classList.toggle('invalid', !!msg);
    c.control?.setAttribute('aria-invalid', msg ? 'true' : 'false');
    if (msg) count++;
  }
  const blocked = count > 0 || busy || form.readOnly;
  runButton.disabled = blocked;
  saveButton.disabled = blocked;
  resetFile.disabled = busy;
  resetDefaults.disabled = busy;
  app.dataset.errors = String(count);
  if (form.readOnly) setStatus('The workspace is restricted: the form can be filled in, not saved or run. Trust the workspace to run it.', 'info');
  else if (statusEl.dataset.sticky) { /* the extension's answer stays until a value changes */ }
  else if (count) setStatus(`${count} value${count === 1 ? ' is' : 's are'} not valid.`, 'error');
  else if (statusEl.dataset.kind === 'error') setStatus('', 'info');
}

function setStatus(text: string, kind: 'info' | 'error' | 'ok', sticky = false): void {
  statusEl.textContent = text;
  statusEl.dataset.kind = kind;
  if (sticky) statusEl.dataset.sticky = '1'; else delete statusEl.dataset.sticky;
}

function submit(type: 'save' | 'run'): void {
  if (!form || busy || form.readOnly) return;
  if (Object.keys(checkFormValues(form.fields, values)).length) { showErrors(); return; }
  host.post({ type, values });
  setStatus(type === 'run' ? 'Writing the parameters file and starting the task…' : 'Writing the parameters file…', 'info');
}

runButton.addEventListener('click', () => submit('run'));
saveButton.addEventListener('click', () => submit('save'));
resetFile.addEventListener('click', () => { if (form) fillAll(form.fileValues); });
resetDefaults.addEventListener('click', () => { if (form) fillAll(form.defaults); });
// Ctrl/Cmd+Enter runs, as in VS Code's other forms.
document.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit('run'); } });

host.onMessage((m) => {
  switch (m.type) {
    case 'init': {
      values = {};
      for (const [k, v] of Object.entries(m.form.values)) setValue(k, v);
      serverErrors = {};
      busy = false;
      setStatus('', 'info');
      render(m.form);
      host.setState({ values });
      break;
    }
    case 'result':
      serverErrors = m.errors;
      setStatus(m.message, m.ok ? 'ok' : 'error', true);
      showErrors();
      break;
    case 'busy':
      busy = m.busy;
      app.dataset.busy = String(busy);
      showErrors();
      break;
  }
});

host.post({ type: 'ready' });
