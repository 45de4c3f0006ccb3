/**
 * Tier 3, cube registries in a real VS Code (code-server in headless Chromium): a cube is published from the
 * Cubes tree's context menu to Debian's docker-registry on 127.0.0.1:5010 (test/env/setup-registry.sh), found in
 * the Registries view (with its filter), pulled into a new folder from the version's context menu (its image
 * removed from the engine first, so it comes back by digest), and a task of the pulled cube runs from its lens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { repoRoot, tempDir } from './helpers/codeServer';
import { quickOpen, runCommand, screenshot } from './helpers/workbench';
import { codeServerSuite, withEvidence } from './helpers/suite';

const suite = codeServerSuite(() => {
  execFileSync('bash', [join(repoRoot, 'test/env/setup-docker.sh')], { stdio: 'inherit' });
  execFileSync('bash', [join(repoRoot, 'test/env/setup-registry.sh')], { stdio: 'inherit' });
});

const docker = (args: string[]): string => execFileSync('/usr/bin/docker', args, { encoding: 'utf8' }).trim();

function pane(page: Page, title: string): Locator {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${title}`) }) });
}

function row(p: Locator, label: string | RegExp): Locator {
  return p.locator('.monaco-list-row').filter({ has: p.page().locator('.label-name').getByText(label, { exact: true }) }).first();
}

/** Answers the quick input (an input box): fills it and presses Enter. */
async function answer(page: Page, text: string, title: RegExp): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title, .quick-input-message').filter({ hasText: title }).first().waitFor({ timeout: 60_000 });
  const input = widget.locator('input.input');
  await input.fill(text);
  await page.keyboard.press('Enter');
}

async function contextMenu(page: Page, target: Locator, item: string): Promise<void> {
  await target.click({ button: 'right' });
  const action = page.locator('.context-view .action-label').filter({ hasText: item }).first();
  await action.waitFor({ timeout: 30_000 });
  // VS Code's menus act on the item under the pointer when Enter is pressed (a synthetic click can miss them).
  await action.hover();
  await page.keyboard.press('Enter');
  await action.waitFor({ state: 'hidden', timeout: 10_000 });
}

test('publish from the Cubes tree, find it in the Registries view, pull it into a new folder, run a task from its lens', { timeout: 420_000 }, async () => {
  const folder = tempDir('registry');
  const tag = randomBytes(4).toString('hex');
  const image = `cubelab-test/registry-e2e:${tag}`;
  const repo = `cubelab-test/e2e-${tag}`;
  const cube = join(folder, 'cube');
  mkdirSync(join(cube, 'workspace', 'additional_files'), { recursive: true });
  writeFileSync(join(cube, 'mlcube.yaml'), [
    'name: registry-e2e', 'docker:', `  image: ${image}`, '  build_strategy: auto', '  cpu_args: --network=none', 'tasks:', '  train:',
    '    parameters:', '      inputs:', '        config: {type: file, default: params.yaml}', '        extra: {type: directory, default: additional_files}',
    '      outputs:', '        model: {type: directory, default: model}', '',
  ].join('\n'));
  writeFileSync(join(cube, 'Dockerfile'), 'FROM cubelab-test/busybox:1\nCOPY task.sh /task.sh\nENTRYPOINT ["/bin/sh", "/task.sh"]\n');
  writeFileSync(join(cube, 'task.sh'), 'for a in "$@"; do case "$a" in --config=*) c="${a#--config=}";; --extra=*) e="${a#--extra=}";; --model=*) m="${a#--model=}";; esac; done\necho "pulled cube says $(cat "$c") and $(cat "$e/note.txt")"\ncp "$e/note.txt" "$m/"\n');
  writeFileSync(join(cube, 'workspace', 'params.yaml'), 'lr: 0.25\n');
  writeFileSync(join(cube, 'workspace', 'additional_files', 'note.txt'), 'extra files arrived');
  mkdirSync(join(folder, 'pulled'));
  suite.onCleanup(() => {
    for (const id of docker(['ps', '-aq', '--filter', `ancestor=${image}`]).split('\n').filter(Boolean)) docker(['rm', '-f', id]);
    try { docker(['rmi', '-f', image]); } catch { /* gone */ }
    rmSync(folder, { recursive: true, force: true });
  });
  const s = await suite.open(folder, {
    'terminal.integrated.gpuAcceleration': 'off',
    'cubelab.registries': [{ name: 'e2e-registry', url: 'http://127.0.0.1:5010' }],
    'cubelab.registry.pageSize': 1000,
  });
  const { page } = s;
  await withEvidence(s, 'registry-failed', async () => {
    await quickOpen(page, 'mlcube.yaml');
    await runCommand(page, 'View: Show CubeLab');
    const cubes = pane(page, 'Cubes');
    const cubeRow = row(cubes, 'registry-e2e');
    await cubeRow.waitFor({ timeout: 60_000 });

    // Publish from the Cubes tree: repository, version, aliases; the image is built by the configure step.
    await contextMenu(page, cubeRow, 'Publish to Registry…');
    await answer(page, repo, /repository/);
    await answer(page, '1.0.0', /version/);
    await answer(page, 'latest', /aliases/);
    const published = page.locator('.notifications-toasts .notification-toast').filter({ hasText: `published ${repo}:1.0.0 to e2e-registry` });
    await published.first().waitFor({ timeout: 180_000 });
    await screenshot(page, 'registry-published');

    // The Registries view: the registry, the repository (filtered), its alias and version, the card and tasks.
    const registries = pane(page, 'Registries');
    const header = page.locator('.pane-header', { hasText: /^\s*Registries/ });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const regRow = row(registries, 'e2e-registry');
    await regRow.waitFor({ timeout: 60_000 });
    await regRow.click();
    await runCommand(page, 'CubeLab: Filter Registries…');
    await answer(page, `e2e-${tag}`, /Filter registries/);
    const repoRow = row(registries, repo);
    await repoRow.waitFor({ timeout: 60_000 });
    await repoRow.click();
    const version = row(registries, '1.0.0');
    await version.waitFor({ timeout: 60_000 });
    await row(registries, 'latest').waitFor({ timeout: 30_000 });
    assert.match(await row(registries, 'latest').innerText(), /→ 1\.0\.0/);
    await version.click();
    await row(registries, 'Model card').waitFor({ timeout: 60_000 });
    await row(registries, 'train').waitFor({ timeout: 30_000 });
    await screenshot(page, 'registry-browsed');

    // Pull it: the image leaves the engine first, so it must come back from the registry by digest.
    docker(['rmi', '-f', image]);
    await contextMenu(page, version, 'Pull as Cube…');
    const dialogInput = page.locator('.quick-input-widget input.input');
    await dialogInput.waitFor({ timeout: 30_000 });
    // VS Code's own folder dialog (a quick input): wait for the proposed path, then type the parent folder.
    const deadline = Date.now() + 30_000;
    while (!(await dialogInput.inputValue()).startsWith('/') && Date.now() < deadline) await page.waitForTimeout(100);
    // It proposes the workspace folder: go into "pulled", as a user would, by clicking it.
    await page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'pulled' }).first().click();
    while (!/\/pulled\/?$/.test(await dialogInput.inputValue()) && Date.now() < deadline) await page.waitForTimeout(100);
    await screenshot(page, 'registry-pull-dialog');
    await page.locator('.quick-input-widget .quick-input-action a, .quick-input-widget .monaco-button').filter({ hasText: 'Pull Here' }).first().click();
    const pulledTo = join(folder, 'pulled', 'registry-e2e');
    const pulled = page.locator('.notifications-toasts .notification-toast').filter({ hasText: `pulled ${repo}:1.0.0 into` });
    await pulled.first().waitFor({ timeout: 120_000 });
    assert.equal(readFileSync(join(pulledTo, 'mlcube.yaml'), 'utf8'), readFileSync(join(cube, 'mlcube.yaml'), 'utf8'));
    assert.equal(readFileSync(join(pulledTo, 'workspace', 'additional_files', 'note.txt'), 'utf8'), 'extra files arrived');
    assert.ok(!existsSync(join(pulledTo, 'Dockerfile')), 'only the cube\'s files, not its build context');
    assert.match(docker(['image', 'inspect', '--format', '{{join .RepoDigests " "}}', image]), new RegExp(`127\\.0\\.0\\.1:5010/${repo}@sha256:[a-f0-9]{64}`));

    // The pulled manifest is open: run its task from the lens.
    await page.locator('.tabs-container .tab.active').filter({ hasText: 'mlcube.yaml' }).first().waitFor({ timeout: 30_000 });
    const lens = page.locator('.monaco-editor .codelens-decoration a').filter({ hasText: '▶ Run' }).first();
    await lens.waitFor({ state: 'visible', timeout: 60_000 });
    await lens.click();
    await page.locator('.xterm-rows').filter({ hasText: 'pulled cube says lr: 0.25 and extra files arrived' }).first().waitFor({ timeout: 120_000 });
    const runs = pane(page, 'Runs');
    await row(runs, 'train').locator('.label-description').getByText(/succeeded/).waitFor({ timeout: 60_000 });
    assert.equal(readFileSync(join(pulledTo, 'workspace', 'model', 'note.txt'), 'utf8'), 'extra files arrived');
    await screenshot(page, 'registry-pulled-and-ran');
  });
  await page.close();
});
