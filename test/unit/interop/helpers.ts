/** Writing converted cubes into temporary folders and planning their tasks with the server's planner. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ImportedFile, TaskPlan } from '../../../shared/lsp-protocol';
import { planTask } from '../../../server/src/mlcube/plan';
import { loadManifest } from '../../../server/src/mlcube/planning/manifest';
import { manifestModel } from '../../../server/src/mlcube/model';
import { nodeFileAccess } from '../../../server/src/nodeFileAccess';
import { exportCube, type ExportOutput } from '../../../server/src/interop/mlexchange/exportCube';
import { context, doc } from '../../helpers/service';

export const fixtures = join(__dirname, '..', '..', 'fixtures', 'mlexchange');
export const ctx = context({ fs: nodeFileAccess });

export function tempDir(name: string): string { return mkdtempSync(join(tmpdir(), `cubelab-${name}-`)); }

export function writeFiles(dir: string, files: ImportedFile[] | Record<string, string>): void {
  const list = Array.isArray(files) ? files : Object.entries(files).map(([path, text]) => ({ path, text }));
  for (const f of list) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.text);
  }
}

export function manifestDoc(manifestPath: string) { return doc(manifestPath, readFileSync(manifestPath, 'utf8'), ctx); }

/** Every task's plan, in the manifest's order (a plan that fails fails the test). */
export function plansOf(manifestPath: string): TaskPlan[] {
  const d = manifestDoc(manifestPath);
  return manifestModel(d).tasks.map((t) => {
    const r = planTask(d, { uri: d.uri, task: t.name }, ctx);
    if (!r.ok) throw new Error(`${manifestPath} ${t.name}: ${r.error}`);
    return r.plan;
  });
}

/** Plans with the cube's folder replaced by `<cube>`, so plans of two folders compare. */
export function portable(plans: TaskPlan[], root: string): unknown {
  return JSON.parse(JSON.stringify(plans).split(root).join('<cube>'));
}

export function exportOf(manifestPath: string): ExportOutput {
  const d = manifestDoc(manifestPath);
  const loaded = loadManifest(d.parsed);
  if (!loaded.ok) throw new Error(loaded.error);
  return exportCube({ manifestPath, manifest: loaded.value, plans: plansOf(manifestPath), fs: nodeFileAccess });
}
