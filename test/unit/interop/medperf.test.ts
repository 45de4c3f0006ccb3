/**
 * MedPerf records read by the server (docs/interop.md §2): what an older and a newer record ask to download and
 * write, and every real MedPerf container config of the corpus (test/fixtures/corpus/mlcube/not-mlcube) made
 * into a manifest the server's planner plans.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { medperfPlan, manifestImage, imageHashOf } from '../../../server/src/interop/medperf/record';
import { plansOf, tempDir, writeFiles } from './helpers';

const corpus = join(__dirname, '..', '..', 'fixtures', 'corpus', 'mlcube', 'not-mlcube');

test('an older record: the manifest, parameters and additional files to download with their hashes; the image from the manifest', () => {
  // MedPerf's seed of 2023-08-03 (79650db3 server/seed_utils.py), the chestxray model.
  const record = {
    name: 'chestxray_cnn', git_mlcube_url: 'https://raw.example.org/model_custom_cnn/mlcube/mlcube.yaml', mlcube_hash: '5e5ca7f0228b2b660f4dc672fa8cc23e28df2df4',
    git_parameters_url: 'https://raw.example.org/model_custom_cnn/mlcube/workspace/parameters.yaml', parameters_hash: 'c5f977a7d1b40d125e6450b3cc0956ea5b0a652c',
    additional_files_tarball_url: 'https://storage.example.org/chestxray_tutorial/cnn_weights.tar.gz', additional_files_tarball_hash: '6c2346c11a3e5e7afa575bce711eea755266b1ed',
    image_hash: '63d48be95598a7474d1bd26fdee41dcc20a752a436c28b35dbd33796087a6d29', image_tarball_url: '', image_tarball_hash: '', metadata: {},
  };
  const r = medperfPlan(JSON.stringify(record));
  assert.ok(r.ok);
  assert.equal(r.plan.form, 'older');
  assert.deepEqual(r.plan.downloads.map((d) => [d.role, d.path, d.hash]), [
    ['manifest', 'mlcube.yaml', record.mlcube_hash], ['parameters', 'workspace/parameters.yaml', record.parameters_hash], ['additional-files', 'workspace/additional_files', record.additional_files_tarball_hash],
  ]);
  assert.equal(r.plan.image, undefined, 'the image is known once the manifest is read');
  const withManifest = medperfPlan(JSON.stringify(record), 'name: m\ndocker:\n  image: mlcommons/${name}-cnn:0.0.1\ntasks:\n  infer: {}\n');
  assert.ok(withManifest.ok);
  assert.deepEqual(withManifest.plan.image, { name: 'mlcommons/m-cnn:0.0.1', id: `sha256:${record.image_hash}` });
  assert.deepEqual(r.plan.files.map((f) => f.path), ['medperf-record.json']);
});

test('image hashes by form: a manifest digest, an image id, none; anything else refused', () => {
  assert.deepEqual(imageHashOf(`sha256:${'a'.repeat(64)}`), { digest: `sha256:${'a'.repeat(64)}` });
  assert.deepEqual(imageHashOf('B'.repeat(64)), { id: `sha256:${'b'.repeat(64)}` });
  assert.deepEqual(imageHashOf(''), {});
  assert.throws(() => imageHashOf('abc'), /neither an image id/);
  assert.equal(manifestImage('tasks: {}\n'), undefined);
});

test('every DockerImage container config of the corpus becomes a manifest whose tasks plan', () => {
  let n = 0;
  for (const f of readdirSync(corpus).filter((x) => x.includes('container_config') && x.endsWith('.yaml')).sort()) {
    const config = YAML.parse(readFileSync(join(corpus, f), 'utf8')) as Record<string, unknown>;
    if (config.container_type !== 'DockerImage' || typeof config.image !== 'string') continue;
    const r = medperfPlan(JSON.stringify({ name: 'corpus-cube', container_config: config, parameters_config: { seed: 1 }, image_hash: `sha256:${'0'.repeat(64)}` }));
    assert.ok(r.ok, `${f}: ${r.ok ? '' : r.error}`);
    assert.equal(r.plan.form, 'newer');
    assert.deepEqual(r.plan.image, { name: config.image, digest: `sha256:${'0'.repeat(64)}` });
    const dir = tempDir('medperf-corpus');
    writeFiles(dir, r.plan.files);
    assert.equal(readFileSync(join(dir, 'workspace', 'parameters.yaml'), 'utf8'), 'seed: 1\n');
    assert.deepEqual(YAML.parse(readFileSync(join(dir, 'container_config.yaml'), 'utf8')), config, `${f}: the config is kept`);
    const plans = plansOf(join(dir, 'mlcube.yaml'));
    const tasks = Object.keys(config.tasks as object);
    assert.deepEqual(plans.map((p) => p.taskName), tasks, f);
    for (const p of plans) {
      assert.equal(p.image, config.image);
      const t = (config.tasks as Record<string, { input_volumes?: object; output_volumes?: object; run_args?: { command?: string; entrypoint?: string } }>)[p.taskName];
      const labels = [...Object.keys(t?.input_volumes ?? {}), ...Object.keys(t?.output_volumes ?? {})];
      assert.deepEqual(p.paramArgs.map((a) => /^--([^=]+)=/.exec(a)?.[1]), labels, `${f} ${p.taskName}: a parameter per volume`);
      const cmd = [t?.run_args?.entrypoint, t?.run_args?.command].filter(Boolean).join(' ');
      assert.equal(p.entrypoint.join(' '), cmd, `${f} ${p.taskName}: the entrypoint`);
    }
    n++;
  }
  assert.ok(n >= 20, `${n} container configs`);
});
