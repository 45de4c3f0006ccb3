/**
 * Predict with Cube from the Explorer in a real VS Code (code-server), against the real Docker engine and the
 * model image: in a copy of the demo's digits cube (trained, with the data set's held-out digits written as PNG
 * files in class folders), two class folders are selected in the Explorer, "Predict with Cube..." is picked from
 * their context menu and "digits › infer" from the quick pick; the task runs in its terminal and the Review panel
 * opens at its end with exactly those files. Then the real keys: three items reviewed (Enter, 8, R), one undone
 * (U), twenty moves (J, K), each key timed in the page from its keydown to the frame after it showed the next item
 * (printed: the figure bench:review cannot take outside VS Code), the window reloaded: the panel comes back with
 * the verdicts of reviews.jsonl, the undone one too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot, tempDir } from './helpers/codeServer';
import { runCommand, screenshot } from './helpers/workbench';
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

/** The Review panel's page: VS Code hosts a webview in an iframe holding the page's own iframe. */
function reviewFrame(page: Page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** The Review panel's rows, top to bottom (verdict, score, label, path). */
async function reviewRows(page: Page): Promise<string[]> {
  const rows = reviewFrame(page).locator('.row:not([hidden])');
  const out: { top: number; text: string }[] = [];
  for (let k = 0; k < await rows.count(); k++) {
    const r = rows.nth(k);
    out.push({ top: parseFloat(await r.evaluate((e) => (e as HTMLElement).style.top)), text: (await r.locator('span').allTextContents()).join(' | ') });
  }
  return out.sort((a, b) => a.top - b.top).map((r) => r.text);
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

test('Predict with Cube from the Explorer, then review by keyboard: three verdicts, one undone, a reload keeps them', { timeout: 420_000 }, async () => {
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
    // The run's terminal, then the Review panel when it ended.
    const expected = readdirSync(join(images, '3')).length + readdirSync(join(images, '7')).length;
    const review = reviewFrame(page);
    await review.locator('#count').filter({ hasText: `${expected} of ${expected} shown · 0 reviewed` }).waitFor({ timeout: 240_000 });
    assert.ok(await review.locator('#image').getAttribute('src'), 'the image of the first item is shown');
    await screenshot(page, 'predict-review');
    // The summary of the same predictions.
    await runCommand(page, 'CubeLab: Show Predictions Summary');
    const tab = page.locator('.tabs-container .tab').filter({ hasText: /predictions summary/ }).first();
    await tab.waitFor({ timeout: 30_000 });
    const text = (await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
    await screenshot(page, 'predict-summary');
    assert.match(text, new RegExp(`${expected} prediction\\(s\\) in`));
    assert.match(text, /## Counts per label/);
    assert.match(text, /\| 7 \| \d+ \| 0\.\d{3} \| 0\.\d{3} \|/);
  });

  await withEvidence(session, 'review-keys', async () => {
    // Back to the Review panel, focus in its page: the keys are VS Code keybindings, forwarded from the page.
    await page.locator('.tabs-container .tab').filter({ hasText: /^Review: / }).first().click();
    const review = reviewFrame(page);
    await review.locator('.list').click({ position: { x: 5, y: 5 } });
    // Each key timed inside the page, from its keydown to the second frame after the selection moved (the frame
    // after the one that shows it, as bench:review measures): the whole trip through VS Code's keybinding, the
    // extension host and back. Printed for the README (bench:review measures the page alone).
    await review.locator('.list').evaluate((list) => {
      const w = window as unknown as { __keyTimes: number[] };
      w.__keyTimes = [];
      let t0 = -1;
      window.addEventListener('keydown', () => { t0 = performance.now(); }, true);
      new MutationObserver(() => {
        if (t0 < 0) return;
        const start = t0;
        t0 = -1;
        requestAnimationFrame(() => requestAnimationFrame(() => w.__keyTimes.push(performance.now() - start)));
      }).observe(list, { attributes: true, subtree: true, attributeFilter: ['class'] });
    });
    const before = await reviewRows(page);
    await page.keyboard.press('Enter'); // accept and next
    await review.locator('.row.selected').filter({ hasText: before[1]!.split(' | ')[3]! }).waitFor({ timeout: 15_000 });
    const acceptAndNext = await review.locator('.list').evaluate(() => (window as unknown as { __keyTimes: number[] }).__keyTimes.slice());
    await page.keyboard.press('8'); // the second item's class: 8
    await page.keyboard.press('j');
    await page.keyboard.press('r'); // the third: invalid
    await review.locator('#count').filter({ hasText: '· 3 reviewed' }).waitFor({ timeout: 15_000 });
    await page.keyboard.press('u'); // undo the last (the rejection)
    await review.locator('#count').filter({ hasText: '· 2 reviewed' }).waitFor({ timeout: 15_000 });
    const after = await reviewRows(page);
    assert.match(after[0]!, /^✓ valid \| /);
    assert.match(after[1]!, /^✎ corrected → 8 \| /);
    assert.match(after[2]!, /^○ unreviewed \| /);
    await screenshot(page, 'review-keys');
    // Twenty moves (J ten times, K ten times: back where it was), each awaited on screen, each timed.
    const moves: number[] = [];
    for (const key of [...Array(10).fill('j'), ...Array(10).fill('k')] as string[]) {
      const n = await review.locator('.list').evaluate(() => (window as unknown as { __keyTimes: number[] }).__keyTimes.length);
      await page.keyboard.press(key);
      // No named function in page code: tsx would wrap it in a helper the page does not have.
      await review.locator('.list').evaluate((_l, want) => new Promise<void>((resolve) => {
        const timer = setInterval(() => { if ((window as unknown as { __keyTimes: number[] }).__keyTimes.length > want) { clearInterval(timer); resolve(); } }, 5);
      }), n);
      moves.push(await review.locator('.list').evaluate((_l, k) => (window as unknown as { __keyTimes: number[] }).__keyTimes[k]!, n));
    }
    assert.equal(acceptAndNext.length, 1, 'the accept-and-next key was timed');
    const sorted = [...moves].sort((a, b) => a - b);
    console.log(`keystroke → next item painted in code-server (key down in the page, VS Code's keybinding, the extension host, the page): Enter (accept and next) ${acceptAndNext[0]!.toFixed(1)} ms; J/K ×${moves.length}: median ${sorted[sorted.length >> 1]!.toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`);
    assert.ok(sorted[sorted.length - 1]! < 2000 && acceptAndNext[0]! < 2000, 'a key is answered on screen within 2 s even on a loaded machine');

    await runCommand(page, 'Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const again = reviewFrame(page);
    await again.locator('#count').filter({ hasText: '· 2 reviewed' }).waitFor({ timeout: 90_000 });
    const restored = await reviewRows(page);
    assert.deepEqual(restored.slice(0, 3).map((r) => r.split(' | ')[0]), ['✓ valid', '✎ corrected → 8', '○ unreviewed']);
    await screenshot(page, 'review-after-reload');
  });

  // reviews.jsonl: three verdicts and one undo, keyed by file and model.
  const outRoot0 = join(folder, 'digits-cube', 'workspace', 'predictions');
  const reviewLines = readFileSync(join(outRoot0, readdirSync(outRoot0)[0]!, 'reviews.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { verdict?: string; undo?: string; sha256?: string; model?: string });
  assert.deepEqual(reviewLines.map((l) => l.verdict ?? 'undo'), ['valid', 'corrected', 'invalid', 'undo']);
  assert.ok(reviewLines.slice(0, 3).every((l) => /^[0-9a-f]{64}$/.test(l.sha256 ?? '') && l.model?.startsWith('sha256:')));

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
