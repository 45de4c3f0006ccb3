/**
 * `cubelab/cubes`: the MLCube manifests of the workspace and their tasks, for the Cubes tree. Manifests are
 * found on disk by a bounded walk of the workspace folders (file names `mlcube*.yaml`/`.yml`, skipping
 * node_modules, .git and .cubelab), parsed on request; an open document wins over its file on disk.
 */
import type { CubeInfo, CubesResult } from '../../shared/lsp-protocol';
import { fileUriToPath as uriToPath, pathToFileUri } from '../../shared/fileUri';
import { analyze, type AnalyzedDocument, type ServiceContext } from './service/languageService';
import { manifestModel } from './mlcube/model';

const SKIP = new Set(['node_modules', '.git', '.cubelab']);
const MANIFEST_NAME = /^mlcube.*\.ya?ml$/i;

export interface CubesLimits { maxDepth: number; maxDirs: number; maxManifests: number }
export const defaultCubesLimits: CubesLimits = { maxDepth: 8, maxDirs: 5000, maxManifests: 500 };

/** Paths of candidate manifest files under the folders, breadth first, within the limits. */
export function findManifestFiles(folders: string[], ctx: ServiceContext, limits = defaultCubesLimits): { files: string[]; truncated: boolean } {
  const files: string[] = [];
  let dirs = 0;
  const queue: [string, number][] = folders.map((f) => [f, 0]);
  while (queue.length) {
    const [dir, depth] = queue.shift()!;
    if (++dirs > limits.maxDirs) return { files, truncated: true };
    for (const name of ctx.fs.readDir(dir).sort()) {
      const p = `${dir.replace(/\/+$/, '')}/${name}`;
      if (MANIFEST_NAME.test(name)) {
        if (files.length >= limits.maxManifests) return { files, truncated: true };
        if (!ctx.fs.isDirectory(p)) files.push(p);
      } else if (!SKIP.has(name) && depth < limits.maxDepth && ctx.fs.isDirectory(p)) {
        queue.push([p, depth + 1]);
      }
    }
  }
  return { files, truncated: false };
}

function cubeOf(doc: AnalyzedDocument): CubeInfo {
  const model = manifestModel(doc);
  const named = model.top.get('name')?.scalar;
  const folder = doc.path.split('/').slice(-2, -1)[0] ?? doc.path;
  return {
    uri: doc.uri,
    name: typeof named === 'string' && named ? named : folder,
    tasks: model.tasks.map((t) => ({ name: t.name, range: doc.parsed.lines.range(t.entry.keySpan[0], t.entry.keySpan[1]) })),
  };
}

/** Every v2 manifest in the workspace; `open` are the server's open documents, already analysed. */
export function listCubes(ctx: ServiceContext, open: AnalyzedDocument[], limits = defaultCubesLimits): CubesResult {
  const byPath = new Map<string, AnalyzedDocument>();
  for (const d of open) if (d.kind === 'mlcube') byPath.set(d.path, d);
  const openPaths = new Set(open.map((d) => d.path));
  const { files, truncated } = findManifestFiles(ctx.workspaceFolders, ctx, limits);
  for (const file of files) {
    if (openPaths.has(file)) continue;
    const text = ctx.fs.readFile?.(file);
    if (text === undefined) continue;
    const d = analyze(pathToFileUri(file), 0, text, ctx);
    if (d.kind === 'mlcube') byPath.set(file, d);
  }
  const cubes = [...byPath.values()].map(cubeOf).sort((a, b) => uriToPath(a.uri).localeCompare(uriToPath(b.uri)));
  return { cubes, truncated };
}
