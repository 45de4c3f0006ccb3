import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Hover, MarkupContent } from 'vscode-languageserver-types';
import { caret } from '../../helpers/caret';
import { context, doc } from '../../helpers/service';
import { hoverManifest } from '../../../server/src/mlcube/hover';
import type { FileAccess, ServiceContext } from '../../../server/src/service/languageService';

const noFiles: FileAccess = { exists: () => false, isDirectory: () => false, readDir: () => [] };

function hover(fixture: string, ctx: ServiceContext = context({ fs: noFiles })): Hover | null {
  const { text, offset } = caret(fixture);
  const d = doc('/cube/mlcube.yaml', text, ctx);
  return hoverManifest(d, d.parsed.lines.positionAt(offset), ctx);
}
const value = (h: Hover | null) => (h?.contents as MarkupContent).value;

test('a key shows its documentation, default and values from the schema', () => {
  const h = hover('docker:\n  image: x\n  build_str|ategy: auto\ntasks: {}\n');
  assert.match(value(h), /\*\*`docker\.build_strategy`\*\*/);
  assert.match(value(h), /Default: `pull`/);
  assert.match(value(h), /Values: `pull`, `auto`, `always`/);
  assert.deepEqual(h!.range, { start: { line: 2, character: 2 }, end: { line: 2, character: 16 } });
});

test('top-level, platform and parameter field keys are documented', () => {
  assert.match(value(hover('na|me: x\ntasks: {}\n')), /`name`/);
  assert.match(value(hover('platform:\n  accelerator_co|unt: 1\ntasks: {}\n')), /accelerator_count/);
  assert.match(value(hover('tasks:\n  t:\n    parameters:\n      outputs:\n        o: {ty|pe: file, default: o.txt}\n')), /`tasks\.t\.parameters\.outputs\.o\.type`/);
  // Keys completion never offers (reserved, ignored) still get the schema's explanation.
  assert.match(value(hover('runt|ime: {}\ntasks: {}\n')), /mlcube overwrites it/);
});

test('a ${...} shows its resolved value', () => {
  const h = hover('name: mnist\ndocker:\n  image: mlcommons/${na|me}:0.1\ntasks: {}\n');
  assert.equal(value(h), '`${name}` → `mnist`');
  assert.deepEqual(h!.range, { start: { line: 2, character: 19 }, end: { line: 2, character: 26 } });
  assert.equal(value(hover('docker:\n  image: x\n  build_context: ${runtime.ro|ot}/src\ntasks: {}\n')), '`${runtime.root}` → `/cube`');
  const env = hover('docker:\n  image: ${oc.env:IM|G,busybox}\ntasks: {}\n', context({ fs: noFiles, env: { IMG: 'alpine' } }));
  assert.equal(value(env), '`${oc.env:IMG,busybox}` → `alpine`');
  assert.match(value(hover('docker:\n  image: ${nop|e}\ntasks: {}\n')), /cannot be resolved/);
});

test('a parameter shows its host path and container path', () => {
  const text = 'docker:\n  image: x\ntasks:\n  train:\n    parameters:\n      inputs:\n        cfg: {type: file, default: conf/train.yaml}\n        da|ta: {type: directory, default: data}\n      outputs:\n        model: {type: directory, default: /abs/model}\n';
  const h = hover(text);
  assert.match(value(h), /input parameter `data`\*\* of task `train`/);
  assert.match(value(h), /Host path: `\/cube\/workspace\/data`/);
  assert.match(value(h), /Container path: `\/mlcube_io1` \(directory\), passed as `--data=\/mlcube_io1`/);
  const f = hover(text.replace('da|ta', 'data').replace('conf/train.yaml', 'conf/tr|ain.yaml'));
  assert.match(value(f), /Host path: `\/cube\/workspace\/conf\/train.yaml`/);
  assert.match(value(f), /`\/mlcube_io0\/train.yaml` \(file\)/);
  const abs = hover(text.replace('da|ta', 'data').replace('model:', 'mo|del:'));
  assert.match(value(abs), /Host path: `\/abs\/model`/);
  assert.match(value(abs), /`\/mlcube_io2`/);
});

test('an untyped output has no container path, and says why', () => {
  const h = hover('tasks:\n  t:\n    parameters:\n      outputs:\n        l|og: logs\n');
  assert.match(value(h), /Host path: `\/cube\/workspace\/logs`/);
  assert.match(value(h), /makes `mlcube run` fail/);
});

test('a task name summarises the task; values and unknown keys show nothing', () => {
  assert.match(value(hover('tasks:\n  tr|ain:\n    parameters:\n      inputs: {a: a/}\n')), /task `train`\*\*: 1 input, 0 outputs/);
  assert.equal(hover('name: mn|ist\ntasks: {}\n'), null);
  assert.equal(hover('nonsen|se: 1\ntasks: {}\n'), null);
});
