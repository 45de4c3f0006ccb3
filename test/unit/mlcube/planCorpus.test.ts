/**
 * The task planner against mlcube's own output: test/fixtures/corpus/mlcube/expected-docker.json (what mlcube HEAD
 * computes for every task of 79 real manifests). Each manifest is copied into a temp MLCube root whose workspace
 * holds the listed files (empty), then every task is planned and compared: mounts, args, or the error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseYaml } from '../../../server/src/yaml/parsedDocument';
import { loadManifest } from '../../../server/src/mlcube/planning/manifest';
import { planFromManifest } from '../../../server/src/mlcube/plan';
import { nodeFileAccess } from '../../../server/src/nodeFileAccess';
import { corpusFile, reportChecked } from '../../helpers/corpus';

interface FixtureTask { entrypoint: string | null; mounts?: Record<string, string>; args?: string[]; error?: string }
interface FixtureEntry {
  runner: Record<string, unknown>;
  platform: Record<string, unknown>;
  tasks: Record<string, FixtureTask>;
  workspace_files: string[];
  source: { repo: string; path: string };
}

test('every task of every corpus manifest plans exactly as mlcube HEAD computes it', () => {
  const fixture = JSON.parse(fs.readFileSync(corpusFile('mlcube/expected-docker.json'), 'utf8')) as Record<string, FixtureEntry>;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cubelab-plan-corpus-'));
  const mismatches: string[] = [];
  let tasks = 0, errors = 0;
  try {
    Object.entries(fixture).forEach(([file, entry], i) => {
      const root = path.join(tmp, String(i));
      fs.mkdirSync(path.join(root, 'workspace'), { recursive: true });
      for (const f of entry.workspace_files) {
        const p = path.join(root, 'workspace', f);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, '');
      }
      const manifestPath = path.join(root, path.basename(entry.source.path));
      const text = fs.readFileSync(corpusFile(`mlcube/manifests/${file}`), 'utf8');
      fs.writeFileSync(manifestPath, text);
      const loaded = loadManifest(parseYaml(text));
      assert.ok(loaded.ok, `${file}: ${!loaded.ok && loaded.error}`);
      const rel = (s: string): string => s.split(root).join('$MLCUBE_ROOT');
      for (const [taskName, want] of Object.entries(entry.tasks)) {
        tasks++;
        const r = planFromManifest(loaded.value, {
          manifestPath, task: taskName, env: { HOME: '/home/tester' }, fs: nodeFileAccess, keyOrder: loaded.keyOrder, keyTypes: loaded.keyTypes,
        });
        const where = `${file} :: ${taskName}`;
        if (want.error !== undefined) {
          errors++;
          if (r.ok) { mismatches.push(`${where}: expected error ${want.error}, got a plan`); continue; }
          if (rel(r.error) !== want.error) mismatches.push(`${where}: error\n  want ${want.error}\n  got  ${rel(r.error)}`);
          continue;
        }
        if (!r.ok) { mismatches.push(`${where}: unexpected error ${rel(r.error)}`); continue; }
        const p = r.plan;
        const mounts = Object.fromEntries(p.mounts.map((m) => [rel(m.host), m.container + (m.mode ? `:${m.mode}` : '')]));
        if (JSON.stringify(mounts) !== JSON.stringify(want.mounts)) mismatches.push(`${where}: mounts\n  want ${JSON.stringify(want.mounts)}\n  got  ${JSON.stringify(mounts)}`);
        const args = [taskName, ...p.paramArgs];
        if (JSON.stringify(args) !== JSON.stringify(want.args)) mismatches.push(`${where}: args\n  want ${JSON.stringify(want.args)}\n  got  ${JSON.stringify(args)}`);
        // What is passed after the image follows from the entrypoint (docs/mlcube.md §2.3 step 5).
        if (want.entrypoint === null) {
          assert.deepEqual(p.entrypoint, [], where);
          assert.deepEqual(p.args, args, where);
        } else if (want.entrypoint.trim().split(/\s+/).length > 1) {
          assert.equal(p.entrypoint.join(' '), want.entrypoint.trim().split(/\s+/).join(' '), where);
          assert.deepEqual(p.args, p.paramArgs, where);
        } else {
          assert.deepEqual(p.entrypoint, [want.entrypoint.trim()], where);
          assert.deepEqual(p.args, [], where);
        }
        // The effective runner section.
        if (p.platforms.docker.imageBuild.strategy !== entry.runner.build_strategy) mismatches.push(`${where}: build_strategy ${p.platforms.docker.imageBuild.strategy} != ${String(entry.runner.build_strategy)}`);
        if (p.image !== entry.runner.image) mismatches.push(`${where}: image ${p.image} != ${String(entry.runner.image)}`);
        if (p.platforms.docker.tool !== entry.runner.docker) mismatches.push(`${where}: docker ${p.platforms.docker.tool} != ${String(entry.runner.docker)}`);
        const acc = Number(entry.platform.accelerator_count ?? 0);
        assert.equal(p.gpus, acc > 0 ? String(acc) : null, where);
        assert.equal(p.platforms.docker.runArgs, String(acc > 0 ? entry.runner.gpu_args : entry.runner.cpu_args), where);
        assert.equal(p.platforms.docker.imageBuild.context, path.resolve(root, String(entry.runner.build_context)), where);
      }
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  reportChecked(`manifests planned (${tasks} tasks, ${errors} run-time errors)`, Object.keys(fixture).length);
  assert.equal(mismatches.length, 0, `${mismatches.length} mismatches:\n${mismatches.join('\n')}`);
  assert.equal(Object.keys(fixture).length, 79);
  assert.equal(tasks, 156);
  assert.equal(errors, 38);
});
