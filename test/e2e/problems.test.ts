/**
 * Tier 3: the packaged CubeLab in a real VS Code (code-server 1.100.3 in headless Chromium). A manifest with
 * a duplicate task shows up in the Problems panel with CubeLab's message and line, in a trusted window and
 * in Restricted Mode, where VS Code also lists CubeLab as an extension with limited support.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { copyFixture, repoRoot } from './helpers/codeServer';
import {
  answerTrustDialog, extensionDetailsText, quickOpen, restrictedModeExtensions, screenshot, statusBarText, waitForProblem,
} from './helpers/workbench';
import { codeServerSuite, withEvidence, type Session } from './helpers/suite';

const fixture = join(__dirname, 'fixtures', 'broken-manifest');
// What mlcube says about the fixture: `train` is defined on line 19 and again on line 23 (column 3).
const duplicateTrain = 'Duplicate key "train" in `tasks` (first defined on line 19): mlcube refuses the file ("found duplicate key").';
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  capabilities: { untrustedWorkspaces: { supported: string; description: string } };
};

const suite = codeServerSuite();

/** Starts code-server on a fresh copy of the fixture; the server and the copy go away after the file. */
async function session(settings: Record<string, unknown>): Promise<Session> {
  const folder = copyFixture(fixture);
  suite.onCleanup(() => rmSync(folder, { recursive: true, force: true }));
  return suite.open(folder, settings);
}

test('the Problems panel shows the duplicate task with its message and line', { timeout: 180_000 }, async () => {
  const s = await session({ 'security.workspace.trust.enabled': false });
  const { page } = s;
  await quickOpen(page, 'mlcube.yaml');
  const problem = await withEvidence(s, 'problems-failed', () => waitForProblem(page, (p) => p.code === 'duplicate-key'));
  await screenshot(page, 'problems-duplicate-key');
  assert.deepEqual(problem, {
    message: duplicateTrain, line: 23, column: 3, source: 'CubeLab', code: 'duplicate-key', file: 'mlcube.yaml',
  });
  await page.close();
});

test('in Restricted Mode the diagnostic still shows and CubeLab is listed with limited support', { timeout: 240_000 }, async () => {
  const s = await session({ 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'always' });
  const { page } = s;
  await withEvidence(s, 'restricted-failed', async () => {
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
  });
  await page.close();
});
