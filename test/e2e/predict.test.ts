/**
 * Predict with Cube from the Explorer in a real VS Code (code-server), against the real Docker engine and the
 * model image: in a copy of the demo's digits cube (trained, with the data set's held-out digits written as PNG
 * files in class folders), two class folders are selected in the Explorer, "Predict with Cube..." is picked from
 * their context menu and "digits › infer" from the quick pick; the task runs in its terminal and the predictions
 * open at its end, showing what the model predicted for exactly those files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot, tempDir } from './helpers/codeServer';
import { screenshot } from './helpers/workbench';
import { codeServerSuite, withEvidence } from './helpers/suite';

const IMAGE = 'cubelab-demo/digits:1';
const suite = codeServerSuite(() => {
  execFileSync('bash', [join(repoRoot, 'test/env/setup-docker.sh')], { stdio: 'inherit' });
  execFileSync('bash', [join(repoRoot, 'test/env/setup-model-image.sh')], { stdio: 'inherit' });
});

function docker(args: string[]): string {
  return execFileSync('/usr/bin/docker', args, { encoding: 'utf8' }).trim();
}

/** The demo cube, trained, with its held-out samples: what a user has after running train and samples. */
function preparedCube(): string {
  const folder = tempDir('predict');
  const cube = join(folder, 'digits-cube');
  cpSync(join(repoRoot, 'examples', 'digits-cube'), cube, { recursive: true, filter: (p) => !/\/workspace\/(model|event_storage|images|predictions|data)$/.test(p) });
  docker(['build', '-q', '--network', 'none', '-t', IMAGE, cube]);
  const ws = join(cube, 'workspace');
  docker(['run', '--rm', '--network', 'none', '-v', `${ws}:/w`, IMAGE, 'train', '--config=/w/train.yaml', '--data_dir=/w/nodata', '--model_dir=/w/model', '--event_storage=/w/event_storage']);
  docker(['run', '--rm', '--network', 'none', '-v', `${ws}:/w`, IMAGE, 'samples', '--samples_dir=/w/images']);
  // Written as root by the container: make them the user's (a user's own run writes them as the user).
  execFileSync('chmod', ['-R', 'a+rwX', ws]);
  suite.onCleanup(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/** The Explorer row of a file or folder, by its name. */
function explorerRow(page: Page, name: string) {
  return page.locator('.explorer-folders-view .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) }).first();
}

async function expand(page: Page, name: string): Promise<void> {
  const row = explorerRow(page, name);
  await row.waitFor({ timeout: 30_000 });
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  await page.waitForFunction((n) => Array.from(document.querySelectorAll('.explorer-folders-view .monaco-list-row')).some((r) => r.querySelector('.label-name')?.textContent === n && r.getAttribute('aria-expanded') === 'true'), name, { timeout: 10_000 });
}

test('Predict with Cube from the Explorer: two folders selected, digits › infer, the predictions open when it ends', { timeout: 420_000 }, async () => {
  const folder = preparedCube();
  const images = join(folder, 'digits-cube', 'workspace', 'images');
  const session = await suite.open(folder, { 'terminal.integrated.gpuAcceleration': 'off', 'explorer.autoReveal': false });
  const { page } = session;
  await withEvidence(session, 'predict-explorer', async () => {
    await page.keyboard.press('Control+Shift+E');
    for (const name of ['digits-cube', 'workspace', 'images']) await expand(page, name);
    await explorerRow(page, '3').click();
    // A click opens a folder as it selects it: closed again, so the other class folders stay in view.
    if ((await explorerRow(page, '3').getAttribute('aria-expanded')) === 'true') await page.keyboard.press('ArrowLeft');
    await explorerRow(page, '7').click({ modifiers: ['Control'] });
    await explorerRow(page, '7').click({ button: 'right' });
    const item = page.locator('.context-view .action-item').filter({ hasText: 'Predict with Cube...' }).first();
    await item.waitFor({ timeout: 15_000 });
    await item.click();
    const pick = page.locator('.quick-input-widget .monaco-list-row').first();
    await pick.waitFor({ timeout: 60_000 });
    assert.match(await pick.innerText(), /digits › infer/, 'the inference task is offered first');
    await pick.click();
    // The run's terminal, then the summary when it ended.
    const tab = page.locator('.tabs-container .tab').filter({ hasText: /predictions summary/ }).first();
    await tab.waitFor({ timeout: 240_000 });
    const text = (await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
    await screenshot(page, 'predict-summary');
    const expected = readdirSync(join(images, '3')).length + readdirSync(join(images, '7')).length;
    assert.match(text, new RegExp(`${expected} prediction\\(s\\) in`));
    assert.match(text, /## Counts per label/);
    assert.match(text, /\| 7 \| \d+ \| 0\.\d{3} \| 0\.\d{3} \|/);
  });

  // What the run left: predictions of exactly the selected files, under the names the Explorer shows, and its session.
  const outRoot = join(folder, 'digits-cube', 'workspace', 'predictions');
  const [stamp] = readdirSync(outRoot);
  const lines = readFileSync(join(outRoot, stamp!, 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; label: string });
  const expected = [...readdirSync(join(images, '3')).map((f) => `3/${f}`), ...readdirSync(join(images, '7')).map((f) => `7/${f}`)].sort();
  assert.deepEqual(lines.map((l) => l.path).sort(), expected);
  const right = lines.filter((l) => l.path.startsWith(`${l.label}/`)).length;
  assert.ok(right / lines.length > 0.85, `${right}/${lines.length} right`);
  const sessionFile = JSON.parse(readFileSync(join(outRoot, stamp!, 'predict.json'), 'utf8')) as { task: string; target: string; inputFolder: string };
  assert.equal(sessionFile.task, 'infer');
  assert.equal(sessionFile.target, 'local');
  assert.ok(existsSync(sessionFile.inputFolder) && sessionFile.inputFolder.includes(join('.cubelab', 'predict')));
});
