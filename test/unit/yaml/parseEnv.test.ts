/**
 * parseYaml swaps `process.env` for a plain object during the parse (the library reads LOG_TOKENS once
 * per token, and the real environment object makes that slow): the environment must come back as it was,
 * and the library's debug switch must still work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYaml } from '../../../server/src/yaml/parsedDocument';

test('the environment object is the same before and after a parse, with its values', () => {
  const env = process.env;
  const path = process.env.PATH;
  const parsed = parseYaml('tasks:\n  train:\n    entrypoint: python train.py\n');
  assert.equal(process.env, env);
  assert.equal(process.env.PATH, path);
  assert.equal(parsed.docs.length, 1);
  assert.deepEqual(parsed.doc?.toJS(), { tasks: { train: { entrypoint: 'python train.py' } } });
});

test("the yaml library's LOG_TOKENS debug switch still works during a parse", () => {
  const lines: unknown[][] = [];
  const log = console.log;
  process.env.LOG_TOKENS = '1';
  console.log = (...args: unknown[]) => { lines.push(args); };
  try {
    parseYaml('a: 1\n');
  } finally {
    console.log = log;
    delete process.env.LOG_TOKENS;
  }
  assert.ok(lines.length > 0 && lines.every((l) => l[0] === '|'), 'token log lines');
  assert.equal(process.env.LOG_TOKENS, undefined);
  // Without the switch, nothing is printed.
  const quiet: unknown[][] = [];
  console.log = (...args: unknown[]) => { quiet.push(args); };
  try { parseYaml('a: 1\n'); } finally { console.log = log; }
  assert.equal(quiet.length, 0);
});
