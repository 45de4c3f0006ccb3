/**
 * Export labelled data (client/src/predictions/export.ts) over synthetic reviewed predictions: what each verdict
 * does (invalid left out, corrected exported with its correction, unreviewed only when asked), class folders with
 * their counts, JSONL and CSV lines, COCO's published structure (info, licenses, images, annotations, categories;
 * bbox [x, y, w, h], RLE segmentation) and YOLO's line format, the stable split, export.json, and a clear
 * refusal when nothing is validated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FILTERS, NothingToExport, exportLabelled, partOf, type ExportSource } from '../../../client/src/predictions/export';
import { ReviewsFile } from '../../../client/src/predictions/reviews';
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
