import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogFrameParser, ResumeFilter, sinceParam } from '../../../client/src/backends/docker/logFrames';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

test('frames split anywhere still give whole lines with stream and timestamp', () => {
  const ts1 = '2026-11-23T08:45:00.000000001Z', ts2 = '2026-11-23T08:45:00.000000002Z';
  const all = Buffer.concat([frame(1, `${ts1} héllo\n`), frame(2, `${ts2} oops\n`), frame(1, `${ts2} tail`)]);
  for (let cut = 1; cut < all.length; cut += 7) {
    const p = new LogFrameParser();
    const lines = [...p.push(all.subarray(0, cut)), ...p.push(all.subarray(cut)), ...p.end()];
    assert.deepEqual(lines, [
      { ts: ts1, stream: 'out', text: 'héllo' },
      { ts: ts2, stream: 'err', text: 'oops' },
      { ts: ts2, stream: 'out', text: 'tail' },
    ], `cut at ${cut}`);
  }
});

test('since parameter keeps nanoseconds', () => {
  assert.equal(sinceParam('1970-01-01T00:00:10.123456789Z'), '10.123456789');
  assert.equal(sinceParam('2026-11-23T08:45:00.5Z'), `${Date.parse('2026-11-23T08:45:00Z') / 1000}.500000000`);
});

test('resuming skips older lines and the lines already stored at the boundary timestamp', () => {
  const f = new ResumeFilter({ ts: 'T2', countAtTs: 2 });
  const seen = ['T1', 'T2', 'T2', 'T2', 'T3'].map((ts, i) => f.keep({ ts, stream: 'out', text: String(i) }));
  assert.deepEqual(seen, [false, false, false, true, true]);
  assert.equal(new ResumeFilter(undefined).keep({ ts: 'T0', stream: 'out', text: '' }), true);
});

test('a line the engine split into 16 KB messages keeps its content: the timestamps of the continuations are not text', () => {
  const ts = ['2026-12-03T10:25:38.000000001Z', '2026-12-03T10:25:38.000000002Z', '2026-12-03T10:25:38.000000003Z'];
  const long = 'a'.repeat(16384) + 'b'.repeat(16384) + 'c'.repeat(100);
  const all = Buffer.concat([frame(1, `${ts[0]} ${long.slice(0, 16384)}`), frame(1, `${ts[1]} ${long.slice(16384, 32768)}`), frame(1, `${ts[2]} ${long.slice(32768)}\n`),
    frame(1, `${ts[2]} p1\rp2\rp3`), frame(1, `${ts[2]} end\n`)]);
  const p = new LogFrameParser();
  const lines = [...p.push(all), ...p.end()];
  assert.deepEqual(lines.map((l) => [l.ts, l.text.length]), [[ts[0], long.length], [ts[2], 'p1\rp2\rp3end'.length]]);
  assert.equal(lines[0]!.text, long);
  assert.equal(lines[1]!.text, 'p1\rp2\rp3end');
  // Without timestamps (the attach stream), text that looks like one stays text.
  const q = new LogFrameParser(false);
  assert.deepEqual([...q.push(Buffer.concat([frame(1, 'x'), frame(1, `${ts[0]} y\n`)])), ...q.end()].map((l) => l.text), [`x${ts[0]} y`]);
});

test('output without newlines is bounded: past 1 MiB a line is handed on in pieces, nothing lost', () => {
  const ts = '2026-12-03T10:25:38.000000001Z';
  const p = new LogFrameParser();
  const chunk = 'progress 42%\r'.repeat(1000);
  const out: string[] = [];
  let total = 0;
  for (let i = 0; i < 300; i++) {
    const text = i === 0 ? `${ts} ${chunk}` : `${ts} ${chunk}`;
    total += chunk.length;
    for (const l of p.push(frame(1, text))) out.push(l.text);
  }
  for (const l of p.end()) out.push(l.text);
  assert.ok(out.length >= 3, `${out.length} pieces`);
  assert.ok(out.every((t) => t.length <= (1 << 20)), 'no piece above 1 MiB');
  assert.equal(out.join('').length, total, 'every character kept');
});
