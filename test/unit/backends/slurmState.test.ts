/**
 * Slurm's job states as the Slurm backend reads them (client/src/backends/slurm/schedulerState.ts), from outputs
 * captured on the real single-node Slurm 22.05 of test/env/setup-slurm.sh (test/fixtures/slurm/capture.sh made
 * them: completed, failed with exit 3, cancelled, timed out on partition `tiny`, pending on resources, on a begin
 * time, held, and an array with one element running and the rest pending on its parallelism). The unit tier does
 * not start Slurm; states this machine cannot produce (out of memory without cgroups, a node failure, preemption)
 * are lines written in the same format, marked as such.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  accountingEnabled, expandJobId, isActiveState, mergeStates, parseMaxArraySize, parseSacct, parseSlurmConfig, parseSqueue,
  sacctArgs, sacctByNameArgs, squeueArgs, toWorkState, SACCT_FORMAT, type SlurmJobState,
} from '../../../client/src/backends/slurm/schedulerState';

const DIR = join(__dirname, '..', '..', 'fixtures', 'slurm');
const fixture = (name: string): string => readFileSync(join(DIR, name), 'utf8');

/** The one job named `name` (fixtures name each job cubelab-fx-<what>; the last submitted wins). */
function byName(states: Map<string, SlurmJobState>, name: string): SlurmJobState {
  const found = [...states.values()].filter((s) => s.name === name && s.arrayTaskId === undefined);
  assert.ok(found.length >= 1, `no job ${name} in ${[...states.keys()].join(' ')}`);
  return found.sort((a, b) => Number(b.jobId) - Number(a.jobId))[0];
}
/** The elements of the (last) array named `name`, by array task id. */
function elements(states: Map<string, SlurmJobState>, name: string): Map<number, SlurmJobState> {
  const all = [...states.values()].filter((s) => s.name === name && s.arrayTaskId !== undefined);
  const last = Math.max(...all.map((s) => Number(s.jobId)));
  return new Map(all.filter((s) => Number(s.jobId) === last).map((s) => [s.arrayTaskId!, s]));
}

test('sacct while jobs wait and run: every job and every array element, pending ranges expanded', () => {
  const s = parseSacct(fixture('sacct-busy.txt'));
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-ok')), { state: 'exited', exitCode: 0 });
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-fail')), { state: 'exited', exitCode: 3 });
  const cancel = byName(s, 'cubelab-fx-cancel');
  assert.equal(cancel.state, 'CANCELLED');
  assert.equal(cancel.rawState, 'CANCELLED by 0');
  assert.equal(cancel.nodeList, undefined, '"None assigned" is no node');
  assert.deepEqual(toWorkState(cancel), { state: 'exited', exitCode: null, reason: 'cancelled (by uid 0)' });
  assert.deepEqual(toWorkState(cancel, { exitCodeFile: 143 }), { state: 'exited', exitCode: 143, reason: 'cancelled (by uid 0)' });
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-timeout')), { state: 'running' });
  assert.equal(byName(s, 'cubelab-fx-timeout').nodeList, 'vm');
  assert.equal(toWorkState(byName(s, 'cubelab-fx-big')).state, 'queued');
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-later')), { state: 'queued', reason: 'BeginTime (waiting for its start time)' });
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-held')), { state: 'queued', reason: 'JobHeldUser (held by the user)' });
  const arr = elements(s, 'cubelab-fx-array');
  assert.deepEqual([...arr.keys()].sort(), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(toWorkState(arr.get(0)), { state: 'running' });
  for (const i of [1, 2, 3, 4, 5]) assert.equal(toWorkState(arr.get(i)).state, 'queued');
  assert.equal(arr.get(3)!.key, `${arr.get(3)!.jobId}_3`);
});

test('sacct after the time limit: TIMEOUT; an element with its own line wins over a range that still lists it', () => {
  const s = parseSacct(fixture('sacct-timeout.txt'));
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-timeout')), { state: 'exited', exitCode: null, reason: 'exceeded its time limit' });
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-timeout'), { exitCodeFile: 143 }), { state: 'exited', exitCode: 143, reason: 'exceeded its time limit' });
  const text = fixture('sacct-timeout.txt');
  const range = /^(\d+)_\[(\d+)-(\d+)%1\]/m.exec(text);
  assert.ok(range, 'the capture holds a pending range');
  const own = new RegExp(`^${range[1]}_${range[2]}\\|[^|]*\\|RUNNING\\|`, 'm');
  assert.match(text, own, 'and the same element running on a line of its own');
  const arr = elements(s, 'cubelab-fx-array');
  assert.equal(arr.get(Number(range[2]))!.state, 'RUNNING');
  assert.equal(arr.get(Number(range[3]))!.state, 'PENDING');
  // Read in the other order, the element's own line still wins.
  const reversed = parseSacct(text.trim().split('\n').reverse().join('\n'));
  assert.equal(reversed.get(`${range[1]}_${range[2]}`)!.state, 'RUNNING');
});

test('sacct when everything ended: the array completed, the waiting jobs cancelled', () => {
  const s = parseSacct(fixture('sacct-done.txt'));
  for (const e of elements(s, 'cubelab-fx-array').values()) assert.deepEqual(toWorkState(e), { state: 'exited', exitCode: 0 });
  assert.equal(elements(s, 'cubelab-fx-array').size, 6);
  for (const n of ['cubelab-fx-big', 'cubelab-fx-later', 'cubelab-fx-held']) assert.equal(toWorkState(byName(s, n)).state, 'exited');
  assert.ok([...s.values()].every((x) => !isActiveState(x.state)));
  assert.equal(byName(s, 'cubelab-fx-timeout').elapsed, '00:01:15');
});

test('squeue (accounting off): live reasons, pending ranges expanded, finished jobs until MinJobAge', () => {
  const s = parseSqueue(fixture('squeue-busy.txt'));
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-big')), { state: 'queued', reason: 'Resources (waiting for resources)' });
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-held')), { state: 'queued', reason: 'JobHeldUser (held by the user)' });
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-ok')), { state: 'exited', exitCode: 0 });
  // squeue has no exit code: a failed job's code comes from its exit_code file.
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-fail')), { state: 'exited', exitCode: null });
  assert.deepEqual(toWorkState(byName(s, 'cubelab-fx-fail'), { exitCodeFile: 3 }), { state: 'exited', exitCode: 3 });
  assert.match(toWorkState(byName(s, 'cubelab-fx-cancel')).state, /exited/);
  assert.equal((toWorkState(byName(s, 'cubelab-fx-cancel')) as { reason?: string }).reason, 'cancelled');
  const arr = elements(s, 'cubelab-fx-array');
  assert.deepEqual(toWorkState(arr.get(0)), { state: 'running' });
  for (const i of [1, 2, 3, 4, 5]) {
    assert.deepEqual(toWorkState(arr.get(i)), { state: 'queued', reason: 'JobArrayTaskLimit (waiting: the sweep\'s parallelism is reached)' });
  }
  const t = parseSqueue(fixture('squeue-timeout.txt'));
  assert.deepEqual(toWorkState(byName(t, 'cubelab-fx-timeout')), { state: 'exited', exitCode: null, reason: 'exceeded its time limit' });
  assert.equal(byName(t, 'cubelab-fx-timeout').reason, 'TimeLimit');
  const d = parseSqueue(fixture('squeue-done.txt'));
  assert.ok(![...d.values()].some((x) => x.name === 'cubelab-fx-ok'), 'squeue forgot the job that ended long ago');
  const okId = byName(s, 'cubelab-fx-ok').key;
  assert.deepEqual(toWorkState(d.get(okId)), { state: 'gone', reason: 'Slurm does not know the job (any more)' });
});

test('a sweep of generated batch scripts, one element cancelled, then the array (docker via sacct, podman via squeue)', () => {
  const s = parseSacct(fixture('sacct-cancelled-sweep.txt'));
  assert.equal(s.size, 3);
  // Slurm's ExitCode of a cancelled batch script is 0:0; the element's exit_code file says 143.
  for (const i of [0, 1, 2]) assert.deepEqual(toWorkState(s.get(`65_${i}`), { exitCodeFile: 143 }), { state: 'exited', exitCode: 143, reason: 'cancelled (by uid 0)' });
  const q = parseSqueue(fixture('squeue-cancelled-sweep.txt'));
  assert.deepEqual(toWorkState(q.get('12_0')), { state: 'exited', exitCode: null, reason: 'cancelled' });
  assert.deepEqual(toWorkState(q.get('12_1')), { state: 'running' });
  assert.equal(toWorkState(q.get('12_3')).state, 'queued');
  assert.equal(q.get('12_3')!.arrayTaskId, 3);
});

test('sacct and squeue together: squeue\'s live reason for what sacct calls active, sacct\'s final states', () => {
  const sacct = parseSacct('10|cubelab-r|PENDING|0:0|None|00:00:00|None assigned\n11_0|cubelab-s|COMPLETED|0:0|JobArrayTaskLimit|00:00:15|vm\n11_[1-3%1]|cubelab-s|PENDING|0:0|None|00:00:00|None assigned\n');
  const squeue = parseSqueue('10|cubelab-r|PENDING|Resources\n11_[2-3%1]|cubelab-s|PENDING|JobArrayTaskLimit\n11_1|cubelab-s|RUNNING|None\n11_0|cubelab-s|COMPLETING|None\n12|cubelab-t|RUNNING|None\n');
  const m = mergeStates(sacct, squeue);
  assert.deepEqual(toWorkState(m.get('10')), { state: 'queued', reason: 'Resources (waiting for resources)' });
  assert.deepEqual(toWorkState(m.get('11_0')), { state: 'exited', exitCode: 0 });
  assert.deepEqual(toWorkState(m.get('11_1')), { state: 'running' });
  assert.equal(m.get('11_3')!.reason, 'JobArrayTaskLimit');
  assert.deepEqual(toWorkState(m.get('12')), { state: 'running' });
});

test('scontrol show config: MaxArraySize and whether accounting is on', () => {
  const on = fixture('scontrol-show-config.txt');
  // The two lines `scontrol show config | grep -E 'MaxArraySize|AccountingStorageType'` printed after
  // `setup-slurm.sh --accounting none --max-array 10`.
  const off = 'AccountingStorageType   = accounting_storage/none\nMaxArraySize            = 10\n';
  assert.equal(parseMaxArraySize(on), 1001);
  assert.equal(parseMaxArraySize(off), 10);
  assert.equal(accountingEnabled(on), true);
  assert.equal(accountingEnabled(off), false);
  assert.equal(parseSlurmConfig(on).get('ClusterName'), 'cubelab');
  assert.equal(parseSlurmConfig(on).get('MinJobAge'), '30 sec');
  assert.equal(parseSlurmConfig(on).get('KillWait'), '10 sec');
  assert.equal(parseMaxArraySize('nothing here'), undefined);
  assert.equal(accountingEnabled(''), undefined);
});

test('job ids: plain, elements, pending ranges with lists, steps and throttles', () => {
  assert.deepEqual(expandJobId('1234'), { jobId: '1234' });
  assert.deepEqual(expandJobId('1234+1'), { jobId: '1234' });
  assert.deepEqual(expandJobId('1234_7'), { jobId: '1234', taskIds: [7] });
  assert.deepEqual(expandJobId('1234_[0-3%2]'), { jobId: '1234', taskIds: [0, 1, 2, 3] });
  assert.deepEqual(expandJobId('1234_[1,3-5,9]'), { jobId: '1234', taskIds: [1, 3, 4, 5, 9] });
  assert.deepEqual(expandJobId('1234_[0-8:4]'), { jobId: '1234', taskIds: [0, 4, 8] });
  assert.deepEqual(expandJobId('1234_[5]'), { jobId: '1234', taskIds: [5] });
  for (const bad of ['', 'JobID', '12a', '1234_[3-1]', '1234_[x]', '1234.batch']) assert.equal(expandJobId(bad), undefined, bad);
});

test('lines Slurm prints for states this machine cannot produce (written in its format)', () => {
  // Written by hand in sacct's -P format: out of memory (the cgroup plugin is not used here), a node failure,
  // preemption, a boot failure, a deadline, a suspended and a requeued job, and a job name holding "|".
  const s = parseSacct([
    'JobID|JobName|State|ExitCode|Reason|Elapsed|NodeList',
    '90|cubelab-a|OUT_OF_MEMORY|0:125|None|00:01:00|node1',
    '91|cubelab-b|NODE_FAIL|0:0|None|00:10:00|node7',
    '92|cubelab-c|PREEMPTED|0:15|None|00:05:00|node2',
    '93|cubelab-d|BOOT_FAIL|0:0|None|00:00:00|node3',
    '94|cubelab-e|DEADLINE|0:0|None|00:00:00|None assigned',
    '95|cubelab-f|SUSPENDED|0:0|None|00:03:00|node4',
    '96|cubelab-g|REQUEUED|0:0|None|00:00:00|None assigned',
    '97|odd|name|COMPLETING|0:0|None|00:00:01|node5',
    '98_3|cubelab-h|FAILED|0:9|None|00:00:01|node5\r',
    '',
  ].join('\n'));
  assert.deepEqual(toWorkState(s.get('90')), { state: 'exited', exitCode: null, reason: 'ran out of memory', oom: true });
  assert.deepEqual(toWorkState(s.get('90'), { exitCodeFile: 137 }), { state: 'exited', exitCode: 137, reason: 'ran out of memory', oom: true });
  assert.deepEqual(toWorkState(s.get('91')), { state: 'exited', exitCode: null, reason: 'its node failed (node7)', targetLost: true });
  assert.deepEqual(toWorkState(s.get('92')), { state: 'exited', exitCode: null, reason: 'preempted by the scheduler' });
  assert.deepEqual(toWorkState(s.get('93')), { state: 'exited', exitCode: null, reason: 'its node failed to boot', targetLost: true });
  assert.deepEqual(toWorkState(s.get('94')), { state: 'exited', exitCode: null, reason: 'reached its deadline' });
  assert.deepEqual(toWorkState(s.get('95')), { state: 'queued', reason: 'suspended by the scheduler' });
  assert.deepEqual(toWorkState(s.get('96')), { state: 'queued', reason: 'requeued' });
  assert.equal(s.get('97')!.name, 'odd|name');
  assert.deepEqual(toWorkState(s.get('97')), { state: 'running' });
  assert.deepEqual(toWorkState(s.get('98_3')), { state: 'exited', exitCode: 137 });
  assert.equal(s.get('98_3')!.nodeList, 'node5');
  assert.equal(s.size, 9, 'the header line is no job');
  const q = parseSqueue('JOBID|NAME|STATE|REASON\n99|cubelab-i|CONFIGURING|None\n100|cubelab-j|SIGNALING|None\n');
  assert.deepEqual(toWorkState(q.get('99')), { state: 'running' });
  assert.deepEqual(toWorkState(q.get('100')), { state: 'running' });
});

test('the poll commands: one call for all of a workspace\'s jobs', () => {
  assert.deepEqual(sacctArgs(['68', '72']), ['-X', '-P', '-n', `--format=${SACCT_FORMAT}`, '--jobs=68,72']);
  assert.deepEqual(sacctByNameArgs(['cubelab-a', 'cubelab-b'], 'now-7days'), ['-X', '-P', '-n', `--format=${SACCT_FORMAT}`, '--name=cubelab-a,cubelab-b', '--starttime=now-7days']);
  assert.deepEqual(squeueArgs(['cubelab-a']), ['-h', '-t', 'all', '-o', '%i|%j|%T|%r', '--name=cubelab-a']);
});
