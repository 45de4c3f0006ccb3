/** The endpoint writes log lines exactly as MLboard's DiscEventStorage does: Python's json.dumps(json.loads(...)). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePythonJson, pythonFloatRepr, pythonJsonDumps } from '../../shared/python-json';
import { GS, PYTHON, runPython, startTestEndpoint } from './helpers';

/** json.dumps(json.loads(line)) per line, by Debian's python3. */
function pythonRoundTrip(lines: string[]): string[] {
  const out = execFileSync(PYTHON, ['-c', 'import json,sys\nfor l in sys.stdin.read().split("\\n"):\n  print(json.dumps(json.loads(l)))'], { input: lines.join('\n'), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\n').slice(0, lines.length);
}

test('pythonJsonDumps matches Python json.dumps byte for byte', () => {
  const value = {
    event_type: 'evaluation_result',
    creation_ts: 1707945370000003,
    payload: {
      grid_search_id: '2024-02-14--22-15-46', experiment_id: 1, epoch: 0,
      metric_scores: [{ metric: 'F1_SCORE_macro', split: 'val', score: 0.0857 }, { metric: 'RECALL_AT_K', split: 'val', score: [0.5, 0.25] }],
      loss_scores: [{ loss: 'cross_entropy_loss', split: 'val', score: 31.796 }],
      note: 'Größe µ "quoted" \\ tab\t newline\n 😀 \u007f',
      flags: [true, false, null], empty: {}, none: [],
    },
  };
  const python = execFileSync(PYTHON, ['-c', 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())), end="")'], { input: JSON.stringify(value), encoding: 'utf8' });
  assert.equal(pythonJsonDumps(value), python);
  assert.equal(pythonJsonDumps({ loss: Number.NaN, up: Infinity, down: -Infinity }), '{"loss": NaN, "up": Infinity, "down": -Infinity}');
});

test('numbers as Python writes them: repr(float) exponent forms, whole floats, -0.0, big ints, NaN and Infinity', () => {
  for (const [x, repr] of [
    [1e-5, '1e-05'], [0.0001, '0.0001'], [1e16, '1e+16'], [1e15, '1000000000000000.0'], [1.5e300, '1.5e+300'], [5e-324, '5e-324'],
    [-2.5e-7, '-2.5e-07'], [0.1, '0.1'], [123456789.125, '123456789.125'], [-0, '-0.0'], [0, '0.0'], [1e22, '1e+22'], [Number.NaN, 'NaN'],
  ] as const) assert.equal(pythonFloatRepr(x), repr, String(x));
  // Whole floats and ints are told apart by their text only: parsing keeps it.
  const text = '{"a": 1.0, "b": 1, "c": 1e16, "d": 10000000000000000, "e": -0.0, "f": -0, "g": 1180591620717411303424, "h": NaN, "i": -Infinity, "j": 1E+2, "k": 2.5e-3, "__proto__": {"x": 1}}';
  const [python] = pythonRoundTrip([text]);
  assert.equal(pythonJsonDumps(parsePythonJson(text)), python);
  assert.equal(python, '{"a": 1.0, "b": 1, "c": 1e+16, "d": 10000000000000000, "e": -0.0, "f": 0, "g": 1180591620717411303424, "h": NaN, "i": -Infinity, "j": 100.0, "k": 0.0025, "__proto__": {"x": 1}}');
  assert.equal(Object.getPrototypeOf(parsePythonJson(text)), Object.prototype);
  for (const bad of ['', '{', '[1,]', '{"a" 1}', '01', '1.', '.5', '"\u0001"', 'nan', '[1] x', '+1']) assert.throws(() => parsePythonJson(bad), SyntaxError, bad);
});

test('random doubles and ints round-trip as Python writes them', () => {
  const view = new DataView(new ArrayBuffer(8));
  let seed = 12345;
  const rand32 = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0));
  const lines: string[] = [];
  for (let n = 0; n < 3000; n++) {
    view.setUint32(0, rand32());
    view.setUint32(4, rand32());
    const x = view.getFloat64(0);
    if (!Number.isFinite(x)) continue;
    // As a float token (JavaScript's text of it, which Python reads to the same double) and, when whole, as an int token.
    lines.push(`[${Number.isInteger(x) ? x.toExponential() : String(x)}, ${rand32() % 1000 / 8}, ${(rand32() * 1e-9).toPrecision(7)}]`);
    if (Number.isSafeInteger(x)) lines.push(`[${x}]`);
  }
  const python = pythonRoundTrip(lines);
  lines.forEach((line, k) => assert.equal(pythonJsonDumps(parsePythonJson(line)), python[k], line));
});

test('a python-socketio publisher\'s numbers are stored as MLboard stores them (NaN, inf, 1e-05, 1.0, 2**70)', async (t) => {
  const { endpoint, root } = await startTestEndpoint(t);
  const run = await runPython('publish_numbers.py', [endpoint.url, GS]);
  assert.equal(run.code, 0, run.stderr);
  const expected = run.stdout.trim().split('\n').pop();
  const stored = readFileSync(join(root, GS, 'event_storage.log'), 'utf8');
  assert.equal(stored, `${expected}\n`);
  assert.ok(stored.includes('"score": 1e-05}') && stored.includes('"score": NaN}') && stored.includes('"score": 1.0}'), stored);
  assert.equal(endpoint.stats.stored, 1);
});
