/**
 * The CLI's surface: --help for each command, --version, bad options (exit 2 with a message), missing files and
 * unreadable folders (exit 2), and the settings the editor reads (.vscode/settings.json as JSON with comments, or
 * --config): the same globs decide which files are checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, removeDir, repoRoot, tempDir, writeFiles, type JsonReport } from './helpers';

const VERSION = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const MANIFEST = 'docker: {image: busybox}\ntasks:\n  t: {}\n';
const GS = 'model:\n  component_type_key: MODEL\n  variant_key: NN\n  config: {}\n';

test('--version, --help, and each command\'s --help', async () => {
  const v = await cli(['--version']);
  assert.deepEqual([v.code, v.stdout], [0, `cubelab ${VERSION}\n`]);
  const h = await cli(['--help']);
  assert.equal(h.code, 0);
  for (const c of ['check', 'plan', 'run', 'card']) assert.match(h.stdout, new RegExp(`^  ${c} +\\S`, 'm'));
  for (const c of ['check', 'plan', 'run', 'card']) {
    const r = await cli([c, '--help']);
    assert.equal(r.code, 0, c);
    assert.match(r.stdout, new RegExp(`^Usage: cubelab ${c} `), c);
    assert.match(r.stdout, /^Options:\n/m, c);
    assert.match(r.stdout, /^ {2}-h, --help +show this help$/m, c);
    assert.equal((await cli(['help', c])).stdout, r.stdout);
  }
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: cubelab <command>/);
});

test('bad options and commands: exit 2 with a message that says what is wrong', async () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['--frobnicate'], /unknown option --frobnicate/],
    [['check', '--frobnicate'], /^cubelab check: unknown option --frobnicate \(see cubelab check --help\)$/m],
    [['check', '--form', 'json'], /unknown option --form \(did you mean --format\?\)/],
    [['check', '--format', 'xml'], /--format must be one of text, json, sarif, github, not "xml"/],
    [['check', '--format'], /the option --format needs a value/],
    [['plan', '--docker', '--json', 'x.yaml'], /--docker and --json exclude each other/],
    [['plan'], /cubelab plan: which manifest\?/],
    [['run', 'm.yaml', 't', '--frob'], /^cubelab run: unknown option --frob/m],
    [['card'], /cubelab card: which event storage\?/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
});

test('check: a missing path and an unreadable folder are I/O errors (exit 2), the rest is still checked', async (t) => {
  const dir = tempDir('io');
  t.after(() => { chmodSync(join(dir, 'locked'), 0o755); removeDir(dir); });
  writeFiles(dir, { 'ok/mlcube.yaml': MANIFEST, 'locked/mlcube.yaml': MANIFEST });
  const missing = await cli(['check', 'ok', 'nope'], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^cubelab: error: nope: no such file or folder$/m);
  assert.match(missing.stdout, /No problems; 1 file checked/);
  // Root reads any folder: the unreadable one is tried by an ordinary account (util-linux setpriv).
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'locked'), 0o000);
  const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(repoRoot, 'dist', 'cli.js'), 'check', '.'], { cwd: dir, encoding: 'utf8' });
  assert.equal(asNobody.error, undefined, 'setpriv runs');
  assert.equal(asNobody.status, 2, asNobody.stderr);
  assert.match(asNobody.stderr, /^cubelab: error: cannot read folder locked \(EACCES\)$/m);
  assert.match(asNobody.stdout, /No problems; 1 file checked/);
});

test('check: the folder\'s .vscode/settings.json (comments, trailing commas) decides which files are checked, as in the editor', async (t) => {
  const dir = tempDir('settings');
  t.after(() => removeDir(dir));
  mkdirSync(join(dir, '.git'));
  writeFiles(dir, {
    'cube/mlcube.yaml': MANIFEST,
    'vendor/cube/mlcube.yaml': MANIFEST,
    'node_modules/pkg/mlcube.yaml': MANIFEST,
    'configs/train.cfg': GS,
    'sub/x.yaml': 'a: 1\n',
  });
  const files = async (args: string[], cwd = dir): Promise<string[]> => {
    const r = await cli(['check', '--format', 'json', ...args], { cwd });
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    return (JSON.parse(r.stdout) as JsonReport).files.map((f) => `${f.file} ${f.kind}`);
  };
  // Defaults: node_modules excluded (and not entered), .cfg files are no YAML.
  assert.deepEqual(await files([]), ['cube/mlcube.yaml mlcube', 'vendor/cube/mlcube.yaml mlcube']);
  // A file reached from several of the paths given is checked once.
  assert.deepEqual(await files(['cube', join('cube', 'mlcube.yaml'), '.']), ['cube/mlcube.yaml mlcube', 'vendor/cube/mlcube.yaml mlcube']);
  writeFiles(dir, {
    '.vscode/settings.json': `{
  // as VS Code writes it
  "cubelab.files.exclude": ["**/vendor/**", /* and the default */ "**/node_modules/**"],
  "cubelab": { "files": { "mlgymGlobs": ["configs/*.cfg"], }, },
}
`,
  });
  assert.deepEqual(await files([]), ['configs/train.cfg mlgym-gs', 'cube/mlcube.yaml mlcube']);
  // A sub folder of the repository reads the repository's settings (the workspace folder is the git root).
  assert.deepEqual(await files(['configs'], dir), ['configs/train.cfg mlgym-gs']);
  assert.deepEqual(await files(['.'], join(dir, 'configs')), ['train.cfg mlgym-gs']);
  // --config replaces the folder's settings.
  writeFiles(dir, { 'other.json': '{"cubelab.files.exclude": []}' });
  assert.deepEqual(await files(['--config', 'other.json']), ['cube/mlcube.yaml mlcube', 'node_modules/pkg/mlcube.yaml mlcube', 'vendor/cube/mlcube.yaml mlcube']);
  // validation.enable false: nothing reported, as in the editor, and said so.
  writeFiles(dir, { 'off.json': '{"cubelab.validation.enable": false}', 'cube/bad/mlcube.yaml': 'docker: {image: busybox, build_strategy: never}\ntasks:\n  t: {}\n' });
  const on = await cli(['check', 'cube'], { cwd: dir });
  assert.equal(on.code, 1);
  const off = await cli(['check', '--config', 'off.json', 'cube'], { cwd: dir });
  assert.equal(off.code, 0);
  assert.match(off.stderr, /cubelab\.validation\.enable is false in off\.json: nothing is reported/);
  // A wrong type is said and its default used; a broken or missing --config is an I/O error.
  writeFiles(dir, { 'typed.json': '{"cubelab.files.exclude": "vendor"}' });
  const typed = await cli(['check', '--config', 'typed.json'], { cwd: dir });
  assert.match(typed.stderr, /cubelab\.files\.exclude in typed\.json should be a list of glob patterns \(strings\); the default is used\./);
  writeFiles(dir, { 'broken.json': '{\n  "cubelab.files.exclude": [\n}\n' });
  const broken = await cli(['check', '--config', 'broken.json'], { cwd: dir });
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /settings file broken\.json is not valid JSON with comments: expected a value or "\]", found "}" at line 3, column 1/);
  const absent = await cli(['check', '--config', 'absent.json'], { cwd: dir });
  assert.equal(absent.code, 2);
  assert.match(absent.stderr, /settings file absent\.json does not exist/);
  assert.ok(existsSync(join(dir, 'cube', 'mlcube.yaml')));
});
