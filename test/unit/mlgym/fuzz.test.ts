/**
 * Mutation fuzzing of the MLgym features (test/helpers/fuzz.ts): broken variants of every corpus config and
 * of the real run's grid search must never make any MLgym feature throw or run for more than a second.
 * Runs in a worker thread so that a real infinite loop fails instead of hanging. Time-boxed to about 10 s.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { HangGuard, assertNoCrashNoHang, mutationsOfAny, serialise } from '../../helpers/fuzz';
import { corpusFiles, readCorpus } from '../../helpers/corpus';
import { mlgymAnswers } from '../../helpers/mlgymAnswers';
import { context, doc } from '../../helpers/service';
import { expandGridRequest } from '../../../server/src/mlgym/gridRequest';

const corpus = corpusFiles('mlgym/configs').map(readCorpus);
// The answers are written out as JSON (helpers/fuzz.ts): an answer that is small in memory and huge on the wire
// (YAML aliases) is a hang too.
const TARGET = join(__dirname, '..', '..', 'helpers', 'mlgymAnswers.ts');

let guard: HangGuard;
/**
 * Limit per input. Normal inputs take well under 100 ms warm; the limit is wider than the harness's 1 s
 * because this machine's 2 cores run other suites at the same time (load averages of 10 were seen), and
 * what it must catch (loops, exponential alias or sweep blow-ups) takes far longer than 5 s.
 */
const LIMIT_MS = 5000;

before(async () => {
  guard = HangGuard.start(TARGET, 'mlgymAnswers');
  // Warm the YAML parser on big inputs first: its first compilation is not a hang.
  await guard.ready(corpus.join('\n'));
  await guard.check(Array.from({ length: 3000 }, (_, k) => `    k${k}: v${k}`).join('\n') + corpus[1], 60_000);
});
after(async () => { await guard.close(); });

test('nasty inputs: no crash, no hang', async () => {
  const laughs = 'a: &a [1]\n' + Array.from({ length: 40 }, (_, i) => `l${i + 1}: &l${i + 1} [*${i === 0 ? 'a' : `l${i}`}, *${i === 0 ? 'a' : `l${i}`}]`).join('\n');
  const nasty = [
    '', '\uFEFF', '---\n---\n', 'm:\n  component_type_key: MODEL\n' + '  '.repeat(500) + 'x: 1\n',
    laughs.replace(/l(\d+): &l/g, 'l$1: &l') + '\nmodel:\n  component_type_key: MODEL\n  variant_key: DEFAULT\n  config: {model_definition: {x: *l40}}\n',
    'g: &g {sweep: absolute, values: [1, 2]}\n' + Array.from({ length: 30 }, (_, i) => `c${i}:\n  component_type_key: OPTIMIZER\n  config: {params: {lr: *g}}`).join('\n') + '\n',
    'a:\n  component_type_key: X\n  requirements:\n    - {name: r, component_name: b}\nb:\n  component_type_key: X\n  requirements:\n    - {name: r, component_name: a}\n',
    'o:\n  component_type_key: OPTIMIZER\n  config:\n    params:\n' + Array.from({ length: 60 }, (_, i) => `      k${i}: {sweep: absolute, values: [1, 2, 3]}`).join('\n') + '\n',
    'o: {sweep: absolute, values: [{sweep: absolute, values: [1]}, {a: {sweep: absolute, values: {x: 1}}}, {b: {sweep: absolute, values: abc}}]}\n',
    'run_configuration:\n  type: [train]\n  config: 3\nenvironment: []\nlogging:\n  websocket_logging_servers: {a: 1}\n  gs_rest_api_endpoint: [x]\n',
    'CV:\n  iterator_key: [1]\n  config: [1]\n',
    '<<: *nope\nm: {<<: {component_type_key: MODEL}}\n',
    'm:\n  ? [a, b]\n  : {}\n  component_type_key: MODEL\n',
  ];
  for (const t of nasty) {
    // In the worker first: a real hang fails there (the worker is terminated) instead of blocking this process.
    await guard.check(t, LIMIT_MS);
    assertNoCrashNoHang(mlgymAnswers, t, LIMIT_MS);
  }
});

test('mutated corpus configs: no crash, no hang (time-boxed)', async () => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(mutationsOfAny(corpus), async (text) => {
      runs++;
      await guard.check(text, LIMIT_MS);
    }),
    { numRuns: 3000, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: false, seed: Number(process.env.CUBELAB_FUZZ_SEED ?? 20261123) },
  );
  // At least a few dozen mutations even on a loaded machine (23 ran in 10 s under a load average of 18).
  assert.ok(runs >= 25, `only ${runs} fuzz runs`);
});

/** A grid whose one component names the last of `levels` aliased lists that each name the previous one twice. */
function aliasChainGrid(levels: number): string {
  const chain = 'a: &a [1]\n' + Array.from({ length: levels }, (_, i) => `l${i + 1}: &l${i + 1} [*${i === 0 ? 'a' : `l${i}`}, *${i === 0 ? 'a' : `l${i}`}]`).join('\n');
  return `${chain}\nmodel:\n  component_type_key: MODEL\n  variant_key: DEFAULT\n  config: {model_definition: {x: *l${levels}}, lr: {sweep: absolute, values: [0.1, 0.01]}}\n`;
}

test('a grid page of an alias chain is written out within the value budget, swept values intact', () => {
  const ctx = context();
  for (const levels of [20, 40]) {
    const d = doc('/g/gs_config.yml', aliasChainGrid(levels), ctx);
    const t0 = performance.now();
    const page = expandGridRequest(d, { uri: d.uri, offset: 0, limit: 100 }, ctx);
    const chars = serialise(page);
    const ms = performance.now() - t0;
    // Unbounded, one experiment of the 20-level chain is 18.9 M characters, and the 40-level one never finishes.
    assert.ok(chars < 6_000_000, `${levels} levels: ${chars} characters`);
    assert.ok(ms < LIMIT_MS, `${levels} levels: ${ms.toFixed(0)} ms`);
    assert.equal(page.count, 2);
    assert.deepEqual(page.experiments.map((e) => (e.config as { model: { config: { lr: unknown } } }).model.config.lr), [0.1, 0.01]);
  }
});
