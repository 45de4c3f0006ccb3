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
