/**
 * A file from a cloned repository must never hang the editor (issue 14), through the built server: the
 * 30-level interpolation bomb gets one diagnostic within twice the validation budget, and the server answers
 * hover and validates other documents meanwhile.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hover, MarkupContent } from 'vscode-languageserver-types';
import { LspClient } from '../helpers/lspClient';
import { TOO_EXPENSIVE, VALIDATION_BUDGET_MS } from '../../server/src/service/budget';

const BOMB = readFileSync(join(__dirname, '..', 'fixtures', 'mlcube', 'hangs', 'interpolation-bomb.yaml'), 'utf8');

let lsp: LspClient;
before(async () => { lsp = await LspClient.start({ settings: { validation: { debounceMs: 0 } } }); });
after(async () => { await lsp.stop(); });

test('an interpolation bomb gets one diagnostic in time, and the server answers other documents meanwhile', async () => {
  // Warm up: the first request of a fresh server compiles the validator.
  await lsp.diagnosticsFor(lsp.open('/tmp/cubelab-hang/warm/mlcube.yaml', 'name: w\ndocker:\n  image: busybox\ntasks:\n  run: {entrypoint: x}\n'));

  const limit = 2 * VALIDATION_BUDGET_MS;
  const t0 = Date.now();
  const bomb = lsp.open('/tmp/cubelab-hang/bomb/mlcube.yaml', BOMB);
  // Right behind it, another manifest (with one mistake) and a hover on it.
  const other = lsp.open('/tmp/cubelab-hang/other/mlcube.yaml', 'name: other\ndocker:\n  image: busybox\n  build_strategy: sometimes\ntasks:\n  run: {entrypoint: x}\n');
  const hover = lsp.request<Hover | null>('textDocument/hover', { textDocument: { uri: other }, position: { line: 3, character: 5 } }).then((h) => ({ h, ms: Date.now() - t0 }));
  const otherDiagnostics = lsp.diagnosticsFor(other, limit).then((ds) => ({ ds, ms: Date.now() - t0 }));
  const bombDiagnostics = lsp.diagnosticsFor(bomb, limit).then((ds) => ({ ds, ms: Date.now() - t0 }));

  const b = await bombDiagnostics;
  assert.ok(b.ms < limit, `bomb checked after ${b.ms} ms`);
  assert.equal(b.ds.length, 1);
  assert.equal(b.ds[0].code, TOO_EXPENSIVE);
  assert.equal(b.ds[0].message, 'This document is too expensive to check (the value of `v21` grows past 4,000,000 characters), so CubeLab stopped checking it and shows no other problem in it. Simplify it to have it checked again.');
  const line = BOMB.split('\n').findIndex((l) => l.startsWith('v22:'));
  assert.deepEqual(b.ds[0].range, { start: { line, character: 5 }, end: { line, character: 11 } });

  const o = await otherDiagnostics;
  assert.ok(o.ms < limit, `other document checked after ${o.ms} ms`);
  assert.deepEqual(o.ds.map((d) => d.code), ['mlcube/bad-build-strategy']);
  const h = await hover;
  assert.ok(h.ms < limit, `hover answered after ${h.ms} ms`);
  assert.match((h.h?.contents as MarkupContent).value, /Values: `pull`, `auto`, `always`/);

  // Hover on the bomb itself is answered too, and says why nothing is resolved.
  const t1 = Date.now();
  const last = BOMB.split('\n').findIndex((l) => l.startsWith('v30:'));
  const hb = await lsp.request<Hover | null>('textDocument/hover', { textDocument: { uri: bomb }, position: { line: last, character: 7 } });
  assert.ok(Date.now() - t1 < limit);
  assert.equal((hb?.contents as MarkupContent).value, '`${v29}` → cannot be resolved: Too expensive to resolve: the value of `v21` grows past 4,000,000 characters.');
  assert.ok(lsp.alive);
});
