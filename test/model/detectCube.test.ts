/**
 * The detection and segmentation cube for real: digits pasted at known positions on 64x64 canvases are found
 * by the model; each box within 2 pixels of the truth the generator wrote, each mask (COCO RLE) covering its
 * box, and most labels right.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelRunner, copyCube, planTasks } from './helpers';
import { readPredictions } from '../../client/src/predictions/read';
import type { CocoRle, PredictedBox } from '../../shared/prediction-format';

const { cube, store } = copyCube('digits-detect-cube');
const runner = new ModelRunner(store);
after(() => runner.dispose());

interface Truth { path: string; objects: { label: string; x: number; y: number; width: number; height: number }[] }

/** The box of an uncompressed COCO RLE (column-major runs, zeros first). */
function rleBox(r: CocoRle): { x: number; y: number; width: number; height: number; area: number } {
  const [h] = r.size;
  let pos = 0, x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1, area = 0;
  (r.counts as number[]).forEach((n, i) => {
    if (i % 2 === 1) for (let k = pos; k < pos + n; k++) { const x = Math.floor(k / h), y = k % h; x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); area++; }
    pos += n;
  });
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1, area };
}

test('boxes within 2 pixels of the known positions, masks over them, labels mostly right', { timeout: 600_000 }, async () => {
  const manifest = join(cube, 'mlcube.yaml');
  const [train, generate, infer] = await planTasks(cube, [{ task: 'train' }, { task: 'generate' }, { task: 'infer' }]);
  const t = await runner.run(manifest, train!);
  assert.match(t.sink.lines.join('\n'), /classifier test split accuracy 0\.9\d+/);
  await runner.run(manifest, generate!);
  const ws = join(cube, 'workspace');
  const truth = readFileSync(join(ws, 'canvases', 'truth.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Truth);
  assert.equal(truth.length, 40);
  await runner.run(manifest, infer!);
  const read = await readPredictions(join(ws, 'predictions', 'predictions.jsonl'));
  assert.equal(read.problemCount, 0, JSON.stringify(read.problems));
  const byPath = new Map(read.predictions.map((p) => [p.path, p]));
  let objects = 0, labelled = 0;
  for (const t of truth) {
    const p = byPath.get(t.path);
    assert.ok(p?.boxes, `${t.path} has a prediction with boxes`);
    assert.equal(p!.boxes!.length, t.objects.length, `${t.path}: ${JSON.stringify(p!.boxes)} vs ${JSON.stringify(t.objects)}`);
    for (const o of t.objects) {
      const b: PredictedBox = p!.boxes!.reduce((best: PredictedBox, c: PredictedBox) => (Math.abs(c.x - o.x) + Math.abs(c.y - o.y) < Math.abs(best.x - o.x) + Math.abs(best.y - o.y) ? c : best));
      for (const k of ['x', 'y', 'width', 'height'] as const) assert.ok(Math.abs(b[k] - o[k]) <= 2, `${t.path}: ${k} ${b[k]} vs ${o[k]}`);
      objects++;
      if (b.label === o.label) labelled++;
      const i = p!.boxes!.indexOf(b);
      const mask = p!.mask?.rle?.[i];
      assert.ok(mask && (p!.mask!.labels as string[])[i] === b.label, 'a mask per box, same label');
      const mb = rleBox(mask!);
      assert.deepEqual([mb.x, mb.y, mb.width, mb.height], [b.x, b.y, b.width, b.height], 'the mask covers exactly its box');
      assert.ok(mb.area > 0 && mb.area <= b.width * b.height);
    }
  }
  assert.ok(objects >= 60, `${objects} digits`);
  assert.ok(labelled / objects > 0.85, `labels right: ${labelled}/${objects}`);
});
