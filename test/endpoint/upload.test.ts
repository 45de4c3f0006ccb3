/**
 * Checkpoint uploads: streamed to disk with constant memory (busboy), whatever their size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GS, lastJson, runPython, startTestEndpoint } from './helpers';

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

test('a 256 MB checkpoint upload streams to disk: the endpoint\'s buffer memory stays flat', async (t) => {
  const { endpoint, root } = await startTestEndpoint(t);
  const size = 256 * 1024 * 1024;
  global.gc?.();
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 2);
  t.after(() => clearInterval(sampler));
  const sent = lastJson<{ status: number; sha256: string }>(await runPython('upload_stream.py', [endpoint.url, GS, '0', '3', 'model.pickle', String(size)], undefined, 180_000));
  clearInterval(sampler);
  assert.equal(sent.status, 200);
  const file = join(root, GS, '0', '3', 'model.pickle');
  assert.equal(statSync(file).size, size);
  assert.equal(await sha256(file), sent.sha256);
  assert.deepEqual(readdirSync(join(root, GS, '0', '3')), ['model.pickle'], 'no temporary file left');
  const grew = (peak - base) / (1024 * 1024);
  assert.ok(grew < 64, `buffers grew by ${grew.toFixed(1)} MB during a ${size / 1024 / 1024} MB upload`);
});
