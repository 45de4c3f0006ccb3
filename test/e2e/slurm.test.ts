/**
 * A sweep on Slurm in a real VS Code (code-server in headless Chromium), against the real single-node cluster of
 * test/env/setup-slurm.sh (sbatch on this machine; the target is a machine setting). "CubeLab: Run Sweep…" from
 * the manifest: values typed in the quick input, the Slurm target picked; the Runs tree shows the sweep as one
 * run whose elements finish, and each element's output is in its own folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot, tempDir } from './helpers/codeServer';
import { quickOpen, runCommand, screenshot } from './helpers/workbench';
import { codeServerSuite, withEvidence } from './helpers/suite';

const MANIFEST = `name: sweep-e2e
seed: 0
docker:
  image: cubelab-test/busybox:1
  cpu_args: --network=none
tasks:
  train:
    entrypoint: /bin/sh -c 'echo "seed \${seed}"; echo "\${seed}" > /mlcube_io0/seed.txt'
    parameters:
      outputs:
        model: {type: directory, default: model}
`;

const suite = codeServerSuite(() => {
  execFileSync('bash', [join(repoRoot, 'test/env/setup-docker.sh')], { stdio: 'inherit' });
  execFileSync('bash', [join(repoRoot, 'test/env/setup-slurm.sh')], { stdio: 'inherit' });
});

function pane(page: Page, title: string): ReturnType<Page['locator']> {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${title}`) }) });
}

test('a sweep on the Slurm target: one run in the Runs tree, its three elements finish, each output in its own folder', { timeout: 300_000 }, async () => {
  const folder = tempDir('slurm');
  writeFileSync(join(folder, 'mlcube.yaml'), MANIFEST);
  const work = join(repoRoot, 'test', 'out', 'slurm-e2e-work');
  mkdirSync(work, { recursive: true });
  suite.onCleanup(() => rmSync(folder, { recursive: true, force: true }));
  const targets = [{ name: 'cluster', kind: 'slurm', workDir: work, partition: 'debug', pollSeconds: 2 }];
  const s = await suite.open(folder, { 'security.workspace.trust.enabled': false, 'terminal.integrated.gpuAcceleration': 'off' }, {}, { 'cubelab.targets': targets });
  const { page } = s;
  await withEvidence(s, 'slurm-sweep-failed', async () => {
    await quickOpen(page, 'mlcube.yaml');
    await runCommand(page, 'View: Show CubeLab');
    await quickOpen(page, 'mlcube.yaml');
    await runCommand(page, 'CubeLab: Run Sweep...');
    const input = page.locator('.quick-input-widget');
    await input.locator('.monaco-list-row').filter({ hasText: 'Values typed here' }).first().click({ timeout: 30_000 });
    const box = input.locator('input.input');
    await box.waitFor({ timeout: 30_000 });
    await box.fill('-Pseed=1,2,3');
    await page.keyboard.press('Enter');
    await input.locator('.monaco-list-row').filter({ hasText: 'cluster' }).first().click({ timeout: 30_000 });
    const runs = pane(page, 'Runs');
    const row = runs.locator('.monaco-list-row').filter({ has: page.locator('.label-name').getByText('train (sweep of 3)', { exact: true }) }).first();
    await row.locator('.label-description').getByText(/^succeeded · 3\/3 done/).waitFor({ timeout: 180_000 });
    const desc = await row.locator('.label-description').innerText();
    assert.match(desc, /^succeeded · 3\/3 done · \d+ s · exit 0 · cluster$/, `the sweep row: ${desc}`);
    // Its elements, each with its overrides and end.
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.locator('.monaco-tl-twistie').click();
    const elements = runs.locator('.monaco-list-row').filter({ has: page.locator('.label-name').getByText(/^#\d/) });
    await elements.nth(2).waitFor({ timeout: 30_000 });
    const labels = (await elements.locator('.label-name').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(labels, ['#0 -Pseed=1', '#1 -Pseed=2', '#2 -Pseed=3']);
    for (const d of await elements.locator('.label-description').allInnerTexts()) assert.match(d, /^succeeded · \d+ s · exit 0$/);
    await screenshot(page, 'slurm-sweep-succeeded');
    const runId = readdirSync(join(folder, '.cubelab', 'runs')).find((d) => !d.startsWith('.'))!;
    for (let i = 0; i < 3; i++) {
      assert.equal(readFileSync(join(folder, '.cubelab', 'runs', runId, 'elements', String(i), 'workspace', 'model', 'seed.txt'), 'utf8'), `${i + 1}\n`);
    }
    const record = JSON.parse(readFileSync(join(folder, '.cubelab', 'runs', runId, 'run.json'), 'utf8')) as { target: { kind: string }; sweep: { count: number; counts: Record<string, number> } };
    assert.deepEqual([record.target.kind, record.sweep.count, record.sweep.counts], ['slurm', 3, { succeeded: 3 }]);
  });
});
