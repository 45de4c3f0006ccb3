/**
 * Tier 3: VS Code conventions in a real VS Code (code-server in headless Chromium), as a user sees them.
 * - Context keys: the command palette offers Run Task on a manifest and not on another YAML file; Preview Grid
 *   on a grid search only.
 * - The language status item (the `{ }` next to the language mode) names what the open file is and the
 *   server's state, with Show Log.
 * - The editor title's Run button is there on a manifest (not on another YAML file) and runs the task against
 *   the real Docker engine: the run's record lands in the runs folder the (resource-scoped) setting names.
 * - The Explorer's context menu offers Run Task on a manifest.
 * - "CubeLab: Get Started" opens the walkthrough, its steps listed and its Markdown shown.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot, tempDir } from './helpers/codeServer';
import { paletteEntries, quickOpen, runCommand, screenshot } from './helpers/workbench';
import { codeServerSuite, withEvidence, type Session } from './helpers/suite';

const MANIFEST = `name: conventions-e2e
docker:
  image: cubelab-test/busybox:1
  cpu_args: --network=none
tasks:
  train:
    entrypoint: /bin/sh -c 'echo "trained by the title button"; echo done > "$(echo $0 | cut -d= -f2)/model.txt"'
    parameters:
      outputs:
        model: {type: directory, default: model}
`;
const OTHER = 'title: meeting notes\nitems:\n  - name: first\n';
const GRID = `optimizer:
  component_type_key: OPTIMIZER
  variant_key: SGD
  config:
    optimizer_key: SGD
    params:
      lr:
        sweep: absolute
        values: [0.1, 0.01]
`;
const RUNS_FOLDER = 'my-runs';

const suite = codeServerSuite(() => execFileSync('bash', [join(repoRoot, 'test/env/setup-docker.sh')], { stdio: 'inherit' }));
let session: Session;
let page: Page;
let folder: string;

before(async () => {
  folder = tempDir('conventions');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'mlcube.yaml'), MANIFEST);
  writeFileSync(join(folder, 'notes.yaml'), OTHER);
  writeFileSync(join(folder, 'gs_config.yml'), GRID);
  // A workspace-folder setting: cubelab.runs.folder is resource-scoped.
  mkdirSync(join(folder, '.vscode'));
  writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'cubelab.runs.folder': RUNS_FOLDER }));
  suite.onCleanup(() => {
    const ids = execFileSync('/usr/bin/docker', ['ps', '-aq', '--filter', `label=org.cubelab.manifest=${join(folder, 'mlcube.yaml')}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length) execFileSync('/usr/bin/docker', ['rm', '-f', ...ids]);
    rmSync(folder, { recursive: true, force: true });
  });
  session = await suite.open(folder, { 'security.workspace.trust.enabled': false, 'terminal.integrated.gpuAcceleration': 'off' });
  page = session.page;
});

const startingWith = (labels: string[], prefix: string) => labels.filter((l) => l.startsWith(prefix));

/** The language status entry of the status bar (the `{ }` next to the language mode). */
const languageStatus = () => page.locator('#status\\.languageStatus');

/**
 * What the language status says: its aria label (the items' labels, read by screen readers) once it names
 * `expected`, and the hover's text (label, detail, command) shown when the pointer is over it.
 */
async function readLanguageStatus(expected: RegExp, timeoutMs = 60_000): Promise<{ label: string; hover: string }> {
  const deadline = Date.now() + timeoutMs;
  let label = '';
  for (;;) {
    // The entry's aria label (on the entry or its link, by VS Code version) lists the items' texts.
    label = [await languageStatus().getAttribute('aria-label').catch(() => null), await languageStatus().locator('a').first().getAttribute('aria-label').catch(() => null)]
      .filter(Boolean).join(' ');
    if (expected.test(label)) break;
    if (Date.now() > deadline) throw new Error(`language status says "${label}", expected ${expected}`);
    await page.waitForTimeout(250);
  }
  await languageStatus().hover();
  const hover = page.locator('.hover-language-status').filter({ hasText: /CubeLab language server/ }).first();
  await hover.waitFor({ state: 'visible', timeout: 15_000 });
  const text = await hover.innerText();
  await page.mouse.move(700, 300);
  return { label, hover: text };
}

test('the palette offers Run Task on a manifest and not on another YAML file; Preview Grid on a grid search', { timeout: 240_000 }, async () => {
  await withEvidence(session, 'conventions-palette-failed', async () => {
    // The palette's list is virtual (only visible rows exist), so each read asks for a few commands by name.
    await quickOpen(page, 'mlcube.yaml');
    await readLanguageStatus(/MLCube manifest/);
    const onManifest = await paletteEntries(page, 'CubeLab: Run Task', 'CubeLab: Run Task');
    assert.ok(onManifest.includes('CubeLab: Run Task'), onManifest.join(', '));
    assert.deepEqual(startingWith(await paletteEntries(page, 'CubeLab: Preview Grid'), 'CubeLab: Preview Grid'), [], 'no Preview Grid on a manifest');

    await quickOpen(page, 'notes.yaml');
    await readLanguageStatus(/Not a CubeLab file/);
    // The palette lists CubeLab's commands (so an absent entry is really absent) ...
    assert.ok((await paletteEntries(page, 'CubeLab: Show Server Info', 'CubeLab: Show Server Info')).includes('CubeLab: Show Server Info'), 'the palette lists CubeLab\'s commands');
    // ... but none that runs a task.
    const onOther = startingWith(await paletteEntries(page, 'CubeLab: Run Task'), 'CubeLab: Run Task');
    assert.deepEqual(onOther, [], `offered on notes.yaml: ${onOther.join(', ')}`);

    await quickOpen(page, 'gs_config.yml');
    await readLanguageStatus(/MLgym grid search/);
    assert.ok((await paletteEntries(page, 'CubeLab: Preview Grid', 'CubeLab: Preview Grid Search')).includes('CubeLab: Preview Grid Search'), 'Preview Grid on a grid search');
    assert.deepEqual(startingWith(await paletteEntries(page, 'CubeLab: Run Task'), 'CubeLab: Run Task'), [], 'no Run Task on a grid search');
    await screenshot(page, 'conventions-palette');
  });
});

test('the language status item shows the document kind and the server state, with Show Log', { timeout: 120_000 }, async () => {
  await withEvidence(session, 'conventions-status-failed', async () => {
    await quickOpen(page, 'mlcube.yaml');
    const { label, hover } = await readLanguageStatus(/MLCube manifest/);
    assert.match(label, /MLCube manifest/);
    assert.match(hover, /MLCube manifest/);
    assert.match(hover, /CubeLab language server running/);
    assert.match(hover, /Show Log/);
    await screenshot(page, 'conventions-status');
    await quickOpen(page, 'gs_config.yml');
    assert.match((await readLanguageStatus(/MLgym grid search/)).hover, /MLgym grid search/);
  });
});

test('the editor title has Run on a manifest (not on another YAML file), and it runs the task into cubelab.runs.folder', { timeout: 300_000 }, async () => {
  await withEvidence(session, 'conventions-title-run-failed', async () => {
    const runButton = page.locator('.editor-actions .action-label[aria-label^="Run Task"]');
    await quickOpen(page, 'notes.yaml');
    await readLanguageStatus(/Not a CubeLab file/);
    assert.equal(await runButton.count(), 0, 'no Run button on notes.yaml');

    await quickOpen(page, 'mlcube.yaml');
    await readLanguageStatus(/MLCube manifest/);
    await runButton.first().waitFor({ state: 'visible', timeout: 30_000 });
    await screenshot(page, 'conventions-title-run');
    await runButton.first().click();
    // The task's terminal shows what the container printed; the record is in the configured runs folder.
    await page.locator('.xterm-rows').filter({ hasText: 'trained by the title button' }).first().waitFor({ timeout: 120_000 });
    const store = join(folder, RUNS_FOLDER);
    const deadline = Date.now() + 60_000;
    let records: { task: string; status: string }[] = [];
    while (Date.now() < deadline) {
      records = existsSync(store) ? readdirSync(store).filter((d) => existsSync(join(store, d, 'run.json')))
        .map((d) => JSON.parse(readFileSync(join(store, d, 'run.json'), 'utf8')) as { task: string; status: string }) : [];
      if (records.some((r) => r.status === 'succeeded')) break;
      await page.waitForTimeout(500);
    }
    assert.deepEqual(records.map((r) => [r.task, r.status]), [['train', 'succeeded']]);
    assert.equal(readFileSync(join(folder, 'workspace', 'model', 'model.txt'), 'utf8'), 'done\n');
    assert.equal(existsSync(join(folder, '.cubelab', 'runs')), false, 'nothing in the default runs folder');
  });
});

test('the Explorer context menu offers Run Task on a manifest, not on another YAML file', { timeout: 120_000 }, async () => {
  await withEvidence(session, 'conventions-explorer-failed', async () => {
    await runCommand(page, 'View: Show Explorer');
    const menuFor = async (name: string): Promise<string[]> => {
      const row = page.locator('.explorer-folders-view .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name.replace('.', '\\.')}$`) }) }).first();
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      await row.click({ button: 'right' });
      const menu = page.locator('.context-view .monaco-menu');
      await menu.waitFor({ state: 'visible', timeout: 15_000 });
      const items = (await menu.locator('.action-label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
      await page.keyboard.press('Escape');
      return items;
    };
    const manifest = await menuFor('mlcube.yaml');
    assert.ok(manifest.includes('Run Task'), manifest.join(', '));
    const other = await menuFor('notes.yaml');
    assert.ok(!other.includes('Run Task'), other.join(', '));
  });
});

test('CubeLab: Get Started opens the walkthrough with its five steps and their Markdown', { timeout: 120_000 }, async () => {
  await withEvidence(session, 'conventions-walkthrough-failed', async () => {
    await runCommand(page, 'CubeLab: Get Started');
    const container = page.locator('.gettingStartedContainer');
    await container.getByText('Get Started with CubeLab').first().waitFor({ state: 'visible', timeout: 30_000 });
    for (const title of ['Open a cube', 'See a problem and fix it', 'Run a task', 'Watch its metrics', 'Open a model card']) {
      await container.getByText(title, { exact: true }).first().waitFor({ state: 'visible', timeout: 15_000 });
    }
    // The first step's media: media/walkthrough/open-demo.md, rendered in the page's Markdown frame.
    const deadline = Date.now() + 30_000;
    let shown = false;
    while (!shown && Date.now() < deadline) {
      for (const frame of page.frames()) {
        const text = await frame.locator('body').innerText({ timeout: 1000 }).catch(() => '');
        if (text.includes('CubeLab works on the files you already have')) { shown = true; break; }
      }
      if (!shown) await page.waitForTimeout(500);
    }
    assert.ok(shown, 'the Open a cube step shows media/walkthrough/open-demo.md');
    await screenshot(page, 'conventions-walkthrough');
  });
});
