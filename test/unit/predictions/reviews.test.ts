/**
 * reviews.jsonl (client/src/predictions/reviews.ts): the last action that was not undone holds, an undo reverts
 * to the action before it and survives a reload (a fresh read of the file), bad lines are skipped and counted, and
 * two processes appending to one file at the same time lose nothing of each other's (each window then folds in
 * the other's lines).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReviewsFile, parseReviewLine } from '../../../client/src/predictions/reviews';

const A = 'a'.repeat(64), B = 'b'.repeat(64), M = 'sha256:' + 'c'.repeat(64);

test('verdicts, corrections and undo; a reload reads the same state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-reviews-'));
  const file = join(dir, 'reviews.jsonl');
  const w = new ReviewsFile(file);
  await w.refresh();
  assert.equal(w.state.get(A, M).verdict, 'unreviewed');
  const first = await w.append({ sha256: A, model: M, verdict: 'valid' });
  const second = await w.append({ sha256: A, model: M, verdict: 'corrected', correction: { label: '7' } });
  await w.append({ sha256: B, model: M, verdict: 'invalid' });
  assert.deepEqual(w.state.get(A, M).correction, { label: '7' });
  await w.append({ undo: second.id });
  assert.equal(w.state.get(A, M).verdict, 'valid', 'an undo brings back the action before');
  assert.equal(w.state.get(A, 'sha256:other').verdict, 'unreviewed', 'per file and model');
  appendFileSync(file, '{broken\n{"v":2}\n');
  const reloaded = new ReviewsFile(file);
  await reloaded.refresh();
  assert.equal(reloaded.state.get(A, M).verdict, 'valid');
  assert.equal(reloaded.state.get(A, M).actionId, first.id);
  assert.equal(reloaded.state.get(B, M).verdict, 'invalid');
  assert.equal(reloaded.state.badLines, 2);
  await reloaded.append({ undo: first.id });
  await w.refresh();
  assert.equal(w.state.get(A, M).verdict, 'unreviewed', 'the other window sees the undo too');
  assert.equal(parseReviewLine(JSON.stringify({ v: 1, id: 'x', at: 't', sha256: A, model: M, verdict: 'maybe' })), undefined);
  assert.equal(parseReviewLine(JSON.stringify({ v: 1, id: 'x', at: 't', sha256: A, model: M, verdict: 'corrected', correction: { boxes: [{ label: 1 }] } })), undefined);
});

test('two processes appending at once: every line of both is there, whole, and both windows agree', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-reviews-'));
  const file = join(dir, 'reviews.jsonl');
  const script = `
    const { ReviewsFile } = require(${JSON.stringify(join(__dirname, '..', '..', '..', 'client/src/predictions/reviews.ts'))});
    (async () => {
      const w = new ReviewsFile(process.argv[1]);
      for (let k = 0; k < 300; k++) await w.append({ sha256: process.argv[2].repeat(63) + (k % 10), model: 'm', verdict: k % 2 ? 'valid' : 'invalid', correction: { label: 'x'.repeat(200) } });
    })();`;
  const run = (tag: string) => new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '-e', script, file, tag], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b) => { err += b; });
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(err))));
  });
  await Promise.all([run('d'), run('e')]);
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 600);
  assert.ok(lines.every((l) => parseReviewLine(l) !== undefined), 'no line torn or interleaved');
  const w = new ReviewsFile(file);
  await w.refresh();
  assert.equal(w.state.badLines, 0);
  assert.equal(w.state.get('d'.repeat(63) + '9', 'm').verdict, 'valid');
  assert.equal(w.state.get('e'.repeat(63) + '0', 'm').verdict, 'invalid');
});
