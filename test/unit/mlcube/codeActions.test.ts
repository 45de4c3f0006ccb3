import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver-types';
import { context, doc } from '../../helpers/service';
import { manifestCodeActions } from '../../../server/src/mlcube/codeActions';
import { validateManifest } from '../../../server/src/mlcube/validate';
import type { FileAccess } from '../../../server/src/service/languageService';

const noFiles: FileAccess = { exists: () => false, isDirectory: () => false, readDir: () => [] };
const ctx = context({ fs: noFiles, env: { HOME: '/home/u' } });

/** Validates `text`, takes the diagnostics with `code`, returns their quick fixes. */
function fixesFor(text: string, code: string): { actions: CodeAction[]; diagnostics: Diagnostic[]; text: string } {
  const d = doc('/cube/mlcube.yaml', text, ctx);
  const diagnostics = validateManifest(d, ctx).filter((x) => x.code === code);
  assert.ok(diagnostics.length > 0, `no ${code} diagnostic`);
  return { actions: manifestCodeActions(d, diagnostics[0].range, diagnostics, ctx), diagnostics, text };
}

/** Applies one action's edits (non-overlapping) to the text. */
function apply(text: string, action: CodeAction): string {
  const d = doc('/cube/mlcube.yaml', text);
  const edits = Object.values(action.edit!.changes!)[0] as TextEdit[];
  const spans = edits.map((e) => [d.parsed.lines.offsetAt(e.range.start), d.parsed.lines.offsetAt(e.range.end), e.newText] as const).sort((a, b) => b[0] - a[0]);
  let out = text;
  for (const [s, e, t] of spans) out = out.slice(0, s) + t + out.slice(e);
  return out;
}

const HEAD = 'name: x\ndocker:\n  image: busybox\n';

test('did you mean: outpus -> outputs (from the validator\'s suggestion)', () => {
  const r = fixesFor(`${HEAD}tasks:\n  t:\n    parameters:\n      outpus:\n        o: o/\n`, 'mlcube/unknown-key');
  assert.equal(r.actions.length, 1);
  assert.equal(r.actions[0].title, "Change 'outpus' to 'outputs'");
  assert.equal(r.actions[0].isPreferred, true);
  assert.deepEqual(r.actions[0].diagnostics, [r.diagnostics[0]]);
  assert.equal(apply(r.text, r.actions[0]), `${HEAD}tasks:\n  t:\n    parameters:\n      outputs:\n        o: o/\n`);
});

test('did you mean in docker: (an unknown runner key)', () => {
  const r = fixesFor(`${HEAD}  build_strategi: auto\ntasks: {}\n`, 'mlcube/unknown-runner-key');
  assert.equal(apply(r.text, r.actions[0]), `${HEAD}  build_strategy: auto\ntasks: {}\n`);
});

test('add type: to an untyped output, in string, flow and block form', () => {
  const str = fixesFor(`${HEAD}tasks:\n  t:\n    parameters:\n      outputs:\n        log: logs\n`, 'mlcube/untyped-output');
  assert.deepEqual(str.actions.map((a) => a.title), ["Add 'type: directory' to output 'log'", "Add 'type: file' to output 'log'"]);
  assert.equal(apply(str.text, str.actions[0]), `${HEAD}tasks:\n  t:\n    parameters:\n      outputs:\n        log: {type: directory, default: logs}\n`);
  const flow = fixesFor(`${HEAD}tasks:\n  t:\n    parameters:\n      outputs:\n        m: {default: model.pt}\n`, 'mlcube/untyped-output');
  assert.equal(flow.actions[0].title, "Add 'type: file' to output 'm'");
  assert.equal(apply(flow.text, flow.actions[0]), `${HEAD}tasks:\n  t:\n    parameters:\n      outputs:\n        m: {type: file, default: model.pt}\n`);
  const block = fixesFor(`${HEAD}tasks:\n  t:\n    parameters:\n      outputs:\n        m:\n          default: model.pt\n`, 'mlcube/untyped-output');
  assert.equal(apply(block.text, block.actions[0]), `${HEAD}tasks:\n  t:\n    parameters:\n      outputs:\n        m:\n          type: file\n          default: model.pt\n`);
});

test('${HOME} -> ${oc.env:HOME}', () => {
  const r = fixesFor(`${HEAD}tasks:\n  t:\n    parameters:\n      inputs:\n        d: \${HOME}/data/\n`, 'mlcube/env-var-as-key');
  assert.equal(r.actions[0].title, "Replace '${HOME}' with '${oc.env:HOME}'");
  assert.equal(apply(r.text, r.actions[0]), `${HEAD}tasks:\n  t:\n    parameters:\n      inputs:\n        d: \${oc.env:HOME}/data/\n`);
});

test('drop the duplicated --gpus from gpu_args', () => {
  const text = `name: x\nplatform:\n  accelerator_count: 1\ndocker:\n  image: busybox\n  gpu_args: "--gpus=all --shm-size=1g"\ntasks: {t: {}}\n`;
  const r = fixesFor(text, 'mlcube/duplicate-gpus-flag');
  assert.equal(r.actions[0].title, "Remove '--gpus=all' from gpu_args");
  assert.match(apply(text, r.actions[0]), /gpu_args: "--shm-size=1g"\n/);
  const last = fixesFor(text.replace('"--gpus=all --shm-size=1g"', '--shm-size=1g --gpus all'), 'mlcube/duplicate-gpus-flag');
  assert.match(apply(last.text, last.actions[0]), /gpu_args: --shm-size=1g\n/);
  const only = fixesFor(text.replace('"--gpus=all --shm-size=1g"', '--gpus=all'), 'mlcube/duplicate-gpus-flag');
  assert.match(apply(only.text, only.actions[0]), /gpu_args: ''\n/);
});

test('quote a non-string parameter value', () => {
  const r = fixesFor(`${HEAD}tasks:\n  t:\n    parameters:\n      inputs:\n        epochs: 5\n`, 'mlcube/param-value-type');
  assert.equal(r.actions[0].title, "Quote the value of 'epochs' as a path");
  assert.equal(apply(r.text, r.actions[0]), `${HEAD}tasks:\n  t:\n    parameters:\n      inputs:\n        epochs: "5"\n`);
});

test('diagnostics of other sources or codes get no fix', () => {
  const d = doc('/cube/mlcube.yaml', `${HEAD}tasks: {}\n`, ctx);
  const foreign: Diagnostic = { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 4 } }, message: 'x', source: 'yaml', code: 'mlcube/unknown-key' };
  assert.deepEqual(manifestCodeActions(d, foreign.range, [foreign], ctx), []);
});
