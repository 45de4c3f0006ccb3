/**
 * The `${...}` injection grammar, run through the real TextMate engine (vscode-textmate + vscode-oniguruma,
 * as VS Code uses them). The host is VS Code's own YAML grammar when the test environment has one
 * (code-server under test/env), and always a small stand-in `source.yaml` with comments and strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';

const root = join(__dirname, '..', '..', '..');
const injection = JSON.parse(readFileSync(join(root, 'syntaxes', 'mlcube-interpolation.tmLanguage.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vscodeYaml = join(root, 'test', 'env', 'vscode', 'node_modules', 'code-server', 'lib', 'vscode', 'extensions', 'yaml', 'syntaxes');

const stubYaml = {
  scopeName: 'source.yaml',
  patterns: [
    { match: '#.*$', name: 'comment.line.number-sign.yaml' },
    { match: '^\\s*([\\w-]+)(:)', captures: { 1: { name: 'entity.name.tag.yaml' }, 2: { name: 'punctuation.separator.key-value.yaml' } } },
    { begin: '"', end: '"', name: 'string.quoted.double.yaml' },
    // Like VS Code's grammar, a plain scalar is a begin/end rule, so injections match inside it.
    { begin: '(?=[^#\\s])', end: '(?=\\s#)|$', name: 'string.unquoted.plain.out.yaml' },
  ],
};

let onigReady: Promise<void> | undefined;
function onig(): Promise<void> {
  onigReady ??= oniguruma.loadWASM(readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer as ArrayBuffer);
  return onigReady;
}

async function grammarWith(hosts: Record<string, unknown>): Promise<textmate.IGrammar> {
  await onig();
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (s: string[]) => new oniguruma.OnigScanner(s), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async (scope: string) => {
      const g = scope === injection.scopeName ? injection : hosts[scope];
      return g ? textmate.parseRawGrammar(JSON.stringify(g), `${scope}.json`) : null;
    },
    getInjections: (scope: string) => (scope === 'source.yaml' ? [injection.scopeName] : []),
  });
  const g = await registry.loadGrammar('source.yaml');
  assert.ok(g, 'grammar loaded');
  return g;
}

/** Each token of a line as [text, innermost mlcube scope or '-'] (yaml scopes elided). */
function tokens(g: textmate.IGrammar, line: string): [string, string][] {
  const r = g.tokenizeLine(line, textmate.INITIAL);
  return r.tokens.map((t) => {
    const mine = t.scopes.filter((s) => s.endsWith('.mlcube'));
    return [line.slice(t.startIndex, t.endIndex), mine.length ? mine[mine.length - 1] : '-'];
  });
}

async function checkInjection(g: textmate.IGrammar): Promise<void> {
  const key = tokens(g, 'image: mlcommons/${docker.image}:1');
  assert.deepEqual(key.filter(([, s]) => s !== '-'), [
    ['${', 'punctuation.definition.interpolation.begin.mlcube'],
    ['docker', 'variable.other.key.mlcube'],
    ['.', 'punctuation.accessor.mlcube'],
    ['image', 'variable.other.key.mlcube'],
    ['}', 'punctuation.definition.interpolation.end.mlcube'],
  ]);
  const env = tokens(g, 'default: "${oc.env:HOME,/tmp}/data"');
  assert.deepEqual(env.filter(([, s]) => s !== '-'), [
    ['${', 'punctuation.definition.interpolation.begin.mlcube'],
    ['oc.env', 'support.function.resolver.oc-env.mlcube'],
    [':', 'punctuation.separator.resolver.mlcube'],
    ['HOME', 'variable.other.environment.mlcube'],
    [',', 'punctuation.separator.arguments.mlcube'],
    ['/tmp', 'string.unquoted.argument.mlcube'],
    ['}', 'punctuation.definition.interpolation.end.mlcube'],
  ]);
  const other = tokens(g, 'x: ${oc.decode:${runtime.root}}');
  assert.ok(other.some(([t, s]) => t === 'oc.decode' && s === 'support.function.resolver.mlcube'));
  assert.ok(other.some(([t, s]) => t === 'runtime' && s === 'variable.other.key.mlcube'), 'nested interpolation');
  assert.deepEqual(tokens(g, 'x: a # see ${name}').filter(([, s]) => s !== '-'), [], 'nothing in comments');
  assert.deepEqual(tokens(g, 'x: \\${name}').filter(([, s]) => s !== '-').map(([t, s]) => [t, s]).slice(0, 1), [['\\${', 'constant.character.escape.interpolation.mlcube']]);
  assert.deepEqual(tokens(g, 'x: $HOME/data').filter(([, s]) => s !== '-'), [], 'plain $VAR is not an interpolation');
}

test('package.json injects the grammar into source.yaml', () => {
  const entry = (pkg.contributes.grammars as { scopeName: string; path: string; injectTo?: string[] }[]).find((g) => g.scopeName === injection.scopeName);
  assert.ok(entry);
  assert.deepEqual(entry.injectTo, ['source.yaml']);
  assert.equal(entry.path, './syntaxes/mlcube-interpolation.tmLanguage.json');
  assert.equal(injection.injectionSelector, 'L:source.yaml -comment');
});

test('interpolations are scoped inside a YAML host grammar', async () => {
  await checkInjection(await grammarWith({ 'source.yaml': stubYaml }));
  if (existsSync(vscodeYaml)) {
    const hosts: Record<string, unknown> = {};
    for (const f of readdirSync(vscodeYaml)) {
      const g = JSON.parse(readFileSync(join(vscodeYaml, f), 'utf8')) as { scopeName: string };
      hosts[g.scopeName] = g;
    }
    await checkInjection(await grammarWith(hosts));
  }
});
