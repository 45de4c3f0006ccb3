// Red Hat's YAML side by side: while another extension reports YAML syntax, CubeLab's server leaves syntax
// errors and duplicate keys to it and keeps its own checks (server/src/service/yamlSyntaxOwner.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaveSyntaxTo } from '../../../server/src/service/yamlSyntaxOwner';
import { providers } from '../../../server/src/service/registry';
import { context, doc } from '../../helpers/service';

const RED_HAT = 'redhat.vscode-yaml';

function codes(path: string, text: string, owner: string | null): string[] {
  const ctx = context();
  const d = doc(path, text, ctx);
  const p = providers[d.kind];
  assert.ok(p, `${path} is recognised (${d.kind})`);
  return leaveSyntaxTo(owner, p.validate(d, ctx)).map((x) => String(x.code));
}

const BROKEN = 'name: mnist\ndocker:\n  image: mlcommons/mnist:0.0.1\ntasks:\n  train:\n    parameters: {inputs: {data: data/}\n';
const DUPLICATE_AND_SEMANTIC = 'name: mnist\ndocker:\n  image: mlcommons/mnist:0.0.1\ntasks:\n  train:\n    parameters:\n      inputs: {data_dir: data/}\n  train:\n    parameters:\n      inputs: {data_dir: data/}\n    entrypont: python x.py\n';

test('a syntax error is CubeLab\'s alone without Red Hat\'s YAML, left to it with', () => {
  assert.deepEqual(codes('/w/mlcube.yaml', BROKEN, null), ['yaml-syntax']);
  assert.deepEqual(codes('/w/mlcube.yaml', BROKEN, RED_HAT), []);
});

test('duplicate keys are left to it too; what mlcube would do with the file is still reported', () => {
  const own = codes('/w/mlcube.yaml', DUPLICATE_AND_SEMANTIC, null);
  assert.ok(own.includes('duplicate-key'), own.join());
  const side = codes('/w/mlcube.yaml', DUPLICATE_AND_SEMANTIC, RED_HAT);
  assert.ok(!side.includes('duplicate-key'), side.join());
  assert.ok(side.length > 0 && side.every((c) => c.startsWith('mlcube/')), `semantic checks kept: ${side.join()}`);
  assert.deepEqual(side, own.filter((c) => c !== 'duplicate-key'));
});

test('several documents in one file stay CubeLab\'s (YAML allows them, mlcube and MLgym do not)', () => {
  const two = 'name: a\ndocker: {image: x}\ntasks: {t: {}}\n---\nname: b\n';
  assert.ok(codes('/w/mlcube.yaml', two, RED_HAT).includes('yaml-multiple-documents'));
  assert.deepEqual(codes('/w/gs_config.yml', 'dataset_repository:\n  component_type_key: DATASET_REPOSITORY\n  variant_key: [DEFAULT\n', RED_HAT), []);
});
