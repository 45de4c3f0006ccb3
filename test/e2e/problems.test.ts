/**
 * Tier 3: the packaged CubeLab in a real VS Code (code-server 1.100.3 in headless Chromium). A manifest with
 * a duplicate task shows up in the Problems panel with CubeLab's message and line, in a trusted window and
 * in Restricted Mode, where VS Code also lists CubeLab as an extension with limited support.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  checkPrerequisites, copyFixture, defaultVsix, installVsix, repoRoot, startCodeServer, tempDir, type CodeServer,
} from './helpers/codeServer';
import {
  answerTrustDialog, extensionDetailsText, launchBrowser, openWorkbench, quickOpen, restrictedModeExtensions,
  screenshot, statusBarText, waitForProblem,
} from './helpers/workbench';

const fixture = join(__dirname, 'fixtures', 'broken-manifest');
// What mlcube says about the fixture: `train` is defined on line 19 and again on line 23 (column 3).
const duplicateTrain = 'Duplicate key "train" in `tasks` (first defined on line 19): mlcube refuses the file ("found duplicate key").';
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  capabilities: { untrustedWorkspaces: { supported: string; description: string } };
};

let browser: Browser;
let extensionsDir: string;
const cleanups: (() => Promise<void> | void)[] = [];

before(async () => {
  checkPrerequisites();
  extensionsDir = tempDir('ext');
  cleanups.push(() => rmSync(extensionsDir, { recursive: true, force: true }));
  await installVsix(defaultVsix, extensionsDir);
  browser = await launchBrowser();
  cleanups.push(() => browser.close());
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Starts code-server on a fresh copy of the fixture; the server and the copy go away after the file. */
async function session(settings: Record<string, unknown>): Promise<CodeServer> {
  const folder = copyFixture(fixture);
  const server = await startCodeServer({ folder, extensionsDir, settings });
  cleanups.push(async () => { await server.stop(); rmSync(folder, { recursive: true, force: true }); });
  return server;
}

test('the Problems panel shows the duplicate task with its message and line', { timeout: 180_000 }, async () => {
  const server = await session({ 'security.workspace.trust.enabled': false });
  const page = await openWorkbench(browser, server.url);
  await quickOpen(page, 'mlcube.yaml');
  const problem = await waitForProblem(page, (p) => p.code === 'duplicate-key').catch(async (err: Error) => {
    await screenshot(page, 'problems-failed');
    throw new Error(`${err.message}\ncode-server log:\n${server.log().slice(-3000)}`);
  });
  await screenshot(page, 'problems-duplicate-key');
  assert.deepEqual(problem, {
    message: duplicateTrain, line: 23, column: 3, source: 'CubeLab', code: 'duplicate-key', file: 'mlcube.yaml',
  });
  await page.close();
});

test('in Restricted Mode the diagnostic still shows and CubeLab is listed with limited support', { timeout: 240_000 }, async () => {
  const server = await session({ 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'always' });
  const page = await openWorkbench(browser, server.url);
  await answerTrustDialog(page, false);
  assert.match(await statusBarText(page), /Restricted Mode/);

  await quickOpen(page, 'mlcube.yaml');
  const problem = await waitForProblem(page, (p) => p.code === 'duplicate-key');
  assert.equal(problem.message, duplicateTrain);
  assert.equal(problem.line, 23);

  const sections = await restrictedModeExtensions(page);
  const section = (title: RegExp): string[] => Object.entries(sections).find(([t]) => title.test(t))?.[1] ?? [];
  assert.ok(section(/^Limited in Restricted Mode$/i).includes('CubeLab'), `CubeLab listed as limited: ${JSON.stringify(sections)}`);
  assert.ok(!section(/^Disabled in Restricted Mode$/i).includes('CubeLab'), `CubeLab not disabled: ${JSON.stringify(sections)}`);

  // Its details page explains what is limited, in the words of package.json's capabilities.
  assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  const details = await extensionDetailsText(page, 'CubeLab');
  assert.ok(details.includes(manifest.capabilities.untrustedWorkspaces.description), `details page:\n${details.slice(0, 1500)}`);
  await screenshot(page, 'restricted-mode');
  await page.close();
});
