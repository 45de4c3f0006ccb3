/**
 * Checkpoint uploads: streamed to disk with constant memory (busboy), whatever their size; a size limit per
 * upload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
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

/** Sends only the headers of a POST declaring `length` bytes and resolves with the answer (or the close). */
function declareOnly(port: number, path: string, length: number): Promise<{ status?: number; closed: boolean }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, closed: res.headers.connection === 'close' }));
    });
    req.on('error', () => resolve({ closed: true }));
    req.flushHeaders();
  });
}

test('a size limit per upload: over it is 413 and leaves nothing; a body declared too large is refused unread', async (t) => {
  const limit = 1024 * 1024;
  const { endpoint, root } = await startTestEndpoint(t, { maxUploadBytes: limit });
  const at = lastJson<{ status: number }>(await runPython('upload_stream.py', [endpoint.url, GS, '0', '1', 'model.pickle', String(limit)]));
  assert.equal(at.status, 200, 'exactly the limit is accepted');
  assert.equal(statSync(join(root, GS, '0', '1', 'model.pickle')).size, limit);

  const over = lastJson<{ status: number }>(await runPython('upload_stream.py', [endpoint.url, GS, '0', '2', 'model.pickle', String(limit + 1)]));
  assert.equal(over.status, 413, 'one byte over is refused');
  const big = lastJson<{ status: number }>(await runPython('upload_stream.py', [endpoint.url, GS, '0', '2', 'optimizer.pickle', String(8 * limit)]));
  assert.equal(big.status, 413);
  assert.equal(existsSync(join(root, GS, '0', '2')) ? readdirSync(join(root, GS, '0', '2')).length : 0, 0, 'no partial or temporary file');

  // The earlier form (base64 in the field `file`) is held to the same limit, on the decoded bytes.
  const legacy = new FormData();
  legacy.append('file', new Blob([Buffer.alloc(limit + 3000, 7).toString('base64')]), 'blob');
  assert.equal((await fetch(`${endpoint.url}/checkpoints/${GS}/0/4/lr_scheduler.pickle`, { method: 'POST', body: legacy })).status, 413);
  assert.equal(existsSync(join(root, GS, '0', '4', 'lr_scheduler.pickle')), false);

  const declared = await declareOnly(endpoint.port, `/checkpoints/${GS}/0/3`, 100 * 1024 * 1024 * 1024);
  assert.equal(declared.status, 413, 'a 100 GB declaration is answered at once');
  assert.ok(declared.closed, 'and the connection is closed instead of drained');
  assert.equal(existsSync(join(root, GS, '0', '3')), false);
});

/** A raw multipart upload whose body is written by the test, piece by piece. */
function rawUpload(port: number, path: string, name: string, bytes: number) {
  const boundary = 'raw-upload-boundary';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="checkpoint_file"; filename="${name}"\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  let settle!: (r: { status?: number; error?: string }) => void;
  const answered = new Promise<{ status?: number; error?: string }>((resolve) => (settle = resolve));
  let done = false;
  const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + bytes + tail.length) } }, (res) => {
    res.resume();
    res.on('end', () => { done = true; settle({ status: res.statusCode }); });
  });
  req.on('error', (e) => { done = true; settle({ error: e.message }); });
  req.write(head);
  return {
    answered,
    get done() { return done; },
    send: (n: number) => req.write(Buffer.alloc(n, 1)),
    finish: () => req.end(tail),
  };
}

test('a bound on concurrent uploads: beyond it uploads wait their turn unread, beyond the queue 503', async (t) => {
  const { endpoint, root } = await startTestEndpoint(t, { maxConcurrentUploads: 1, maxQueuedUploads: 1 });
  const path = (epoch: number) => `/checkpoints/${GS}/0/${epoch}`;
  const a = rawUpload(endpoint.port, path(1), 'model.pickle', 2000);
  a.send(1000);
  await new Promise((r) => setTimeout(r, 200));
  const b = rawUpload(endpoint.port, path(2), 'model.pickle', 2000);
  b.send(2000);
  b.finish();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(b.done, false, 'the second upload waits while the first one runs');
  assert.equal(existsSync(join(root, GS, '0', '2')), false);
  const c = rawUpload(endpoint.port, path(3), 'model.pickle', 2000);
  c.send(2000);
  c.finish();
  const third = await c.answered;
  assert.ok(third.status === 503 || third.error !== undefined, JSON.stringify(third));
  if (third.status !== undefined) assert.equal(third.status, 503);
  assert.equal(existsSync(join(root, GS, '0', '3')), false);
  a.send(1000);
  a.finish();
  assert.deepEqual(await a.answered, { status: 200 });
  assert.deepEqual(await b.answered, { status: 200 }, 'the waiting upload goes on once the first is done');
  assert.equal(statSync(join(root, GS, '0', '2', 'model.pickle')).size, 2000);
  // A fourth, now that nothing runs, goes straight through.
  const d = rawUpload(endpoint.port, path(4), 'model.pickle', 10);
  d.send(10);
  d.finish();
  assert.deepEqual(await d.answered, { status: 200 });
});
