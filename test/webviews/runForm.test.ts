/**
 * The Run form's page (webviews/runform) in headless Chromium, driven through its message contract as the
 * extension drives it: one control per field (number, slider, dropdown, radio, switch, text), values typed and
 * picked for real (keyboard and pointer on the vscode-elements controls), each checked as it changes (the error
 * under the field, Run and Save disabled while one is wrong), `changed` posted with every change (what the
 * extension remembers per task) and kept in the view state, Save and Run posting the values, the extension's
 * own errors shown per field, busy and read-only forms, Reset to File / to Defaults, the values of another task
 * shown when its form is sent. CSP violations and page errors fail every test.
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { openWebview, startHarness, type WebviewHarness, type WebviewPage } from './harness';
import type { FormField, RunFormData, RunFormToWebview } from '../../shared/webview-protocol/runForm';

let h: WebviewHarness;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

const FIELDS: FormField[] = [
  { key: 'epochs', label: 'Epochs', widget: 'number', integer: true, min: 1, max: 100, step: 1, required: true, default: 10 },
  { key: 'lr', label: 'Learning rate', widget: 'slider', float: true, min: 0, max: 1, step: 0.05, default: 0.1, description: 'Step size of the optimiser' },
  { key: 'optimizer', label: 'Optimizer', widget: 'dropdown', options: [{ label: 'Adam', value: 'adam' }, { label: 'SGD', value: 'sgd' }], required: true, default: 'adam' },
  { key: 'batch', label: 'Batch size', widget: 'radio', options: [{ label: '32', value: 32 }, { label: '64', value: 64 }], default: 32 },
  { key: 'augment', label: 'Augment', widget: 'switch', default: false },
  { key: 'run_name', label: 'Run name', widget: 'text', maxLength: 8, minLength: 1, required: true, default: 'base' },
];

function form(over: Partial<RunFormData> = {}): RunFormData {
  return {
    title: 'mnist · train', task: 'train', manifestLabel: 'mnist/mlcube.yaml', parametersLabel: 'mnist/workspace/parameters.yaml',
    schemaLabel: 'mnist/workspace/gui_parameters.json', source: 'gui_parameters', fields: FIELDS,
    values: { epochs: 3, lr: 0.25, optimizer: 'sgd', batch: 64, augment: true, run_name: 'first' },
    fileValues: { epochs: 2, lr: 0.5, optimizer: 'adam', batch: 32, augment: false, run_name: 'file' },
    defaults: { epochs: 10, lr: 0.1, optimizer: 'adam', batch: 32, augment: false, run_name: 'base' },
    notes: ['learning_rate_decay is a graph: kept in the file as it is.'], readOnly: false, ...over,
  };
}

async function clean(p: WebviewPage): Promise<void> {
  assert.deepEqual(await p.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(p.errors, [], 'no page or console errors');
}

async function opened(data: RunFormData = form()): Promise<WebviewPage> {
  const p = await openWebview(h, 'runform');
  await p.send({ type: 'init', form: data } satisfies RunFormToWebview);
  await p.page.waitForSelector('.field[data-key="run_name"]');
  return p;
}

/** What the user reads under each field (key -> error text). */
const errors = (p: WebviewPage) => p.page.$$eval('.field', (fs) => Object.fromEntries(fs.map((f) => [(f as HTMLElement).dataset.key, f.querySelector('.error')?.textContent ?? ''])));
const disabled = (p: WebviewPage, id: string) => p.page.$eval(`#${id}`, (b) => (b as HTMLElement & { disabled: boolean }).disabled);
const status = (p: WebviewPage) => p.page.$eval('#status', (s) => s.textContent ?? '');
const lastPosted = async (p: WebviewPage, type: string) => (await p.posted()).filter((m) => m.type === type).at(-1);

/** The text field inside a vscode-textfield (its shadow root), as a user types into it. */
const input = (p: WebviewPage, key: string) => p.page.locator(`.field[data-key="${key}"] vscode-textfield input`);

test('runform: every widget drawn with its label and the values the extension sent', async () => {
  const p = await opened();
  const fields = await p.page.$$eval('.field', (fs) => fs.map((f) => `${(f as HTMLElement).dataset.key}:${(f as HTMLElement).dataset.widget}`));
  assert.deepEqual(fields, ['epochs:number', 'lr:slider', 'optimizer:dropdown', 'batch:radio', 'augment:switch', 'run_name:text']);
  assert.equal(await p.page.textContent('.title'), 'mnist · train');
  assert.match(await p.page.textContent('.meta') ?? '', /Writes mnist\/workspace\/parameters\.yaml · fields from MLExchange gui_parameters/);
  assert.equal(await p.page.textContent('.notes'), 'learning_rate_decay is a graph: kept in the file as it is.');
  assert.equal(await input(p, 'epochs').inputValue(), '3');
  assert.equal(await p.page.$eval('#field-1', (r) => (r as HTMLInputElement).value), '0.25');
  assert.equal(await p.page.textContent('.field[data-key="lr"] .slider-value'), '0.25');
  assert.equal(await p.page.$eval('#field-2', (s) => (s as HTMLElement & { value: string }).value), '1', 'SGD (option 1) selected');
  assert.deepEqual(await p.page.$$eval('#field-3 vscode-radio', (rs) => rs.map((r) => (r as HTMLElement & { checked: boolean }).checked)), [false, true]);
  assert.equal(await p.page.$eval('#field-4', (c) => (c as HTMLElement & { checked: boolean }).checked), true);
  assert.equal(await input(p, 'run_name').inputValue(), 'first');
  assert.equal(await p.page.textContent('.field[data-key="lr"] .description'), 'Step size of the optimiser');
  assert.equal(await p.page.textContent('.field[data-key="epochs"] .bounds'), 'min 1, max 100, step 1');
  assert.deepEqual(Object.values(await errors(p)).filter(Boolean), []);
  assert.equal(await disabled(p, 'run'), false);
  await clean(p);
  await p.page.close();
});

test('runform: a wrong value is shown under its field as it is typed, Run and Save wait until it is fixed', async () => {
  const p = await opened();
  await input(p, 'epochs').fill('0');
  assert.equal((await errors(p)).epochs, 'Epochs must be at least 1.');
  assert.equal(await disabled(p, 'run'), true);
  assert.equal(await disabled(p, 'save'), true);
  assert.equal(await status(p), '1 value is not valid.');
  assert.equal(await p.page.$eval('#field-0', (e) => e.getAttribute('aria-invalid')), 'true');
  await input(p, 'epochs').fill('2.5');
  assert.equal((await errors(p)).epochs, 'Epochs must be a whole number.');
  await input(p, 'run_name').fill('');
  assert.equal((await errors(p)).run_name, 'Run name is required.');
  assert.equal(await status(p), '2 values are not valid.');
  // Ctrl+Enter (run) does nothing while values are wrong.
  await p.page.keyboard.press('Control+Enter');
  assert.equal((await p.posted()).filter((m) => m.type === 'run').length, 0);
  await input(p, 'epochs').fill('7');
  await input(p, 'run_name').fill('second');
  assert.deepEqual(Object.values(await errors(p)).filter(Boolean), []);
  assert.equal(await disabled(p, 'run'), false);
  assert.equal(await status(p), '');
  const changed = await lastPosted(p, 'changed');
  assert.deepEqual(changed?.values, { epochs: 7, lr: 0.25, optimizer: 'sgd', batch: 64, augment: true, run_name: 'second' });
  assert.deepEqual(await p.state(), { values: changed?.values }, 'the view state keeps the values (hide and show)');
  await clean(p);
  await p.page.close();
});

test('runform: slider, dropdown, radio and switch changed by pointer and keyboard; Run posts the values', async () => {
  const p = await opened();
  const slider = p.page.locator('#field-1');
  await slider.focus();
  await p.page.keyboard.press('ArrowRight'); // one step of 0.05
  assert.equal(await p.page.textContent('.field[data-key="lr"] .slider-value'), '0.3');
  await p.page.locator('#field-2').click();
  await p.page.locator('#field-2').getByRole('option', { name: 'Adam' }).click();
  await p.page.locator('#field-3 vscode-radio').first().click();
  await p.page.locator('#field-4').click();
  const changed = await lastPosted(p, 'changed');
  assert.deepEqual(changed?.values, { epochs: 3, lr: 0.3, optimizer: 'adam', batch: 32, augment: false, run_name: 'first' });
  await p.page.locator('#run').click();
  const run = await p.waitForPosted('run');
  assert.deepEqual(run.values, changed?.values);
  assert.equal(await status(p), 'Writing the parameters file and starting the task…');
  await p.page.locator('#save').click();
  assert.deepEqual((await p.waitForPosted('save')).values, changed?.values);
  await clean(p);
  await p.page.close();
});

test('runform: the extension\'s answer: its errors per field, busy, the outcome; Reset to File and to Defaults', async () => {
  const p = await opened();
  await p.send({ type: 'busy', busy: true } satisfies RunFormToWebview);
  await p.page.waitForFunction(() => (document.getElementById('run') as HTMLElement & { disabled: boolean }).disabled);
  assert.equal(await disabled(p, 'reset-file'), true);
  await p.send({ type: 'result', ok: false, message: '1 value(s) are not valid: Run name must be one of the runs.', errors: { run_name: 'Run name must be one of the runs.' } } satisfies RunFormToWebview);
  await p.send({ type: 'busy', busy: false } satisfies RunFormToWebview);
  await p.page.waitForFunction(() => document.querySelector('.field[data-key="run_name"] .error')?.textContent !== '');
  assert.equal((await errors(p)).run_name, 'Run name must be one of the runs.');
  assert.match(await status(p), /Run name must be one of the runs/);
  assert.equal(await disabled(p, 'run'), true, 'blocked until the field changes');
  await input(p, 'run_name').fill('third');
  assert.equal((await errors(p)).run_name, '');
  assert.equal(await disabled(p, 'run'), false);
  await p.send({ type: 'result', ok: true, message: 'train finished: run r1 succeeded.', errors: {} } satisfies RunFormToWebview);
  await p.page.waitForFunction(() => document.getElementById('status')?.textContent === 'train finished: run r1 succeeded.');
  assert.equal(await p.page.$eval('#status', (s) => (s as HTMLElement).dataset.kind), 'ok');

  await p.page.locator('#reset-file').click();
  assert.equal(await input(p, 'epochs').inputValue(), '2');
  assert.equal(await input(p, 'run_name').inputValue(), 'file');
  assert.deepEqual((await lastPosted(p, 'changed'))?.values, form().fileValues);
  await p.page.locator('#reset-defaults').click();
  assert.equal(await input(p, 'epochs').inputValue(), '10');
  assert.equal(await p.page.$eval('#field-4', (c) => (c as HTMLElement & { checked: boolean }).checked), false);
  assert.deepEqual((await lastPosted(p, 'changed'))?.values, form().defaults);
  await p.page.locator('#open-parameters').click();
  assert.deepEqual(await lastPosted(p, 'openFile'), { type: 'openFile', which: 'parameters' });
  await clean(p);
  await p.page.close();
});

test('runform: values per task: another task\'s form shows its own values; a read-only form is filled, not run', async () => {
  const p = await opened();
  await input(p, 'epochs').fill('42');
  const other = form({ title: 'mnist · evaluate', task: 'evaluate', values: { epochs: 5, lr: 0.1, optimizer: 'adam', batch: 32, augment: false, run_name: 'ev' } });
  await p.send({ type: 'init', form: other } satisfies RunFormToWebview);
  await p.page.waitForFunction(() => document.querySelector('.title')?.textContent === 'mnist · evaluate');
  assert.equal(await input(p, 'epochs').inputValue(), '5');
  assert.deepEqual(await p.state(), { values: other.values });
  await p.send({ type: 'init', form: form({ readOnly: true }) } satisfies RunFormToWebview);
  await p.page.waitForFunction(() => document.querySelector('.title')?.textContent === 'mnist · train');
  assert.equal(await input(p, 'epochs').inputValue(), '3');
  assert.equal(await disabled(p, 'run'), true);
  assert.equal(await disabled(p, 'save'), true);
  assert.match(await status(p), /restricted/);
  await input(p, 'epochs').fill('4');
  assert.equal(((await lastPosted(p, 'changed'))?.values as Record<string, unknown> | undefined)?.epochs, 4, 'still remembered');
  await p.page.keyboard.press('Control+Enter');
  assert.equal((await p.posted()).filter((m) => m.type === 'run').length, 0);
  // Messages that do not fit the contract are dropped, the form stays.
  await p.send({ type: 'init', form: { title: 3 } });
  await p.send({ type: 'result', ok: 'yes' });
  assert.equal(await p.page.textContent('.title'), 'mnist · train');
  await clean(p);
  await p.page.close();
});
