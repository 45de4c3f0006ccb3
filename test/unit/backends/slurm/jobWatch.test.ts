/**
 * The Slurm job watch's reading, against real files and a real shell, with a STAND-IN `sacct` on the PATH (a
 * script printing what the test sets): lines across polls, a partial last line, a resumed cursor, exit codes,
 * a status query that fails, and one status call per poll whatever the number of jobs. The slurm tier runs the
 * same code against a real Slurm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalShell } from '../../../../client/src/backends/slurm/clusterShell';
import { JobWatch } from '../../../../client/src/backends/slurm/jobWatch';

function world() {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-watch-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const state = join(dir, 'squeue.txt');
  const history = join(dir, 'sacct.txt');
  const calls = join(dir, 'calls.log');
  writeFileSync(state, '');
  writeFileSync(history, '');
  // The stand-ins: print their state file, fail when it says FAIL; log each call.
  for (const [cmd, file] of [['squeue', state], ['sacct', history]] as const) {
    writeFileSync(join(bin, cmd), `#!/bin/sh\necho "${cmd} $*" >> '${calls}'\ngrep -q '^FAIL' '${file}' && { echo '${cmd}: error: Unable to contact slurm controller' >&2; exit 1; }\ncat '${file}'\n`);
    chmodSync(join(bin, cmd), 0o755);
  }
  const shell = new LocalShell({ PATH: `${bin}:${process.env.PATH}` });
  const el = (i: number) => { const d = join(dir, 'run', 'elements', String(i)); mkdirSync(d, { recursive: true }); return d; };
  const set = (lines: string[]) => writeFileSync(state, lines.join('\n') + '\n');
  const setHistory = (lines: string[]) => writeFileSync(history, lines.join('\n') + '\n');
  const callCount = (cmd: string) => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n').filter((l) => l.startsWith(`${cmd} `)).length : 0);
  return { dir, shell, el, set, setHistory, callCount, calls };
}

/** A squeue line (`%i|%j|%T|%r`) and a sacct line (`JobID,JobName,State,ExitCode,Reason,Elapsed,NodeList`). */
const row = (id: string, state: string, _exit = '0:0', reason = 'None') => `${id}|cubelab-r1|${state}|${reason}`;
const hist = (id: string, state: string, exit = '0:0') => `${id}|cubelab-r1|${state}|${exit}|None|00:00:01|vm`;

const texts = (t: { lines: { text: string }[] } | undefined): string[] => (t ? t.lines.map((l) => l.text) : []);

test('job watch: lines come whole across polls, a partial line waits, the end flushes it; the exit code file wins', async () => {
  const w = world();
  const watch = new JobWatch(w.shell, { accounting: async () => true, minMs: 50, maxMs: 200 });
  try {
    const d0 = w.el(0);
    w.set([row('100_[0-1]', 'PENDING', '0:0', 'Resources')]);
    watch.follow('100_0', 'cubelab-r1', d0);
    await watch.next();
    assert.deepEqual(await watch.state('100_0'), { state: 'queued', reason: 'Resources (waiting for resources)' });
    writeFileSync(join(d0, 'output.log'), 'alpha\nbeta\r\npar');
    w.set([row('100_0', 'RUNNING'), row('100_[1]', 'PENDING', '0:0', 'JobArrayTaskLimit')]);
    await watch.next(); // learns it runs
    await watch.next(); // reads (pending elements are not read)
    assert.deepEqual(await watch.state('100_0'), { state: 'running' });
    const first = watch.take('100_0');
    assert.deepEqual(texts(first), ['alpha', 'beta\r']);
    assert.equal(first?.cursor, 12, 'the cursor is the end of the last whole line');
    appendFileSync(join(d0, 'output.log'), 'tial\nlast without newline');
    writeFileSync(join(d0, 'exit_code'), '3\n');
    w.set([row('100_0', 'FAILED', '3:0', 'NonZeroExitCode')]);
    await watch.next();
    await watch.next();
    assert.deepEqual(await watch.state('100_0'), { state: 'exited', exitCode: 3 });
    assert.ok(watch.finished('100_0'));
    assert.deepEqual(texts(watch.take('100_0')), ['partial', 'last without newline']);
  } finally { watch.dispose(); }
});

test('job watch: a resumed cursor reads on from there; one squeue per poll for 30 jobs; while it fails, the known states stay and sacct fills in', async () => {
  const w = world();
  const dirs = Array.from({ length: 30 }, (_, i) => w.el(i));
  dirs.forEach((d, i) => writeFileSync(join(d, 'output.log'), `e${i} one\ne${i} two\n`));
  w.set(dirs.map((_, i) => row(`200_${i}`, 'RUNNING')));
  const watch = new JobWatch(w.shell, { accounting: async () => true, minMs: 30, maxMs: 100 });
  try {
    dirs.forEach((d, i) => watch.follow(`200_${i}`, 'cubelab-r1', d, i === 7 ? 'e7 one\n'.length : undefined));
    await watch.next();
    await watch.next();
    assert.deepEqual(texts(watch.take('200_3')), ['e3 one', 'e3 two']);
    assert.deepEqual(texts(watch.take('200_7')), ['e7 two'], 'resumed after the stored line');
    const polls = watch.stats.polls;
    assert.equal(w.callCount('squeue'), polls, `${w.callCount('squeue')} squeue calls for ${polls} polls of 30 jobs`);
    assert.equal(w.callCount('sacct'), 0, 'the accounting database is not asked about jobs the controller lists');
    assert.match(readFileSync(w.calls, 'utf8').split('\n')[0] ?? '', /--name=cubelab-r1$/, 'one query by job name');
    // The controller restarts: squeue fails; the accounting database answers for the jobs meanwhile.
    w.set(['FAIL']);
    w.setHistory(['FAIL']);
    const before = watch.stats.failures;
    await watch.next();
    assert.ok(watch.stats.failures > before);
    assert.deepEqual(await watch.state('200_3'), { state: 'running' }, 'nothing is forgotten while Slurm does not answer');
    w.setHistory(dirs.map((_, i) => hist(`200_${i}`, i === 3 ? 'COMPLETED' : 'RUNNING')));
    writeFileSync(join(dirs[3]!, 'exit_code'), '0\n');
    await watch.next();
    await watch.next();
    assert.deepEqual(await watch.state('200_3'), { state: 'exited', exitCode: 0 }, 'sacct, in the same round trip, while squeue fails');
    assert.match(readFileSync(w.calls, 'utf8').trim().split('\n').pop() ?? '', /^sacct .*--jobs=200$/, 'one sacct for the array, by its id');
  } finally { watch.dispose(); }
});

test('job watch: a job Slurm never lists is "gone" after the grace period only when it left no exit code', async () => {
  const w = world();
  const d = w.el(0);
  writeFileSync(join(d, 'exit_code'), '0\n');
  w.set([]);
  const watch = new JobWatch(w.shell, { accounting: async () => true, minMs: 30, maxMs: 100 });
  try {
    watch.follow('300', 'cubelab-r1', d, undefined, 0);
    await watch.next();
    await watch.next();
    assert.deepEqual(await watch.state('300'), { state: 'exited', exitCode: 0 }, 'forgotten by squeue, but its exit code says how it ended');
    const d1 = w.el(1);
    watch.follow('301', 'cubelab-r1', d1, undefined, 0);
    watch.follow('302', 'cubelab-r1', w.el(2));
    await watch.next();
    await watch.next();
    assert.equal((await watch.state('301')).state, 'gone');
    assert.deepEqual(await watch.state('302'), { state: 'queued', reason: 'Submitted; waiting for Slurm to list it.' }, 'sacct lags behind sbatch');
  } finally { watch.dispose(); }
});
