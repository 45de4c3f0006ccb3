/** Values as Python writes them: repr of floats, json.dumps, and YAML 1.1 floats PyYAML reads back as floats. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PyFloat, parseJsonLossless, pyFloatRepr, pyJsonDumps, yaml11FloatText } from '../../../server/src/interop/pyValues';
import { readParameters, writeParameters } from '../../../server/src/interop/paramsFile';

test('repr(float) as CPython prints it', () => {
  // Each pair: a value and what `python3 -c 'print(repr(x))'` prints.
  const cases: [number, string][] = [[2, '2.0'], [0.1, '0.1'], [1e-5, '1e-05'], [0.0001, '0.0001'], [1e16, '1e+16'], [1e15, '1000000000000000.0'],
    [123456789012345680000, '1.2345678901234568e+20'], [-2.5e-10, '-2.5e-10'], [1 / 3, '0.3333333333333333'], [-0, '-0.0'], [Infinity, 'inf']];
  for (const [x, py] of cases) assert.equal(pyFloatRepr(x), py, String(x));
});

test('json.dumps: separators, ensure_ascii, floats kept, key order kept', () => {
  const v = parseJsonLossless('{"b": 2.0, "a": [1, 1e3, 0.5, "é\\n\\"", true, null], "c": {}, "d": "😀"}');
  assert.equal(pyJsonDumps(v), '{"b": 2.0, "a": [1, 1000.0, 0.5, "\\u00e9\\n\\"", true, null], "c": {}, "d": "\\ud83d\\ude00"}');
  assert.equal(pyJsonDumps({ a: [1, new PyFloat(2)] }, 2), '{\n  "a": [\n    1,\n    2.0\n  ]\n}');
  assert.throws(() => parseJsonLossless('{"a": 1} x'), /unexpected text after the value at line 1, column 10/);
  assert.throws(() => parseJsonLossless('{"a": 01}'), /expected "," or "}"/);
});

test('parameters files: YAML 1.1 as PyYAML reads it, floats with a dot, ambiguous strings quoted', () => {
  assert.equal(yaml11FloatText(1e-7), '1.0e-07');
  assert.equal(yaml11FloatText(1e22), '1.0e+22');
  const text = writeParameters({ a: 1e-7, b: new PyFloat(2), c: 'yes', d: '100', e: '2024-01-01', f: 'None', g: 3, h: '1_000', i: 'off' });
  assert.equal(text, 'a: 1.0e-07\nb: 2.0\nc: "yes"\nd: "100"\ne: "2024-01-01"\nf: None\ng: 3\nh: "1_000"\ni: "off"\n');
  const back = readParameters(text);
  assert.ok(back.ok);
  assert.deepEqual(back.values, { a: 1e-7, b: new PyFloat(2), c: 'yes', d: '100', e: '2024-01-01', f: 'None', g: 3, h: '1_000', i: 'off' });
  assert.deepEqual(readParameters('- a\n'), { ok: false, error: 'a parameters file must be a mapping of names to values' });
  assert.match((readParameters('a: [\n') as { error: string }).error, /line \d+, column \d+/);
});
