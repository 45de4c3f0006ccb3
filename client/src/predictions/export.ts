/**
 * "Export labelled data": reviewed predictions to JSONL, CSV, class folders (ImageFolder), COCO (boxes; masks as
 * RLE) or YOLO (boxes), filtered by verdict, class and score, invalid predictions left out and corrected ones
 * exported with their correction, split into train and validation by a hash of each file's sha256 (stable: the
 * same file lands in the same part every time, so a held-out part stays held out), streamed (lines written in
 * 1 MiB blocks, files copied a few at a time), cancellable, with progress, and described by `export.json`.
 * Pure Node: no `vscode`.
 */
import { copyFile, mkdir, open, readdir, writeFile, type FileHandle } from 'node:fs/promises';
import { existsSync, type Dirent } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { confidenceOf, type CocoRle, type PredictedBox, type Prediction } from '../../../shared/prediction-format';
import type { ItemReview, ReviewState, Verdict } from './reviews';
import { imageSize } from './imageSize';

export type ExportFormat = 'jsonl' | 'csv' | 'imagefolder' | 'coco' | 'yolo';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv', 'imagefolder', 'coco', 'yolo'];

export interface ExportFilters {
  /** Which verdicts to export: `valid` and `corrected` by default; `unreviewed` exports the prediction as it is. */
  verdicts: Exclude<Verdict, 'invalid'>[];
  /** Classes to keep ([] = all); for boxes, the boxes of other classes are dropped. */
  classes: string[];
  /** Lowest model score kept (a corrected item is the reviewer's answer: kept whatever its score). */
  minScore: number;
  /** Share of the items in the validation part, 0..0.9. */
  valFraction: number;
  /** Changes which items land in validation. */
  seed: string;
}

export const DEFAULT_FILTERS: ExportFilters = { verdicts: ['valid', 'corrected'], classes: [], minScore: 0, valFraction: 0.2, seed: 'cubelab' };

export interface ExportSource {
  predictions: Prediction[];
  reviews: ReviewState;
  /** Where the prediction paths are relative to. */
  inputFolder: string;
  predictionsFile: string;
  runId?: string;
}

export interface ExportProgress { done: number; total: number; message: string }

export interface ExportResult {
  outDir: string;
  format: ExportFormat;
  counts: {
    train: number; val: number;
    byLabel: { train: Record<string, number>; val: Record<string, number> };
    skipped: { invalid: number; unreviewed: number; byFilter: number; missingFile: number; notApplicable: number };
  };
  /** sha256 of each exported item and its part (for the retrain comparison). */
  split: { sha256: string; path: string; label?: string; predicted?: string; verdict: Verdict; part: 'train' | 'val' }[];
}

export class NothingToExport extends Error {}

/** One item as it is exported: its label or boxes after review. */
export interface ExportItem {
  p: Prediction;
  /** The input file on disk. */
  file: string;
  review: ItemReview;
  label?: string;
  boxes?: PredictedBox[];
  /** The prediction's RLE masks that still belong to `boxes` (same index), when the boxes were not corrected. */
  masks?: CocoRle[];
  part: 'train' | 'val';
}

/**
 * Which part an item goes to: stable per file and seed. The file's sha256 is already a uniform hash of its bytes;
 * it is mixed with the seed by FNV-1a and MurmurHash3's finaliser (a cryptographic hash per item cost as much as
 * writing the whole JSONL export).
 */
export function partOf(sha256: string, seed: string, valFraction: number): 'train' | 'val' {
  const text = `${seed}\0${sha256}`;
  let h = 0x811c9dc5;
  for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193);
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000 < valFraction ? 'val' : 'train';
}

/** The items an export keeps, with the reasons for the others. */
export function selectItems(src: ExportSource, f: ExportFilters, format: ExportFormat): { items: ExportItem[]; skipped: ExportResult['counts']['skipped'] } {
  const skipped = { invalid: 0, unreviewed: 0, byFilter: 0, missingFile: 0, notApplicable: 0 };
  const classes = f.classes.length ? new Set(f.classes) : undefined;
  const items: ExportItem[] = [];
  for (const p of src.predictions) {
    const review = src.reviews.get(p.sha256, p.model);
    if (review.verdict === 'invalid') { skipped.invalid++; continue; }
    if (!f.verdicts.includes(review.verdict)) { if (review.verdict === 'unreviewed') skipped.unreviewed++; else skipped.byFilter++; continue; }
    const corrected = review.verdict === 'corrected' && review.correction;
    if (!corrected && confidenceOf(p) < f.minScore) { skipped.byFilter++; continue; }
    let label = corrected && review.correction?.label !== undefined ? review.correction.label : p.label;
    let boxes = corrected && review.correction?.boxes ? review.correction.boxes : p.boxes;
    let masks = !(corrected && review.correction?.boxes) && p.mask?.rle ? p.mask.rle : undefined;
    if (classes) {
      if (label !== undefined && !classes.has(label)) label = undefined;
      if (boxes) {
        const keep = boxes.map((b) => classes.has(b.label));
        boxes = boxes.filter((_b, k) => keep[k]);
        if (masks) masks = masks.filter((_m, k) => keep[k]);
      }
      if (label === undefined && !boxes?.length) { skipped.byFilter++; continue; }
    }
    const wantsLabel = format === 'imagefolder';
    const wantsBoxes = format === 'coco' || format === 'yolo';
    if ((wantsLabel && label === undefined) || (wantsBoxes && !boxes)) { skipped.notApplicable++; continue; }
    const it: ExportItem = { p, file: join(src.inputFolder, p.path), review, part: partOf(p.sha256, f.seed, f.valFraction) };
    if (label !== undefined) it.label = label;
    if (boxes) it.boxes = boxes;
    if (masks) it.masks = masks;
    items.push(it);
  }
  return { items, skipped };
}

/** Writes text in blocks of about 1 MiB (few system calls, constant memory). */
class BlockWriter {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly fh: FileHandle) {}
  static async open(path: string): Promise<BlockWriter> { return new BlockWriter(await open(path, 'w')); }
  /** Buffers `s`; a promise only when the buffer was written out (so a line costs no await). */
  write(s: string): Promise<void> | undefined {
    this.parts.push(s);
    this.size += s.length;
    return this.size >= 1 << 20 ? this.flush() : undefined;
  }
  async flush(): Promise<void> {
    if (!this.parts.length) return;
    await this.fh.write(this.parts.join(''));
    this.parts = []; this.size = 0;
  }
  async close(): Promise<void> { await this.flush(); await this.fh.close(); }
}

const csvCell = (v: string | number): string => {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** A file name for a flat folder: the relative path with its folders joined by `__` (unique, readable). */
export function flatName(path: string): string {
  return path.split('/').join('__');
}

export interface ExportOptions {
  outDir: string;
  format: ExportFormat;
  filters: ExportFilters;
  signal?: AbortSignal;
  progress?: (p: ExportProgress) => void;
  /** Files copied at once (class folders, COCO and YOLO images). */
  concurrency?: number;
}

export async function exportLabelled(src: ExportSource, opts: ExportOptions): Promise<ExportResult> {
  const { items, skipped } = selectItems(src, opts.filters, opts.format);
  if (!items.length) {
    const why = skipped.notApplicable ? ` (${skipped.notApplicable} item(s) have no ${opts.format === 'imagefolder' ? 'label' : 'boxes'} for ${opts.format})` : '';
    throw new NothingToExport(`Nothing to export: no prediction is ${opts.filters.verdicts.join(' or ')} after the filters${why}. Review some predictions first (accept, or pick the right class).`);
  }
  await mkdir(opts.outDir, { recursive: true });
  const counts: ExportResult['counts'] = { train: 0, val: 0, byLabel: { train: {}, val: {} }, skipped };
  const total = items.length;
  let done = 0;
  const tick = (message: string) => {
    done++;
    if (opts.progress && (done % 250 === 0 || done === total)) opts.progress({ done, total, message });
  };
  const check = () => { if (opts.signal?.aborted) throw new Error('Export cancelled.'); };
  const count = (part: 'train' | 'val', labels: string[]) => {
    counts[part]++;
    for (const l of labels) counts.byLabel[part][l] = (counts.byLabel[part][l] ?? 0) + 1;
  };
  const there = await filesThere(items.map((it) => it.file));
  const present: ExportItem[] = [];
  items.forEach((it, k) => { if (there[k]) present.push(it); else skipped.missingFile++; });

  if (opts.format === 'jsonl' || opts.format === 'csv') {
    const writers = opts.format === 'jsonl'
      ? { train: await BlockWriter.open(join(opts.outDir, 'train.jsonl')), val: await BlockWriter.open(join(opts.outDir, 'val.jsonl')) }
      : undefined;
    const csv = opts.format === 'csv' ? await BlockWriter.open(join(opts.outDir, 'labels.csv')) : undefined;
    if (csv) await csv.write('path,file,sha256,split,verdict,label,score,x,y,width,height\n');
    try {
      for (const it of present) {
        check();
        let flushed: Promise<void> | undefined;
        if (writers) {
          const line: Record<string, unknown> = { path: it.p.path, file: it.file, sha256: it.p.sha256, verdict: it.review.verdict };
          if (it.label !== undefined) line.label = it.label;
          if (it.boxes) line.boxes = it.boxes;
          flushed = writers[it.part].write(JSON.stringify(line) + '\n');
        } else if (csv) {
          const head = `${csvCell(it.p.path)},${csvCell(it.file)},${it.p.sha256},${it.part},${it.review.verdict}`;
          if (it.boxes?.length) for (const b of it.boxes) await csv.write(`${head},${csvCell(b.label)},${b.score},${b.x},${b.y},${b.width},${b.height}\n`);
          else flushed = csv.write(`${head},${csvCell(it.label ?? '')},${it.label === it.p.label ? it.p.score ?? '' : ''},,,,\n`);
        }
        if (flushed) await flushed;
        count(it.part, it.label !== undefined ? [it.label] : (it.boxes ?? []).map((b) => b.label));
        tick(it.p.path);
      }
    } finally {
      if (writers) { await writers.train.close(); await writers.val.close(); }
      if (csv) await csv.close();
    }
  } else if (opts.format === 'imagefolder') {
    // One mkdir per folder, awaited by every copy into it (copies run a few at a time).
    const made = new Map<string, Promise<unknown>>();
    await copyAll(present, opts, async (it) => {
      const dir = join(opts.outDir, it.part, it.label!);
      let m = made.get(dir);
      if (!m) { m = mkdir(dir, { recursive: true }); made.set(dir, m); }
      await m;
      await copyFile(it.file, join(dir, flatName(it.p.path)));
      count(it.part, [it.label!]);
      tick(it.p.path);
    });
  } else {
    await exportBoxes(present, opts, count, tick);
  }

  const split = present.map((it) => {
    const s: ExportResult['split'][number] = { sha256: it.p.sha256, path: it.p.path, verdict: it.review.verdict, part: it.part };
    if (it.label !== undefined) s.label = it.label;
    if (it.p.label !== undefined) s.predicted = it.p.label;
    return s;
  });
  const result: ExportResult = { outDir: opts.outDir, format: opts.format, counts, split };
  const models = [...new Set(src.predictions.map((p) => p.model))];
  await writeFile(join(opts.outDir, 'export.json'), JSON.stringify({
    cubelab: 1, format: opts.format, created: new Date().toISOString(),
    predictions: src.predictionsFile, inputFolder: src.inputFolder, model: models.length === 1 ? models[0] : models, runId: src.runId ?? null,
    filters: opts.filters, counts,
    split: split.map((s) => ({ sha256: s.sha256, path: s.path, part: s.part })),
  }, null, 2) + '\n');
  return result;
}

/**
 * Which of these files are there (regular files, or links to something): one readdir per folder rather than a
 * stat per file (10,000 inputs in a few class folders: a few calls, not 10,000). A folder that cannot be listed
 * falls back to a check per file.
 */
export async function filesThere(files: readonly string[]): Promise<boolean[]> {
  const byDir = new Map<string, number[]>();
  files.forEach((f, k) => {
    const d = dirname(f);
    const list = byDir.get(d);
    if (list) list.push(k); else byDir.set(d, [k]);
  });
  const out = new Array<boolean>(files.length).fill(false);
  for (const [d, ks] of byDir) {
    let entries: Map<string, Dirent> | undefined;
    try { entries = new Map((await readdir(d, { withFileTypes: true })).map((e) => [e.name, e])); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
    }
    for (const k of ks) {
      const f = files[k]!;
      if (!entries) { out[k] = existsSync(f); continue; }
      const e = entries.get(basename(f));
      // A link or an entry of unknown type: followed, as opening the file will.
      out[k] = !!e && (e.isFile() || (!e.isDirectory() && existsSync(f)));
    }
  }
  return out;
}

/** Runs `fn` over the items a few at a time (file copies overlap; order of the counts does not matter). */
async function copyAll(items: ExportItem[], opts: ExportOptions, fn: (it: ExportItem) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      if (opts.signal?.aborted) throw new Error('Export cancelled.');
      const it = items[next++]!;
      await fn(it);
    }
  };
  // Sixteen in flight keeps libuv's four threads busy between the awaits (four at a time left them idle).
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 16) }, worker));
}

async function exportBoxes(items: ExportItem[], opts: ExportOptions,
  count: (part: 'train' | 'val', labels: string[]) => void, tick: (m: string) => void): Promise<void> {
  const labels = [...new Set(items.flatMap((it) => (it.boxes ?? []).map((b) => b.label)))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const classId = new Map(labels.map((l, k) => [l, k]));
  for (const part of ['train', 'val'] as const) await mkdir(join(opts.outDir, 'images', part), { recursive: true });
  if (opts.format === 'yolo') for (const part of ['train', 'val'] as const) await mkdir(join(opts.outDir, 'labels', part), { recursive: true });
  else await mkdir(join(opts.outDir, 'annotations'), { recursive: true });
  const coco = { train: { images: [] as unknown[], annotations: [] as unknown[] }, val: { images: [] as unknown[], annotations: [] as unknown[] } };
  let imageId = 0, annId = 0;
  await copyAll(items, opts, async (it) => {
    const file = it.file;
    const size = await imageSize(file);
    const name = flatName(it.p.path);
    if (!size) { tick(it.p.path); return; }
    await copyFile(file, join(opts.outDir, 'images', it.part, name));
    const boxes = it.boxes ?? [];
    if (opts.format === 'yolo') {
      const f6 = (n: number) => Math.min(1, Math.max(0, n)).toFixed(6);
      const text = boxes.map((b) => `${classId.get(b.label)} ${f6((b.x + b.width / 2) / size.width)} ${f6((b.y + b.height / 2) / size.height)} ${f6(b.width / size.width)} ${f6(b.height / size.height)}`).join('\n');
      await writeFile(join(opts.outDir, 'labels', it.part, name.replace(/\.[^.]+$/, '') + '.txt'), text ? text + '\n' : '');
    } else {
      const id = ++imageId;
      coco[it.part].images.push({ id, file_name: name, width: size.width, height: size.height });
      boxes.forEach((b, k) => {
        const rle = it.masks?.[k];
        const area = rle && Array.isArray(rle.counts) ? rle.counts.reduce((a, n, j) => a + (j % 2 ? n : 0), 0) : b.width * b.height;
        coco[it.part].annotations.push({
          id: ++annId, image_id: id, category_id: (classId.get(b.label) ?? 0) + 1, bbox: [b.x, b.y, b.width, b.height], area, iscrowd: 0,
          ...(rle ? { segmentation: { size: rle.size, counts: rle.counts } } : {}), score: b.score,
        });
      });
    }
    count(it.part, boxes.map((b) => b.label));
    tick(it.p.path);
  });
  if (opts.format === 'yolo') {
    const yaml = ['# YOLO data set written by CubeLab (Export labelled data)', `path: ${JSON.stringify(opts.outDir)}`, 'train: images/train', 'val: images/val', 'names:',
      ...labels.map((l, k) => `  ${k}: ${JSON.stringify(l)}`)].join('\n') + '\n';
    await writeFile(join(opts.outDir, 'data.yaml'), yaml);
  } else {
    const categories = labels.map((l, k) => ({ id: k + 1, name: l, supercategory: 'none' }));
    for (const part of ['train', 'val'] as const) {
      const doc = {
        info: { description: 'Reviewed predictions exported by CubeLab', version: '1.0', year: new Date().getFullYear(), contributor: 'CubeLab', date_created: new Date().toISOString() },
        licenses: [], images: coco[part].images, annotations: coco[part].annotations, categories,
      };
      await writeFile(join(opts.outDir, 'annotations', `instances_${part}.json`), JSON.stringify(doc));
    }
  }
}
