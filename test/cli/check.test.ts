/**
 * `cubelab check` over the repository's corpus (test/fixtures/corpus, the file list from SOURCES.tsv), laid out at
 * the files' upstream paths so that recognition by name works as in the user's repository: the CLI reports exactly
 * what the language service reports for every file (kind, line, column, severity, code, message) in each format,
 * with the exit codes of the issue (1 on errors, --max-warnings, 0 otherwise).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CorpusRow } from '../helpers/corpus';
import { corpusFiles, reportChecked } from '../helpers/corpus';
import table from '../fixtures/mlgym/corpus-table.json';
import {
  asJson, cli, layOutCorpus, removeDir, serviceDiagnostics, sortDiagnostics, tempDir, type JsonDiagnostic, type JsonReport,
} from './helpers';

let root = '';
let laid: { row: CorpusRow; path: string }[] = [];
/** What the language service says, per file relative to the root (only files it checks). */
const expected = new Map<string, { kind: string; diagnostics: JsonDiagnostic[] }>();
let report: JsonReport;
let jsonRun: { code: number | null; stderr: string };

before(async () => {
  root = tempDir('corpus');
  laid = layOutCorpus(root);
  for (const { path } of laid) {
    const rel = relative(root, path);
    const { kind, diagnostics } = serviceDiagnostics(path, readFileSync(path, 'utf8'), root);
    if (kind === 'none' || kind === 'mlcube-settings') continue;
    expected.set(rel, { kind, diagnostics: diagnostics.map((d) => asJson(rel, d)) });
  }
  const r = await cli(['check', '--format', 'json'], { cwd: root });
  jsonRun = r;
  report = JSON.parse(r.stdout) as JsonReport;
});
after(() => removeDir(root));

test('check: the corpus is laid out from SOURCES.tsv, every folder of it', () => {
  const folders = new Set(laid.map((l) => l.row.file.split('/').slice(0, 2).join('/')));
  reportChecked(`YAML files laid out at their upstream paths (${[...folders].sort().join(', ')})`, laid.length);
  for (const f of ['mlcube/manifests', 'mlcube/legacy', 'mlcube/not-mlcube', 'mlcube/params', 'mlgym/configs']) {
    assert.equal(laid.filter((l) => l.row.file.startsWith(`${f}/`)).length, corpusFiles(f).length, f);
  }
});

test('check --format json: the same files, kinds and diagnostics as the language service, exit code 1 (the corpus has errors)', () => {
  assert.equal(jsonRun.code, 1, jsonRun.stderr);
  assert.equal(report.tool.name, 'cubelab');
  assert.deepEqual(report.files.map((f) => [f.file, f.kind]).sort(), [...expected].map(([f, e]) => [f, e.kind]).sort());
  const want = [...expected.values()].flatMap((e) => e.diagnostics).sort(sortDiagnostics);
  const got = report.diagnostics.slice().sort(sortDiagnostics);
  assert.equal(got.length, want.length);
  assert.deepEqual(got, want);
  const count = (s: string) => want.filter((d) => d.severity === s).length;
  assert.deepEqual(report.summary, { files: expected.size, error: count('error'), warning: count('warning'), info: count('info'), hint: count('hint'), ioErrors: 0 });
  reportChecked(`corpus files checked by the CLI (${want.length} diagnostics, ${count('error')} errors)`, report.files.length);
});

test('check: every v2 manifest is a manifest without error; legacy manifests get exactly mlcube/legacy-v1; non-MLCube files are not checked', () => {
  const kindOf = new Map(report.files.map((f) => [f.file, f.kind]));
  const byFile = new Map<string, JsonDiagnostic[]>();
  for (const d of report.diagnostics) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  for (const { row, path } of laid) {
    const rel = relative(root, path);
    const ds = byFile.get(rel) ?? [];
    if (row.kind === 'manifest-v2') {
      assert.equal(kindOf.get(rel), 'mlcube', rel);
      assert.deepEqual(ds.filter((d) => d.severity === 'error'), [], rel);
    } else if (row.kind === 'manifest-legacy-v1') {
      assert.equal(kindOf.get(rel), 'mlcube-legacy', rel);
      assert.deepEqual(ds.map((d) => d.code), ['mlcube/legacy-v1'], rel);
    } else if (['not-mlcube', 'manifest-template', 'params'].includes(row.kind)) {
      assert.equal(kindOf.get(rel), undefined, `${rel} is not checked`);
    }
  }
});

test('check: the stale MLgym configs of the corpus get their errors (test/fixtures/mlgym/corpus-table.json)', () => {
  const rows = table as { file: string; kind: string; status: string; errors: { code: string; line: number }[] }[];
  const laidByName = new Map(laid.map((l) => [l.row.name, relative(root, l.path)]));
  let stale = 0;
  for (const r of rows) {
    const rel = laidByName.get(r.file);
    assert.ok(rel, `${r.file} is laid out`);
    assert.equal(report.files.find((f) => f.file === rel)?.kind, r.kind === 'none' ? undefined : r.kind, rel);
    const errors = report.diagnostics.filter((d) => d.file === rel && d.severity === 'error').map((d) => ({ code: d.code, line: d.line }));
    for (const e of r.errors) assert.ok(errors.some((x) => x.code === e.code && x.line === e.line), `${rel}: ${e.code} on line ${e.line} (got ${JSON.stringify(errors)})`);
    if (r.status === 'stale') stale++;
  }
  assert.ok(stale > 0);
});

test('check --format text: one line per diagnostic, file:line:column: severity code: message, and a summary', async () => {
  const r = await cli(['check'], { cwd: root });
  assert.equal(r.code, 1);
  const lines = r.stdout.trimEnd().split('\n');
  const summary = lines.pop() as string;
  const want = report.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.severity}${d.code ? ` ${d.code}` : ''}: ${d.message.replace(/\n/g, '\n    ')}`);
  // Messages of several lines continue on indented lines.
  assert.deepEqual(lines.join('\n'), want.join('\n'));
  const s = report.summary;
  assert.match(summary, new RegExp(`^${s.error + s.warning + s.info + s.hint} problems \\(${s.error} errors, ${s.warning} warnings, ${s.info} info, ${s.hint} hints\\) in \\d+ files; ${s.files} files checked\\.$`));
  assert.equal(r.stderr, '', 'nothing on stderr');
  assert.doesNotMatch(r.stdout + r.stderr, /\r|\x1b\[/, 'no progress line or colour when stdout is not a terminal');
});

test('check --format github: one workflow annotation per diagnostic, with the runner\'s escapes', async () => {
  const r = await cli(['check', '--format', 'github'], { cwd: root });
  assert.equal(r.code, 1);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, report.diagnostics.length);
  const esc = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const prop = (s: string) => esc(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const want = report.diagnostics.map((d) => {
    const cmd = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'notice';
    return `::${cmd} file=${prop(d.file)},line=${d.line},col=${d.column},title=${prop(`CubeLab ${d.code ?? ''}`)}::${esc(d.message)}`;
  });
  assert.deepEqual(lines, want);
  for (const l of lines) assert.match(l, /^::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+,title=CubeLab [^,:]+::[^\n]*$/);
});

test('check: exit codes: 0 without errors, 1 past --max-warnings, 2 for a bad --max-warnings', async () => {
  const manifests = join(root, 'mlcommons');
  const clean = await cli(['check', '--format', 'json', manifests], { cwd: root });
  const rep = JSON.parse(clean.stdout) as JsonReport;
  assert.equal(rep.summary.error, 0, JSON.stringify(rep.diagnostics.filter((d) => d.severity === 'error').slice(0, 3)));
  assert.ok(rep.summary.warning > 0, 'the manifests have warnings');
  assert.equal(clean.code, 0);
  const strict = await cli(['check', '--max-warnings', '0', manifests], { cwd: root });
  assert.equal(strict.code, 1);
  assert.match(strict.stderr, new RegExp(`${rep.summary.warning} warnings, more than --max-warnings 0 allows`));
  const enough = await cli(['check', '--max-warnings', String(rep.summary.warning), manifests], { cwd: root });
  assert.equal(enough.code, 0);
  const bad = await cli(['check', '--max-warnings', 'many', manifests], { cwd: root });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-warnings expects a whole number/);
});
