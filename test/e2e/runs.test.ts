/**
 * Tier 3: runs in a real VS Code (code-server in headless Chromium) against the real Docker engine. A task
 * runs from its "▶ Run" code lens and shows up in the Runs tree (status) and in its terminal (a line the task
 * printed); a long-running task is stopped from the Runs tree; the Cubes tree lists the manifest's tasks.
 * In Restricted Mode, the lens says why nothing runs, the command palette does not offer Run Task, and no
 * container or run record is created.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot, tempDir } from './helpers/codeServer';
import { answerTrustDialog, paletteEntries, quickOpen, runCommand, screenshot, statusBarText } from './helpers/workbench';
import { codeServerSuite, withEvidence, type Session } from './helpers/suite';

const MANIFEST = `name: runs-e2e
docker:
  image: cubelab-test/busybox:1
  cpu_args: --network=none
tasks:
  train:
    entrypoint: /bin/sh -c 'echo "hello from train $0"; echo trained > "$(echo $0 | cut -d= -f2)/model.txt"'
    parameters:
      outputs:
        model: {type: directory, default: model}
  serve:
    entrypoint: /bin/sh -c 'echo serving; while true; do sleep 0.1; done'
    parameters:
      outputs:
        out: {type: directory, default: served}
  count:
    entrypoint: /bin/sh -c 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.02; done'
    parameters:
      outputs:
        out: {type: directory, default: counted}
`;

// The real engine and the offline test image (idempotent: a running engine is left as it is).
const suite = codeServerSuite(() => execFileSync('bash', [join(repoRoot, 'test/env/setup-docker.sh')], { stdio: 'inherit' }));

async function session(settings: Record<string, unknown>): Promise<Session & { folder: string }> {
  const folder = tempDir('runs');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'mlcube.yaml'), MANIFEST);
  suite.onCleanup(() => {
    // Containers of this folder's runs (a failed test may leave one running).
    const ids = containersOf(folder);
    if (ids.length) docker(['rm', '-f', ...ids]);
    rmSync(folder, { recursive: true, force: true });
  });
  // The DOM terminal renderer, so that the terminal's text can be read.
  return { ...(await suite.open(folder, { 'terminal.integrated.gpuAcceleration': 'off', ...settings })), folder };
}

function docker(args: string[]): string {
  return execFileSync('/usr/bin/docker', args, { encoding: 'utf8' }).trim();
}

function containersOf(folder: string): string[] {
  return docker(['ps', '-aq', '--filter', `label=org.cubelab.manifest=${join(folder, 'mlcube.yaml')}`]).split('\n').filter(Boolean);
}

/** Clicks the code lens `title` of the `nth` task (0-based) of the open manifest. */
async function clickLens(page: Page, title: string, nth: number): Promise<void> {
  const lens = page.locator('.monaco-editor .codelens-decoration a').filter({ hasText: title }).nth(nth);
  await lens.waitFor({ state: 'visible', timeout: 60_000 });
  await lens.click();
}

async function showCubeLab(page: Page): Promise<void> {
  await runCommand(page, 'View: Show CubeLab');
  await page.locator('.pane-header').filter({ hasText: /Runs/ }).first().waitFor({ timeout: 30_000 });
}

/** The Runs tree's row of the run of `task` (label and description, e.g. "train succeeded · 1 s · exit 0"). */
function runRow(page: Page, task: string): ReturnType<Page['locator']> {
  const pane = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /^\s*Runs/ }) });
  return pane.locator('.monaco-list-row').filter({ has: page.locator('.label-name').getByText(task, { exact: true }) }).first();
}

test('a task runs from its code lens: Runs tree status, terminal output, outputs on disk; another is stopped', { timeout: 300_000 }, async () => {
  const s = await session({ 'security.workspace.trust.enabled': false });
  const { page, folder } = s;
  await withEvidence(s, 'runs-failed', async () => {
    await quickOpen(page, 'mlcube.yaml');
    await showCubeLab(page);
    // The Cubes tree lists the manifest and its tasks.
    const cubes = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /^\s*Cubes/ }) });
    await cubes.locator('.monaco-list-row').filter({ hasText: 'runs-e2e' }).first().waitFor({ timeout: 60_000 });
    assert.deepEqual(await cubes.locator('.monaco-list-row .label-name').allInnerTexts(), ['runs-e2e', 'train', 'serve', 'count']);
    assert.match(await cubes.locator('.monaco-list-row').first().innerText(), /mlcube\.yaml/);
    // A manifest created on disk (not in the editor) joins the tree without a manual refresh.
    mkdirSync(join(folder, 'second'));
    writeFileSync(join(folder, 'second', 'mlcube.yaml'), 'name: second-cube\ndocker:\n  image: busybox\ntasks:\n  only:\n    entrypoint: /bin/true\n');
    await cubes.locator('.monaco-list-row').filter({ hasText: 'second-cube' }).first().waitFor({ timeout: 30_000 });

    await clickLens(page, '▶ Run', 0);
    // The task's terminal shows what the container printed.
    await page.locator('.xterm-rows').filter({ hasText: 'hello from train --model=/mlcube_io0' }).first().waitFor({ timeout: 90_000 });
    const train = runRow(page, 'train');
    await train.locator('.label-description').getByText(/succeeded/).waitFor({ timeout: 60_000 });
    assert.match(await train.locator('.label-description').innerText(), /^succeeded · \d+ s · exit 0$/);
    assert.equal(readFileSync(join(folder, 'workspace', 'model', 'model.txt'), 'utf8'), 'trained\n');
    await screenshot(page, 'runs-succeeded');

    // A long-running task: running, then stopped from the Runs tree's inline action.
    await clickLens(page, '▶ Run', 1);
    const serve = runRow(page, 'serve');
    await serve.locator('.label-description').getByText(/^running/).waitFor({ timeout: 60_000 });
    // The row is drawn again every second (its elapsed time), so a click can land on the row being replaced and
    // do nothing (seen once: the Stop Run tooltip shown, the run still running). Stop is idempotent: click again.
    const stopped = serve.locator('.label-description').getByText(/^stopped/);
    for (let attempt = 0; ; attempt++) {
      await serve.hover();
      // Gone once the run is stopping: then only wait.
      await serve.locator('.action-label[aria-label="Stop Run"]').click({ timeout: 5_000 }).catch(() => undefined);
      const ok = await stopped.waitFor({ timeout: 15_000 }).then(() => true, () => false);
      if (ok) break;
      if (attempt === 3) assert.fail('the run did not show "stopped" after four clicks on Stop Run');
    }
    await screenshot(page, 'runs-stopped');
    const records = readdirSync(join(folder, '.cubelab', 'runs')).filter((d) => existsSync(join(folder, '.cubelab', 'runs', d, 'run.json')))
      .map((d) => JSON.parse(readFileSync(join(folder, '.cubelab', 'runs', d, 'run.json'), 'utf8')) as { task: string; status: string; exitCode: number | null });
    assert.deepEqual(records.map((r) => [r.task, r.status]).sort(), [['serve', 'stopped'], ['train', 'succeeded']]);
    assert.equal(docker(['ps', '-q', '--filter', `label=org.cubelab.manifest=${join(folder, 'mlcube.yaml')}`]), '', 'no container of this folder still running');
  });
  await page.close();
});

test('in Restricted Mode nothing runs: the lens says why, the palette offers no Run Task, and no container or record appears', { timeout: 240_000 }, async () => {
  const s = await session({ 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'always' });
  const { page, folder } = s;
  await withEvidence(s, 'runs-restricted-failed', async () => {
    await answerTrustDialog(page, false);
    assert.match(await statusBarText(page), /Restricted Mode/);
    await quickOpen(page, 'mlcube.yaml');
    const why = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'CubeLab runs nothing in a restricted workspace' });

    await clickLens(page, '▶ Run', 0);
    await why.first().waitFor({ timeout: 30_000 });
    assert.match(await why.first().innerText(), /Trust the workspace to run it/);
    await screenshot(page, 'runs-restricted');
    // The command palette does not offer Run Task on the manifest at all (it could not act); it still offers
    // what works in Restricted Mode.
    await page.keyboard.press('Escape');
    assert.ok((await paletteEntries(page, 'CubeLab: Show Server Info', 'CubeLab: Show Server Info')).includes('CubeLab: Show Server Info'), 'the palette lists CubeLab\'s commands');
    const entries = (await paletteEntries(page, 'CubeLab: Run Task')).filter((e) => e.startsWith('CubeLab: Run Task'));
    assert.deepEqual(entries, [], `offered in Restricted Mode: ${entries.join(', ')}`);

    // The Runs view says what is off and why (its welcome in Restricted Mode).
    await showCubeLab(page);
    const runsPane = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /^\s*Runs/ }) });
    await runsPane.getByText(/Restricted Mode: no task runs/).first().waitFor({ timeout: 30_000 });
    assert.equal(await runsPane.getByText('No runs yet').count(), 0, 'the trusted-workspace welcome (with its Run Task button) is not shown');

    // Give a wrongly started run time to show up, then check nothing did.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(existsSync(join(folder, '.cubelab')), false, 'no run store created');
    assert.deepEqual(containersOf(folder), [], 'no container created');
  });
  await page.close();
});

test('a window reload mid-run: the run is re-attached, its terminal is back, and the stored log has every line once', { timeout: 300_000 }, async () => {
  const s = await session({ 'security.workspace.trust.enabled': false });
  const { page, folder } = s;
  await withEvidence(s, 'runs-reload-failed', async () => {
    await quickOpen(page, 'mlcube.yaml');
    await showCubeLab(page);
    await clickLens(page, '▶ Run', 2);
    const count = runRow(page, 'count');
    await count.locator('.label-description').getByText(/^running/).waitFor({ timeout: 60_000 });
    await page.locator('.xterm-rows').filter({ hasText: 'line 20' }).first().waitFor({ timeout: 60_000 });

    await runCommand(page, 'Developer: Reload Window');
    await page.locator('#workbench\\.parts\\.statusbar').waitFor({ timeout: 60_000 });
    await showCubeLab(page);
    // After the reload: still running, and a terminal follows it again.
    const again = runRow(page, 'count');
    await again.locator('.label-description').getByText(/^running/).waitFor({ timeout: 60_000 });
    // The terminal is named after the task, and shows the container's lines as they come.
    await page.locator('#workbench\\.parts\\.panel').getByText('count (re-attached)').first().waitFor({ timeout: 30_000 });
    const rows = page.locator('.xterm-rows:visible').filter({ hasText: /line \d+/ }).first();
    await rows.waitFor({ timeout: 30_000 });
    const lastShown = async (): Promise<number> => Math.max(...[...(await rows.innerText()).matchAll(/line (\d+)/g)].map((m) => Number(m[1])));
    const before = await lastShown();
    await page.waitForTimeout(1500);
    assert.ok(await lastShown() > before, 'the terminal follows the running container');
    await again.hover();
    await again.locator('.action-label[aria-label="Stop Run"]').click();
    await again.locator('.label-description').getByText(/^stopped/).waitFor({ timeout: 60_000 });
    await screenshot(page, 'runs-reloaded');

    const runs = join(folder, '.cubelab', 'runs');
    const dir = readdirSync(runs).find((d) => existsSync(join(runs, d, 'run.json')) && (JSON.parse(readFileSync(join(runs, d, 'run.json'), 'utf8')) as { task: string }).task === 'count');
    assert.ok(dir, 'a record of the count run');
    const lines = readFileSync(join(runs, dir, 'run.log'), 'utf8').split('\n')
      .map((l) => /^\S+ out line (\d+)$/.exec(l)?.[1]).filter((n): n is string => n !== undefined).map(Number);
    assert.ok(lines.length > 40, `the run went on across the reload (${lines.length} lines)`);
    assert.deepEqual(lines, lines.map((_, i) => i + 1), 'every line once, in order: nothing duplicated, nothing missing');
  });
  await page.close();
});
