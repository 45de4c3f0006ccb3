/**
 * schemas/mlcube.schema.json: it compiles with ajv, every real manifest conforms to it, it agrees with the
 * runner defaults mlcube uses, and it documents every key (completion and hover show these texts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { enumOf, knownKeys, mlcubeSchema, schemaAt, schemaErrors, validator, type JsonSchema } from '../../../server/src/mlcube/schema';
import { corpusFiles, readCorpus, reportChecked } from '../../helpers/corpus';
import { dockerDefaults } from '../../../server/src/mlcube/interpolation';


test('the schema compiles once and is reused', () => {
  assert.equal(validator(), validator());
  assert.equal(validator('docker'), validator('docker'));
  assert.equal(mlcubeSchema.title, 'MLCube manifest (mlcube.yaml, configuration 2.0)');
});

test('every corpus manifest conforms to the schema', () => {
  const bad: string[] = [];
  const files = corpusFiles('mlcube/manifests');
  for (const f of files) {
    const errors = schemaErrors(parse(readCorpus(f)));
    if (errors.length) bad.push(`${f.name}: ${errors.map((e) => `${e.instancePath} ${e.message}`).join('; ')}`);
  }
  reportChecked('manifests against the schema', files.length);
  assert.deepEqual(bad, []);
});

test('the schema rejects what mlcube rejects in the runner sections', () => {
  const kw = (v: unknown, d?: 'docker' | 'singularity') => schemaErrors(v, d).map((e) => `${e.instancePath}:${e.keyword}`);
  assert.deepEqual(kw({ image: 'x', tar_file: 'a' }, 'docker'), [':additionalProperties']);
  assert.deepEqual(kw({ build_file: 'x' }, 'docker'), [':required']);
  assert.deepEqual(kw({ image: '  ' }, 'docker'), ['/image:pattern']);
  assert.deepEqual(kw({ image: '' }, 'docker'), []);
  assert.deepEqual(kw({ image: 'x', build_strategy: 'sometimes' }, 'docker'), ['/build_strategy:enum']);
  assert.deepEqual(kw({ image: 'x.sif', imagedir: 'y' }, 'singularity'), [':additionalProperties']);
  assert.deepEqual(kw({ tasks: [] }), ['/tasks:type']);
  assert.deepEqual(kw({}), [':required']);
});

test('the docker section lists exactly the keys of the runner\'s Config.DEFAULT, with its defaults', () => {
  const defaults = dockerDefaults();
  assert.deepEqual(knownKeys('docker').sort(), Object.keys(defaults).sort());
  const props = mlcubeSchema.definitions!.docker.properties!;
  for (const [k, v] of Object.entries(defaults)) {
    if (k === 'image') continue; // the runner's default is `${docker.image}`, i.e. this very key
    assert.deepEqual(props[k].default, v, `default of docker.${k}`);
  }
  assert.deepEqual(enumOf('docker', 'build_strategy'), ['pull', 'auto', 'always']);
  assert.deepEqual(enumOf('paramDict', 'type'), ['file', 'directory']);
  assert.deepEqual(enumOf('paramDict', 'opts'), ['ro', 'rw']);
  assert.deepEqual(knownKeys('task'), ['entrypoint', 'parameters']);
  assert.deepEqual(knownKeys('parameters'), ['inputs', 'outputs']);
});

test('schemaAt finds the documentation of any key path', () => {
  assert.match(schemaAt(['docker', 'build_strategy'])!.description!, /docker pull/);
  assert.match(schemaAt(['tasks'])!.description!, /ListConfig/);
  assert.match(schemaAt(['tasks', 'train', 'entrypoint'])!.description!, /one-word entrypoint/i);
  assert.match(schemaAt(['tasks', 'train', 'parameters', 'outputs'])!.description!, /trailing|end with `\/`/);
  assert.deepEqual(schemaAt(['tasks', 'train', 'parameters', 'inputs', 'data', 'type'])!.enum, ['file', 'directory']);
  assert.match(schemaAt(['platform', 'accelerator_count'])!.description!, /gpu_args/);
  assert.match(schemaAt(['authors', 0, 'email'])!.description!, /e-mail/);
  assert.equal(schemaAt(['docker', 'nope']), undefined);
});

test('every documented key has a description', () => {
  const missing: string[] = [];
  const walk = (s: JsonSchema | undefined, path: string) => {
    if (!s) return;
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      if (!v.description && !v.$ref) missing.push(`${path}.${k}`);
      walk(v, `${path}.${k}`);
    }
  };
  walk(mlcubeSchema, '');
  for (const [name, def] of Object.entries(mlcubeSchema.definitions ?? {})) walk(def, `#${name}`);
  assert.deepEqual(missing, []);
});
