/**
 * Docker over SSH in a real VS Code (code-server in headless Chromium), against the real sshd and second Docker
 * engine of test/env/setup-remote.sh, with the tests' own SSH config (the target's `sshConfig`), known_hosts and
 * keys, never the machine's ~/.ssh. The target is a
 * machine setting (code-server's extension host runs on the server, so machine-scoped settings come from there). A task is run
 * from its "▶ Run" lens on the SSH target picked in the quick pick; its line shows in the terminal, the run in the
 * Runs tree and the Targets view, and the synced output opens from the workspace. In Restricted Mode nothing
 * contacts the host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot, tempDir } from './helpers/codeServer';
import { answerTrustDialog, quickOpen, runCommand, screenshot } from './helpers/workbench';
import { codeServerSuite, withEvidence } from './helpers/suite';

const MANIFEST = `name: remote-e2e
docker:
  image: cubelab-test/busybox:1
  cpu_args: --network=none
tasks:
  train:
    entrypoint: /bin/sh -c 'echo "training on $(hostname -s 2>/dev/null || echo remote) as $(id -u)"; echo "trained remotely" > /mlcube_io0/model.txt'
    parameters:
      outputs:
        model: {type: directory, default: model}
`;

const suite = codeServerSuite(() => {
  execFileSync('bash', [join(repoRoot, 'test/env/setup-docker.sh')], { stdio: 'inherit' });
  execFileSync('bash', [join(repoRoot, 'test/env/setup-remote.sh')], { stdio: 'inherit' });
});

// ssh reads ~ from the account database, not $HOME: the tests' SSH config is named in the target (ssh -F).
const TARGETS = [{ name: 'gpu-box', kind: 'docker-ssh', host: 'cubelab-remote', socket: '/run/cubelab-remote/docker.sock', workDir: '~/cubelab-e2e', sshConfig: '/var/lib/cubelab-remote/client/ssh_config' }];
const logins = (): number => readFileSync('/run/cubelab-remote/sshd.log', 'utf8').split('\n').filter((l) => /Accepted publickey/.test(l)).length;

function workspaceFolder(): string {
  const folder = tempDir('remote');
  writeFileSync(join(folder, 'mlcube.yaml'), MANIFEST);
  suite.onCleanup(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

async function clickLens(page: Page, title: string): Promise<void> {
  const lens = page.locator('.monaco-editor .codelens-decoration a').filter({ hasText: title }).first();
  await lens.waitFor({ state: 'visible', timeout: 60_000 });
  await lens.click();
}

function pane(page: Page, title: string): ReturnType<Page['locator']> {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${title}`) }) });
}

test('a task runs on the SSH target picked from its lens: terminal, Runs tree, Targets view, the synced output opens', { timeout: 300_000 }, async () => {
  const folder = workspaceFolder();
  const s = await suite.open(folder, { 'security.workspace.trust.enabled': false, 'terminal.integrated.gpuAcceleration': 'off' }, {}, { 'cubelab.targets': TARGETS });
  const { page } = s;
  await withEvidence(s, 'remote-failed', async () => {
    await quickOpen(page, 'mlcube.yaml');
    await runCommand(page, 'View: Show CubeLab');
    await clickLens(page, '▶ Run');
    // The target picker: the local engine and gpu-box.
    const picker = page.locator('.quick-input-widget');
    await picker.locator('.monaco-list-row').filter({ hasText: 'gpu-box' }).first().waitFor({ timeout: 30_000 });
    assert.deepEqual((await picker.locator('.monaco-list-row .label-name').allInnerTexts()).map((t) => t.trim()).sort(), ['gpu-box', 'local']);
    await picker.locator('.monaco-list-row').filter({ hasText: 'gpu-box' }).first().click();
    const uid = execFileSync('id', ['-u', 'cubelab-remote']).toString().trim();
    await page.locator('.xterm-rows').filter({ hasText: /training on / }).first().waitFor({ timeout: 120_000 });
    const runs = pane(page, 'Runs');
    const row = runs.locator('.monaco-list-row').filter({ has: page.locator('.label-name').getByText('train', { exact: true }) }).first();
    await row.locator('.label-description').getByText(/succeeded/).waitFor({ timeout: 90_000 });
    assert.match(await row.locator('.label-description').innerText(), /^succeeded · \d+ s · exit 0 · gpu-box$/);
    // The output came back into the workspace; it opens like any file.
    assert.equal(readFileSync(join(folder, 'workspace', 'model', 'model.txt'), 'utf8'), 'trained remotely\n');
    await quickOpen(page, 'model.txt');
    await page.locator('.editor-instance .view-lines').filter({ hasText: 'trained remotely' }).first().waitFor({ timeout: 30_000 });
    // The Targets view: gpu-box connected.
    const targets = pane(page, 'Targets');
    const box = targets.locator('.monaco-list-row').filter({ hasText: 'gpu-box' }).first();
    await box.locator('.label-description').getByText(/connected/).waitFor({ timeout: 30_000 });
    assert.match(await box.locator('.label-description').innerText(), /^Docker over SSH · cubelab-remote · connected/);
    await screenshot(page, 'remote-succeeded');
    const records = readdirSync(join(folder, '.cubelab', 'runs')).filter((d) => existsSync(join(folder, '.cubelab', 'runs', d, 'run.json')))
      .map((d) => JSON.parse(readFileSync(join(folder, '.cubelab', 'runs', d, 'run.json'), 'utf8')) as { target: { kind: string; name: string }; status: string; outputs?: unknown[] });
    assert.deepEqual(records.map((r) => [r.target.kind, r.target.name, r.status, r.outputs?.length]), [['docker-ssh', 'gpu-box', 'succeeded', 1]]);
    assert.ok(uid.length > 0);
  });
});

test('Restricted Mode: Run says why nothing runs, and the SSH host is never contacted', { timeout: 180_000 }, async () => {
  const folder = workspaceFolder();
  const before = logins();
  const s = await suite.open(folder, { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'always' }, {}, { 'cubelab.targets': TARGETS });
  const { page } = s;
  await withEvidence(s, 'remote-restricted-failed', async () => {
    await answerTrustDialog(page, false);
    await quickOpen(page, 'mlcube.yaml');
    // (The palette does not offer Run Task on Target in Restricted Mode: conventions.test.ts checks the palette.)
    await clickLens(page, '▶ Run').catch(() => undefined);
    await page.locator('.notifications-toasts').getByText(/runs nothing in a restricted workspace/).first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'View: Show CubeLab');
    const targets = pane(page, 'Targets');
    await targets.locator('.monaco-list-row').first().waitFor({ timeout: 30_000 });
    assert.deepEqual((await targets.locator('.monaco-list-row .label-name').allInnerTexts()).map((t) => t.trim()), ['local'], 'no SSH target is even read');
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(logins(), before, 'no SSH login happened');
    assert.equal(existsSync(join(folder, '.cubelab', 'runs')), false, 'no run record');
  });
});
