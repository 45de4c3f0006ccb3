/**
 * Playwright helpers for VS Code's web workbench (code-server) in Debian's headless Chromium: open a
 * window, open a file with Quick Open, run a command from the palette, read the Problems panel, take a
 * screenshot. They act the way a user does (keyboard, visible UI) and read only what a user can see.
 */
import { chromium, type Browser, type Page, type Locator } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { outDir } from './codeServer';

export const chromiumPath = '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Opens the workbench at `url` in a fresh page and waits until the window is usable. */
export async function openWorkbench(browser: Browser, url: string, timeoutMs = 60_000): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url, { timeout: timeoutMs });
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  // The status bar is the last part to render; once it is there, keybindings work.
  await page.locator('#workbench\\.parts\\.statusbar').waitFor({ timeout: timeoutMs });
  return page;
}

/** The Quick Input widget (Quick Open and the command palette share it). */
function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

/** Types into the Quick Input and accepts the first entry whose label matches. */
async function pickInQuickInput(page: Page, text: string, label: string | RegExp, timeoutMs: number): Promise<void> {
  const input = quickInput(page).locator('input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(text);
  const row = quickInput(page).locator('.monaco-list-row').filter({ hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
  await quickInput(page).waitFor({ state: 'hidden', timeout: timeoutMs });
}

/** Opens a workspace file by name with Quick Open (Ctrl+P) and waits for its editor tab. */
export async function quickOpen(page: Page, fileName: string, timeoutMs = 30_000): Promise<void> {
  await focusWorkbench(page);
  await page.keyboard.press('Control+P');
  await pickInQuickInput(page, fileName, fileName, timeoutMs);
  await page.locator('.tabs-container .tab').filter({ hasText: fileName }).first().waitFor({ timeout: timeoutMs });
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ timeout: timeoutMs });
}

/** Runs a command by its title (e.g. "CubeLab: Show Server Info") from the command palette (F1). */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  // The palette lists an extension's commands once the extension host has read its manifest, which can
  // come after the window is usable: a palette opened before that never shows them, so open it again.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await focusWorkbench(page);
    await page.keyboard.press('F1');
    try {
      await pickInQuickInput(page, `>${title}`, title, Math.min(10_000, Math.max(1_000, deadline - Date.now())));
      return;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
  }
}

/** Clicks into the workbench so that keyboard shortcuts reach it, without moving focus into an editor. */
async function focusWorkbench(page: Page): Promise<void> {
  if (await quickInput(page).isVisible()) await page.keyboard.press('Escape');
  await page.locator('#workbench\\.parts\\.statusbar').click({ position: { x: 2, y: 2 } });
}

export interface Problem {
  /** The message as the Problems panel shows it. */
  message: string;
  /** 1-based line and column, as shown ("[Ln 6, Col 3]"). */
  line: number;
  column: number;
  /** Who reported it, e.g. "CubeLab". */
  source: string;
  /** The diagnostic's code, e.g. "duplicate-key". */
  code: string;
  /** The file the problem belongs to (the group row above it). */
  file: string;
}

/** Opens the Problems panel (Ctrl+Shift+M) and returns the problems it lists, in display order. */
export async function readProblems(page: Page, timeoutMs = 30_000): Promise<Problem[]> {
  const panel = page.locator('.markers-panel');
  if (!(await panel.isVisible())) {
    await focusWorkbench(page);
    await page.keyboard.press('Control+Shift+M');
    await panel.waitFor({ state: 'visible', timeout: timeoutMs });
  }
  // No helper functions inside: tsx's keepNames would wrap them in a `__name` the page does not have.
  return panel.evaluate((root) => {
    const out: { message: string; line: number; column: number; source: string; code: string; file: string }[] = [];
    let file = '';
    for (const row of Array.from(root.querySelectorAll('.monaco-list-row'))) {
      // Three kinds of rows: a file (its label), a problem (its message), related information (neither).
      const marker = row.querySelector('.marker-message');
      if (!marker) { const resource = row.querySelector('.label-name'); if (resource) file = (resource.textContent ?? '').trim(); continue; }
      const pos = (row.querySelector('.marker-line')?.textContent ?? '').match(/Ln\s*(\d+),\s*Col\s*(\d+)/);
      out.push({
        message: (marker.textContent ?? '').trim(), line: pos ? Number(pos[1]) : 0, column: pos ? Number(pos[2]) : 0,
        source: (row.querySelector('.marker-source')?.textContent ?? '').trim(),
        code: (row.querySelector('.marker-code')?.textContent ?? '').trim(),
        file,
      });
    }
    return out;
  });
}

/** Polls the Problems panel until `match` finds a problem; fails with what the panel showed instead. */
export async function waitForProblem(page: Page, match: (p: Problem) => boolean, timeoutMs = 60_000): Promise<Problem> {
  const deadline = Date.now() + timeoutMs;
  let last: Problem[] = [];
  for (;;) {
    last = await readProblems(page);
    const hit = last.find(match);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no matching problem within ${timeoutMs} ms; the Problems panel showed: ${JSON.stringify(last, null, 1)}`);
    await page.waitForTimeout(500);
  }
}

/** Saves a full-window screenshot to test/out/e2e/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(outDir, 'e2e');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Answers the Workspace Trust dialog that opens with an untrusted folder ("Yes, I trust" or "No"). */
export async function answerTrustDialog(page: Page, trust: boolean, timeoutMs = 30_000): Promise<void> {
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: timeoutMs });
  await dialog.getByRole('button', { name: trust ? /Yes, I trust the authors/ : /No, I don.t trust the authors/ }).click();
  await dialog.waitFor({ state: 'hidden', timeout: timeoutMs });
}

/** The status bar's visible text (e.g. it says "Restricted Mode" in an untrusted workspace). */
export async function statusBarText(page: Page): Promise<string> {
  return page.locator('#workbench\\.parts\\.statusbar').innerText();
}

/**
 * Opens the Workspace Trust editor, follows its "N extensions" link to the list of extensions that are
 * disabled or limited in Restricted Mode, and returns the extension names listed in each section
 * (keyed by section title, e.g. "Limited in Restricted Mode").
 */
export async function restrictedModeExtensions(page: Page, timeoutMs = 30_000): Promise<Record<string, string[]>> {
  await runCommand(page, 'Workspaces: Manage Workspace Trust', timeoutMs);
  const editor = page.locator('.workspace-trust-editor');
  await editor.waitFor({ state: 'visible', timeout: timeoutMs });
  await editor.locator('a', { hasText: /^\d+ extensions?$/ }).click();
  const viewlet = page.locator('.extensions-viewlet');
  await viewlet.locator('.pane-header', { hasText: /restricted mode/i }).first().waitFor({ timeout: timeoutMs });
  // The lists fill in asynchronously (headers first say 0): read until rows are there and two readings
  // agree. Built-in extensions (Git...) are always listed. Long lists are virtual: only visible rows count.
  const deadline = Date.now() + timeoutMs;
  let previous = '';
  for (;;) {
    const panes = await viewlet.evaluate((root) => Array.from(root.querySelectorAll('.pane')).map((pane) => ({
      title: (pane.querySelector('.pane-header .title')?.textContent ?? '').trim(),
      count: Number((pane.querySelector('.pane-header .monaco-count-badge')?.textContent ?? '').trim() || NaN),
      names: Array.from(pane.querySelectorAll('.monaco-list-row .extension-list-item .name')).map((n) => (n.textContent ?? '').trim()),
    })));
    const reading = JSON.stringify(panes);
    const complete = panes.some((p) => p.names.length > 0) && reading === previous;
    previous = reading;
    if (complete || Date.now() > deadline) {
      return Object.fromEntries(panes.filter((p) => p.title).map((p) => [p.title, p.names]));
    }
    await page.waitForTimeout(500);
  }
}

/** Opens an extension's details page from the Extensions view and returns the page's visible text. */
export async function extensionDetailsText(page: Page, displayName: string, timeoutMs = 30_000): Promise<string> {
  const row = page.locator('.extensions-viewlet .monaco-list-row').filter({ hasText: displayName }).first();
  await row.click({ timeout: timeoutMs });
  const editor = page.locator('.extension-editor');
  await editor.locator('.header .name', { hasText: displayName }).first().waitFor({ timeout: timeoutMs });
  return editor.innerText();
}

/**
 * The command palette's entries for `query` as the user sees them (labels such as "CubeLab: Run Task"), read
 * once `settleMs` passes without the list changing; the palette is closed again. `mustInclude`: a label the
 * list waits for first (the palette fills in once the extension host has read the manifests), so that an
 * absent entry is a real absence, not a palette read too early.
 */
export async function paletteEntries(page: Page, query: string, mustInclude?: string, timeoutMs = 30_000, settleMs = 1000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await focusWorkbench(page);
    await page.keyboard.press('F1');
    const input = quickInput(page).locator('input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(`>${query}`);
    let previous = '';
    let labels: string[] = [];
    for (let stableSince = Date.now(); Date.now() - stableSince < settleMs;) {
      await page.waitForTimeout(200);
      labels = (await quickInput(page).locator('.monaco-list-row .label-name').allInnerTexts()).map((t) => t.trim());
      const reading = labels.join('\n');
      if (reading !== previous) { previous = reading; stableSince = Date.now(); }
    }
    await page.keyboard.press('Escape');
    if (!mustInclude || labels.includes(mustInclude) || Date.now() > deadline) return labels;
  }
}
