/**
 * Tier 3: watching runs in a real VS Code (code-server in headless Chromium). A workspace holds a generated
 * MLgym event storage (the generator the demo workspace uses); from the command palette the user opens the
 * Experiments table (one row per experiment, a filter narrows them), the Metrics panel (one chart per
 * `<split>_<tag>`, one line per experiment) and a Model card, exported as HTML: the file on disk is checked.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { tempDir } from './helpers/codeServer';
import { runCommand, screenshot } from './helpers/workbench';
import { codeServerSuite, withEvidence, type Session } from './helpers/suite';
import { writeEventStorage } from '../helpers/eventGenerator';

const GRID_SEARCH = '2024-02-14--22-15-46';
const EXPERIMENTS = 6;

const suite = codeServerSuite();
let session: Session;
let page: Page;
let gridSearchDir: string;

before(async () => {
  const folder = tempDir('panels');
  mkdirSync(folder, { recursive: true });
  suite.onCleanup(() => rmSync(folder, { recursive: true, force: true }));
  // Experiment 2's job fails halfway: the filter below finds it by its status.
  gridSearchDir = writeEventStorage(join(folder, 'event_storage'), { gridSearchId: GRID_SEARCH, experiments: EXPERIMENTS, epochs: 4, failing: [2], checkpointEpochs: [1, 3] }).dir;
  session = await suite.open(folder, { 'security.workspace.trust.enabled': false });
  page = session.page;
});

/** The page inside the active editor's webview (code-server nests it in two iframes). */
function webview(): FrameLocator {
  return page.locator('iframe.webview.ready:visible').first().contentFrame().locator('#active-frame').contentFrame();
}

/** Picks the entry whose label contains `text` in the open Quick Pick. */
async function pick(text: string | RegExp): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
}

test('the Experiments table lists every experiment and a filter narrows the rows', { timeout: 180_000 }, async () => {
  await withEvidence(session, 'panels-experiments-failed', async () => {
    await runCommand(page, 'CubeLab: Open Experiments Table');
    // MLboard's empty publisher rooms are not offered next to the grid search.
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.doesNotMatch((await rows.allInnerTexts()).join('\n'), /mlgym_event_publishers|mlgym_streamed_logger/);
    await pick(GRID_SEARCH);
    const table = webview();
    await table.locator('.row').nth(EXPERIMENTS - 1).waitFor({ timeout: 60_000 });
    assert.deepEqual(await table.locator('.row:visible').evaluateAll((rs) => rs
      // Pooled rows: the DOM order is not the screen order; data-index is the row's place in the view.
      .map((r) => ({ id: (r as HTMLElement).dataset.id ?? '', i: Number((r as HTMLElement).dataset.index) })).sort((a, b) => a.i - b.i).map((r) => r.id)), ['0', '1', '2', '3', '4', '5']);
    await table.locator('#filter input').fill('failed');
    await table.locator('.count').getByText('1 of 6 experiments').waitFor({ timeout: 15_000 });
    assert.deepEqual(await table.locator('.row:visible').evaluateAll((rs) => rs
      // Pooled rows: the DOM order is not the screen order; data-index is the row's place in the view.
      .map((r) => ({ id: (r as HTMLElement).dataset.id ?? '', i: Number((r as HTMLElement).dataset.index) })).sort((a, b) => a.i - b.i).map((r) => r.id)), ['2']);
    await screenshot(page, 'panels-experiments-filtered');
    await runCommand(page, 'View: Close All Editors');
  });
});

test('the Metrics panel draws one chart per split and tag, one line per experiment', { timeout: 180_000 }, async () => {
  await withEvidence(session, 'panels-metrics-failed', async () => {
    await runCommand(page, 'CubeLab: Open Metrics');
    await pick(GRID_SEARCH);
    const metrics = webview();
    const chart = metrics.locator('.chart[data-key="val_F1_SCORE_macro"]');
    await chart.locator('canvas').first().waitFor({ timeout: 60_000 });
    // uPlot's legend: the epoch axis, then one entry per experiment.
    assert.equal(await chart.locator('.u-legend .u-series').count(), EXPERIMENTS + 1);
    const titles = await metrics.locator('.chart-title').allInnerTexts();
    assert.ok(titles.includes('train_cross_entropy_loss') && titles.includes('val_F1_SCORE_macro'), `chart titles: ${titles.join(', ')}`);
    await screenshot(page, 'panels-metrics');

    // Selecting an experiment in the sidebar's Experiments tree narrows the open chart to it.
    await runCommand(page, 'View: Show CubeLab');
    const pane = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /^\s*Experiments/ }) });
    const gridRow = pane.locator('.monaco-list-row').filter({ hasText: GRID_SEARCH }).first();
    await gridRow.waitFor({ timeout: 60_000 });
    assert.match(await gridRow.innerText(), /6 experiments/);
    if ((await gridRow.getAttribute('aria-expanded')) !== 'true') await gridRow.locator('.monaco-tl-twistie').click();
    await pane.locator('.monaco-list-row').filter({ hasText: 'experiment 3' }).first().click();
    const deadline = Date.now() + 30_000;
    while (await chart.locator('.u-legend .u-series').count() !== 2 && Date.now() < deadline) await page.waitForTimeout(250);
    assert.deepEqual((await chart.locator('.u-legend .u-series').allInnerTexts()).slice(1).map((t) => t.trim().split(/\s/)[0]), ['exp']);
    assert.match((await chart.locator('.u-legend .u-series').nth(1).innerText()).trim(), /^exp 3\b/);
    await screenshot(page, 'panels-metrics-tree-selection');
    await runCommand(page, 'View: Close All Editors');
  });
});

test('a model card opens for an experiment and exports as one self-contained HTML file', { timeout: 180_000 }, async () => {
  await withEvidence(session, 'panels-modelcard-failed', async () => {
    await runCommand(page, 'CubeLab: Open Model Card');
    await pick(GRID_SEARCH);
    await pick('Experiment 3');
    const card = webview();
    await card.locator('svg.pipeline g.node').first().waitFor({ timeout: 60_000 });
    assert.ok(await card.locator('svg.pipeline g.node[data-component="model"]').count() === 1, 'the pipeline graph has the model');
    await card.locator('#export-html').click();
    // The save dialog (VS Code's own in the browser) proposes a file in the grid search folder: accept it.
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    // The dialog fills in the folder first, then the proposed file name.
    await page.waitForFunction(() => /\.html$/.test((document.querySelector('.quick-input-widget input') as HTMLInputElement | null)?.value ?? ''), undefined, { timeout: 30_000 });
    const proposed = await input.inputValue();
    assert.ok(proposed.startsWith(gridSearchDir), `proposed ${proposed}`);
    await page.keyboard.press('Enter');
    const deadline = Date.now() + 30_000;
    while (!existsSync(proposed) && Date.now() < deadline) await page.waitForTimeout(250);
    const html = readFileSync(proposed, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/i);
    assert.doesNotMatch(html, /<script/i, 'no script in the exported card');
    assert.doesNotMatch(html, /\b(src|href)=["']?https?:/i, 'no remote content');
    assert.match(html, /<svg[^>]*class="pipeline"/, 'the pipeline graph is inline SVG');
    assert.match(html, /<dt>Grid search<\/dt><dd>[^<]*2024-02-14--22-15-46/);
    assert.match(html, /<dt>Experiment<\/dt><dd>[^<]*3</);
    await screenshot(page, 'panels-modelcard');
  });
});
