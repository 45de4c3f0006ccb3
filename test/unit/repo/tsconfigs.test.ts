/**
 * The per-runtime TypeScript configs keep their strict options and their runtime's boundaries (issue 15, "Types"):
 * each product config has strict plus noUncheckedIndexedAccess, noImplicitReturns, noUnusedLocals and
 * noUnusedParameters in effect (after `extends`); the extension host and the server have Node types and no DOM,
 * the webviews the DOM and no Node types, the server cannot resolve the vscode API; `npm run typecheck` checks
 * every config. The options are read the way tsc reads them (TypeScript's own config parser).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

const root = join(__dirname, '..', '..', '..');
const RUNTIME_CONFIGS = ['client/tsconfig.json', 'server/tsconfig.json', 'webviews/tsconfig.json', 'shared/tsconfig.json'];
const STRICT_OPTIONS = ['strict', 'noUncheckedIndexedAccess', 'noImplicitReturns', 'noUnusedLocals', 'noUnusedParameters', 'noImplicitOverride', 'noFallthroughCasesInSwitch'] as const;

function effective(config: string): ts.ParsedCommandLine {
  const diagnostics: ts.Diagnostic[] = [];
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => { diagnostics.push(d); },
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, config), {}, host);
  const errors = [...diagnostics, ...(parsed?.errors ?? [])].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  assert.deepEqual(errors, [], `${config} does not parse`);
  assert.ok(parsed, `${config} does not parse`);
  return parsed;
}

const libs = (p: ts.ParsedCommandLine): string[] => (p.options.lib ?? []).map((l) => l.toLowerCase());
const hasDom = (p: ts.ParsedCommandLine): boolean => libs(p).some((l) => l.startsWith('lib.dom'));

for (const config of RUNTIME_CONFIGS) {
  test(`${config}: the strict options are on (through tsconfig.base.json)`, () => {
    const p = effective(config);
    for (const option of STRICT_OPTIONS) assert.equal(p.options[option], true, `${config}: ${option} is not on`);
    assert.equal(p.options.noEmit, true, `${config}: a type check only (esbuild builds)`);
    assert.ok(p.fileNames.length > 0, `${config} includes no file`);
    const raw = JSON.parse(JSON.stringify(ts.readConfigFile(join(root, config), ts.sys.readFile).config)) as { extends?: string };
    assert.equal(raw.extends, '../tsconfig.base.json', `${config} must extend the shared base`);
  });
}

test('client (extension host): Node types, no DOM; vscode resolves to its API', () => {
  const p = effective('client/tsconfig.json');
  assert.deepEqual(p.options.types, ['node']);
  assert.equal(hasDom(p), false, `the extension host has no DOM: lib is ${libs(p).join(', ')}`);
  const r = ts.resolveModuleName('vscode', join(root, 'client/src/extension.ts'), p.options, ts.sys).resolvedModule;
  assert.match(r?.resolvedFileName ?? '', /@types\/vscode\/index\.d\.ts$/);
});

test('server: Node types, no DOM, and "vscode" resolves to a module that exports nothing', () => {
  const p = effective('server/tsconfig.json');
  assert.deepEqual(p.options.types, ['node']);
  assert.equal(hasDom(p), false, `the server has no DOM: lib is ${libs(p).join(', ')}`);
  const r = ts.resolveModuleName('vscode', join(root, 'server/src/server.ts'), p.options, ts.sys).resolvedModule;
  assert.equal(relative(root, r?.resolvedFileName ?? '').replace(/\\/g, '/'), 'server/no-vscode-in-the-server.d.ts');
  const stub = readFileSync(join(root, 'server/no-vscode-in-the-server.d.ts'), 'utf8');
  assert.match(stub, /^export \{\};$/m);
  assert.doesNotMatch(stub, /export (?!\{\};)/, 'the stand-in for vscode in the server must export nothing');
});

test('no server source imports the vscode API', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) { walk(file); continue; }
      if (!/\.ts$/.test(name)) continue;
      const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      if (info.importedFiles.some((f) => f.fileName === 'vscode')) offenders.push(relative(root, file));
    }
  };
  walk(join(root, 'server/src'));
  assert.deepEqual(offenders, []);
});

test('webviews: the DOM, no Node types', () => {
  const p = effective('webviews/tsconfig.json');
  assert.deepEqual(p.options.types, [], 'webviews get no ambient @types (no Node)');
  assert.ok(hasDom(p), `webviews need the DOM: lib is ${libs(p).join(', ')}`);
});

test('shared: no DOM', () => {
  const p = effective('shared/tsconfig.json');
  assert.equal(hasDom(p), false, `shared code runs in the extension host and the server too: lib is ${libs(p).join(', ')}`);
});

test('the root config (tests, scripts, whole tree) extends the base; only unchecked indexing is relaxed, with a reason', () => {
  const p = effective('tsconfig.json');
  for (const option of STRICT_OPTIONS.filter((o) => o !== 'noUncheckedIndexedAccess')) assert.equal(p.options[option], true, `tsconfig.json: ${option} is not on`);
  assert.equal(p.options.noUncheckedIndexedAccess, false);
  const text = readFileSync(join(root, 'tsconfig.json'), 'utf8');
  assert.match(text, /\/\/[^\n]*\n[^]*"noUncheckedIndexedAccess": false/, 'say why tests and scripts may stay less strict');
  assert.ok(p.fileNames.some((f) => f.includes(['', 'test', 'unit', ''].join('/'))), 'the root config checks the tests');
});

test('npm run typecheck checks every config, and the test runner runs it', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.typecheck, 'node scripts/typecheck.mjs');
  const script = readFileSync(join(root, 'scripts/typecheck.mjs'), 'utf8');
  for (const config of [...RUNTIME_CONFIGS, 'tsconfig.json']) assert.ok(script.includes(`'${config}'`), `scripts/typecheck.mjs does not check ${config}`);
  const runAll = readFileSync(join(root, 'test/run-all.mjs'), 'utf8');
  assert.match(runAll, /step\('typecheck', node, \['scripts\/typecheck\.mjs'\]\)/);
});
