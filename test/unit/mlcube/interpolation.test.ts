import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  findInterpolations, resolveValue, resolveConfig, effectiveConfig, dotlistToConfig, type Resolution,
} from '../../../server/src/mlcube/interpolation';

const root = {
  name: 'mnist',
  docker: { image: 'mlcommons/${name}:0.1', gpu_args: '--gpus=all' },
  platform: { accelerator_count: 2 },
  runtime: { root: '/cubes/mnist', workspace: '${runtime.root}/workspace' },
  workspace: '${runtime.root}/workspace',
  list: ['a', 'b'],
  flag: true,
  loop: { a: '${loop.b}', b: 'x${loop.c}', c: '${loop.a}' },
  self: '${self}',
  kubeflow: { pvc: '???' },
};

function ok(r: Resolution): unknown {
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}
function err(r: Resolution): { code: string; message: string; expr: string } {
  assert.ok(!r.ok, `expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

test('findInterpolations: offsets and inner expression, outermost only', () => {
  const s = 'a${x}b${oc.env:HOME,"/tmp/${y}"}c';
  const spans = findInterpolations(s);
  assert.deepEqual(spans, [
    { start: 1, end: 5, expr: 'x' },
    { start: 6, end: 32, expr: 'oc.env:HOME,"/tmp/${y}"' },
  ]);
  assert.equal(s.slice(spans[1].start, spans[1].end), '${oc.env:HOME,"/tmp/${y}"}');
});

test('findInterpolations: nested keys, escapes and unclosed openers', () => {
  assert.deepEqual(findInterpolations('${a.${b}}'), [{ start: 0, end: 9, expr: 'a.${b}' }]);
  assert.deepEqual(findInterpolations('\\${HOME}/x'), []);
  assert.deepEqual(findInterpolations('\\\\${HOME}'), [{ start: 2, end: 9, expr: 'HOME' }]);
  assert.deepEqual(findInterpolations('${oops'), []);
  assert.deepEqual(findInterpolations('${oops ${ok}'), [{ start: 7, end: 12, expr: 'ok' }]);
  assert.deepEqual(findInterpolations('${oc.create:{a: 1}}!'), [{ start: 0, end: 19, expr: 'oc.create:{a: 1}' }]);
});

test('a value that is exactly one interpolation keeps the type of its target', () => {
  assert.equal(ok(resolveValue('${platform.accelerator_count}', root, {})), 2);
  assert.equal(ok(resolveValue('${flag}', root, {})), true);
  assert.deepEqual(ok(resolveValue('${list}', root, {})), ['a', 'b']);
  assert.deepEqual(ok(resolveValue('${platform}', root, {})), { accelerator_count: 2 });
  assert.equal(ok(resolveValue('${ list.1 }', root, {})), 'b');
  assert.equal(ok(resolveValue('${list[0]}', root, {})), 'a');
});

test('string interpolation concatenates Python str() of each part, recursively resolved', () => {
  assert.equal(ok(resolveValue('${docker.image}', root, {})), 'mlcommons/mnist:0.1');
  assert.equal(ok(resolveValue('n=${platform.accelerator_count} ${flag}', root, {})), 'n=2 True');
  assert.equal(ok(resolveValue('${workspace}/data', root, {})), '/cubes/mnist/workspace/data');
  assert.equal(ok(resolveValue('${runtime.workspace}', root, {})), '/cubes/mnist/workspace');
  assert.equal(ok(resolveValue('x${list}', root, {})), "x['a', 'b']");
  assert.equal(ok(resolveValue('no interpolation \\ here $HOME', root, {})), 'no interpolation \\ here $HOME');
});

test('a path through a node that is itself an interpolation follows it', () => {
  const r = { base: { data: 'd', nested: { x: 'X' } }, alias: '${base}', deep: { to: '${alias.nested}' } };
  assert.equal(ok(resolveValue('${alias.data}', r, {})), 'd');
  assert.equal(ok(resolveValue('${deep.to.x}/y', r, {})), 'X/y');
  assert.equal(err(resolveValue('${alias.nope}', r, {})).message, "InterpolationKeyError: Interpolation key 'alias.nope' not found");
});

test('nested interpolation in a key', () => {
  const r = { ...root, which: 'image', pick: { image: 'I' } };
  assert.equal(ok(resolveValue('${docker.${which}}', r, {})), 'mlcommons/mnist:0.1');
  assert.equal(ok(resolveValue('${pick[${which}]}', r, {})), 'I');
});

test('escapes: \\${ is a literal ${, an even run of backslashes is halved before an interpolation', () => {
  assert.equal(ok(resolveValue('\\${HOME}/x', root, {})), '${HOME}/x');
  assert.equal(ok(resolveValue('a\\\\${name}', root, {})), 'a\\mnist');
  assert.equal(ok(resolveValue('C:\\data\\${name}', root, {})), 'C:\\data${name}');
});

test('missing keys: ${HOME} is a config key, not an env var', () => {
  const e = err(resolveValue('${HOME}/data', root, { HOME: '/home/u' }));
  assert.equal(e.code, 'missing-key');
  assert.equal(e.message, "InterpolationKeyError: Interpolation key 'HOME' not found");
  assert.equal(e.expr, '${HOME}');
  const e2 = err(resolveValue('${docker.tag}', root, {}));
  assert.match(e2.message, /Interpolation key 'docker.tag' not found/);
  const e3 = err(resolveValue('${kubeflow.pvc}', root, {}));
  assert.equal(e3.code, 'missing-key');
  assert.match(e3.message, /Missing mandatory value: kubeflow.pvc/);
});

test('oc.env: set, unset with and without defaults, quoted defaults, nested defaults', () => {
  const env = { HOME: '/home/u', EMPTY: '' };
  assert.equal(ok(resolveValue('${oc.env:HOME}/.cache', root, env)), '/home/u/.cache');
  assert.equal(ok(resolveValue('${oc.env:EMPTY,zz}', root, env)), '');
  assert.equal(ok(resolveValue('${oc.env:NOPE,/tmp/x}', root, env)), '/tmp/x');
  assert.equal(ok(resolveValue('${oc.env:NOPE, "a, b"}', root, env)), 'a, b');
  assert.equal(ok(resolveValue("${oc.env:NOPE,'${name}-x'}", root, env)), 'mnist-x');
  assert.equal(ok(resolveValue('${oc.env:NOPE,${runtime.root}/w}', root, env)), '/cubes/mnist/w');
  assert.equal(ok(resolveValue('${oc.env:NOPE,5}', root, env)), '5');
  assert.equal(ok(resolveValue('${oc.env:NOPE,true}', root, env)), 'True');
  assert.equal(ok(resolveValue('${oc.env:NOPE,null}', root, env)), null);
  assert.equal(ok(resolveValue('${oc.env:NOPE,}', root, env)), '');
  assert.equal(ok(resolveValue('${oc.env:NOPE,http://h:8080/p}', root, env)), 'http://h:8080/p');
  const e = err(resolveValue('${oc.env:NOPE}', root, env));
  assert.equal(e.code, 'env-unset');
  assert.match(e.message, /Environment variable 'NOPE' not found/);
  assert.equal(e.expr, '${oc.env:NOPE}');
});

test('cycles are detected, not looped on', () => {
  const e = err(resolveValue('${loop.a}', root, {}));
  assert.equal(e.code, 'cycle');
  assert.match(e.message, /loop\.a -> loop\.b -> loop\.c -> loop\.a/);
  assert.equal(err(resolveValue('${self}', root, {})).code, 'cycle');
});

test('bad syntax and unknown resolvers', () => {
  for (const bad of ['${', '${a', '${a b}', '${a:}x${', '${oc.env:A,"x}', '${a:b=c}', '${}']) {
    const e = err(resolveValue(bad, root, {}));
    assert.equal(e.code, 'bad-syntax', bad);
    assert.match(e.message, /GrammarParseError/, bad);
  }
  const u = err(resolveValue('${foo.bar:x}', root, {}));
  assert.equal(u.code, 'unknown-resolver');
  assert.equal(u.message, 'UnsupportedInterpolationType: Unsupported interpolation type foo.bar');
});

test('other built-in resolvers: oc.select, oc.decode, oc.create', () => {
  assert.equal(ok(resolveValue('${oc.select:docker.nope,dflt}', root, {})), 'dflt');
  assert.equal(ok(resolveValue('${oc.select:name,dflt}', root, {})), 'mnist');
  assert.equal(ok(resolveValue("${oc.decode:'123'}", root, {})), 123);
  assert.deepEqual(ok(resolveValue('${oc.create:[1, two, ${name}]}', root, {})), [1, 'two', 'mnist']);
});

test('details checked against OmegaConf itself: float spelling, containers inside strings, arity, list indexes', () => {
  assert.equal(ok(resolveValue('${oc.env:NOPE,1e3}', root, {})), '1000.0');
  assert.equal(ok(resolveValue('${oc.env:NOPE,5.}', root, {})), '5.0');
  assert.equal(ok(resolveValue('${oc.env:NOPE,1e-5}', root, {})), '1e-05');
  // A config container inside a longer string prints unresolved (str(DictConfig)); alone it resolves.
  assert.equal(ok(resolveValue('x${docker}', root, {})), "x{'image': 'mlcommons/${name}:0.1', 'gpu_args': '--gpus=all'}");
  assert.deepEqual(ok(resolveValue('${docker}', root, {})), { image: 'mlcommons/mnist:0.1', gpu_args: '--gpus=all' });
  assert.match(err(resolveValue('${oc.decode:}', root, {})).message, /TypeError raised while resolving interpolation: oc.decode takes 1 argument/);
  assert.equal(err(resolveValue('${list.-1}', root, {})).code, 'missing-key');
  assert.equal(err(resolveValue('${..name}', root, {}, { path: ['v'] })).code, 'missing-key');
  assert.equal(ok(resolveValue('${.name}', root, {}, { path: ['v'] })), 'mnist');
});

test('relative interpolation needs the value path', () => {
  const r = { a: { b: 'B', c: '${.b}!' } };
  assert.equal(ok(resolveValue('${.b}!', r, {}, { path: ['a', 'c'] })), 'B!');
  assert.equal(err(resolveValue('${.b}', r, {})).code, 'bad-syntax');
});

test('resolveConfig resolves the whole tree and stops at the first failure', () => {
  const good = resolveConfig({ a: '${b}', b: { c: '${name}' }, name: 'n', k: '???' }, {});
  assert.ok(good.ok);
  assert.deepEqual(good.value, { a: { c: 'n' }, b: { c: 'n' }, name: 'n', k: '???' });
  const bad = resolveConfig({ ok: 'x', singularity: { image: '${oc.env:NOPE}' } }, {});
  assert.ok(!bad.ok);
  assert.equal(bad.error.code, 'env-unset');
  assert.deepEqual(bad.path, ['singularity', 'image']);
});

test('effectiveConfig: runtime, workspace, runner = docker DEFAULT merged with docker, -P overrides twice', () => {
  const m = { name: 'x', docker: { image: 'img:1', gpu_args: '--gpus all' }, tasks: {} };
  const cfg = effectiveConfig(m, { root: '/r', configOverrides: { 'docker.build_strategy': 'auto', 'runner.--memory': '8g', 'platform.accelerator_count': '0' } });
  assert.deepEqual(cfg.runtime, { root: '/r', workspace: '${runtime.root}/workspace' });
  assert.equal(cfg.workspace, '${runtime.root}/workspace');
  const runner = cfg.runner as Record<string, unknown>;
  assert.equal(runner.image, 'img:1');
  assert.equal(runner.gpu_args, '--gpus all');
  assert.equal(runner.build_strategy, 'auto');
  assert.equal(runner['--memory'], '8g');
  assert.equal(runner.build_file, 'Dockerfile');
  assert.deepEqual(cfg.platform, { accelerator_count: 0 });
  const noImage = effectiveConfig({ tasks: {} }, { root: '/r', workspace: '/ws' });
  assert.equal((noImage.runner as Record<string, unknown>).image, '${docker.image}');
  assert.equal(noImage.workspace, '/ws');
  const r = resolveConfig(noImage, {});
  assert.ok(!r.ok);
  assert.equal(r.error.message, "InterpolationKeyError: Interpolation key 'docker.image' not found");
});

test('dotlist values are read as YAML scalars', () => {
  assert.deepEqual(dotlistToConfig({ 'a.b': '1', 'a.c': 'true', d: 'x:y', e: '', f: '1.5', g: "'07'" }), { a: { b: 1, c: true }, d: 'x:y', e: null, f: 1.5, g: '07' });
});
