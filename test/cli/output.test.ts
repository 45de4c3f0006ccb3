/**
 * What the CLI prints besides diagnostics: paths as the platform's users write them (backslashes on Windows,
 * forward slashes in SARIF and annotations), the progress line (only when stdout is a terminal: checked through a
 * pseudo-terminal with util-linux `script`), and the JSONC reading of settings files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { displayPath, nativePath, portablePath, Progress, type Streams } from '../../client/src/cli/output';
import { parseJsonc } from '../../client/src/cli/jsonc';
import { lookup, settingsFrom } from '../../client/src/cli/settings';
import { planText } from '../../client/src/cli/planCommand';
import type { TaskPlan } from '../../shared/lsp-protocol';
import { CLI, layOutCorpus, removeDir, tempDir } from './helpers';

test('paths: Windows paths shown with backslashes, relative to the current folder when inside it; machine formats use /', () => {
  assert.equal(displayPath('C:\\proj\\cube\\mlcube.yaml', 'C:\\proj', 'win32'), 'cube\\mlcube.yaml');
  assert.equal(displayPath('C:/proj/cube/mlcube.yaml', 'C:\\proj', 'win32'), 'cube\\mlcube.yaml', 'forward slashes from the planner too');
  assert.equal(displayPath('D:\\data\\x.yaml', 'C:\\proj', 'win32'), 'D:\\data\\x.yaml');
  assert.equal(displayPath('C:\\other\\x.yaml', 'C:\\proj', 'win32'), 'C:\\other\\x.yaml');
  assert.equal(portablePath('C:\\proj\\cube\\mlcube.yaml', 'C:\\proj', 'win32'), 'cube/mlcube.yaml');
  assert.equal(nativePath('C:/proj/workspace/data', 'win32'), 'C:\\proj\\workspace\\data');
  assert.equal(displayPath('/home/u/proj/cube/mlcube.yaml', '/home/u/proj', 'linux'), 'cube/mlcube.yaml');
  assert.equal(displayPath('/data/x.yaml', '/home/u/proj', 'linux'), '/data/x.yaml');
  assert.equal(nativePath('/a/b', 'linux'), '/a/b');
  const plan = {
    taskName: 't', image: 'img', root: 'C:/proj/cube', workspace: 'C:/proj/cube/workspace', entrypoint: [], args: ['t'], paramArgs: [],
    mounts: [{ host: 'C:/proj/cube/workspace/data', container: '/mlcube_io0', mode: '' }], env: {}, gpus: null, mkdirs: [], workspaceSync: [],
    platforms: { docker: { tool: 'docker', runArgs: '', command: 'docker run img t', imageBuild: { strategy: 'pull', context: 'C:/proj/cube', file: 'C:/proj/cube/Dockerfile', fileExists: false, buildArgs: {}, action: 'pull' } }, singularity: null },
    warnings: [],
  } as TaskPlan;
  const text = planText(plan, { cwd: 'C:\\proj', platform: 'win32' });
  assert.match(text, /^MLCube root: C:\\proj\\cube$/m);
  assert.match(text, /^ {2}C:\\proj\\cube\\workspace\\data -> \/mlcube_io0$/m);
});

test('progress: a line on stderr only when stdout is a terminal, only for long work, erased before results', () => {
  const written: string[] = [];
  const streams = (interactive: boolean): Streams => ({ out: (t) => written.push(`out:${t}`), err: (t) => written.push(`err:${t}`), interactive, platform: 'linux', cwd: '/w' });
  const piped = new Progress(streams(false), 0, 0);
  piped.update('working');
  piped.done();
  assert.deepEqual(written, []);
  const quick = new Progress(streams(true), 60_000, 0);
  quick.update('working');
  quick.done();
  assert.deepEqual(written, [], 'short work shows nothing');
  const tty = new Progress(streams(true), 0, 0);
  tty.update('cubelab check: 1/2 a.yaml');
  tty.done();
  assert.deepEqual(written, ['err:\r\x1b[2Kcubelab check: 1/2 a.yaml', 'err:\r\x1b[2K']);
});

test('progress: through a pseudo-terminal, a long check shows its progress line; piped, the same check shows none', { timeout: 120_000 }, (t) => {
  const root = tempDir('tty');
  t.after(() => removeDir(root));
  // The corpus laid out four times over: long enough work for the progress line to appear.
  for (const copy of ['a', 'b', 'c', 'd']) layOutCorpus(join(root, copy));
  const tty = spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} check .`, '/dev/null'], { cwd: root, encoding: 'utf8' });
  assert.equal(tty.error, undefined, 'util-linux script runs');
  assert.match(tty.stdout, /\r\x1b\[2Kcubelab check: \d+\/\d+ /, 'the progress line, rewritten in place');
  // Erased (an empty rewrite) before the results: no progress line after the first result.
  const lastProgress = tty.stdout.lastIndexOf('\r\x1b[2Kcubelab check:');
  const erased = tty.stdout.indexOf('\r\x1b[2K', lastProgress + 1);
  const firstResult = tty.stdout.search(/(^|\n)a\/\S+:\d+:\d+: /);
  assert.ok(lastProgress >= 0 && lastProgress < erased && erased < firstResult, `${lastProgress} < ${erased} < ${firstResult}`);
  assert.match(tty.stdout, /\d+ problems \(\d+ errors, /);
  const piped = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '.'], { cwd: root, encoding: 'utf8' });
  assert.equal(piped.status, 1);
  assert.doesNotMatch(piped.stderr + piped.stdout, /\r|\x1b\[/);
  JSON.parse(piped.stdout);
});

test('settings: JSONC comments and trailing commas; flat, nested and mixed keys; errors with line and column', () => {
  assert.deepEqual(parseJsonc('// only a comment\n'), {});
  assert.deepEqual(parseJsonc('{\n  "a": [1, 2,], // c\n  /* b */ "b": {"c": "//not a comment",},\n}'), { a: [1, 2], b: { c: '//not a comment' } });
  assert.throws(() => parseJsonc('{\n  "a": 1\n  "b": 2\n}'), /expected "," or "}", found "\\"" at line 3, column 3/);
  assert.throws(() => parseJsonc('{"a": tru}'), /unexpected "t" at line 1, column 7/);
  const v = { 'cubelab.files': { exclude: ['x'] }, cubelab: { validation: { enable: false } }, 'cubelab.runs.folder': 'r' };
  assert.deepEqual(lookup(v, 'cubelab.files.exclude'), ['x']);
  assert.equal(lookup(v, 'cubelab.validation.enable'), false);
  assert.equal(lookup(v, 'cubelab.runs.folder'), 'r');
  assert.equal(lookup(v, 'cubelab.docker.host'), undefined);
  const s = settingsFrom({ 'cubelab.files.manifestGlobs': ['{a,b}'.repeat(10)], 'cubelab.targets': [{ name: 'box', kind: 'docker-ssh', host: 'h' }, { kind: 'x' }] }, 'settings.json');
  assert.deepEqual(s.targets.map((x) => x.name), ['box']);
  assert.equal(s.warnings.length, 2, s.warnings.join('\n'));
  assert.match(s.warnings[0], /cubelab\.files\.manifestGlobs in settings\.json is ignored: its braces expand to more than 256 patterns/);
  assert.match(s.warnings[1], /an entry of cubelab\.targets in settings\.json has no name and kind/);
});
