/**
 * The real-manifest corpus (test/fixtures/corpus/mlcube, see docs/mlcube.md §4) through the
 * whole language service, each file under its ORIGINAL path (SOURCES.tsv `path`), so that classification
 * by name works as it would in the user's repository:
 *  - every v2 manifest (mlcube accepts them all) gets no error, and exactly the warnings its `notes`
 *    column names (each note phrase maps to a code below; an unmapped phrase fails the test);
 *  - legacy v1 manifests get exactly the legacy diagnostic, their aux files and everything else nothing.
 * The file system is a fake built from expected-docker.json's `workspace_files`: the workspace holds exactly
 * those files; everything outside the workspace (Dockerfiles, absolute paths) is taken to exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join, dirname } from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-types';
import { analyze, type FileAccess } from '../../../server/src/service/languageService';
import { validateManifest } from '../../../server/src/mlcube/validate';
import { validateLegacyManifest } from '../../../server/src/mlcube/legacy';
import { context } from '../../helpers/service';
import { corpusFile, corpusFiles, readCorpus, reportChecked } from '../../helpers/corpus';

/** A virtual root under which each file sits at its upstream path (a path, never read from disk). */
const REPOS = '/corpus-repos';

interface Row { file: string; kind: string; repo: string; path: string; notes: string; text: string }

function rows(): Row[] {
  return ['manifests', 'legacy', 'not-mlcube', 'params'].flatMap((d) => corpusFiles(`mlcube/${d}`)).map((r) => ({
    file: r.name, kind: r.kind, repo: r.repository, path: r.path, notes: r.notes, text: readCorpus(r),
  }));
}

const expected = JSON.parse(fs.readFileSync(corpusFile('mlcube/expected-docker.json'), 'utf8')) as Record<string, { workspace_files?: string[] }>;

/** A file system in which the manifest's workspace holds exactly `workspaceFiles` and all else exists. */
function fakeFs(manifestPath: string, workspaceFiles: string[]): FileAccess {
  const ws = join(dirname(manifestPath), 'workspace');
  const files = new Set(workspaceFiles.map((f) => join(ws, f)));
  const dirs = new Set<string>([ws]);
  for (const f of files) for (let d = dirname(f); d.startsWith(ws) && d !== ws; d = dirname(d)) dirs.add(d);
  const inWs = (p: string) => p === ws || p.startsWith(ws + '/');
  return {
    exists: (p) => (inWs(p) ? files.has(p) || dirs.has(p) : true),
    isDirectory: (p) => (inWs(p) ? dirs.has(p) : !/\.[A-Za-z0-9]+$/.test(p)),
    readDir: () => [],
  };
}

function diagnose(row: Row, fileAccess?: FileAccess): { kind: string; ds: Diagnostic[] } {
  const path = join(REPOS, row.repo, row.path);
  const ctx = context({ workspaceFolders: [join(REPOS, row.repo)], ...(fileAccess ? { fs: fileAccess } : {}) });
  const doc = analyze(`file://${path}`, 1, row.text, ctx);
  // The two MLCube providers' validate functions (as registry.ts wires them); no other kind is expected here.
  const ds = doc.kind === 'mlcube' ? validateManifest(doc, ctx) : doc.kind === 'mlcube-legacy' ? validateLegacyManifest(doc) : [];
  return { kind: doc.kind, ds };
}

/** Note phrase -> the code that must be reported, and how to tell it is the right occurrence. */
interface Expectation { code: string; task?: string; exists?: false }
function expectationsOf(notes: string): Expectation[] {
  const out: Expectation[] = [];
  for (const raw of notes.split(' | ').map((s) => s.trim()).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if ((m = /^task '([^']+)' single-token entrypoint: docker runner drops all --param args$/.exec(raw))) out.push({ code: 'mlcube/entrypoint-drops-args', task: m[1] });
    else if (/^accelerator_count>0 and gpu_args has --gpus: HEAD runner appends a second --gpus=N$/.test(raw)) out.push({ code: 'mlcube/duplicate-gpus-flag' });
    else if (/^accelerator_count>0, no gpu_args: mlcube 0\.0\.9 \(PyPI\) passes no GPU flag; HEAD passes --gpus=N$/.test(raw)) out.push({ code: 'mlcube/gpu-args-missing' });
    else if ((m = /^untyped input\(s\) not present in repo workspace -> type inferred at run time \(tasks: ([^)]*)\)$/.exec(raw))) {
      for (const task of m[1].split(',').map((s) => s.trim())) out.push({ code: 'mlcube/untyped-input', task, exists: false });
    } else assert.fail(`unmapped note phrase in SOURCES.tsv: "${raw}" (map it to a diagnostic code in corpus.test.ts)`);
  }
  return out;
}

const all = rows();

test('the corpus is where the test expects it', () => {
  const byKind = new Map<string, number>();
  for (const r of all) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
  reportChecked(`mlcube SOURCES.tsv rows (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')})`, all.length);
  assert.equal(all.filter((r) => r.kind === 'manifest-v2').length, 79);
  assert.ok(all.some((r) => r.kind === 'manifest-legacy-v1'));
  assert.ok(all.some((r) => r.kind === 'not-mlcube'));
});

test('every v2 manifest: classified as a manifest, no error, exactly the warnings its notes name', () => {
  const problems: string[] = [];
  for (const row of all.filter((r) => r.kind === 'manifest-v2')) {
    const path = join(REPOS, row.repo, row.path);
    const { kind, ds } = diagnose(row, fakeFs(path, expected[row.file]?.workspace_files ?? []));
    if (kind !== 'mlcube') { problems.push(`${row.file}: classified as ${kind}`); continue; }
    for (const d of ds.filter((x) => x.severity === 1)) problems.push(`${row.file}: unexpected error ${d.code} at ${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}`);
    const want = expectationsOf(row.notes);
    // Every noted problem is reported...
    for (const w of want) {
      const hit = ds.some((d) => d.code === w.code && (w.task === undefined || (d.data as { task?: string } | undefined)?.task === w.task)
        && (w.exists === undefined || (d.data as { exists?: boolean } | undefined)?.exists === w.exists));
      if (!hit) problems.push(`${row.file}: note expects ${w.code}${w.task ? ` on task ${w.task}` : ''}, not reported`);
    }
    // ...and nothing the notes do not name: no other warning, and no "missing path" hint on another task.
    for (const d of ds.filter((x) => x.severity === 2)) {
      if (!want.some((w) => w.code === d.code)) problems.push(`${row.file}: warning ${d.code} not in the notes: ${d.message}`);
    }
    for (const d of ds.filter((x) => x.code === 'mlcube/untyped-input' && (x.data as { exists?: boolean }).exists === false)) {
      const task = (d.data as { task: string }).task;
      if (!want.some((w) => w.code === d.code && w.task === task)) problems.push(`${row.file}: task ${task} reported as missing an input path, but the notes do not say so: ${d.message}`);
    }
    for (const d of ds) {
      assert.ok(typeof d.code === 'string' && d.code.length > 0, `${row.file}: diagnostic without code`);
      assert.ok(d.range.start.line <= d.range.end.line);
    }
  }
  reportChecked('v2 manifests validated against their notes', all.filter((r) => r.kind === 'manifest-v2').length);
  assert.deepEqual(problems, []);
});

test('every noted warning code is reported somewhere in the corpus (the mapping is exercised)', () => {
  const codes = new Set<string>();
  for (const row of all.filter((r) => r.kind === 'manifest-v2')) for (const w of expectationsOf(row.notes)) codes.add(w.code);
  assert.deepEqual([...codes].sort(), ['mlcube/duplicate-gpus-flag', 'mlcube/entrypoint-drops-args', 'mlcube/gpu-args-missing', 'mlcube/untyped-input']);
});

test('legacy v1 manifests get exactly the legacy diagnostic; their aux files get nothing', () => {
  for (const row of all.filter((r) => r.kind === 'manifest-legacy-v1')) {
    const { kind, ds } = diagnose(row);
    assert.equal(kind, 'mlcube-legacy', row.file);
    assert.deepEqual(ds.map((d) => d.code), ['mlcube/legacy-v1'], row.file);
    assert.equal(ds[0].range.start.line, row.text.split('\n').findIndex((l) => l.startsWith('schema_type')), row.file);
  }
  for (const row of all.filter((r) => r.kind === 'legacy-aux')) {
    const { kind, ds } = diagnose(row);
    if (kind === 'mlcube-legacy') assert.deepEqual(ds.map((d) => d.code), ['mlcube/legacy-v1'], row.file);
    else assert.deepEqual({ kind, ds }, { kind: 'none', ds: [] }, row.file);
  }
  reportChecked('legacy manifests and their aux files', all.filter((r) => r.kind === 'manifest-legacy-v1' || r.kind === 'legacy-aux').length);
});

test('MedPerf container configs, mlcube-meta files, cookiecutter templates and params files get nothing', () => {
  for (const row of all.filter((r) => ['not-mlcube', 'manifest-template', 'params'].includes(r.kind))) {
    const { kind, ds } = diagnose(row);
    assert.deepEqual({ file: row.file, kind, ds }, { file: row.file, kind: 'none', ds: [] });
  }
  reportChecked('not-MLCube files, templates and params files', all.filter((r) => ['not-mlcube', 'manifest-template', 'params'].includes(r.kind)).length);
});

test('the same corpus manifest also validates cleanly (no error) with the real file system and no workspace', () => {
  for (const row of all.filter((r) => r.kind === 'manifest-v2')) {
    const { ds } = diagnose(row);
    assert.deepEqual(ds.filter((d) => d.severity === 1), [], row.file);
  }
  reportChecked('v2 manifests on the real file system', all.filter((r) => r.kind === 'manifest-v2').length);
});
