/**
 * The Review panel's page (webviews/review) in headless Chromium, driven through its message contract as the
 * extension drives it: the list least confident first with verdicts shown by icon and text, review commands (the
 * keybindings' messages) turned into verdicts and moves, a class picked by number, a box selected and deleted, a
 * verdict from another window shown, filters restored from the saved state, a bad line of the predictions named,
 * typing in a field reported (so single-key bindings stay quiet), invalid messages dropped, and 10,000 items with
 * a bounded DOM. CSP violations and page errors fail every test.
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { openWebview, startHarness, type WebviewHarness, type WebviewPage } from './harness';
import type { ReviewItem, ReviewToWebview } from '../../shared/webview-protocol/review';

let h: WebviewHarness;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

const SOURCE = '/r/predictions/s1/predictions.jsonl';
const classes = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function items(): ReviewItem[] {
  return [
    { i: 0, path: '3/a.png', label: '3', score: 0.9, top: [['3', 0.9], ['8', 0.05]], verdict: 'unreviewed' },
    { i: 1, path: '3/b.png', label: '3', score: 0.4, verdict: 'unreviewed' },
    { i: 2, path: '7/c.png', label: '1', score: 0.6, verdict: 'valid' },
    {
      i: 3, path: 'canvas-1.png', verdict: 'unreviewed',
      boxes: [{ label: '7', score: 0.8, x: 4, y: 4, width: 10, height: 14 }, { label: '2', score: 0.7, x: 30, y: 30, width: 10, height: 12 }],
      mask: { rle: [{ size: [64, 64], counts: [300, 10, 3786] }, { size: [64, 64], counts: [2000, 8, 2088] }], labels: ['7', '2'] },
    },
  ];
}

const init = (list: ReviewItem[] = items()): ReviewToWebview => ({
  type: 'init', source: SOURCE, title: 'Review: s1', imageBase: '', maskBase: '', classes, items: list,
  problems: [{ line: 4, message: '"score" must be a number from 0 to 1' }], problemCount: 1, keys: { acceptAndNext: 'Enter' },
});

async function clean(p: WebviewPage): Promise<void> {
  assert.deepEqual(await p.cspViolations(), [], 'no CSP violations');
  assert.deepEqual(p.errors, [], 'no page or console errors');
}

/** The rows a user sees, top to bottom: verdict text, score, label, path. */
const rows = (p: WebviewPage) => p.page.$$eval('.row', (rs) => rs
  .filter((r) => !(r as HTMLElement).hidden)
  .sort((a, b) => parseFloat((a as HTMLElement).style.top) - parseFloat((b as HTMLElement).style.top))
  .map((r) => Array.from(r.children).map((c) => c.textContent ?? '').join(' | ')));

/**
 * Page code (text, so no transpiler helper leaks in): posts the init message parsed from JSON, as VS Code delivers
 * it, and resolves with the milliseconds until the page says it painted the first item.
 */
function timedInit(json: string): string {
  return `new Promise((resolve) => {
    const posted = window.__posted;
    const before = posted.length;
    const t0 = performance.now();
    window.postMessage(JSON.parse(${JSON.stringify(json)}), '*');
    const check = () => (posted.slice(before).some((m) => m.type === 'painted') ? resolve(performance.now() - t0) : setTimeout(check, 0));
    check();
  })`;
}

const posted = async (p: WebviewPage, type: string) => (await p.posted()).filter((m) => m.type === type);

test('least confident first; verdicts by icon and text; the unreadable line named; the first item shown', async () => {
  const p = await openWebview(h, 'review');
  await p.send(init());
  await p.page.locator('.row').first().waitFor();
  assert.deepEqual(await rows(p), [
    '○ unreviewed | 0.400 | 3 | 3/b.png',
    '✓ valid | 0.600 | 1 | 7/c.png',
    '○ unreviewed | 0.700 | 7, 2 | canvas-1.png',
    '○ unreviewed | 0.900 | 3 | 3/a.png',
  ]);
  assert.equal(await p.page.locator('#count').textContent(), '4 of 4 shown · 1 reviewed');
  assert.match(await p.page.locator('#problems').textContent() ?? '', /1 line\(s\) .* line 4: "score" must be a number from 0 to 1/);
  assert.match(await p.page.locator('#info').textContent() ?? '', /○ unreviewed.*3\/b\.png.*Predicted 3 · score 0\.400/);
  assert.deepEqual((await p.waitForPosted('painted')).i, 1);
  await clean(p);
  await p.page.close();
});

test('accept and next, reject, a class by number, skip: verdicts posted, rows and detail updated', async () => {
  const p = await openWebview(h, 'review');
  await p.send(init());
  await p.waitForPosted('painted');
  await p.send({ type: 'command', command: 'acceptAndNext' });
  await p.waitForPosted('painted', 2);
  assert.deepEqual((await posted(p, 'verdict')).map((m) => [m.i, m.verdict]), [[1, 'valid']]);
  assert.equal((await posted(p, 'painted')).at(-1)!.i, 2, 'the next item in the view is shown');
  await p.send({ type: 'command', command: 'reject' });
  await p.send({ type: 'command', command: 'previous' });
  await p.send({ type: 'command', command: 'pickClass', arg: 8 });
  await p.page.waitForFunction(() => document.querySelectorAll('.row.selected .verdict-corrected').length === 1);
  const v = await posted(p, 'verdict');
  assert.deepEqual(v.map((m) => [m.i, m.verdict, m.correction ?? null]), [[1, 'valid', null], [2, 'invalid', null], [1, 'corrected', { label: '8' }]]);
  assert.deepEqual((await rows(p)).slice(0, 2), ['✎ corrected → 8 | 0.400 | 8 | 3/b.png', '✗ invalid | 0.600 | 1 | 7/c.png']);
  await p.send({ type: 'command', command: 'pickClass', arg: 3 });
  await p.page.waitForFunction(() => document.querySelector('.row.selected .verdict')?.textContent === '✓ valid');
  assert.deepEqual((await posted(p, 'verdict')).at(-1), { type: 'verdict', i: 1, verdict: 'valid' }, 'the predicted class again is valid');
  await p.send({ type: 'command', command: 'last' });
  await p.send({ type: 'command', command: 'skip' });
  await p.page.waitForFunction(() => document.querySelector('.row.selected')?.textContent?.includes('3/a.png'));
  assert.equal((await posted(p, 'verdict')).length, 4, 'skip gives no verdict');
  assert.equal(await p.page.locator('#count').textContent(), '4 of 4 shown · 2 reviewed');
  await clean(p);
  await p.page.close();
});

test('boxes and masks drawn; a box selected with the pointer and deleted is a correction', async () => {
  const p = await openWebview(h, 'review');
  await p.send(init());
  await p.page.locator('.row', { hasText: 'canvas-1.png' }).click();
  await p.page.locator('svg.boxes rect').nth(1).waitFor();
  assert.deepEqual(await p.page.$$eval('svg.boxes rect', (rs) => rs.map((r) => ['x', 'y', 'width', 'height'].map((k) => r.getAttribute(k)).join(','))), ['4,4,10,14', '30,30,10,12']);
  assert.deepEqual(await p.page.$$eval('svg.boxes text', (ts) => ts.map((t) => t.textContent)), ['7', '2']);
  const maskPixels = await p.page.evaluate(() => {
    const c = document.querySelector('canvas.mask') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let k = 3; k < d.length; k += 4) if (d[k]) n++;
    return [c.width, c.height, n];
  });
  assert.deepEqual(maskPixels, [64, 64, 18], 'both instances of the mask overlaid');
  const box = await p.page.locator('svg.boxes rect').nth(1).boundingBox();
  await p.page.mouse.click(box!.x + box!.width / 2, box!.y + box!.height / 2);
  await p.page.waitForFunction(() => document.querySelectorAll('svg.boxes g.selected').length === 1);
  await p.send({ type: 'command', command: 'deleteBox' });
  await p.page.waitForFunction(() => document.querySelectorAll('svg.boxes rect').length === 1);
  const v = (await posted(p, 'verdict')).at(-1)!;
  assert.deepEqual([v.i, v.verdict, (v.correction as { boxes: unknown[] }).boxes.length], [3, 'corrected', 1]);
  assert.match(await p.page.locator('.row.selected .verdict').textContent() ?? '', /✎ corrected \(1 box\)/);
  await clean(p);
  await p.page.close();
});

test('another window\'s verdict and an undo arrive as updates; reveal goes to the item', async () => {
  const p = await openWebview(h, 'review');
  await p.send(init());
  await p.waitForPosted('painted');
  await p.send({ type: 'reviews', updates: [{ i: 0, verdict: 'corrected', correction: { label: '5' } }, { i: 2, verdict: 'unreviewed' }] });
  await p.page.waitForFunction(() => document.body.textContent?.includes('corrected → 5'));
  assert.equal(await p.page.locator('#count').textContent(), '4 of 4 shown · 1 reviewed');
  await p.send({ type: 'reveal', i: 0 });
  await p.page.waitForFunction(() => document.querySelector('.row.selected')?.textContent?.includes('3/a.png'));
  assert.equal((await posted(p, 'verdict')).length, 0, 'updates from the extension are not posted back');
  await clean(p);
  await p.page.close();
});

test('filters from the saved state: verdict, class and score range', async () => {
  const p = await openWebview(h, 'review', { initialState: { source: SOURCE, label: '3', verdict: 'unreviewed', minScore: 0.5, maxScore: null, sort: 'score-desc', current: -1 } });
  await p.send(init());
  await p.page.locator('.row').first().waitFor();
  assert.deepEqual(await rows(p), ['○ unreviewed | 0.900 | 3 | 3/a.png']);
  assert.equal(await p.page.locator('#count').textContent(), '1 of 4 shown · 1 reviewed');
  await p.page.locator('#min-score input').fill('');
  await p.page.waitForFunction(() => document.getElementById('count')?.textContent?.startsWith('2 of 4'));
  assert.deepEqual((await rows(p)).map((r) => r.split(' | ')[3]), ['3/a.png', '3/b.png'], 'most confident first, as saved');
  const focus = await posted(p, 'inputFocus');
  assert.equal(focus[0]?.focused, true, 'typing in a field is reported, so the single-key bindings stay quiet');
  const state = await p.state() as { minScore: unknown; label: string };
  assert.deepEqual([state.minScore, state.label], [null, '3']);
  await clean(p);
  await p.page.close();
});

test('invalid messages are dropped; 10,000 items keep a bounded DOM and move at once', async () => {
  const p = await openWebview(h, 'review');
  await p.send({ type: 'command', command: 'rm -rf' });
  await p.send({ type: 'init', source: 1 });
  const many: ReviewItem[] = Array.from({ length: 10_000 }, (_, i) => ({ i, path: `${i % 10}/d${i}.png`, label: String(i % 10), score: ((i * 7919) % 10_000) / 10_000, verdict: 'unreviewed' }));
  // Timed in the page, from the message (parsed from JSON, as VS Code delivers it) to the frame that shows the first item.
  const first = await p.page.evaluate(timedInit(JSON.stringify(init(many)))) as number;
  assert.ok(first < 1500, `first screen in ${first.toFixed(0)} ms`);
  assert.ok(await p.page.locator('.row').count() < 120, 'only the rows in view are in the DOM');
  for (let k = 0; k < 20; k++) await p.send({ type: 'command', command: 'acceptAndNext' });
  await p.page.waitForFunction(() => document.getElementById('count')?.textContent?.endsWith('20 reviewed'));
  assert.equal((await posted(p, 'verdict')).length, 20);
  assert.equal(await p.page.locator('#count').textContent(), '10,000 of 10,000 shown · 20 reviewed');
  await clean(p);
  await p.page.close();
});
