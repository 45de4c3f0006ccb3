/**
 * Glob settings matched in bounded time (shared/glob.ts, issue 14): `cubelab.files.exclude`, `manifestGlobs`
 * and `mlgymGlobs` are settable by a workspace and reach the matcher for every YAML file. A crafted pattern
 * and a brace bomb must not hold the server; ordinary patterns must mean what they meant with minimatch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { minimatch } from 'minimatch';
import { compileGlob, MAX_GLOB_ALTERNATIVES, MAX_GLOB_LENGTH } from '../../../shared/glob';
import { classify } from '../../../server/src/service/documentKind';
import { defaultSettings } from '../../../shared/lsp-protocol';

/** Backtracks exponentially as a regular expression: minimatch needed seconds per file on a 28-character name. */
const CRAFTED = '**/' + '?*'.repeat(20) + 'b';
/** 2^20 patterns once expanded. */
const BRACE_BOMB = '{a,b}'.repeat(20) + '/*.yaml';
const LONG_NAME = '/w/' + 'a'.repeat(28) + '.yaml';

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

test('a crafted pattern in cubelab.files.exclude: the file is classified within 100 ms', { timeout: 120_000 }, () => {
  const files = { ...defaultSettings.files, exclude: [CRAFTED] };
  // Warm-up on another name (first-call compilation is not what is measured).
  classify({ path: '/w/x.yaml', text: '', settings: { files }, workspaceFolders: ['/w'] });
  const r = timed(() => classify({ path: LONG_NAME, text: 'docker:\n  image: x\ntasks:\n  a: {}\n', settings: { files }, workspaceFolders: ['/w'] }));
  assert.ok(r.ms < 100, `took ${r.ms.toFixed(0)} ms`);
  assert.equal(r.value, 'mlcube', 'not excluded (the name does not end in b), a manifest by content');
  // The same pattern still matches what it says.
  assert.equal(classify({ path: '/w/' + 'a'.repeat(28) + 'b', text: 'docker:\n  image: x\ntasks:\n  a: {}\n', settings: { files: { ...files, manifestGlobs: ['**/*b'] } }, workspaceFolders: ['/w'] }), 'none');
});

test('a brace bomb in cubelab.files.manifestGlobs is refused within 100 ms and forces nothing', { timeout: 120_000 }, () => {
  const files = { ...defaultSettings.files, manifestGlobs: [BRACE_BOMB], mlgymGlobs: [BRACE_BOMB] };
  classify({ path: '/w/x.yaml', text: '', settings: { files: defaultSettings.files }, workspaceFolders: ['/w'] });
  const r = timed(() => classify({ path: '/w/abababababababababab/notes.yaml', text: 'a: 1\n', settings: { files }, workspaceFolders: ['/w'] }));
  assert.ok(r.ms < 100, `took ${r.ms.toFixed(0)} ms`);
  assert.equal(r.value, 'none');
  assert.deepEqual(compileGlob(BRACE_BOMB), { ok: false, reason: `its braces expand to more than ${MAX_GLOB_ALTERNATIVES} patterns` });
  assert.deepEqual(compileGlob('a'.repeat(MAX_GLOB_LENGTH + 1)), { ok: false, reason: `it is longer than ${MAX_GLOB_LENGTH} characters` });
});

test('the matcher is linear-time on the patterns that make regular expressions backtrack', () => {
  const seg = 'a'.repeat(200);
  for (const p of [CRAFTED, '**/' + '*a'.repeat(100) + 'b', '**/'.repeat(100) + 'x', '**/' + '*'.repeat(500) + 'b', '{a,b}'.repeat(8)]) {
    const g = compileGlob(p, { nocase: true });
    assert.ok(g.ok, p);
    const r = timed(() => g.match(`/w/${seg}/${seg}/${seg}.yaml`));
    assert.equal(r.value, false, p);
    assert.ok(r.ms < 100, `${p}: ${r.ms.toFixed(0)} ms`);
  }
});

const PATTERNS = [
  '**', '*', '*.yaml', '**/*.yaml', '**/node_modules/**', '**/.cubelab/**', 'cubes/*.yaml', '**/cubes/*.yaml', '/w/cubes/*.yaml',
  'a/**', 'a/*', '*/b', '*/*', 'a/**/b', '**/b', 'a/*/b', 'a?c', 'a??', '[a-c]*', '[!a-c]*', '[]]', '[', '[a', 'x[0-9].yml', '**/*.{yaml,yml}',
  '{a,b}/**', '{a,{b,c}}', '{a}', 'v{1..3}.yaml', '{a..c}', '\\*', 'a\\?', '!**/*.yaml', '!!a', '#comment', '', 'a//b', 'a/b/',
  '**/gs_config*.yml', '**/run_config*.yml', '**/mlcube*.y?(a)ml', 'a**b', '**/.*', 'A/*.YAML',
];
const PATHS = [
  '', 'a', 'a/', 'a/b', 'a/b/', 'a/x/b', 'a/x/y/b', 'abc', 'axc', 'b', 'b/c', ']', '[', '[a', 'x1.yml', 'xa.yml', '*', 'a?', 'ab',
  'mlcube.yaml', '.hidden', 'cubes/x.yaml', 'cubes/sub/x.yaml', 'w/cubes/x.yaml', '/w/cubes/x.yaml', '/w/node_modules/p/mlcube.yaml',
  'node_modules/mlcube.yaml', '/w/.cubelab/runs/x/mlcube.yaml', 'x/.cubelab', 'gs_config_1.yml', 'exp/run_config.yml', 'v2.yaml',
  'v4.yaml', 'c', 'a//b', 'axxb', 'a/.x', 'A/B.yaml', 'a/b.yaml', 'x/y.yml', '#comment',
];

test('ordinary patterns match what minimatch (dot: true) matches, case-sensitively and not', () => {
  const differ: string[] = [];
  for (const nocase of [false, true]) {
    for (const p of PATTERNS) {
      const g = compileGlob(p, { nocase });
      assert.ok(g.ok, p);
      for (const path of PATHS) {
        // Extglobs (`?(a)`) are not supported: those patterns are compared only where they contain none.
        if (/[?*+@!]\(/.test(p)) continue;
        const want = minimatch(path, p, { dot: true, nocase });
        if (g.match(path) !== want) differ.push(`${nocase ? 'nocase ' : ''}${JSON.stringify(p)} on ${JSON.stringify(path)}: minimatch ${want}`);
      }
    }
  }
  assert.deepEqual(differ, []);
});

test('the settings still force and exclude as before, case-insensitively and relative to the workspace folder', () => {
  const kind = (path: string, text: string, files: typeof defaultSettings.files) => classify({ path, text, settings: { files }, workspaceFolders: ['/w'] });
  const files = { manifestGlobs: ['Cubes/*.YAML'], mlgymGlobs: ['**/exp/*.yml'], exclude: ['**/vendor/**', '{build,dist}/**'] };
  assert.equal(kind('/w/cubes/anything.yaml', 'x: 1\n', files), 'mlcube');
  assert.equal(kind('/w/vendor/mlcube.yaml', 'tasks: {}\n', files), 'none');
  assert.equal(kind('/w/dist/x/mlcube.yaml', 'tasks: {}\n', files), 'none');
  assert.equal(kind('/w/a/exp/c.yml', 'model:\n  component_type_key: MODEL\n', files), 'mlgym-gs');
  assert.equal(kind('/w/node_modules/mlcube.yaml', 'tasks: {}\n', defaultSettings.files), 'none');
});

test('the glob settings are restricted in untrusted workspaces (a cloned repository cannot set them)', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } } };
  const restricted = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
  for (const key of ['cubelab.files.manifestGlobs', 'cubelab.files.mlgymGlobs', 'cubelab.files.exclude', 'cubelab.events.storageGlobs']) {
    assert.ok(restricted.includes(key), key);
  }
});
