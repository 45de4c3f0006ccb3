/**
 * The singularity materialisation of task plans, checked by golden files (test/fixtures/plans/singularity/):
 * no Singularity or Apptainer runtime is packaged for these machines, so the command lines mlcube's singularity
 * runner would run are compared with reviewed expectations (docs/mlcube.md §1.5 and §3). Each case plans a
 * manifest in a temporary MLCube root holding the listed files. CUBELAB_UPDATE_GOLDEN=1 rewrites the files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseYaml } from '../../../server/src/yaml/parsedDocument';
import { loadManifest } from '../../../server/src/mlcube/planning/manifest';
import { planFromManifest } from '../../../server/src/mlcube/plan';
import { nodeFileAccess } from '../../../server/src/nodeFileAccess';

const DIR = join(__dirname, '..', '..', 'fixtures', 'plans', 'singularity');
interface Case { manifest: string; task: string; files: string[]; overrides: string[]; golden?: string }
const cases = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as Case[];

for (const c of cases) {
  const name = c.golden ?? `${c.manifest.replace(/\.yaml$/, '')}-${c.task}`;
  test(`singularity plan golden: ${name}`, () => {
    const root = mkdtempSync(join(tmpdir(), 'cubelab-sing-'));
    try {
      for (const f of c.files) { mkdirSync(dirname(join(root, f)), { recursive: true }); writeFileSync(join(root, f), ''); }
      mkdirSync(join(root, 'workspace'), { recursive: true });
      const text = readFileSync(join(DIR, c.manifest), 'utf8');
      writeFileSync(join(root, 'mlcube.yaml'), text);
      const loaded = loadManifest(parseYaml(text));
      assert.ok(loaded.ok);
      const r = planFromManifest(loaded.value, { manifestPath: join(root, 'mlcube.yaml'), task: c.task, overrides: c.overrides, env: { HOME: '/home/tester' }, fs: nodeFileAccess, keyOrder: loaded.keyOrder, keyTypes: loaded.keyTypes });
      if (!r.ok) return assert.fail(`${c.manifest}: ${r.error}`);
      const got = JSON.parse(JSON.stringify(r.plan.platforms.singularity).split(root).join('$MLCUBE_ROOT'));
      const file = join(DIR, `${name}.golden.json`);
      if (process.env.CUBELAB_UPDATE_GOLDEN === '1') writeFileSync(file, JSON.stringify(got, null, 2) + '\n');
      assert.ok(existsSync(file), `the golden file ${file} is missing (CUBELAB_UPDATE_GOLDEN=1 writes it; review it before committing)`);
      assert.deepEqual(got, JSON.parse(readFileSync(file, 'utf8')));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test('the singularity plan is null, with a warning, when the section cannot be planned', () => {
  const text = 'docker: {image: "x:1"}\nsingularity: {unknown_key: 1}\ntasks: {t: {}}\n';
  const loaded = loadManifest(parseYaml(text));
  assert.ok(loaded.ok);
  const r = planFromManifest(loaded.value, { manifestPath: '/tmp/cubelab-none/mlcube.yaml', task: 't', env: {}, fs: nodeFileAccess, keyOrder: loaded.keyOrder, keyTypes: loaded.keyTypes });
  assert.ok(r.ok);
  assert.equal(r.plan.platforms.singularity, null);
  assert.ok(r.plan.warnings.some((w) => /singularity platform cannot run this task: ConfigurationError: Unknown keys: \['unknown_key'\]/.test(w)), r.plan.warnings.join('\n'));
});
