/**
 * The repository's corpus of real files (test/fixtures/corpus/, described in its README.md and in
 * docs/mlcube.md §4 and docs/mlgym.md §5). Every corpus test takes its file list from SOURCES.tsv, never from a
 * directory listing: a file listed there but missing fails the test by name, and a test says how many files it
 * checked (`corpus: <what>: N files`), so a run can never look green while checking nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');
export const CORPUS_ROOT = join(repoRoot, 'test', 'fixtures', 'corpus');

export interface CorpusRow {
  /** Path relative to the corpus root, e.g. `mlcube/manifests/<name>.yaml`. */
  file: string;
  /** The file name alone (the corpus stores upstream paths flat, `/` as `__`). */
  name: string;
  /** Absolute path of the copy in this repository. */
  abs: string;
  kind: string;
  repository: string;
  /** The file's path in its upstream repository. */
  path: string;
  commit: string;
  licence: string;
  status: string;
  notes: string;
}

let cache: CorpusRow[] | undefined;

/** Every row of SOURCES.tsv. */
export function corpusRows(): CorpusRow[] {
  if (cache) return cache;
  const tsv = join(CORPUS_ROOT, 'SOURCES.tsv');
  if (!existsSync(tsv)) throw new Error(`the corpus list ${tsv} is missing`);
  const lines = readFileSync(tsv, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const head = (lines[0] ?? '').split('\t');
  const col = (name: string): number => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`SOURCES.tsv has no column "${name}" (columns: ${head.join(', ')})`);
    return i;
  };
  const c = { file: col('file'), kind: col('kind'), repository: col('repository'), path: col('path'), commit: col('commit'), licence: col('licence'), status: col('status'), notes: col('notes') };
  cache = lines.slice(1).map((line) => {
    const f = line.split('\t');
    const file = f[c.file] ?? '';
    return {
      file, name: file.split('/').pop() ?? file, abs: join(CORPUS_ROOT, file), kind: f[c.kind] ?? '', repository: f[c.repository] ?? '',
      path: f[c.path] ?? '', commit: f[c.commit] ?? '', licence: f[c.licence] ?? '', status: f[c.status] ?? '', notes: f[c.notes] ?? '',
    };
  });
  return cache;
}

/**
 * The rows under `folder` (e.g. `mlcube/manifests`), optionally of some kinds, sorted by file name. Throws,
 * naming every listed file that is missing, and when the selection is empty.
 */
export function corpusFiles(folder: string, kinds?: string[]): CorpusRow[] {
  const rows = corpusRows()
    .filter((r) => r.file.startsWith(`${folder}/`) && (!kinds || kinds.includes(r.kind)))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const missing = rows.filter((r) => !existsSync(r.abs)).map((r) => r.file);
  if (missing.length) throw new Error(`corpus files listed in SOURCES.tsv are missing: ${missing.join(', ')}`);
  if (!rows.length) throw new Error(`SOURCES.tsv lists no corpus file under ${folder}${kinds ? ` of kind ${kinds.join('/')}` : ''}`);
  return rows;
}

/** One corpus file by its path relative to the corpus root; throws naming it when missing. */
export function corpusFile(file: string): string {
  const abs = join(CORPUS_ROOT, file);
  if (!corpusRows().some((r) => r.file === file)) throw new Error(`${file} is not listed in the corpus's SOURCES.tsv`);
  if (!existsSync(abs)) throw new Error(`corpus file ${file} is missing`);
  return abs;
}

export function readCorpus(row: CorpusRow): string {
  return readFileSync(row.abs, 'utf8');
}

/** Prints how many corpus files a test checked (the tier's log shows it next to the test). */
export function reportChecked(what: string, n: number): void {
  console.log(`corpus: ${what}: ${n} files`);
}
