/**
 * Mutation fuzzing of manifest validation: broken variants of every corpus manifest (test/helpers/fuzz.ts)
 * must never make analysis + validation throw, or run for more than a second. Runs in a worker thread, so a
 * real infinite loop fails the test instead of hanging it. Time-boxed: about 20 s in all.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { HangGuard, assertNoCrashNoHang, mutationsOfAny } from '../../helpers/fuzz';
import { corpusFiles, readCorpus } from '../../helpers/corpus';
import { harnessSelfTest, mlcubeKeystroke } from '../../fixtures/mlcube/keystroke';

const corpus = corpusFiles('mlcube/manifests').map(readCorpus);
const TARGET = join(__dirname, '..', '..', 'fixtures', 'mlcube', 'keystroke.ts');

let guard: HangGuard;
before(async () => { guard = HangGuard.start(TARGET, 'mlcubeKeystroke'); await guard.ready(corpus[0]); });
after(async () => { await guard.close(); });

test('nasty inputs: no crash, no hang', async () => {
  const nasty = [
    '', '\uFEFF', '---\n---\n', 'tasks:\n' + '  '.repeat(500) + 'x: 1\n',
    'a: &a [1]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: &d [*c, *c]\ne: &e [*d, *d]\nf: &f [*e, *e]\ng: &g [*f, *f]\nh: &h [*g, *g]\ni: &i [*h, *h]\ntasks: {t: *i}\n',
    'tasks: ' + '['.repeat(3000) + ']'.repeat(3000) + '\n',
    'name: "' + '${a.'.repeat(3000) + '}'.repeat(3000) + '"\ntasks: {}\n',
    'name: ' + '${'.repeat(10000) + '\ntasks: {}\n',
    'x: ${y}\ny: ${z}\nz: ${x}\ndocker: {image: "${x}"}\ntasks: {}\n',
    'docker:\n  image: x\ntasks:\n' + Array.from({ length: 500 }, (_, i) => `  t${i}:\n    parameters: {inputs: {a: a${i}, b: "\${t}"}, outputs: {o: o${i}}}\n`).join(''),
    'docker:\n  image: "' + 'x'.repeat(500_000) + '"\ntasks: {}\n',
    'tasks:\n  t: &t\n    parameters:\n      inputs: *t\n',
    '<<: *nope\ntasks: {<<: {a: 1}}\n',
    'tasks:\n  ? [a, b]\n  : {}\n  ? {x: 1}\n  : 1\n',
  ];
  // The big ones in the worker only (a hang there cannot block the run); the small ones in-process too.
  for (const t of nasty) {
    if (t.length < 10_000) assertNoCrashNoHang(mlcubeKeystroke, t);
    await guard.check(t);
  }
});

test('mutated corpus manifests: no crash, no hang (time-boxed)', async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(mutationsOfAny(corpus), async (text) => {
      runs++;
      await guard.check(text);
    }),
    { numRuns: 5000, interruptAfterTimeLimit: 12_000, markInterruptAsFailure: false, seed: Number(process.env.CUBELAB_FUZZ_SEED ?? 20261123) },
  );
  t.diagnostic(`${runs} mutated manifests checked`);
  // A floor that still holds on a heavily shared machine; a typical run checks well over a thousand.
  assert.ok(runs >= 100, `only ${runs} fuzz runs`);
});

test('the harness itself fails on a crash, a slow run and a real hang', async () => {
  assert.throws(() => assertNoCrashNoHang(harnessSelfTest, 'crash'), /crashed on input "crash": Error: boom/);
  assert.throws(() => assertNoCrashNoHang(harnessSelfTest, 'slow', 200), /took \d+ ms of CPU \(limit 200 ms\)/);
  assertNoCrashNoHang(harnessSelfTest, 'fine');
  const g = HangGuard.start(TARGET, 'harnessSelfTest');
  try {
    await g.ready();
    await assert.rejects(g.check('crash'), /crashed on input "crash"/);
    await assert.rejects(g.check('hang', 1000, 1500), /still running after 1500 ms on input "hang"/);
    await g.check('fine'); // the worker was restarted after the hang
  } finally {
    await g.close();
  }
});
