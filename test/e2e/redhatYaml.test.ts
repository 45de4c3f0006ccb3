/**
 * Red Hat's YAML side by side with CubeLab, in code-server. Red Hat's extension cannot be installed here (no
 * marketplace), so the window gets a TEST STAND-IN with its id, `redhat.vscode-yaml`, that runs
 * yaml-language-server from npm over stdio (test/e2e/standins/redhat-yaml). A manifest with a YAML syntax error
 * then shows that error once in the Problems panel (the stand-in's; CubeLab leaves it to the YAML server), and
 * CubeLab's own checks still show on another manifest; without the stand-in, CubeLab reports the syntax error itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { checkPrerequisites, defaultVsix, installVsix, startCodeServer, tempDir, type CodeServer } from './helpers/codeServer';
import { packageRedHatYamlStandin } from './helpers/redhatYamlStandin';
import { launchBrowser, openWorkbench, quickOpen, readProblems, screenshot, waitForProblem, type Problem } from './helpers/workbench';

// An unclosed flow mapping on line 6: a YAML syntax error (mlcube could not load the file either).
const BROKEN = 'name: mnist\ndocker:\n  image: mlcommons/mnist:0.0.1\ntasks:\n  train:\n    parameters: {inputs: {data_dir: data/}\n';
// Well-formed YAML that mlcube refuses: no `tasks:` (CubeLab's own check, mlcube/missing-tasks).
const NO_TASKS = 'name: other\ndocker:\n  image: mlcommons/mnist:0.0.1\n';

const cleanups: (() => Promise<void> | void)[] = [];
let browser: Browser;
let withStandin = '';
let withoutStandin = '';

before(async () => {
  checkPrerequisites();
  const standin = await packageRedHatYamlStandin();
  cleanups.push(() => rmSync(standin.dir, { recursive: true, force: true }));
  withoutStandin = tempDir('ext');
  withStandin = tempDir('ext');
  cleanups.push(() => rmSync(withoutStandin, { recursive: true, force: true }), () => rmSync(withStandin, { recursive: true, force: true }));
  await installVsix(defaultVsix, withoutStandin);
  await installVsix(defaultVsix, withStandin);
  await installVsix(standin.vsix, withStandin);
  browser = await launchBrowser();
  cleanups.push(() => browser.close());
});

after(async () => { for (const c of cleanups.reverse()) await c(); });

/** A workspace with the broken manifest and, beside it, the well-formed one without tasks. */
function workspace(): string {
  const dir = tempDir('ws');
  writeFileSync(join(dir, 'mlcube.yaml'), BROKEN);
  writeFileSync(join(dir, 'mlcube-notasks.yaml'), NO_TASKS);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function open(extensionsDir: string): Promise<{ server: CodeServer; page: Awaited<ReturnType<typeof openWorkbench>> }> {
  const server = await startCodeServer({ folder: workspace(), extensionsDir, settings: { 'security.workspace.trust.enabled': false } });
  cleanups.push(() => server.stop());
  return { server, page: await openWorkbench(browser, server.url) };
}

/** The problems listed for the broken manifest (each server places the error where its parser stops: line 6 or 7). */
const onBroken = (ps: Problem[]) => ps.filter((p) => p.file === 'mlcube.yaml');

test('with the Red Hat YAML stand-in: the syntax error shows once (from the YAML server), CubeLab\'s own checks still show', { timeout: 240_000 }, async () => {
  const { server, page } = await open(withStandin);
  try {
    await quickOpen(page, 'mlcube-notasks.yaml');
    // CubeLab runs in this window: its own check on the well-formed manifest.
    const own = await waitForProblem(page, (p) => p.code === 'mlcube/missing-tasks' && p.file === 'mlcube-notasks.yaml');
    assert.equal(own.source, 'CubeLab');
    await quickOpen(page, 'mlcube.yaml');
    const syntax = await waitForProblem(page, (p) => p.file === 'mlcube.yaml' && p.source === 'YAML');
    assert.match(syntax.message, /Flow map|end with a \}/);
    // Both servers have answered for the broken file by now (CubeLab answered for the other one first); a few
    // more seconds for a late duplicate to arrive before counting.
    await page.waitForTimeout(4000);
    const shown = onBroken(await readProblems(page));
    await screenshot(page, 'redhat-yaml-standin');
    assert.equal(shown.length, 1, `the syntax error once: ${JSON.stringify(shown, null, 1)}`);
    assert.deepEqual(shown[0], syntax);
    assert.ok(!shown.some((p) => p.source === 'CubeLab'), 'CubeLab leaves it to the YAML server');
    assert.ok((await readProblems(page)).some((p) => p.code === 'mlcube/missing-tasks'), 'CubeLab\'s own check is still listed');
  } catch (err) {
    await screenshot(page, 'redhat-yaml-standin-failed').catch(() => undefined);
    throw new Error(`${(err as Error).message}\ncode-server log:\n${server.log().slice(-3000)}`);
  }
  await page.close();
});

test('without it: CubeLab reports the syntax error itself', { timeout: 240_000 }, async () => {
  const { server, page } = await open(withoutStandin);
  try {
    await quickOpen(page, 'mlcube.yaml');
    const syntax = await waitForProblem(page, (p) => p.file === 'mlcube.yaml' && p.code === 'yaml-syntax');
    assert.equal(syntax.source, 'CubeLab');
    assert.equal(syntax.line, 6);
    assert.match(syntax.message, /^YAML syntax error: .*mlcube cannot load this file\.$/);
    await page.waitForTimeout(2000);
    assert.equal(onBroken(await readProblems(page)).length, 1);
  } catch (err) {
    await screenshot(page, 'redhat-yaml-none-failed').catch(() => undefined);
    throw new Error(`${(err as Error).message}\ncode-server log:\n${server.log().slice(-3000)}`);
  }
  await page.close();
});
