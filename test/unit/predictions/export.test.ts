/**
 * Export labelled data (client/src/predictions/export.ts) over synthetic reviewed predictions: what each verdict
 * does (invalid left out, corrected exported with its correction, unreviewed only when asked), class folders with
 * their counts, JSONL and CSV lines, COCO's published structure (info, licenses, images, annotations, categories;
 * bbox [x, y, w, h], RLE segmentation) and YOLO's line format, the stable split, export.json, and a clear
 * refusal when nothing is validated; files that are not there; the items the Review panel is sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FILTERS, NothingToExport, exportLabelled, filesThere, partOf, type ExportSource } from '../../../client/src/predictions/export';
import { ReviewState, ReviewsFile, reviewKey } from '../../../client/src/predictions/reviews';
import { classesOf, reviewItemsOf, topScores } from '../../../client/src/predictions/reviewItems';
import { sizeFromHeader } from '../../../client/src/predictions/imageSize';
import type { Prediction } from '../../../shared/prediction-format';

const M = 'sha256:' + 'f'.repeat(64);
const sha = (k: number) => k.toString(16).padStart(64, '0');

/** A PNG header (signature and IHDR) is all the exports read of an image. */
function png(w: number, h: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8); b.write('IHDR', 12, 'ascii'); b.writeUInt32BE(w, 16); b.writeUInt32BE(h, 20);
  return b;
}

async function classification(): Promise<{ src: ExportSource; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-export-'));
  const input = join(dir, 'input');
  const predictions: Prediction[] = [];
  for (let k = 0; k < 100; k++) {
    const label = String(k % 10);
    mkdirSync(join(input, label), { recursive: true });
    writeFileSync(join(input, label, `d${k}.png`), png(32, 32));
    predictions.push({ path: `${label}/d${k}.png`, sha256: sha(k), model: M, label, score: (k % 50) / 50 });
  }
  const reviews = new ReviewsFile(join(dir, 'reviews.jsonl'));
  for (let k = 0; k < 60; k++) await reviews.append({ sha256: sha(k), model: M, verdict: 'valid' });
  for (let k = 60; k < 70; k++) await reviews.append({ sha256: sha(k), model: M, verdict: 'corrected', correction: { label: 'fixed' } });
  for (let k = 70; k < 80; k++) await reviews.append({ sha256: sha(k), model: M, verdict: 'invalid' });
  return { dir, src: { predictions, reviews: reviews.state, inputFolder: input, predictionsFile: join(dir, 'predictions.jsonl'), runId: 'run-1' } };
}

test('class folders: valid and corrected items, invalid ones left out, counts per part and label, export.json', async () => {
  const { dir, src } = await classification();
  const out = join(dir, 'folders');
  const progress: number[] = [];
  const r = await exportLabelled(src, { outDir: out, format: 'imagefolder', filters: DEFAULT_FILTERS, progress: (p) => progress.push(p.done) });
  assert.equal(r.counts.train + r.counts.val, 70);
  assert.deepEqual(r.counts.skipped, { invalid: 10, unreviewed: 20, byFilter: 0, missingFile: 0, notApplicable: 0 });
  let files = 0;
  for (const part of ['train', 'val']) for (const label of readdirSync(join(out, part))) {
    const n = readdirSync(join(out, part, label)).length;
    files += n;
    assert.equal(n, r.counts.byLabel[part as 'train' | 'val'][label], `${part}/${label}`);
  }
  assert.equal(files, 70);
  assert.equal((r.counts.byLabel.train.fixed ?? 0) + (r.counts.byLabel.val.fixed ?? 0), 10, 'corrected items go under their correction');
  assert.ok(r.counts.val > 5 && r.counts.val < 25, `about a fifth in validation: ${r.counts.val}`);
  assert.equal(progress.at(-1), 70);
  const meta = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'));
  assert.equal(meta.model, M);
  assert.equal(meta.runId, 'run-1');
  assert.deepEqual(meta.filters, DEFAULT_FILTERS);
  assert.equal(meta.split.length, 70);
  // The same file lands in the same part in every export.
  for (const s of r.split) assert.equal(s.part, partOf(s.sha256, 'cubelab', 0.2));
  const again = await exportLabelled(src, { outDir: join(dir, 'again'), format: 'jsonl', filters: { ...DEFAULT_FILTERS, verdicts: ['valid', 'corrected', 'unreviewed'], classes: ['3', 'fixed'], minScore: 0.1 } });
  const lines = [...readFileSync(join(dir, 'again', 'train.jsonl'), 'utf8').split('\n'), ...readFileSync(join(dir, 'again', 'val.jsonl'), 'utf8').split('\n')].filter(Boolean).map((l) => JSON.parse(l));
  assert.ok(lines.every((l) => l.label === '3' || l.label === 'fixed'));
  assert.ok(lines.every((l) => typeof l.file === 'string' && l.file.startsWith(src.inputFolder)));
  assert.equal(lines.length, again.counts.train + again.counts.val);
  assert.ok(lines.some((l) => l.verdict === 'unreviewed'));
});

test('CSV: a header and one row per item, quoted where needed', async () => {
  const { dir, src } = await classification();
  await exportLabelled(src, { outDir: join(dir, 'csv'), format: 'csv', filters: DEFAULT_FILTERS });
  const rows = readFileSync(join(dir, 'csv', 'labels.csv'), 'utf8').trim().split('\n');
  assert.equal(rows[0], 'path,file,sha256,split,verdict,label,score,x,y,width,height');
  assert.equal(rows.length, 71);
  assert.match(rows[1]!, /^0\/d0\.png,[^,]+\/input\/0\/d0\.png,0{64},(train|val),valid,0,0,,,,$/);
});

test('nothing validated: a clear refusal, nothing written', async () => {
  const { dir, src } = await classification();
  const empty = { ...src, reviews: new ReviewsFile(join(dir, 'none.jsonl')).state };
  await assert.rejects(exportLabelled(empty, { outDir: join(dir, 'nothing'), format: 'imagefolder', filters: DEFAULT_FILTERS }), (e: Error) => e instanceof NothingToExport && /Nothing to export/.test(e.message));
  await assert.rejects(exportLabelled(src, { outDir: join(dir, 'coco'), format: 'coco', filters: DEFAULT_FILTERS }), /no boxes for coco/);
});

test('COCO and YOLO from boxes: published structure, RLE masks, normalised YOLO lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-export-'));
  const input = join(dir, 'input');
  mkdirSync(input);
  const predictions: Prediction[] = [];
  for (let k = 0; k < 20; k++) {
    writeFileSync(join(input, `c${k}.png`), png(64, 48));
    predictions.push({
      path: `c${k}.png`, sha256: sha(k), model: M,
      boxes: [{ label: '7', score: 0.9, x: 10, y: 12, width: 8, height: 14 }, { label: '3', score: 0.8, x: 40, y: 20, width: 9, height: 10 }],
      mask: { rle: [{ size: [48, 64], counts: [500, 30, 2542] }, { size: [48, 64], counts: [2000, 20, 1052] }], labels: ['7', '3'] },
    });
  }
  const reviews = new ReviewsFile(join(dir, 'reviews.jsonl'));
  for (let k = 0; k < 20; k++) await reviews.append({ sha256: sha(k), model: M, verdict: k === 0 ? 'corrected' : 'valid', ...(k === 0 ? { correction: { boxes: [{ label: '7', score: 1, x: 11, y: 12, width: 8, height: 14 }] } } : {}) });
  const src: ExportSource = { predictions, reviews: reviews.state, inputFolder: input, predictionsFile: join(dir, 'predictions.jsonl') };
  const c = await exportLabelled(src, { outDir: join(dir, 'coco'), format: 'coco', filters: DEFAULT_FILTERS });
  const parts = ['train', 'val'].map((p) => JSON.parse(readFileSync(join(dir, 'coco', 'annotations', `instances_${p}.json`), 'utf8')));
  for (const doc of parts) {
    assert.deepEqual(Object.keys(doc).sort(), ['annotations', 'categories', 'images', 'info', 'licenses']);
    assert.deepEqual(doc.categories, [{ id: 1, name: '3', supercategory: 'none' }, { id: 2, name: '7', supercategory: 'none' }]);
    for (const im of doc.images) { assert.equal(typeof im.id, 'number'); assert.match(im.file_name, /^c\d+\.png$/); assert.deepEqual([im.width, im.height], [64, 48]); }
    const ids = new Set(doc.images.map((im: { id: number }) => im.id));
    for (const a of doc.annotations) {
      assert.ok(ids.has(a.image_id));
      assert.equal(a.bbox.length, 4);
      assert.equal(a.iscrowd, 0);
      assert.ok([1, 2].includes(a.category_id));
    }
  }
  const all = [...parts[0].annotations, ...parts[1].annotations];
  assert.equal(all.length, 39, 'the corrected canvas keeps its one box');
  const withMask = all.filter((a: { segmentation?: unknown }) => a.segmentation);
  assert.equal(withMask.length, 38, 'masks kept where the boxes were not corrected');
  assert.deepEqual(withMask.find((a: { category_id: number }) => a.category_id === 2).segmentation, { size: [48, 64], counts: [500, 30, 2542] });
  assert.equal(withMask.find((a: { category_id: number }) => a.category_id === 2).area, 30);
  assert.equal(c.counts.train + c.counts.val, 20);

  await exportLabelled(src, { outDir: join(dir, 'yolo'), format: 'yolo', filters: DEFAULT_FILTERS });
  const yaml = readFileSync(join(dir, 'yolo', 'data.yaml'), 'utf8');
  assert.match(yaml, /^train: images\/train$/m);
  assert.match(yaml, /^ {2}0: "3"$/m);
  const part = partOf(sha(5), 'cubelab', 0.2);
  const text = readFileSync(join(dir, 'yolo', 'labels', part, 'c5.txt'), 'utf8');
  assert.equal(text, '1 0.218750 0.395833 0.125000 0.291667\n0 0.695313 0.520833 0.140625 0.208333\n');
  for (const l of text.trim().split('\n')) assert.match(l, /^\d+ (0|1)\.\d{6} (0|1)\.\d{6} (0|1)\.\d{6} (0|1)\.\d{6}$/);
  assert.deepEqual(readdirSync(join(dir, 'yolo', 'images', part)).includes('c5.png'), true);
});

test('image sizes from headers: PNG, GIF, BMP, JPEG', () => {
  assert.deepEqual(sizeFromHeader(png(640, 480)), { width: 640, height: 480 });
  const gif = Buffer.from('GIF89a\x20\x03\x58\x02', 'latin1');
  assert.deepEqual(sizeFromHeader(gif), { width: 800, height: 600 });
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 0x03, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(sizeFromHeader(jpeg), { width: 640, height: 480 });
  const bmp = Buffer.alloc(30); bmp.write('BM', 0, 'ascii'); bmp.writeInt32LE(5, 18); bmp.writeInt32LE(-7, 22);
  assert.deepEqual(sizeFromHeader(bmp), { width: 5, height: 7 });
  assert.equal(sizeFromHeader(Buffer.from('not an image')), undefined);
});

test('files that are not there are counted as missing and left out: a deleted file, a folder, a dangling link, a missing folder', async () => {
  const { src, dir } = await classification();
  const input = src.inputFolder;
  rmSync(join(input, '0', 'd0.png'));
  rmSync(join(input, '1', 'd1.png'));
  mkdirSync(join(input, '1', 'd1.png')); // a folder where the file was
  rmSync(join(input, '2', 'd2.png'));
  symlinkSync(join(dir, 'nowhere.png'), join(input, '2', 'd2.png'));
  rmSync(join(input, '3', 'd13.png'));
  symlinkSync(join(input, '3', 'd3.png'), join(input, '3', 'd13.png')); // a link to a file: there
  const extra: Prediction = { path: 'gone/x.png', sha256: sha(500), model: M, label: '9', score: 0.9 };
  src.reviews.apply({ v: 1, id: 'extra', at: '2026-12-03T00:00:00Z', sha256: extra.sha256, model: M, verdict: 'valid' });
  const r = await exportLabelled({ ...src, predictions: [...src.predictions, extra] }, { outDir: join(dir, 'missing'), format: 'jsonl', filters: DEFAULT_FILTERS });
  assert.equal(r.counts.skipped.missingFile, 4);
  const paths = r.split.map((s) => s.path);
  for (const gone of ['0/d0.png', '1/d1.png', '2/d2.png', 'gone/x.png']) assert.ok(!paths.includes(gone), gone);
  assert.ok(paths.includes('3/d13.png'), 'a link to a file is exported');
  assert.equal(r.counts.train + r.counts.val, 70 - 3);
  assert.deepEqual(await filesThere([join(input, '3', 'd3.png'), join(input, '1', 'd1.png'), join(dir, 'no', 'such.png')]), [true, false, false]);
});

test('the split: stable per file and seed, about the share asked for, another seed another split', () => {
  const parts = Array.from({ length: 4000 }, (_, k) => partOf(sha(k * 7919), 'cubelab', 0.2));
  assert.deepEqual(parts, Array.from({ length: 4000 }, (_, k) => partOf(sha(k * 7919), 'cubelab', 0.2)));
  const val = parts.filter((p) => p === 'val').length / parts.length;
  assert.ok(val > 0.17 && val < 0.23, `validation share ${val}`);
  const other = Array.from({ length: 4000 }, (_, k) => partOf(sha(k * 7919), 'another seed', 0.2));
  assert.ok(other.filter((p, k) => p !== parts[k]).length > 400, 'another seed moves items');
  assert.ok(parts.every((_p, k) => partOf(sha(k * 7919), 'cubelab', 0) === 'train'), 'no validation share: all train');
});

test('review items: verdicts folded in, the best three scores highest first', () => {
  const file = {
    file: 'p.jsonl', lines: [1, 2], problems: [], problemCount: 0, lineCount: 2,
    predictions: [
      { path: 'a.png', sha256: sha(1), model: M, label: '3', score: 0.6, scores: { '0': 0.1, '3': 0.6, '8': 0.25, '9': 0.05 } },
      { path: 'b.png', sha256: sha(2), model: M, boxes: [{ label: '7', score: 0.9, x: 1, y: 2, width: 3, height: 4 }] },
    ] as Prediction[],
  };
  const state = new ReviewState();
  state.apply({ v: 1, id: 'a', at: 't', sha256: sha(2), model: M, verdict: 'corrected', correction: { boxes: [] } });
  const { items, keyToIndex } = reviewItemsOf(file, state);
  assert.deepEqual(items[0], { i: 0, path: 'a.png', verdict: 'unreviewed', label: '3', score: 0.6, top: [['3', 0.6], ['8', 0.25], ['0', 0.1]] });
  assert.deepEqual(items[1], { i: 1, path: 'b.png', verdict: 'corrected', boxes: file.predictions[1]!.boxes, correction: { boxes: [] } });
  assert.deepEqual(keyToIndex.get(reviewKey(sha(2), M)), [1]);
  assert.deepEqual(classesOf(file), ['0', '3', '7', '8', '9']);
  assert.deepEqual(topScores({ a: 0.2, b: 0.5, c: 0.5, d: 0.1 }, 2), [['b', 0.5], ['c', 0.5]], 'ties in the object\'s order');
});

test('a cancelled export stops with "Export cancelled." and writes no export.json', async () => {
  const { src, dir } = await classification();
  for (const format of ['jsonl', 'imagefolder'] as const) {
    const ac = new AbortController();
    ac.abort();
    const out = join(dir, `cancelled-${format}`);
    await assert.rejects(exportLabelled(src, { outDir: out, format, filters: DEFAULT_FILTERS, signal: ac.signal }), /Export cancelled\./);
    assert.ok(!existsSync(join(out, 'export.json')), format);
  }
});
