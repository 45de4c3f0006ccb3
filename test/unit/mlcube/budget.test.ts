/**
 * A manifest must not be able to hang the server (issue 14): `${...}` values that each name the previous one
 * twice double at every level. The resolver resolves each value once and refuses values past
 * MAX_RESOLVED_CHARS; validation runs within a time budget whose deadline interrupts the work; a document too
 * expensive to check gets one diagnostic saying so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_RESOLVED_CHARS, resolveValue } from '../../../server/src/mlcube/interpolation';
import { providers } from '../../../server/src/service/registry';
import { TOO_EXPENSIVE, VALIDATION_BUDGET_MS, validateWithinBudget, withinBudget } from '../../../server/src/service/budget';
import { manifestProvider } from '../../../server/src/mlcube/provider';
import { context, doc } from '../../helpers/service';

const BOMB_PATH = join(__dirname, '..', '..', 'fixtures', 'mlcube', 'hangs', 'interpolation-bomb.yaml');
const BOMB = readFileSync(BOMB_PATH, 'utf8');

/** `v0: ab` and `levels` values, each naming the previous one twice. */
function bombConfig(levels: number): Record<string, unknown> {
  const root: Record<string, unknown> = { v0: 'ab' };
  for (let i = 1; i <= levels; i++) root[`v${i}`] = `\${v${i - 1}}\${v${i - 1}}`;
  return root;
}

test('a value named many times is resolved once: 18 doubling levels resolve at once, to the right value', () => {
  const t0 = performance.now();
  const r = resolveValue('${v18}', bombConfig(18), {});
  const ms = performance.now() - t0;
  assert.ok(r.ok);
  assert.equal(r.value, 'ab'.repeat(2 ** 18));
  // Without the memo this is 2^18 resolutions of v0 (seconds); with it 18 (well under a millisecond warm).
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
});

test('containers named many times are resolved once too, and measured as the values they stand for', () => {
  const root: Record<string, unknown> = { d0: { x: 'ab' } };
  for (let i = 1; i <= 40; i++) root[`d${i}`] = { a: `\${d${i - 1}}`, b: `\${d${i - 1}}` };
  const small = resolveValue('${d3}', root, {});
  assert.ok(small.ok);
  assert.deepEqual(small.value, { a: { a: { a: { x: 'ab' }, b: { x: 'ab' } }, b: { a: { x: 'ab' }, b: { x: 'ab' } } }, b: { a: { a: { x: 'ab' }, b: { x: 'ab' } }, b: { a: { x: 'ab' }, b: { x: 'ab' } } } });
  const big = resolveValue('${d40}', root, {});
  assert.ok(!big.ok);
  assert.equal(big.error.code, 'too-expensive');
});

test('a value past MAX_RESOLVED_CHARS is refused with a too-expensive error naming the key that grows', () => {
  const t0 = performance.now();
  const r = resolveValue('x${v30}', bombConfig(30), {});
  const ms = performance.now() - t0;
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'too-expensive');
  // 'ab' doubled 21 times is 4,194,304 characters: v21 is the first value past 4,000,000.
  assert.equal(MAX_RESOLVED_CHARS, 4_000_000);
  assert.equal(r.error.message, 'Too expensive to resolve: the value of `v21` grows past 4,000,000 characters.');
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
});

test('the 30-level bomb gets one diagnostic, on the expression that grows too much, within twice the budget', () => {
  const ctx = context();
  const d = doc('/cube/mlcube.yaml', BOMB, ctx);
  const t0 = performance.now();
  const ds = providers.mlcube!.validate(d, ctx);
  const ms = performance.now() - t0;
  assert.ok(ms < 2 * VALIDATION_BUDGET_MS, `took ${ms.toFixed(0)} ms`);
  assert.equal(ds.length, 1);
  const [only] = ds;
  assert.equal(only.code, TOO_EXPENSIVE);
  assert.equal(only.message, 'This document is too expensive to check (the value of `v21` grows past 4,000,000 characters), so CubeLab stopped checking it and shows no other problem in it. Simplify it to have it checked again.');
  // `${v21}`, the first of the two in `v22: ${v21}${v21}`.
  const line = BOMB.split('\n').findIndex((l) => l.startsWith('v22:'));
  assert.deepEqual(only.range, { start: { line, character: 5 }, end: { line, character: 11 } });
});

test('hover on the bomb says the value is too expensive, at once', () => {
  const ctx = context();
  const d = doc('/cube/mlcube.yaml', BOMB, ctx);
  const line = BOMB.split('\n').findIndex((l) => l.startsWith('v30:'));
  const t0 = performance.now();
  const h = providers.mlcube!.hover!(d, { line, character: 7 }, ctx);
  assert.ok(performance.now() - t0 < 1000);
  assert.equal((h?.contents as { value: string }).value, '`${v29}` → cannot be resolved: Too expensive to resolve: the value of `v21` grows past 4,000,000 characters.');
});

test('the time budget interrupts a validation that runs past it: one diagnostic, at the value being checked', () => {
  // 400 values that all resolve, validated with a budget of 0 ms: the first deadline check stops the work.
  const lines = ['name: slow', 'docker:', '  image: busybox', 'base: b'];
  for (let i = 0; i < 400; i++) lines.push(`k${i}: \${base}/${i}`);
  lines.push('tasks:', '  run: {entrypoint: x}');
  const ctx = context();
  const d = doc('/cube/mlcube.yaml', lines.join('\n') + '\n', ctx);
  assert.deepEqual(manifestProvider.validate(d, ctx), [], 'the manifest is fine');
  const ds = validateWithinBudget(d, () => manifestProvider.validate(d, ctx), 0);
  assert.equal(ds.length, 1);
  assert.equal(ds[0].code, TOO_EXPENSIVE);
  assert.equal(ds[0].message, 'This document is too expensive to check (checking it took more than 0 ms), so CubeLab stopped checking it and shows no other problem in it. Simplify it to have it checked again.');
  assert.deepEqual(ds[0].range, { start: { line: 4, character: 4 }, end: { line: 4, character: 13 } }, 'the value `${base}/0`');
});

test('an enclosing budget that runs out stops the inner work too, and is spent for what follows', () => {
  const r = withinBudget(0, () => {
    const inner = withinBudget(60_000, () => resolveValue('${a}', { a: '${b}', b: 'x' }, {}));
    assert.ok(inner.exceeded);
    return inner.value;
  });
  assert.ok(r.exceeded);
  assert.deepEqual(r.value, { ok: false, error: { code: 'too-expensive', message: 'Too expensive to resolve: checking it took more than 0 ms.', expr: '${a}' } });
});
