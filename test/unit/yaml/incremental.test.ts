/**
 * The incremental path (server/src/yaml/incremental.ts) must give exactly what a full analysis gives:
 * same diagnostics, same outline ranges, same folding, on real manifests and a generated large one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from 'vscode-languageserver-types';
import { context } from '../../helpers/service';
import { corpusFiles, readCorpus, reportChecked } from '../../helpers/corpus';
import { analyze, type AnalyzedDocument } from '../../../server/src/service/languageService';
import { manifestProvider } from '../../../server/src/mlcube/provider';
import { manifestSymbols } from '../../../server/src/mlcube/symbols';
import { manifestFolding } from '../../../server/src/mlcube/folding';
import { analyzeIncrementally, changedSpan, IncrementalValidator, wasIncremental } from '../../../server/src/yaml/incremental';

const ctx = context();
const URI = 'file:///tmp/cubelab-incremental/mlcube.yaml';

const norm = (ds: Diagnostic[]) => ds.map((d) => JSON.stringify(d)).sort();

/** Replays `texts` as successive versions through both paths and compares them at every step. */
function replay(texts: string[], label: string): number {
  const v = new IncrementalValidator();
  let prev: AnalyzedDocument | undefined;
  let incremental = 0;
  texts.forEach((text, i) => {
    const doc = analyzeIncrementally(prev, URI, i + 1, text, ctx);
    const got = v.validate(doc, manifestProvider, ctx);
    if (wasIncremental(doc)) {
      incremental++;
      // An incremental parse is followed by an incremental validation unless the text names tasks (`${tasks.`).
      if (!text.includes('${tasks.')) assert.equal(v.lastWas, 'incremental', `${label} step ${i}: validation (${v.lastSkip})`);
    }
    const full = analyze(URI, i + 1, text, ctx);
    assert.equal(doc.kind, full.kind, `${label} step ${i}: kind`);
    assert.equal(doc.parsed.lines.lineCount, full.parsed.lines.lineCount, `${label} step ${i}: line count`);
    for (let n = 0; n < full.parsed.lines.lineCount; n++) assert.equal(doc.parsed.lines.lineStart(n), full.parsed.lines.lineStart(n), `${label} step ${i}: line ${n}`);
    assert.deepEqual(norm(got), norm(manifestProvider.validate(full, ctx)), `${label} step ${i}: diagnostics`);
    if (doc.kind === 'mlcube') {
      assert.deepEqual(manifestSymbols(doc), manifestSymbols(full), `${label} step ${i}: outline`);
      assert.deepEqual(manifestFolding(doc), manifestFolding(full), `${label} step ${i}: folding`);
      assert.deepEqual(doc.parsed.doc?.toJS(), full.parsed.doc?.toJS(), `${label} step ${i}: values`);
    }
    prev = doc;
  });
  return incremental;
}

/** Edits inside task blocks, as a user would type them: the successive texts. */
function edits(text: string): string[] {
  const out = [text];
  let cur = text;
  const push = (next: string) => { if (next !== cur) { out.push(next); cur = next; } };
  const lines = () => cur.split('\n');
  const findLine = (re: RegExp, from = 0) => lines().findIndex((l, i) => i >= from && re.test(l));
  const setLine = (n: number, l: string) => { const ls = lines(); ls[n] = l; push(ls.join('\n')); };
  const insertLine = (n: number, l: string) => { const ls = lines(); ls.splice(n, 0, l); push(ls.join('\n')); };
  const removeLine = (n: number) => { const ls = lines(); ls.splice(n, 1); push(ls.join('\n')); };
  const inputs = findLine(/^\s+inputs:\s*$/);
  if (inputs > 0) {
    const indent = ' '.repeat(lines()[inputs].search(/\S/) + 2);
    for (const ch of ['e', 'ep', 'epo']) { insertLine(inputs + 1, `${indent}${ch}`); removeLine(inputs + 1); }
    insertLine(inputs + 1, `${indent}epochs: 5`); // a non-string parameter: an error
    setLine(inputs + 1, `${indent}epochs: epochs.txt`);
    setLine(inputs + 1, `${indent}epochs: {type: dir, default: e.txt}`);
    setLine(inputs + 1, `${indent}epochs: {type: file, default: \${HOME}/e.txt}`);
    removeLine(inputs + 1);
  }
  const outputs = findLine(/^\s+outputs:\s*$/);
  if (outputs > 0) {
    const indent = ' '.repeat(lines()[outputs].search(/\S/) + 2);
    insertLine(outputs + 1, `${indent}report: report.json`); // untyped output
    setLine(outputs + 1, `${indent}report: {type: file, default: report.json, opts: rx}`);
    setLine(outputs - 0, lines()[outputs].replace('outputs', 'outpus')); // typo: the key line of `outputs` (inside the task)
    setLine(outputs, lines()[outputs].replace('outpus', 'outputs'));
    removeLine(outputs + 1);
  }
  // A syntax error inside a task, then fixed: the fallback path and back.
  const ep = findLine(/^\s+parameters:\s*$/);
  if (ep > 0) {
    setLine(ep, lines()[ep] + ' [');
    setLine(ep, lines()[ep].replace(' [', ''));
  }
  // An edit on a task's key line and one at the top level: full path.
  const task = findLine(/^ {2}\S[^:]*:\s*$/, findLine(/^tasks:/));
  if (task > 0) { setLine(task, lines()[task].replace(/:\s*$/, '_x:')); setLine(task, lines()[task].replace('_x:', ':')); }
  const name = findLine(/^name:/);
  if (name >= 0) setLine(name, `${lines()[name]}x`);
  return out;
}

test('incremental analysis equals the full one on every corpus manifest', () => {
  let steps = 0, incremental = 0;
  // Every other file keeps the test to a few seconds; the files are much alike.
  const files = corpusFiles('mlcube/manifests').filter((_, i) => i % 2 === 0);
  for (const f of files) {
    const texts = edits(readCorpus(f));
    steps += texts.length;
    incremental += replay(texts, f.name);
  }
  reportChecked('manifests replayed through the incremental path', files.length);
  // The edit mix has deliberate fallbacks (top-level and key-line edits, an unclosed bracket and the
  // step after it, multi-line flow mappings with an error); the rest must be incremental.
  assert.ok(incremental > steps / 5, `${incremental} of ${steps} steps were incremental`);
});

test('a generated manifest with many tasks, edited in the middle and at the end', async () => {
  const { generatedManifest } = await import('../../../bench/lib/manifests.mjs') as { generatedManifest: (n: number) => { text: string } };
  const text = generatedManifest(600).text;
  const lines = text.split('\n');
  const mid = lines.findIndex((l, i) => i > 300 && /^\s+inputs:$/.test(l));
  const texts = [text];
  let cur = lines.slice();
  for (const add of ['x', 'xy', 'xyz: q', 'xyz: 5', 'xyz: q/']) {
    cur = cur.slice(); cur.splice(mid + 1, 0, `        ${add}`); texts.push(cur.join('\n')); cur.splice(mid + 1, 1);
  }
  // Typing at the very end of the file, inside the last task.
  texts.push(text);
  for (const add of ['        z', '        zz', '        zz: /abs']) texts.push(`${text}${add}`);
  const inc = replay(texts, 'generated');
  assert.equal(inc, texts.length - 1, 'every step after the first is incremental');
});

test('changedSpan finds the edited region', () => {
  assert.deepEqual(changedSpan('abcdef', 'abXdef'), { start: 2, oldEnd: 3, newEnd: 3 });
  assert.deepEqual(changedSpan('abc', 'abc!'), { start: 3, oldEnd: 3, newEnd: 4 });
  assert.deepEqual(changedSpan('aaaa', 'aaa'), { start: 3, oldEnd: 4, newEnd: 3 });
});

test('edits that change the structure take the full path', () => {
  const base = 'name: x\ndocker:\n  image: i\ntasks:\n  a:\n    parameters:\n      inputs: {d: d/}\n  b:\n    entrypoint: run\n';
  const prev = analyzeIncrementally(undefined, URI, 1, base, ctx);
  const inside = analyzeIncrementally(prev, URI, 2, base.replace('run\n', 'run2\n'), ctx);
  assert.equal(wasIncremental(inside), true);
  const dedent = analyzeIncrementally(inside, URI, 3, base.replace('run\n', 'run2\n').replace('    entrypoint', '  entrypoint'), ctx);
  assert.equal(wasIncremental(dedent), false);
  const keyLine = analyzeIncrementally(dedent, URI, 4, base.replace('  b:\n', '  c:\n'), ctx);
  assert.equal(wasIncremental(keyLine), false);
  const anchors = analyze(URI, 5, base.replace('{d: d/}', '&p {d: d/}'), ctx);
  assert.equal(wasIncremental(analyzeIncrementally(anchors, URI, 6, base.replace('{d: d/}', '&p {d: d2/}'), ctx)), false);
});
