/**
 * The feedback loop on the real model cubes: predictions reviewed (reviews.jsonl), exported and trained on.
 * YOLO label lines and COCO annotations of the detection cube's reviewed predictions match the positions its
 * generator pasted the digits at (within 2 pixels); class folders of the digits cube's reviewed predictions
 * hold what export.json counts; the train task retrains on that export (its log names the number of samples and
 * holds the validation part out), and the before/after comparison is computed on that held-out part.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ModelRunner, copyCube, planTasks } from './helpers';
import { readPredictions } from '../../client/src/predictions/read';
import { ReviewsFile } from '../../client/src/predictions/reviews';
import { DEFAULT_FILTERS, exportLabelled } from '../../client/src/predictions/export';
import { compareRetrain, readModelInfo } from '../../client/src/predictions/retrain';

const runners: ModelRunner[] = [];
after(async () => { for (const r of runners) await r.dispose(); });

interface Truth { path: string; objects: { label: string; x: number; y: number; width: number; height: number }[] }

test('YOLO and COCO exports of reviewed detections match the known positions', { timeout: 600_000 }, async () => {
  const { cube, store, dir } = copyCube('digits-detect-cube');
  const runner = new ModelRunner(store);
  runners.push(runner);
  const manifest = join(cube, 'mlcube.yaml');
  for (const plan of await planTasks(cube, [{ task: 'train' }, { task: 'generate' }, { task: 'infer' }])) await runner.run(manifest, plan);
  const ws = join(cube, 'workspace');
  const predictionsFile = join(ws, 'predictions', 'predictions.jsonl');
  const read = await readPredictions(predictionsFile);
  const reviews = new ReviewsFile(join(ws, 'predictions', 'reviews.jsonl'));
  for (const p of read.predictions) await reviews.append({ sha256: p.sha256, model: p.model, verdict: 'valid' });
  const src = { predictions: read.predictions, reviews: reviews.state, inputFolder: join(ws, 'canvases'), predictionsFile };
  const truth = new Map(readFileSync(join(ws, 'canvases', 'truth.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Truth).map((t) => [t.path, t.objects]));

  const yolo = await exportLabelled(src, { outDir: join(dir, 'yolo'), format: 'yolo', filters: DEFAULT_FILTERS });
  assert.equal(yolo.counts.train + yolo.counts.val, 40);
  const names = [...readFileSync(join(dir, 'yolo', 'data.yaml'), 'utf8').matchAll(/^ {2}(\d+): "(.*)"$/gm)].map((m) => m[2]!);
  let checked = 0;
  for (const part of ['train', 'val']) {
    for (const f of readdirSync(join(dir, 'yolo', 'labels', part))) {
      const objects = truth.get(f.replace(/\.txt$/, '.png'))!;
      const lines = readFileSync(join(dir, 'yolo', 'labels', part, f), 'utf8').trim().split('\n');
      assert.equal(lines.length, objects.length, f);
      for (const line of lines) {
        assert.match(line, /^\d+ [01]\.\d{6} [01]\.\d{6} [01]\.\d{6} [01]\.\d{6}$/);
        const [c, cx, cy, w, h] = line.split(' ').map(Number) as [number, number, number, number, number];
        const box = { x: (cx - w / 2) * 64, y: (cy - h / 2) * 64, width: w * 64, height: h * 64 };
        const o = objects.reduce((best, t) => (Math.abs(t.x - box.x) + Math.abs(t.y - box.y) < Math.abs(best.x - box.x) + Math.abs(best.y - box.y) ? t : best));
        for (const k of ['x', 'y', 'width', 'height'] as const) assert.ok(Math.abs(box[k] - o[k]) <= 2, `${f}: ${k} ${box[k]} vs ${o[k]}`);
        assert.ok(names[c] !== undefined);
        checked++;
      }
    }
  }
  assert.ok(checked >= 60, `${checked} boxes checked`);

  await exportLabelled(src, { outDir: join(dir, 'coco'), format: 'coco', filters: DEFAULT_FILTERS });
  for (const part of ['train', 'val']) {
    const doc = JSON.parse(readFileSync(join(dir, 'coco', 'annotations', `instances_${part}.json`), 'utf8')) as {
      images: { id: number; file_name: string; width: number; height: number }[];
      annotations: { image_id: number; bbox: number[]; segmentation: { size: number[]; counts: number[] }; area: number; category_id: number }[];
      categories: { id: number; name: string }[];
    };
    assert.deepEqual(doc.categories.map((c) => c.name).sort(), names.slice().sort());
    for (const a of doc.annotations) {
      const im = doc.images.find((i) => i.id === a.image_id)!;
      assert.deepEqual([im.width, im.height], [64, 64]);
      const objects = truth.get(im.file_name)!;
      const [x, y, w, h] = a.bbox as [number, number, number, number];
      assert.ok(objects.some((o) => Math.abs(o.x - x) <= 2 && Math.abs(o.y - y) <= 2 && Math.abs(o.width - w) <= 2 && Math.abs(o.height - h) <= 2), `${im.file_name} ${a.bbox}`);
      assert.deepEqual(a.segmentation.size, [64, 64]);
      assert.ok(a.area > 0 && a.area <= w * h);
    }
  }
});

test('class folders of reviewed digits, retrained on: samples counted in the log, the comparison on the held-out part', { timeout: 600_000 }, async () => {
  const { cube, store } = copyCube('digits-cube');
  const runner = new ModelRunner(store);
  runners.push(runner);
  const manifest = join(cube, 'mlcube.yaml');
  const ws = join(cube, 'workspace');
  for (const plan of await planTasks(cube, [{ task: 'train' }, { task: 'samples' }, { task: 'infer' }])) await runner.run(manifest, plan);
  const predictionsFile = join(ws, 'predictions', 'predictions.jsonl');
  const read = await readPredictions(predictionsFile);
  // The reviewer knows the truth (the class folder): right predictions valid, wrong ones corrected, a few rejected.
  const reviews = new ReviewsFile(join(ws, 'predictions', 'reviews.jsonl'));
  let k = 0;
  for (const p of read.predictions) {
    const truth = p.path.split('/')[0]!;
    if (k++ % 25 === 24) await reviews.append({ sha256: p.sha256, model: p.model, verdict: 'invalid' });
    else if (truth === p.label) await reviews.append({ sha256: p.sha256, model: p.model, verdict: 'valid' });
    else await reviews.append({ sha256: p.sha256, model: p.model, verdict: 'corrected', correction: { label: truth } });
  }
  const exportDir = join(ws, 'reviewed', 'e1');
  const exp = await exportLabelled({ predictions: read.predictions, reviews: reviews.state, inputFolder: join(ws, 'images'), predictionsFile }, { outDir: exportDir, format: 'imagefolder', filters: DEFAULT_FILTERS });
  assert.equal(exp.counts.skipped.invalid, 14);
  assert.equal(exp.counts.train + exp.counts.val, 346);
  const meta = JSON.parse(readFileSync(join(exportDir, 'export.json'), 'utf8')) as { counts: typeof exp.counts };
  for (const part of ['train', 'val'] as const) {
    for (const label of readdirSync(join(exportDir, part))) {
      const files = readdirSync(join(exportDir, part, label));
      assert.equal(files.length, meta.counts.byLabel[part][label], `${part}/${label}`);
      assert.ok(files.every((f) => f.startsWith(`${label}__`)), 'every file under its true class');
    }
  }

  const before = readModelInfo(join(ws, 'model'));
  const newModel = join(ws, 'models', 'm1');
  const [retrain] = await planTasks(cube, [{ task: 'train', overrides: [`data_dir=${exportDir}`, `model_dir=${newModel}`] }]);
  const { sink } = await runner.run(manifest, retrain!);
  const said = sink.lines.find((l) => l.startsWith('digits: training on'));
  assert.equal(said, `digits: training on ${exp.counts.train} samples from labelled folder /mlcube_io1 (train/ and val/); held out ${exp.counts.val} for testing; 10 classes`);
  const afterInfo = readModelInfo(newModel);
  assert.equal(afterInfo?.train_samples, exp.counts.train);
  assert.equal(afterInfo?.test_samples, exp.counts.val, 'the held-out part is the validation part: never trained on');
  const c = compareRetrain(exp, before, afterInfo);
  assert.equal(c.heldOut.items, exp.counts.val);
  const right = exp.split.filter((s) => s.part === 'val' && s.label === s.predicted).length;
  assert.equal(c.heldOut.before, right / exp.counts.val);
  assert.ok(c.heldOut.after !== null && c.heldOut.after > 0.5, JSON.stringify(c));
  assert.ok(c.datasetTest.before !== null && c.datasetTest.after !== null);
  assert.equal(c.trainedOn, exp.counts.train);
  assert.notEqual(c.previousModel, c.newModel);
});
