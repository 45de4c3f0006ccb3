/**
 * Long lines and lines without newlines, against the real engine: the engine's log driver splits a line over
 * 16 KB into several messages, each with its own timestamp; the stored line must be what the task printed.
 * A progress bar that only writes `\r` is bounded in memory and loses nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempWorkspace, newRunner, shellPlan, CollectingSink, removeContainer } from './helpers';
import { storedText } from '../contract/runContract';

test('a 40,000-character line and a carriage-return progress bar are stored as the task printed them', { timeout: 60_000 }, async () => {
  const { dir, store } = tempWorkspace('longlines');
  const runner = newRunner(store);
  const sink = new CollectingSink();
  const h = await runner.run({ manifest: join(dir, 'mlcube.yaml'), task: 'long', defaultNetwork: 'none', plan: shellPlan(
    'head -c 40000 /dev/zero | tr "\\0" "a"; echo; i=0; while [ $i -lt 5 ]; do i=$((i+1)); printf "step %s\\r" $i; done; echo done') }, sink);
  try {
    const o = await h.done;
    assert.equal(o.status, 'succeeded');
    const stored = storedText(store, h.runId);
    assert.equal(stored.length, 2);
    assert.equal(stored[0], 'a'.repeat(40000), 'no timestamp inside the line');
    assert.equal(stored[1], 'step 1\rstep 2\rstep 3\rstep 4\rstep 5\rdone');
    assert.equal(sink.lines[0], 'a'.repeat(40000), 'the terminal got it whole too');
  } finally { await removeContainer(h.containerId); await runner.dispose(); }
});
