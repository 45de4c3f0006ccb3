/**
 * Entry of dist/predictions.js (loaded on first use): the Review panels, "Export Labelled Data…" and
 * "Retrain from Reviews". Export asks for the format, the verdicts, the classes, a lowest score and the validation
 * share (each remembered), writes with progress and can be cancelled; nothing validated is a message, not an
 * error. Retrain exports the reviews as class folders and runs the cube's train task on them through the run
 * layer, then shows the previous run's metrics, the new run's beside them, and the before/after comparison.
 */
import * as path from 'node:path';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { readPredictions } from '../read';
import { ReviewsFile } from '../reviews';
import { DEFAULT_FILTERS, EXPORT_FORMATS, NothingToExport, exportLabelled, type ExportFilters, type ExportFormat, type ExportResult } from '../export';
import { compareRetrain, comparisonMarkdown, readModelInfo, type Comparison } from '../retrain';
import { obviousSelectionParam, predictionStamp, taskParams } from '../predict';
import { ReviewPanels, REVIEWS_FILE, inputFolderOf } from './reviewPanel';
import type { ReviewCommand } from '../../../../shared/webview-protocol/review';
import type { RunCommands } from '../../runs/editor/commands';
import { LOCAL_TARGET } from '../../runs/editor/targets';
import { TASK_TYPE } from '../../runs/editor/taskProvider';

export { ReviewPanels };
export type ReviewCommandName = ReviewCommand;

const FORMAT_TEXT: Record<ExportFormat, string> = {
  jsonl: 'JSONL: train.jsonl and val.jsonl, one labelled item a line',
  csv: 'CSV: labels.csv with a split column (one row per box for detections)',
  imagefolder: 'Class folders (ImageFolder): train/<label>/ and val/<label>/',
  coco: 'COCO: images/ and annotations/instances_{train,val}.json (boxes; masks as RLE)',
  yolo: 'YOLO: images/, labels/ (class cx cy w h) and data.yaml (boxes)',
};

export interface ExportRequest { format?: ExportFormat; filters?: Partial<ExportFilters>; outDir?: string; quiet?: boolean }

export class FeedbackLoop {
  constructor(private readonly context: vscode.ExtensionContext, private readonly output: vscode.LogOutputChannel, private readonly runs: RunCommands) {}

  private async source(file: string) {
    const read = await readPredictions(file);
    const reviews = new ReviewsFile(path.join(path.dirname(file), REVIEWS_FILE));
    await reviews.refresh();
    const session = inputFolderOf(file);
    return { read, src: { predictions: read.predictions, reviews: reviews.state, inputFolder: session.inputFolder, predictionsFile: file, ...(session.runId ? { runId: session.runId } : {}) }, session };
  }

  /** Asks what the export should hold (skipped for every field the request gives). Undefined: cancelled. */
  private async ask(file: string, classes: string[], req: ExportRequest, formats: readonly ExportFormat[] = EXPORT_FORMATS): Promise<{ format: ExportFormat; filters: ExportFilters } | undefined> {
    const last = this.context.workspaceState.get<Partial<ExportFilters> & { format?: ExportFormat }>('cubelab.export.last', {});
    let format = req.format;
    if (!format) {
      const items = formats.map((f) => ({ label: f === 'imagefolder' ? 'Class folders' : f.toUpperCase(), description: FORMAT_TEXT[f], format: f }));
      items.sort((a, b) => (a.format === last.format ? -1 : b.format === last.format ? 1 : 0));
      const picked = await vscode.window.showQuickPick(items, { title: `Export labelled data from ${path.basename(path.dirname(file))}`, placeHolder: 'Format' });
      if (!picked) return undefined;
      format = picked.format;
    }
    const filters: ExportFilters = { ...DEFAULT_FILTERS, ...last, ...req.filters };
    if (!req.filters?.verdicts) {
      const v = await vscode.window.showQuickPick((['valid', 'corrected', 'unreviewed'] as const).map((x) => ({ label: x, picked: filters.verdicts.includes(x),
        description: x === 'valid' ? 'accepted predictions' : x === 'corrected' ? 'with the reviewer\'s label or boxes' : 'the prediction as it is, not reviewed' })),
      { canPickMany: true, title: 'Which verdicts? (invalid predictions are always left out)' });
      if (!v) return undefined;
      filters.verdicts = v.map((x) => x.label);
    }
    if (!req.filters?.classes && classes.length > 1) {
      const c = await vscode.window.showQuickPick(classes.map((x) => ({ label: x, picked: !filters.classes.length || filters.classes.includes(x) })), { canPickMany: true, title: 'Which classes?' });
      if (!c) return undefined;
      filters.classes = c.length === classes.length ? [] : c.map((x) => x.label);
    }
    if (req.filters?.minScore === undefined) {
      const s = await vscode.window.showInputBox({ title: 'Lowest model score to export (0–1; corrected items are kept whatever their score)', value: String(filters.minScore),
        validateInput: (t) => (/^\s*(0(\.\d+)?|1(\.0+)?)\s*$/.test(t) ? undefined : 'A number from 0 to 1') });
      if (s === undefined) return undefined;
      filters.minScore = Number(s);
    }
    if (req.filters?.valFraction === undefined) {
      const s = await vscode.window.showInputBox({ title: 'Validation share, in percent (held out; the same files every time)', value: String(Math.round(filters.valFraction * 100)),
        validateInput: (t) => (/^\s*\d{1,2}\s*$/.test(t) && Number(t) <= 90 ? undefined : 'A whole number from 0 to 90') });
      if (s === undefined) return undefined;
      filters.valFraction = Number(s) / 100;
    }
    await this.context.workspaceState.update('cubelab.export.last', { ...filters, format });
    return { format, filters };
  }

  private async run(file: string, format: ExportFormat, filters: ExportFilters, outDir: string, title: string): Promise<ExportResult> {
    const { src } = await this.source(file);
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      let last = 0;
      return exportLabelled(src, {
        outDir, format, filters, signal: ac.signal,
        progress: (p) => { const pct = Math.round((100 * p.done) / p.total); progress.report({ message: `${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')}`, increment: pct - last }); last = pct; },
      });
    });
  }

  async exportLabelled(file: string | undefined, req: ExportRequest = {}): Promise<ExportResult | undefined> {
    if (!file) { void vscode.window.showInformationMessage('CubeLab: open a Review panel, or right-click a predictions.jsonl, to export its reviewed items.'); return undefined; }
    const { read } = await this.source(file);
    const classes = [...new Set(read.predictions.flatMap((p) => (p.label !== undefined ? [p.label] : (p.boxes ?? []).map((b) => b.label))))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    const answers = await this.ask(file, classes, req);
    if (!answers) return undefined;
    const outDir = req.outDir ?? path.join(path.dirname(file), `export-${answers.format}-${predictionStamp([file])}`);
    try {
      const r = await this.run(file, answers.format, answers.filters, outDir, `CubeLab: exporting ${answers.format} to ${path.basename(outDir)}`);
      this.output.info(`[export] ${answers.format} to ${outDir}: ${r.counts.train} train, ${r.counts.val} validation; left out: ${JSON.stringify(r.counts.skipped)}`);
      if (!req.quiet) {
        void vscode.window.showInformationMessage(`CubeLab: exported ${r.counts.train} training and ${r.counts.val} validation item(s) to ${outDir}.`, 'Open export.json').then((c) => {
          if (c) void vscode.window.showTextDocument(vscode.Uri.file(path.join(outDir, 'export.json')));
        });
      }
      return r;
    } catch (e) {
      if (e instanceof NothingToExport) { void vscode.window.showInformationMessage(`CubeLab: ${e.message}`); return undefined; }
      void vscode.window.showErrorMessage(`CubeLab: export failed: ${(e as Error).message}`);
      return undefined;
    }
  }

  /**
   * Retrain from reviews: the reviewed items as class folders (train/ and val/), the cube's train task on them (a
   * new model folder; the old model stays), then the comparison on the held-out part and the data set's test split.
   */
  async retrain(file: string | undefined, req: ExportRequest = {}): Promise<Comparison | undefined> {
    if (!file) { void vscode.window.showInformationMessage('CubeLab: open a Review panel, or right-click a predictions.jsonl, to retrain from its reviews.'); return undefined; }
    if (!this.runs.service.trusted()) return undefined;
    const { session, read } = await this.source(file);
    if (!session.manifest) {
      void vscode.window.showWarningMessage('CubeLab: Retrain from Reviews needs predictions made with "Predict with Cube…" (their predict.json names the cube).');
      return undefined;
    }
    const manifest = vscode.Uri.file(session.manifest);
    let base;
    try { base = await this.runs.service.plan(manifest, 'train', []); } catch (e) {
      void vscode.window.showErrorMessage(`CubeLab: the cube ${session.manifest} has no train task to retrain with (${(e as Error).message}).`);
      return undefined;
    }
    const params = taskParams(base);
    const dataParam = obviousSelectionParam(params);
    const modelParam = params.find((p) => p.io !== 'input' && /model|weight|checkpoint/i.test(p.name));
    if (!dataParam) { void vscode.window.showErrorMessage('CubeLab: the train task has no input folder to give the reviewed data to.'); return undefined; }
    const classes = [...new Set(read.predictions.flatMap((p) => (p.label !== undefined ? [p.label] : [])))];
    const answers = await this.ask(file, classes, { ...req, format: 'imagefolder' }, ['imagefolder']);
    if (!answers) return undefined;
    const stamp = predictionStamp([file]);
    const exportDir = req.outDir ?? path.join(base.workspace, 'reviewed', stamp);
    let exp: ExportResult;
    try {
      exp = await this.run(file, 'imagefolder', answers.filters, exportDir, 'CubeLab: exporting the reviewed items for training');
    } catch (e) {
      if (e instanceof NothingToExport) {
        void vscode.window.showInformationMessage('CubeLab: nothing validated to train on: accept or correct some predictions in the Review panel first (invalid ones are never used).');
        return undefined;
      }
      throw e;
    }
    // The model that made the predictions: the infer run's model folder.
    let before;
    if (session.runId) {
      const found = await this.runs.service.find(session.runId);
      const m = found ? taskParams(found.record.plan).find((p) => p.io !== 'output' && /model/i.test(p.name)) : undefined;
      before = readModelInfo(m?.host);
    }
    const newModel = modelParam ? path.join(base.workspace, 'models', stamp) : undefined;
    const overrides = [`${dataParam.name}=${exportDir}`, ...(modelParam && newModel ? [`${modelParam.name}=${newModel}`] : [])];
    const plan = await this.runs.service.plan(manifest, 'train', overrides);
    const events = params.find((p) => p.io !== 'input' && /event/i.test(p.name))?.host;
    const beforeRuns = events ? new Set(await readdir(events).catch(() => [] as string[])) : new Set<string>();
    const target = session.manifest ? (await this.targetOf(session.runId)) : LOCAL_TARGET;
    const outcome = await this.runs.runAndWait({ type: TASK_TYPE, manifest: manifest.fsPath, task: 'train', overrides, ...(target !== LOCAL_TARGET ? { target } : {}) }, plan);
    if (outcome?.status !== 'succeeded') return undefined;
    const after = readModelInfo(newModel);
    const comparison = compareRetrain(exp, before, after);
    await mkdir(exportDir, { recursive: true });
    await writeFile(path.join(exportDir, 'comparison.json'), JSON.stringify(comparison, null, 2) + '\n');
    const md = path.join(exportDir, 'comparison.md');
    await writeFile(md, comparisonMarkdown(comparison, path.relative(path.dirname(session.manifest), exportDir)));
    // The previous run's metrics (the newest run of the cube before this one), the new run's in a group to its
    // right, and the comparison beside them.
    if (events) {
      const fresh = (await readdir(events).catch(() => [] as string[])).filter((d) => !beforeRuns.has(d));
      const newest = await newestFolder(events, fresh);
      const previous = await newestFolder(events, [...beforeRuns]);
      if (previous) await vscode.commands.executeCommand('cubelab.openMetrics', path.join(events, previous, 'event_storage.log'));
      if (newest) {
        if (previous) await vscode.commands.executeCommand('workbench.action.newGroupRight');
        await vscode.commands.executeCommand('cubelab.openMetrics', path.join(events, newest, 'event_storage.log'));
      }
    }
    await vscode.window.showTextDocument(vscode.Uri.file(md), { viewColumn: vscode.ViewColumn.Beside, preview: false });
    return comparison;
  }

  private async targetOf(runId: string | undefined): Promise<string> {
    if (!runId) return LOCAL_TARGET;
    const found = await this.runs.service.find(runId);
    return found?.record.target.name || LOCAL_TARGET;
  }
}

async function newestFolder(dir: string, names: string[]): Promise<string | undefined> {
  let best: { name: string; t: number } | undefined;
  for (const n of names) {
    const s = await stat(path.join(dir, n)).catch(() => undefined);
    if (s?.isDirectory() && (!best || s.mtimeMs > best.t)) best = { name: n, t: s.mtimeMs };
  }
  return best?.name;
}
