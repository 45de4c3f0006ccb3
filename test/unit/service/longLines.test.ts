/**
 * Completion on long lines (issue 14): the caret-context scanners of MLCube manifests (mlcube/complete.ts) and
 * MLgym configs (mlgym/context.ts) read the caret's line and the lines above it. Their regular expressions
 * backtracked quadratically: 2.8 s per completion on an 80,000-character line. The one-pass scanners that
 * replace them answer fast, and mean what the expressions meant (compared here on many short lines).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompletionList, Position } from 'vscode-languageserver-types';
import { completeManifest, keyLine } from '../../../server/src/mlcube/complete';
import { keyAt } from '../../../server/src/mlgym/context';
import { mlgymGsProvider } from '../../../server/src/mlgym/provider';
import { context, doc } from '../../helpers/service';
import { caret } from '../../helpers/caret';

const N = 80_000;
/** Long lines of the shapes that made the expressions backtrack (blank runs, word runs, dashes and blanks). */
const LONG = {
  blanks: 'x' + ' '.repeat(N),
  blanksColon: 'x' + ' '.repeat(N) + ':y',
  tabs: 'x' + ' \t'.repeat(N / 2) + 'y',
  dashBlanks: '- x' + ' '.repeat(N) + ':y',
  itemBlanks: '- ' + ' '.repeat(N) + ':',
  word: 'a'.repeat(N) + ' ',
};
/** Generous: the machine is shared; the quadratic scanners took seconds. */
const FAST_MS = 200;

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

const labels = (l: CompletionList | null | undefined) => (l?.items ?? []).map((i) => String(i.label)).sort();

function completeAt(fixture: string, complete: (text: string, pos: Position) => CompletionList | null | undefined) {
  const { text, offset } = caret(fixture, '‸');
  const lines = text.slice(0, offset).split('\n');
  return timed(() => complete(text, { line: lines.length - 1, character: lines[lines.length - 1].length }));
}

const ctx = context();
const mlcube = (path: string) => (text: string, pos: Position) => completeManifest(doc(path, text, ctx), pos, ctx);
const mlgym = (text: string, pos: Position) => mlgymGsProvider.complete!(doc('/w/gs_config.yml', text, ctx), pos, ctx);

const MANIFEST = 'name: mnist\ndocker:\n  image: mlcommons/mnist:0.0.1\ntasks:\n  train:\n';
const GS = 'optimizer:\n  component_type_key: OPTIMIZER\n';

test('MLCube completion after an 80,000-character line: fast, and the right keys', () => {
  completeAt(`${MANIFEST}    para‸`, mlcube('/cube/mlcube.yaml')); // warm-up
  for (const [shape, line] of Object.entries(LONG)) {
    const r = completeAt(`${MANIFEST}    ${line}\n    para‸`, mlcube('/cube/mlcube.yaml'));
    assert.ok(r.ms < FAST_MS, `${shape}: ${r.ms.toFixed(0)} ms`);
    assert.deepEqual(labels(r.value), ['entrypoint', 'parameters'], shape);
  }
});

test('MLCube completion at the end of an 80,000-character line: fast', () => {
  for (const [shape, line] of Object.entries(LONG)) {
    const r = completeAt(`${MANIFEST}    ${line}‸\n`, mlcube('/cube/mlcube.yaml'));
    assert.ok(r.ms < FAST_MS, `${shape}: ${r.ms.toFixed(0)} ms`);
  }
});

test('MLgym completion after and at the end of an 80,000-character line: fast, and the right values', () => {
  completeAt(`${GS}  variant_key: ‸`, mlgym); // warm-up
  assert.deepEqual(labels(completeAt(`${GS}  variant_key: ‸`, mlgym).value), ['BUNDLE', 'DEFAULT']);
  for (const [shape, line] of Object.entries(LONG)) {
    const above = completeAt(`${GS}  ${line}\n  variant_key: ‸`, mlgym);
    assert.ok(above.ms < FAST_MS, `${shape} above: ${above.ms.toFixed(0)} ms`);
    assert.deepEqual(labels(above.value), ['BUNDLE', 'DEFAULT'], shape);
    const at = completeAt(`${GS}  ${line}‸\n`, mlgym);
    assert.ok(at.ms < FAST_MS, `${shape} at: ${at.ms.toFixed(0)} ms`);
  }
});

// ---- the scanners mean what the expressions they replace meant ----

const KEY_LINE = /^(\s*)(-\s+)?("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{[\]},&*!|>%@`-][^#]*?|-[^\s#][^#]*?)\s*:(?:\s|$)/;
const KEY = /^([^\s#:'"\-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s|$)/;

/** Short random lines over the characters the expressions care about (a fixed seed: reproducible). */
function* shortLines(count: number): Generator<string> {
  const alphabet = [' ', ' ', '\t', 'a', 'b', ':', ':', '#', '-', '-', '"', "'", "'", '\\', '[', '{', '}', ',', '&', '\n', '\u2028', 'é'];
  let seed = 20261123;
  const next = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let k = 0; k < count; k++) {
    let s = '';
    for (let i = next(14); i > 0; i--) s += alphabet[next(alphabet.length)];
    yield s;
  }
}

test('keyLine (MLCube) finds the key the old expression found, on 100,000 short lines', () => {
  const differ: string[] = [];
  for (const line of shortLines(100_000)) {
    const m = KEY_LINE.exec(line);
    const want = m ? { indent: m[1].length, dash: m[2]?.length ?? 0, key: m[3] } : undefined;
    const got = keyLine(line);
    if (JSON.stringify(got) !== JSON.stringify(want) && differ.length < 10) differ.push(`${JSON.stringify(line)}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
  }
  assert.deepEqual(differ, []);
});

test('keyAt (MLgym) finds the key the old expression found, on 100,000 short lines', () => {
  const differ: string[] = [];
  for (const line of shortLines(100_000)) {
    const want = KEY.exec(line)?.[1];
    const got = keyAt(line)?.key;
    if (got !== want && differ.length < 10) differ.push(`${JSON.stringify(line)}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
  }
  assert.deepEqual(differ, []);
});
