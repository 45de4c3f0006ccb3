/** Document links in MLCube manifests: parameter paths and the Dockerfile, when the file exists on disk. */
import { pathToFileUri } from '../../../shared/fileUri';
import type { DocumentLink } from 'vscode-languageserver-types';
import type { AnalyzedDocument, ServiceContext } from '../service/languageService';
import { buildFilePath } from './definition';
import { hostPath } from './hover';
import { manifestModel, type Entry } from './model';

/** The range of a string value without its quotes. */
function valueRange(doc: AnalyzedDocument, e: Entry): [number, number] {
  let [s, t] = e.valueSpan;
  const q = doc.parsed.text[s];
  if ((q === '"' || q === "'") && t - s >= 2) { s++; t--; }
  return [s, t];
}

export function manifestLinks(doc: AnalyzedDocument, ctx: ServiceContext): DocumentLink[] {
  const model = manifestModel(doc);
  const { lines } = doc.parsed;
  const out: DocumentLink[] = [];
  const add = (e: Entry | undefined, target: string | undefined, tooltip: string) => {
    if (!e || e.shape !== 'scalar' || !target || !ctx.fs.exists(target) || ctx.fs.isDirectory(target)) return;
    const [s, t] = valueRange(doc, e);
    out.push({ range: lines.range(s, t), target: pathToFileUri(target), tooltip });
  };
  for (const task of model.tasks) {
    for (const p of task.params) {
      if (!p.pathEntry) continue;
      add(p.pathEntry, hostPath(doc, p, ctx), `${p.io} ${p.name} of task ${task.name}`);
    }
  }
  add(model.docker?.get('build_file'), buildFilePath(doc), 'Dockerfile (relative to build_context)');
  return out;
}
