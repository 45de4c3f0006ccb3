/**
 * The prediction format (shared/prediction-format.ts) and its reader (client/src/predictions/read.ts): good
 * lines of every kind kept as written, each bad line reported with its 1-based number and message while the
 * rest is read, long lines refused without being held, and the summary's counts and order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePredictionLine, isSafeRelativePath } from '../../../shared/prediction-format';
import { readPredictions } from '../../../client/src/predictions/read';
import { summarize, summaryMarkdown } from '../../../client/src/predictions/summary';

const SHA = 'a'.repeat(64);
const MODEL = `sha256:${'b'.repeat(64)}`;
const cls = (path: string, label: string, score: number) => JSON.stringify({ path, sha256: SHA, model: MODEL, label, score, scores: { [label]: score } });

test('classification, boxes and both mask kinds are read as written', () => {
  const c = parsePredictionLine(cls('3/a.png', '3', 0.9), 1);
  assert.ok(c.ok);
  assert.deepEqual(c.prediction, { path: '3/a.png', sha256: SHA, model: MODEL, label: '3', score: 0.9, scores: { 3: 0.9 } });
  const box = { label: '7', score: 0.8, x: 12, y: 30, width: 9, height: 14 };
  const d = parsePredictionLine(JSON.stringify({ path: 'c.png', sha256: SHA, model: MODEL, boxes: [box], mask: { rle: [{ size: [2, 3], counts: [1, 2, 3] }], labels: ['7'] } }), 2);
  assert.ok(d.ok);
  assert.deepEqual(d.prediction.boxes, [box]);
  const png = parsePredictionLine(JSON.stringify({ path: 'c.png', sha256: SHA, model: MODEL, mask: { png: 'masks/c.png', labels: { 1: '7' } } }), 3);
  assert.ok(png.ok);
});

test('each kind of bad line gets a message that names the field', () => {
  const bad: [string, RegExp][] = [
    ['{not json', /not JSON/],
    ['[1,2]', /JSON object/],
    [JSON.stringify({ sha256: SHA, model: MODEL, label: 'x', score: 1 }), /"path" is missing/],
    [JSON.stringify({ path: '../etc/passwd', sha256: SHA, model: MODEL, label: 'x', score: 1 }), /must be relative/],
    [JSON.stringify({ path: '/abs.png', sha256: SHA, model: MODEL, label: 'x', score: 1 }), /must be relative/],
    [JSON.stringify({ path: 'a.png', sha256: 'xyz', model: MODEL, label: 'x', score: 1 }), /"sha256"/],
    [JSON.stringify({ path: 'a.png', sha256: SHA, label: 'x', score: 1 }), /"model"/],
    [JSON.stringify({ path: 'a.png', sha256: SHA, model: MODEL }), /needs "label"/],
    [JSON.stringify({ path: 'a.png', sha256: SHA, model: MODEL, label: 'x', score: 1.5 }), /"score" must be a number from 0 to 1/],
    [JSON.stringify({ path: 'a.png', sha256: SHA, model: MODEL, label: 'x', score: 0.5, scores: { y: -1 } }), /"scores"."y"/],
    [JSON.stringify({ path: 'a.png', sha256: SHA, model: MODEL, boxes: [{ label: 'x', score: 0.5, x: 1, y: 1, width: 0, height: 2 }] }), /"boxes"\[0\]\.width/],
    [JSON.stringify({ path: 'a.png', sha256: SHA, model: MODEL, mask: { rle: [{ size: [2, 2], counts: [1, 2] }], labels: ['x'] } }), /add up to 3 pixels, not height × width = 4/],
    [JSON.stringify({ path: 'a.png', sha256: SHA, model: MODEL, mask: { rle: [{ size: [2, 2], counts: [4] }], labels: [] } }), /one label per RLE/],
  ];
  for (const [line, re] of bad) {
    const r = parsePredictionLine(line, 7);
    assert.equal(r.ok, false, line);
    if (!r.ok) { assert.equal(r.problem.line, 7); assert.match(r.problem.message, re, line); }
  }
  assert.equal(isSafeRelativePath('a/b/c.png'), true);
  assert.equal(isSafeRelativePath('a\\b.png'), false);
});

test('a file with bad lines: each reported with its number, every other line read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-pred-'));
  const file = join(dir, 'predictions.jsonl');
  const huge = JSON.stringify({ path: 'h.png', pad: 'x'.repeat(3000) });
  writeFileSync(file, [cls('a.png', '1', 0.9), '{broken', '', cls('b.png', '2', 0.4), huge, JSON.stringify({ path: 'c.png' }), cls('c.png', '1', 0.2)].join('\n'));
  const r = await readPredictions(file, { maxLineBytes: 1000 });
  assert.deepEqual(r.predictions.map((p) => p.path), ['a.png', 'b.png', 'c.png']);
  assert.deepEqual(r.lines, [1, 4, 7]);
  assert.deepEqual(r.problems.map((p) => p.line), [2, 5, 6]);
  assert.match(r.problems[0]!.message, /not JSON/);
  assert.match(r.problems[1]!.message, /longer than 1000 bytes/);
  assert.match(r.problems[2]!.message, /"sha256"/);
  assert.equal(r.problemCount, 3);
  const md = summaryMarkdown(r, 'test');
  assert.match(md, /3 line\(s\) could not be read/);
  assert.match(md, /- line 2: not JSON/);
});

test('lines across read chunks and multi-byte characters survive', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-pred-'));
  const file = join(dir, 'predictions.jsonl');
  const lines = Array.from({ length: 30_000 }, (_, i) => cls(`ü/${i}.png`, i % 2 ? 'é' : 'b', (i % 100) / 100));
  writeFileSync(file, lines.join('\n') + '\n');
  const r = await readPredictions(file);
  assert.equal(r.predictions.length, 30_000);
  assert.equal(r.problemCount, 0);
  assert.equal(r.predictions[29_999]!.path, 'ü/29999.png');
  assert.equal(r.predictions[1]!.label, 'é');
});

test('summary: counts per label (boxes one by one), lowest scores first', () => {
  const ps = [cls('a', '1', 0.9), cls('b', '2', 0.3), cls('c', '1', 0.5)].map((l, i) => { const r = parsePredictionLine(l, i + 1); assert.ok(r.ok); return r.prediction; });
  const boxes = parsePredictionLine(JSON.stringify({ path: 'd', sha256: SHA, model: MODEL, boxes: [{ label: '2', score: 0.1, x: 0, y: 0, width: 1, height: 1 }, { label: '1', score: 0.95, x: 0, y: 0, width: 1, height: 1 }] }), 4);
  assert.ok(boxes.ok);
  const s = summarize([...ps, boxes.prediction]);
  assert.deepEqual(s.labels.map((l) => [l.label, l.count]), [['1', 3], ['2', 2]]);
  assert.deepEqual(s.lowest.map((l) => l.path), ['d', 'b', 'c', 'a']);
  assert.equal(s.labels.find((l) => l.label === '2')!.minScore, 0.1);
});
