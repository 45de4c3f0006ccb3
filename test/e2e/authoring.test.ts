/**
 * Tier 3: authoring in a real VS Code (code-server in headless Chromium), as a user sees it.
 * A manifest: the misspelt `outpus:` is a warning in the Problems panel, its quick fix (Ctrl+.) rewrites the
 * key and the warning goes away; completion (Ctrl+Space) in a task offers the task keys.
 * A grid search: the file's code lens counts the experiments, and completion of `variant_key` offers only
 * the variants the registry has for the block's `component_type_key`.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { tempDir } from './helpers/codeServer';
import { quickOpen, readProblems, screenshot, waitForProblem } from './helpers/workbench';
import { codeServerSuite, withEvidence, type Session } from './helpers/suite';

const MANIFEST = `name: authoring-e2e
docker:
  image: busybox
tasks:
  train:
    entrypoint: python train.py
    parameters:
      outpus:
        model: {type: directory, default: model}
  evaluate:
    
`;

// 2 learning rates × 3 momenta = 6 experiments; the optimizer's variant is left for completion.
const GRID = `optimizer:
  component_type_key: OPTIMIZER
  variant_key: 
  config:
    optimizer_key: SGD
    params:
      lr:
        sweep: absolute
        values: [0.1, 0.01]
      momentum:
        sweep: absolute
        values: [0.0, 0.5, 0.9]
`;

const suite = codeServerSuite();
let session: Session;
let page: Page;
let folder: string;

before(async () => {
  folder = tempDir('authoring');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'mlcube.yaml'), MANIFEST);
  writeFileSync(join(folder, 'gs_config.yml'), GRID);
  suite.onCleanup(() => rmSync(folder, { recursive: true, force: true }));
  session = await suite.open(folder, { 'security.workspace.trust.enabled': false });
  page = session.page;
});

/** Moves the cursor of the active editor with Go to Line (Ctrl+G), `line` and `column` 1-based. */
async function goTo(line: number, column: number): Promise<void> {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  // The Go to Line picker is Quick Open with a ':' prefix; fill() replaces the prefix, so it is typed again.
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
}

/** Opens the suggest widget (Ctrl+Space) and returns the labels it lists. */
async function suggestions(): Promise<string[]> {
  await page.keyboard.press('Control+Space');
  const rows = page.locator('.editor-widget.suggest-widget .monaco-list-row');
  await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
  const labels = await page.locator('.editor-widget.suggest-widget .monaco-list-row .label-name').allInnerTexts();
  await page.keyboard.press('Escape');
  return labels.map((l) => l.trim());
}

/** The active editor's visible text, one string per line (Monaco renders spaces as U+00A0). */
async function editorLines(): Promise<string[]> {
  const lines = await page.locator('.editor-instance .monaco-editor .view-lines .view-line').evaluateAll((els) =>
    els.map((e) => ({ top: parseFloat((e as HTMLElement).style.top), text: (e.textContent ?? '').replace(/\u00a0/g, ' ') })));
  return lines.sort((a, b) => a.top - b.top).map((l) => l.text);
}

test('manifest: the misspelt key is a warning, its quick fix renames it, and completion offers the task keys', { timeout: 240_000 }, async () => {
  await withEvidence(session, 'authoring-manifest-failed', async () => {
    await quickOpen(page, 'mlcube.yaml');
    const problem = await waitForProblem(page, (p) => p.code === 'mlcube/unknown-key');
    assert.equal(problem.line, 8);
    assert.equal(problem.column, 7);
    assert.match(problem.message, /mlcube ignores `outpus` in the parameters of `train`.*Did you mean `outputs`\?/);

    // Completion on the empty line inside the `evaluate` task: the task's own keys.
    await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await goTo(11, 5);
    const labels = await suggestions();
    assert.deepEqual([...labels].sort(), ['entrypoint', 'parameters']);

    // The quick fix from the lightbulb menu (Ctrl+.) on the misspelt key.
    await goTo(8, 8);
    await page.keyboard.press('Control+.');
    const fix = page.locator('.action-widget .monaco-list-row').filter({ hasText: "Change 'outpus' to 'outputs'" }).first();
    await fix.waitFor({ state: 'visible', timeout: 30_000 });
    await screenshot(page, 'authoring-quick-fix');
    // Keyboard, as the menu is meant to be used (a pointer block covers it against stray clicks).
    assert.match((await fix.getAttribute('class')) ?? '', /\bfocused\b/, 'the preferred fix is the focused entry');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.editor-instance .view-line'))
      .some((l) => /^\s*outputs:\s*$/.test((l.textContent ?? '').replace(/\u00a0/g, ' '))), undefined, { timeout: 30_000 });
    assert.equal((await editorLines())[7], '      outputs:');
    // The warning is gone once the server has validated the edit.
    const deadline = Date.now() + 30_000;
    let problems = await readProblems(page);
    while (problems.some((p) => p.code === 'mlcube/unknown-key') && Date.now() < deadline) {
      await page.waitForTimeout(500);
      problems = await readProblems(page);
    }
    assert.deepEqual(problems.filter((p) => p.file === 'mlcube.yaml').map((p) => p.code), []);
    // Not saved: the file on disk still has the typo (nothing is written behind the user's back).
    assert.match(readFileSync(join(folder, 'mlcube.yaml'), 'utf8'), /outpus:/);
  });
});

test('grid search: the code lens counts the experiments; variant completion follows the component type', { timeout: 240_000 }, async () => {
  await withEvidence(session, 'authoring-grid-failed', async () => {
    await quickOpen(page, 'gs_config.yml');
    const lens = page.locator('.monaco-editor .codelens-decoration').filter({ hasText: /\d+ experiments?/ }).first();
    await lens.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await lens.innerText(), /^6 experiments\b/);
    await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await goTo(3, 16);
    const labels = await suggestions();
    assert.ok(labels.includes('DEFAULT') && labels.includes('BUNDLE'), `OPTIMIZER variants offered, got ${JSON.stringify(labels)}`);
    assert.ok(!labels.includes('RANDOM'), `no variant of another type (RANDOM), got ${JSON.stringify(labels)}`);
    await screenshot(page, 'authoring-grid');
  });
});
