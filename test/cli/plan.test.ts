/**
 * `cubelab plan --docker` against mlcube's own output for every task of the corpus's 79 manifests
 * (test/fixtures/corpus/mlcube/expected-docker.json, planned as test/unit/mlcube/planCorpus.test.ts plans it: each
 * manifest copied into a temp MLCube root whose workspace holds the listed files). The docker line's mounts
 * (`--volume host:container[:mode]`), entrypoint and arguments must be mlcube's; a task mlcube refuses exits 1 with
 * mlcube's error. Also the readable and JSON plans, and overrides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpusFile, reportChecked } from '../helpers/corpus';
import { cli, pool, removeDir, tempDir, writeFiles } from './helpers';
import type { TaskPlan } from '../../shared/lsp-protocol';

interface FixtureTask { entrypoint: string | null; mounts?: Record<string, string>; args?: string[]; error?: string }
interface FixtureEntry { runner: Record<string, unknown>; tasks: Record<string, FixtureTask>; workspace_files: string[]; source: { path: string } }

/** mlcube's `docker run` line taken apart: the tool, the volumes, and the words after the image. */
function parseDockerLine(line: string, tool: string, image: string): { volumes: string[]; entrypointFlag: string | null; tail: string[] } {
  assert.ok(line.startsWith(`${tool} run `), line);
  const words = line.slice(tool.length + 1).split(' ');
  const volumes: string[] = [];
  let entrypointFlag: string | null = null;
  let i = 1;
  for (; i < words.length; i++) {
    if (words[i] === '--volume') { volumes.push(words[++i]); continue; }
    const ep = /^--entrypoint=(.*)$/.exec(words[i]);
    if (ep) { entrypointFlag = ep[1]; continue; }
    if (words[i] === image) break;
  }
  assert.ok(i < words.length, `the image ${image} is in ${line}`);
  return { volumes, entrypointFlag, tail: words.slice(i + 1).filter(Boolean) };
}

test('plan --docker: every task of every corpus manifest gets mlcube\'s mounts and arguments, or its error', { timeout: 600_000 }, async (t) => {
  const fixture = JSON.parse(fs.readFileSync(corpusFile('mlcube/expected-docker.json'), 'utf8')) as Record<string, FixtureEntry>;
  const tmp = tempDir('plan-corpus');
  t.after(() => removeDir(tmp));
  const jobs: { where: string; root: string; manifestPath: string; task: string; want: FixtureTask; entry: FixtureEntry }[] = [];
  Object.entries(fixture).forEach(([file, entry], i) => {
    const root = path.join(tmp, String(i));
    fs.mkdirSync(path.join(root, 'workspace'), { recursive: true });
    for (const f of entry.workspace_files) writeFiles(path.join(root, 'workspace'), { [f]: '' });
    const manifestPath = path.join(root, path.basename(entry.source.path));
    fs.writeFileSync(manifestPath, fs.readFileSync(corpusFile(`mlcube/manifests/${file}`)));
    for (const [task, want] of Object.entries(entry.tasks)) jobs.push({ where: `${file} :: ${task}`, root, manifestPath, task, want, entry });
  });
  const mismatches: string[] = [];
  let errors = 0;
  await pool(jobs, 2, async ({ where, root, manifestPath, task, want, entry }) => {
    // The same environment as the unit test of the planner: HOME is the only variable a manifest may read.
    const r = await cli(['plan', '--docker', manifestPath, task], { cwd: root, env: { HOME: '/home/tester' } });
    const rel = (s: string): string => s.split(root).join('$MLCUBE_ROOT');
    if (want.error !== undefined) {
      errors++;
      if (r.code !== 1) { mismatches.push(`${where}: expected exit 1 and ${want.error}, got ${r.code}: ${r.stdout}`); return; }
      const err = rel(r.stderr.split('\n')[0].replace(/^cubelab plan: .*? \(task [^)]*\): /, ''));
      if (err !== want.error) mismatches.push(`${where}: error\n  want ${want.error}\n  got  ${err}`);
      return;
    }
    if (r.code !== 0) { mismatches.push(`${where}: exit ${r.code}: ${r.stderr}`); return; }
    const lines = r.stdout.split('\n').filter(Boolean);
    if (lines.length !== 1) { mismatches.push(`${where}: --docker printed ${lines.length} lines`); return; }
    const { volumes, entrypointFlag, tail } = parseDockerLine(lines[0], String(entry.runner.docker), String(entry.runner.image));
    const mounts = Object.fromEntries(volumes.map((v) => { const [h, ...c] = v.split(':'); return [rel(h), c.join(':')]; }));
    if (JSON.stringify(mounts) !== JSON.stringify(want.mounts)) mismatches.push(`${where}: mounts\n  want ${JSON.stringify(want.mounts)}\n  got  ${JSON.stringify(mounts)}`);
    // After the image: the task and its parameters; with a multi-token entrypoint, its other tokens then the
    // parameters (the task name dropped); with a single-token one, nothing (docs/mlcube.md §2.3 step 5).
    const args = want.args ?? [];
    const ep = want.entrypoint === null ? [] : want.entrypoint.trim().split(/\s+/);
    const wantTail = ep.length === 0 ? args : ep.length > 1 ? [...ep.slice(1), ...args.slice(1)] : [];
    if (JSON.stringify(tail) !== JSON.stringify(wantTail)) mismatches.push(`${where}: after the image\n  want ${JSON.stringify(wantTail)}\n  got  ${JSON.stringify(tail)}`);
    if (entrypointFlag !== (ep[0] ?? null)) mismatches.push(`${where}: --entrypoint=${entrypointFlag}, want ${ep[0] ?? 'none'}`);
  });
  reportChecked(`manifests planned by cubelab plan --docker (${jobs.length} tasks, ${errors} run-time errors)`, Object.keys(fixture).length);
  assert.deepEqual(mismatches, []);
  assert.equal(Object.keys(fixture).length, 79);
  assert.equal(jobs.length, 156);
  assert.equal(errors, 38);
});

const MANIFEST = `name: demo
docker:
  image: cubelab-test/busybox:1
  cpu_args: --network=none
tasks:
  train:
    parameters:
      inputs:
        data: {type: directory, default: data}
        config: conf.yaml
      outputs:
        model: {type: directory, default: model}
  other: {}
`;

test('plan: readable text, JSON, overrides (name=value, -P, mlcube flags, after --), the only-task rule and its errors', async (t) => {
  const dir = tempDir('plan');
  t.after(() => removeDir(dir));
  writeFiles(dir, { 'cube/mlcube.yaml': MANIFEST, 'cube/workspace/data/x.csv': '', 'cube/workspace/conf.yaml': '', 'cube/workspace/other.yaml': '', 'single/mlcube.yaml': 'docker: {image: busybox}\ntasks:\n  only: {}\n' });
  const m = path.join(dir, 'cube', 'mlcube.yaml');

  const text = await cli(['plan', m, 'train'], { cwd: dir });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^task: {8}train$/m);
  assert.match(text.stdout, /^image: {7}cubelab-test\/busybox:1$/m);
  assert.match(text.stdout, new RegExp(`^  ${path.join(dir, 'cube', 'workspace', 'data')} -> /mlcube_io0 \\[input\\]$`, 'm'));
  assert.match(text.stdout, /^docker:\n {2}docker run --network=none --volume .* cubelab-test\/busybox:1 train --data=\/mlcube_io0 --config=\/mlcube_io1\/conf\.yaml --model=\/mlcube_io2$/m);

  const json = await cli(['plan', '--json', m, 'train', 'config=other.yaml', '-Pdocker.image=other:2', '--network', 'host', '--', '--workspace=alt'], { cwd: dir });
  assert.equal(json.code, 0, json.stderr);
  const plan = JSON.parse(json.stdout) as TaskPlan;
  assert.equal(plan.image, 'other:2');
  assert.equal(plan.workspace, path.join(dir, 'cube', 'alt'));
  assert.deepEqual(plan.args, ['train', '--data=/mlcube_io0', '--config=/mlcube_io1/other.yaml', '--model=/mlcube_io2']);
  assert.match(plan.platforms.docker.command, /^docker run --network=none --network=host --volume /); // cpu_args, then the flag, as mlcube writes them

  const plain = JSON.parse((await cli(['plan', '--json', m, 'train'], { cwd: dir })).stdout) as TaskPlan;
  const docker = await cli(['plan', '--docker', m, 'train'], { cwd: dir });
  assert.equal(docker.code, 0, docker.stderr);
  assert.equal(docker.stdout, `${plain.platforms.docker.command}\n`);
  const gpus = await cli(['plan', '--docker', m, 'train', '--gpus', 'all'], { cwd: dir });
  assert.equal(gpus.code, 0, gpus.stderr);
  assert.match(gpus.stdout, /^docker run .*--gpus=all .*--volume /);

  const only = await cli(['plan', '--docker', path.join(dir, 'single', 'mlcube.yaml')], { cwd: dir });
  assert.equal(only.code, 0, only.stderr);
  assert.equal(only.stdout, 'docker run busybox only\n');

  const noTask = await cli(['plan', m, 'nosuch'], { cwd: dir });
  assert.equal(noTask.code, 1);
  assert.match(noTask.stderr, /task nosuch/);
  const ambiguous = await cli(['plan', m], { cwd: dir });
  assert.equal(ambiguous.code, 1, 'two tasks and none named: mlcube refuses');
  const badFlag = await cli(['plan', m, 'train', '--workspace=x'], { cwd: dir });
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /unknown option --workspace/);
  const missing = await cli(['plan', path.join(dir, 'nope.yaml'), 'train'], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.yaml: no such file/);
  const folder = await cli(['plan', path.join(dir, 'cube')], { cwd: dir });
  assert.equal(folder.code, 2);
  assert.match(folder.stderr, /is a folder; name the manifest file/);
  const notManifest = await cli(['plan', path.join(dir, 'cube', 'workspace', 'data', 'x.csv')], { cwd: dir });
  assert.equal(notManifest.code, 1);
  assert.match(notManifest.stderr, /is not an MLCube manifest/);
});
