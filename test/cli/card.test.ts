/**
 * `cubelab card` on the corpus's real 2024 grid search (test/fixtures/corpus/mlgym/events, rebuilt into its folder
 * layout): the same card the Model card panel builds (client/src/modelcard/load.ts with the server's stored-config
 * reading), as JSON and as self-contained HTML, from the grid search folder, its log or the storage folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultSettings } from '../../shared/lsp-protocol';
import { loadModelCard } from '../../client/src/modelcard/load';
import { modelCardHtml } from '../../client/src/modelcard/exportHtml';
import { storedConfig } from '../../server/src/mlgym/storedConfig';
import { nodeFileAccess } from '../../server/src/nodeFileAccess';
import { corpusFiles } from '../helpers/corpus';
import { cli, removeDir, tempDir } from './helpers';

const GS = '2024-02-14--22-15-46';
const PREFIX = 'mlgym+mlgym__event_storage__';

/** The corpus's grid search at `<root>/event_storage/<gs>/...` (stored flat, `/` as `__`). */
function rebuild(root: string): string {
  const storage = join(root, 'event_storage');
  const files = corpusFiles('mlgym/events').filter((f) => f.name.startsWith(PREFIX));
  assert.ok(files.length > 0);
  for (const f of files) {
    const target = join(storage, f.name.slice(PREFIX.length).split('__').join('/'));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(f.abs, target);
  }
  return storage;
}

const withoutTime = (card: Record<string, unknown>) => ({ ...card, generatedAt: '' });

test('card --json: the panel\'s card, with the stored configs read as the server reads them', async (t) => {
  const root = tempDir('card');
  t.after(() => removeDir(root));
  const storage = rebuild(root);
  const gsDir = join(storage, GS);
  // The corpus keeps no event log (large ones are generated): an empty one, so that the log can be named too.
  writeFileSync(join(gsDir, 'event_storage.log'), '');
  const ctx = { settings: defaultSettings, workspaceFolders: [root], fs: nodeFileAccess, env: process.env };
  const want = await loadModelCard(gsDir, '0', { readStoredConfig: async (p) => storedConfig(p, ctx) });
  const r = await cli(['card', gsDir, '0', '--json', '--workspace', root], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(withoutTime(got), withoutTime(want as unknown as Record<string, unknown>));
  assert.equal(got.gridSearchId, GS);
  assert.equal(got.experimentId, '0');
  assert.ok(!(want.problems as string[]).some((p) => /without the language server/.test(p)), 'the stored configs were read by the language service');

  // The storage folder (one grid search in it) and the log name the same grid search.
  for (const arg of [storage, join(gsDir, 'event_storage.log')]) {
    const again = await cli(['card', arg, '0', '--json', '--workspace', root], { cwd: root });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(withoutTime(JSON.parse(again.stdout) as Record<string, unknown>), withoutTime(got));
  }
});

test('card: HTML by default, to stdout or --output; clear errors for a missing storage, experiment or bad option', async (t) => {
  const root = tempDir('card-html');
  t.after(() => removeDir(root));
  const storage = rebuild(root);
  const gsDir = join(storage, GS);
  const html = await cli(['card', gsDir, '0', '--workspace', root], { cwd: root });
  assert.equal(html.code, 0, html.stderr);
  assert.match(html.stdout, /^<!DOCTYPE html>/i);
  assert.doesNotMatch(html.stdout, /<script/i, 'self-contained and without script');
  const ctx = { settings: defaultSettings, workspaceFolders: [root], fs: nodeFileAccess, env: process.env };
  const card = await loadModelCard(gsDir, '0', { readStoredConfig: async (p) => storedConfig(p, ctx) });
  const stripTime = (s: string) => s.replace(new RegExp(card.generatedAt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'), 'T').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'T');
  assert.equal(stripTime(html.stdout.trimEnd()), stripTime(modelCardHtml(card).trimEnd()));

  const out = join(root, 'card.html');
  const written = await cli(['card', gsDir, '0', '-o', out], { cwd: root });
  assert.equal(written.code, 0, written.stderr);
  assert.equal(written.stdout, '');
  assert.match(written.stderr, /^cubelab: wrote card\.html$/m);
  assert.match(readFileSync(out, 'utf8'), /^<!DOCTYPE html>/i);

  const missing = await cli(['card', join(root, 'nope'), '0'], { cwd: root });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope: no such file or folder/);
  const noExp = await cli(['card', gsDir], { cwd: root });
  assert.equal(noExp.code, 2);
  assert.match(noExp.stderr, /which experiment\? .* has 0/);
  const unsafe = await cli(['card', gsDir, '../0'], { cwd: root });
  assert.equal(unsafe.code, 2);
  assert.match(unsafe.stderr, /is not a folder name/);
  const both = await cli(['card', gsDir, '0', '--html', '--json'], { cwd: root });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--html and --json exclude each other/);
});
