import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempWorkspace, newRunner, shellPlan } from './helpers';

test('a chatty container (100,000 lines) loses no line on disk', async () => {
  const { dir, store } = tempWorkspace('chatty');
  const runner = newRunner(store);
  let seen = 0;
  const t0 = Date.now();
  const h = await runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 'chatty', defaultNetwork: 'none', plan: shellPlan('seq 1 100000') },
    { line: () => { seen++; }, info: () => undefined });
  const o = await h.done;
  const took = Date.now() - t0;
  assert.equal(o.status, 'succeeded');
  const lines = readFileSync(store.logPath(h.runId), 'utf8').split('\n').filter((l) => /^\S+ out /.test(l));
  assert.equal(lines.length, 100000);
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].slice(lines[i].indexOf(' out ') + 5);
    if (text !== String(i + 1)) assert.fail(`line ${i + 1} on disk is "${text}"`);
  }
  assert.equal(seen, 100000, 'the sink saw every line too');
  console.log(`100,000 lines from container start to the record's end in ${took} ms`);
});
