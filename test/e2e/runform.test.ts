/**
 * Run with Form… in a real VS Code (code-server in headless Chromium) against the real Docker engine: a cube whose
 * parameters file has MLExchange gui_parameters beside it gets the "Run with Form…" lens; the form opens with the
 * file's values, a wrong value typed shows its error and holds Run back, fixed values are run: the parameters file
 * on disk holds them (other keys and comments kept), the task ran in its terminal and read them (its output), the
 * Runs tree shows it succeeded. Values typed after the run and not saved come back when the form is opened again
 * (kept per task), and a second task's form has its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot, tempDir } from './helpers/codeServer';
import { quickOpen, runCommand, screenshot } from './helpers/workbench';
import { codeServerSuite, withEvidence } from './helpers/suite';

// The task prints the parameters file it was given and copies it to its output (busybox: the offline test image;
// no `${…}` in an entrypoint: mlcube's OmegaConf would read it as an interpolation).
const MANIFEST = `name: form-e2e
docker:
  image: cubelab-test/busybox:1
  cpu_args: --network=none
tasks:
  train:
    entrypoint: /bin/sh -c 'for a in "$0" "$@"; do case "$a" in --parameters_file=*) p="$(echo "$a" | cut -d= -f2)";; --out=*) o="$(echo "$a" | cut -d= -f2)";; esac; done; echo "params:"; cat "$p"; cp "$p" "$o/used.yaml"'
    parameters:
      inputs:
        parameters_file: {type: file, default: parameters.yaml}
      outputs:
        out: {type: directory, default: out}
  evaluate:
    entrypoint: /bin/sh -c 'cat "$(echo "$0" | cut -d= -f2)"'
    parameters:
      inputs:
        parameters_file: {type: file, default: eval/parameters.yaml}
`;

const PARAMETERS = `# training parameters (kept by the form)
epochs: 2
learning_rate: 0.5
optimizer: adam
augment: false
notes: kept as it is
`;

const GUI = [
  { type: 'int', name: 'epochs', title: 'Epochs', param_key: 'epochs', value: 10, min: 1, max: 50, comp_group: 'train_model' },
  { type: 'slider', name: 'learning_rate', title: 'Learning rate', param_key: 'learning_rate', value: 0.1, min: 0.0, max: 1.0, step: 0.05, comp_group: 'train_model' },
  { type: 'dropdown', name: 'optimizer', title: 'Optimizer', param_key: 'optimizer', value: 'adam', options: [{ label: 'Adam', value: 'adam' }, { label: 'SGD', value: 'sgd' }], comp_group: 'train_model' },
  { type: 'bool', name: 'augment', title: 'Augment', param_key: 'augment', value: false, comp_group: 'train_model' },
];

const suite = codeServerSuite(() => execFileSync('bash', [join(repoRoot, 'test/env/setup-docker.sh')], { stdio: 'inherit' }));

function docker(args: string[]): string {
  return execFileSync('/usr/bin/docker', args, { encoding: 'utf8' }).trim();
}

function cube(): string {
  const folder = tempDir('runform');
  mkdirSync(join(folder, 'workspace', 'eval'), { recursive: true });
  writeFileSync(join(folder, 'mlcube.yaml'), MANIFEST);
  writeFileSync(join(folder, 'workspace', 'parameters.yaml'), PARAMETERS);
  writeFileSync(join(folder, 'workspace', 'gui_parameters.json'), JSON.stringify(GUI, null, 2));
  writeFileSync(join(folder, 'workspace', 'eval', 'parameters.yaml'), 'epochs: 4\n');
  writeFileSync(join(folder, 'workspace', 'eval', 'gui_parameters.json'), JSON.stringify([GUI[0]]));
  suite.onCleanup(() => {
    const ids = docker(['ps', '-aq', '--filter', `label=org.cubelab.manifest=${join(folder, 'mlcube.yaml')}`]).split('\n').filter(Boolean);
    if (ids.length) docker(['rm', '-f', ...ids]);
    rmSync(folder, { recursive: true, force: true });
  });
  return folder;
}

/** The Run form's page: VS Code hosts a webview in an iframe holding the page's own iframe. */
function formFrame(page: Page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

async function clickLens(page: Page, title: string, nth: number): Promise<void> {
  const lens = page.locator('.monaco-editor .codelens-decoration a').filter({ hasText: title }).nth(nth);
  await lens.waitFor({ state: 'visible', timeout: 60_000 });
  await lens.click();
}

function runRow(page: Page, task: string) {
  const pane = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /^\s*Runs/ }) });
  return pane.locator('.monaco-list-row').filter({ has: page.locator('.label-name').getByText(task, { exact: true }) }).first();
}

test('Run with Form…: values checked as typed, the parameters file written, the task run with them; last values kept per task', { timeout: 300_000 }, async () => {
  const folder = cube();
  const session = await suite.open(folder, { 'terminal.integrated.gpuAcceleration': 'off' });
  const { page } = session;
  await withEvidence(session, 'runform-failed', async () => {
    await quickOpen(page, 'mlcube.yaml');
    // Both tasks have a schema beside their parameters file: both get the lens.
    await clickLens(page, 'Run with Form…', 0);
    const form = formFrame(page);
    await form.locator('.title').filter({ hasText: 'form-e2e · train' }).waitFor({ timeout: 60_000 });
    assert.match(await form.locator('.meta').innerText(), /Writes workspace\/parameters\.yaml · fields from MLExchange gui_parameters/);
    const epochs = form.locator('.field[data-key="epochs"] vscode-textfield input');
    assert.equal(await epochs.inputValue(), '2', 'the file\'s value, not the schema\'s default');
    assert.equal(await form.locator('.field[data-key="learning_rate"] .slider-value').innerText(), '0.5');

    // A wrong value: its error under the field, Run held back.
    await epochs.fill('0');
    await form.locator('.field[data-key="epochs"] .error').filter({ hasText: 'Epochs must be at least 1.' }).waitFor({ timeout: 10_000 });
    assert.equal(await form.locator('#run').evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true);
    await screenshot(page, 'runform-invalid');

    // Fixed, and the other controls used: dropdown by pointer, switch, slider by keyboard.
    await epochs.fill('7');
    await form.locator('.field[data-key="epochs"]:not(.invalid)').waitFor({ timeout: 10_000 });
    await form.locator('#field-2').click();
    await form.locator('#field-2').getByRole('option', { name: 'SGD' }).click();
    await form.locator('#field-3').click();
    await form.locator('#field-1').focus();
    await page.keyboard.press('ArrowLeft'); // 0.5 - 0.05
    assert.equal(await form.locator('.field[data-key="learning_rate"] .slider-value').innerText(), '0.45');
    await form.locator('#run').click();

    // The form reports the run's end; the terminal shows what the task read; the Runs tree has it.
    await form.locator('#status').filter({ hasText: /^train finished: run \S+ succeeded\.$/ }).waitFor({ timeout: 120_000 });
    await page.locator('.xterm-rows').filter({ hasText: 'epochs: 7' }).first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'runform-ran');
  });

  // The parameters file: the new values, the comment and the key the form does not show kept.
  const written = readFileSync(join(folder, 'workspace', 'parameters.yaml'), 'utf8');
  assert.match(written, /^# training parameters \(kept by the form\)$/m);
  assert.match(written, /^epochs: 7$/m);
  assert.match(written, /^learning_rate: 0\.45$/m);
  assert.match(written, /^optimizer: sgd$/m);
  assert.match(written, /^augment: true$/m);
  assert.match(written, /^notes: kept as it is$/m);
  // What the task itself read, copied to its output, is that file.
  assert.equal(readFileSync(join(folder, 'workspace', 'out', 'used.yaml'), 'utf8'), written);
  const runs = join(folder, '.cubelab', 'runs');
  const records = readdirSync(runs).filter((d) => existsSync(join(runs, d, 'run.json'))).map((d) => JSON.parse(readFileSync(join(runs, d, 'run.json'), 'utf8')) as { task: string; status: string });
  assert.deepEqual(records.map((r) => [r.task, r.status]), [['train', 'succeeded']]);

  await withEvidence(session, 'runform-kept-failed', async () => {
    await runCommand(page, 'View: Show CubeLab');
    await runRow(page, 'train').locator('.label-description').getByText(/succeeded/).waitFor({ timeout: 30_000 });
    // Typed, not saved, the panel closed: the next form of the task starts from these values.
    await page.locator('.tabs-container .tab').filter({ hasText: 'Run train with Form' }).first().click();
    const form = formFrame(page);
    await form.locator('.field[data-key="epochs"] vscode-textfield input').fill('9');
    await page.waitForTimeout(500); // the page posts each change; give the extension host its turn
    await runCommand(page, 'View: Close Editor');
    await page.locator('.tabs-container .tab').filter({ hasText: 'Run train with Form' }).waitFor({ state: 'detached', timeout: 10_000 });
    await quickOpen(page, 'mlcube.yaml');
    await clickLens(page, 'Run with Form…', 0);
    const again = formFrame(page);
    await again.locator('.title').filter({ hasText: 'form-e2e · train' }).waitFor({ timeout: 60_000 });
    assert.equal(await again.locator('.field[data-key="epochs"] vscode-textfield input').inputValue(), '9');
    await runCommand(page, 'View: Close Editor');
    // The other task: its own file's value.
    await quickOpen(page, 'mlcube.yaml');
    await clickLens(page, 'Run with Form…', 1);
    const other = formFrame(page);
    await other.locator('.title').filter({ hasText: 'form-e2e · evaluate' }).waitFor({ timeout: 60_000 });
    assert.equal(await other.locator('.field[data-key="epochs"] vscode-textfield input').inputValue(), '4');
    await screenshot(page, 'runform-other-task');
  });
  assert.match(readFileSync(join(folder, 'workspace', 'parameters.yaml'), 'utf8'), /^epochs: 7$/m, 'typing alone writes nothing');
});
