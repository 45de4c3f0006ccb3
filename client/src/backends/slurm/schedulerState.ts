/**
 * What Slurm says about jobs, read from its own commands' output, and what that means for the run layer.
 * One batched query per poll for all of a workspace's jobs:
 *   sacct  -X -P -n --format=JobID,JobName,State,ExitCode,Reason,Elapsed,NodeList -j <id,id,…>
 *   squeue -h -t all -o '%i|%j|%T|%r' --name=<name,name,…>   (where accounting is off: AccountingStorageType=none)
 * Both print one line per job, per started array element (`1234_5`) and per range of array elements that have
 * not started (`1234_[6-19%4]`); ranges are expanded, so the map has a key per element. Pure: text in, data out.
 *
 * What the real Slurm 22.05 showed (test/fixtures/slurm/): sacct filtered by `--name` (with any `--starttime`)
 * leaves out pending jobs that are not yet eligible (held, a begin time) and an array's pending range: ask it by
 * job ids (`-j`, no time window then). sacct's Reason is stale (a running or finished element still says
 * JobArrayTaskLimit, a job pending on resources says None): only squeue's reason of a pending job is live, so
 * `mergeStates` lets squeue's view of active jobs win where both were asked. A range may still list an element
 * that already has its own line (`59_1` RUNNING and `59_[1-3%1]` PENDING): the element's own line wins.
 * squeue forgets a job MinJobAge seconds after its end; sacct's ExitCode of a cancelled or timed-out batch job is
 * 0:0: the element's exit_code file (batchScript.ts) is what says how the container ended.
 */
import type { WorkState } from '../../runs/backend';

export const SACCT_FORMAT = 'JobID,JobName,State,ExitCode,Reason,Elapsed,NodeList';
export const SQUEUE_FORMAT = '%i|%j|%T|%r';

/** sacct's argument list for one poll: by job ids (an array's id covers its elements). */
export function sacctArgs(jobIds: readonly string[]): string[] {
  return ['-X', '-P', '-n', `--format=${SACCT_FORMAT}`, `--jobs=${jobIds.join(',')}`];
}

/**
 * sacct's argument list to find jobs by name (after a reload that lost the job ids): only jobs eligible since
 * `startTime` (Slurm's forms: `now-7days`, `2024-01-31T10:00`), so not held or begin-time ones.
 */
export function sacctByNameArgs(jobNames: readonly string[], startTime: string): string[] {
  return ['-X', '-P', '-n', `--format=${SACCT_FORMAT}`, `--name=${jobNames.join(',')}`, `--starttime=${startTime}`];
}

/** squeue's argument list for one poll: every state slurmctld still holds (finished jobs for MinJobAge seconds). */
export function squeueArgs(jobNames: readonly string[]): string[] {
  return ['-h', '-t', 'all', '-o', SQUEUE_FORMAT, `--name=${jobNames.join(',')}`];
}

export interface SlurmJobState {
  /** `1234` for a job, `1234_5` for an array element. */
  key: string;
  /** The job id (the array's id for an element). */
  jobId: string;
  /** The element's array task id (not the sweep element index: add the chunk's offset). */
  arrayTaskId?: number;
  name: string;
  /** Slurm's state, one word (`CANCELLED`, `PENDING`, …). */
  state: string;
  /** The state as printed (`CANCELLED by 0`). */
  rawState: string;
  /** Slurm's reason (`Resources`, `Priority`, `JobArrayTaskLimit`); undefined for `None`. */
  reason?: string;
  /** From sacct's `code:signal`. */
  exitCode?: number;
  signal?: number;
  elapsed?: string;
  nodeList?: string;
  source: 'sacct' | 'squeue';
}

/** `1234`, `1234_5`, `1234_[0-3,7%2]`, `1234_[5]` → one key per job or element; undefined when not a job id. */
export function expandJobId(id: string): { jobId: string; taskIds?: number[] } | undefined {
  const plain = /^(\d+)(?:\+\d+)?$/.exec(id);
  // Every group used below without a check is not optional in its pattern.
  if (plain) return { jobId: plain[1]! };
  const one = /^(\d+)_(\d+)$/.exec(id);
  if (one) return { jobId: one[1]!, taskIds: [Number(one[2])] };
  const range = /^(\d+)_\[([0-9,\-:]+)(?:%\d+)?\]$/.exec(id);
  if (!range) return undefined;
  const taskIds: number[] = [];
  for (const part of range[2]!.split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part);
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : from;
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (to < from || step < 1 || (to - from) / step > 4_000_000) return undefined;
    for (let i = from; i <= to; i += step) taskIds.push(i);
  }
  return { jobId: range[1]!, taskIds };
}

export const jobKey = (jobId: string, arrayTaskId?: number): string => (arrayTaskId === undefined ? jobId : `${jobId}_${arrayTaskId}`);

/** The first word of a state (`CANCELLED by 0` → `CANCELLED`), without squeue's/sacct's `+` marks. */
const stateWord = (s: string): string => (s.trim().split(/\s+/)[0] ?? '').replace(/\+$/, '').toUpperCase();

function add(out: Map<string, SlurmJobState>, id: string, fields: Omit<SlurmJobState, 'key' | 'jobId' | 'arrayTaskId'>): void {
  const e = expandJobId(id);
  if (!e) return;
  if (!e.taskIds) { out.set(e.jobId, { key: e.jobId, jobId: e.jobId, ...fields }); return; }
  for (const t of e.taskIds) {
    const key = jobKey(e.jobId, t);
    // A started element's own line wins over a range that still names it (a poll between two states).
    if (out.has(key) && /^\d+_\[/.test(id)) continue;
    out.set(key, { key, jobId: e.jobId, arrayTaskId: t, ...fields });
  }
}

/** Splits a `|` line of `n` fields where the job name (field `nameAt`) may itself hold `|`. */
function fieldsOf(line: string, n: number, nameAt: number): string[] | undefined {
  const parts = line.split('|');
  if (parts.length < n) return undefined;
  if (parts.length === n) return parts;
  const extra = parts.length - n;
  return [...parts.slice(0, nameAt), parts.slice(nameAt, nameAt + extra + 1).join('|'), ...parts.slice(nameAt + extra + 1)];
}

const reasonOf = (r: string | undefined): string | undefined => {
  const t = (r ?? '').trim();
  return t === '' || t === 'None' || t === '(null)' ? undefined : t;
};

/** `sacct -X -P -n --format=JobID,JobName,State,ExitCode,Reason,Elapsed,NodeList` output. */
export function parseSacct(text: string): Map<string, SlurmJobState> {
  const out = new Map<string, SlurmJobState>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = fieldsOf(line.replace(/\r$/, ''), 7, 1);
    if (!f || f[0] === 'JobID') continue;
    const [id = '', name = '', rawState = '', exit = '', reason, elapsed = '', nodes = ''] = f; // fieldsOf gives all 7
    const ec = /^(\d+):(\d+)$/.exec(exit.trim());
    add(out, id.trim(), {
      name, state: stateWord(rawState), rawState: rawState.trim(), reason: reasonOf(reason),
      ...(ec ? { exitCode: Number(ec[1]), signal: Number(ec[2]) } : {}),
      ...(elapsed.trim() ? { elapsed: elapsed.trim() } : {}),
      ...(nodes.trim() && nodes.trim() !== 'None assigned' ? { nodeList: nodes.trim() } : {}),
      source: 'sacct',
    });
  }
  return out;
}

/** `squeue -h -o '%i|%j|%T|%r'` output. */
export function parseSqueue(text: string): Map<string, SlurmJobState> {
  const out = new Map<string, SlurmJobState>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = fieldsOf(line.replace(/\r$/, ''), 4, 1);
    if (!f || f[0] === 'JOBID') continue;
    const [id = '', name = '', rawState = '', reason] = f; // fieldsOf gives all 4
    add(out, id.trim(), { name, state: stateWord(rawState), rawState: rawState.trim(), reason: reasonOf(reason), source: 'squeue' });
  }
  return out;
}

const ACTIVE = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT', 'RESIZING', 'SUSPENDED', 'STOPPED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SPECIAL_EXIT']);

/** Whether Slurm may still change the state (the job waits, runs or is being cleaned up). */
export function isActiveState(state: string): boolean {
  return ACTIVE.has(state);
}

/**
 * sacct's map with squeue's live view: where sacct still calls a job active, squeue's state and reason (live)
 * win; a final state stays sacct's, with its exit code. Keys only squeue knows are added.
 */
export function mergeStates(sacct: Map<string, SlurmJobState>, squeue: Map<string, SlurmJobState>): Map<string, SlurmJobState> {
  const out = new Map(sacct);
  for (const [k, q] of squeue) {
    const a = out.get(k);
    if (!a) out.set(k, q);
    else if (isActiveState(a.state)) out.set(k, { ...a, state: q.state, rawState: q.rawState, reason: q.reason, source: 'squeue' });
  }
  return out;
}

/** `scontrol show config` as a map (`MaxArraySize` → `1001`). */
export function parseSlurmConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)\s*=\s?(.*)$/.exec(line.trimEnd());
    const [, key, value = ''] = m ?? [];
    if (key !== undefined && !out.has(key)) out.set(key, value.trim());
  }
  return out;
}

/** MaxArraySize from `scontrol show config` (undefined when the text does not say). */
export function parseMaxArraySize(text: string): number | undefined {
  const v = parseSlurmConfig(text).get('MaxArraySize');
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Whether accounting is on (`sacct` knows jobs) according to `scontrol show config`. */
export function accountingEnabled(text: string): boolean | undefined {
  const v = parseSlurmConfig(text).get('AccountingStorageType');
  return v === undefined ? undefined : v !== 'accounting_storage/none';
}

/** What the reasons of pending jobs mean, in words (Slurm's own word stays in front). */
const PENDING_REASONS: Record<string, string> = {
  Resources: 'waiting for resources',
  Priority: 'waiting for jobs of higher priority',
  JobArrayTaskLimit: 'waiting: the sweep\'s parallelism is reached',
  Dependency: 'waiting for another job',
  BeginTime: 'waiting for its start time',
  JobHeldUser: 'held by the user',
  JobHeldAdmin: 'held by an administrator',
  PartitionDown: 'its partition is down',
  PartitionInactive: 'its partition is inactive',
  PartitionTimeLimit: 'its time limit exceeds the partition\'s',
  PartitionNodeLimit: 'it asks for more nodes than the partition has',
  ReqNodeNotAvail: 'a node it needs is not available',
  QOSMaxJobsPerUserLimit: 'the QoS limit of jobs per user is reached',
  AssocMaxJobsLimit: 'the account\'s limit of jobs is reached',
  Licenses: 'waiting for licenses',
  NodeDown: 'a node it needs is down',
  BadConstraints: 'its constraints cannot be met',
  InvalidAccount: 'its account is invalid',
  InvalidQOS: 'its QoS is invalid',
};

/** A pending job's reason as shown: `Resources (waiting for resources)`. */
export function describeReason(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  const words = PENDING_REASONS[reason];
  return words ? `${reason} (${words})` : reason;
}

/** The exit code Slurm recorded: `code`, or 128+signal when a signal ended the job. */
function slurmExitCode(s: SlurmJobState): number | null {
  if (s.exitCode === undefined) return null;
  if (s.exitCode === 0 && s.signal) return 128 + s.signal;
  return s.exitCode;
}

export interface StateOptions {
  /** The element's `exit_code` file, when it was read: the container's own code (or 128+signal). */
  exitCodeFile?: number | null;
}

/**
 * The run layer's state of a job or an element. `undefined` (Slurm does not know the key any more: squeue
 * forgot it after MinJobAge, or sacct was asked about another time window) is `gone`; the caller then decides
 * from the element's exit_code file.
 */
export function toWorkState(s: SlurmJobState | undefined, opts: StateOptions = {}): WorkState {
  if (!s) return { state: 'gone', reason: 'Slurm does not know the job (any more)' };
  const file = opts.exitCodeFile;
  const code = (): number | null => (file !== undefined && file !== null ? file : slurmExitCode(s));
  switch (s.state) {
    case 'PENDING':
    case 'REQUEUED':
    case 'REQUEUE_HOLD':
    case 'REQUEUE_FED':
    case 'RESV_DEL_HOLD':
    case 'SPECIAL_EXIT':
      return { state: 'queued', ...(describeReason(s.reason) ? { reason: describeReason(s.reason) } : s.state !== 'PENDING' ? { reason: s.state.toLowerCase().replace(/_/g, ' ') } : {}) };
    case 'SUSPENDED':
    case 'STOPPED':
      return { state: 'queued', reason: `${s.state === 'STOPPED' ? 'stopped' : 'suspended'} by the scheduler` };
    case 'RUNNING':
    case 'CONFIGURING':
    case 'COMPLETING':
    case 'SIGNALING':
    case 'STAGE_OUT':
    case 'RESIZING':
      return { state: 'running' };
    case 'COMPLETED':
      return { state: 'exited', exitCode: file ?? s.exitCode ?? 0 };
    case 'FAILED':
      return { state: 'exited', exitCode: code() };
    case 'CANCELLED': {
      const by = /^CANCELLED\s+by\s+(\S+)/.exec(s.rawState)?.[1];
      return { state: 'exited', exitCode: file ?? null, reason: `cancelled${by !== undefined ? ` (by uid ${by})` : ''}` };
    }
    case 'TIMEOUT':
      return { state: 'exited', exitCode: file ?? null, reason: 'exceeded its time limit' };
    case 'DEADLINE':
      return { state: 'exited', exitCode: file ?? null, reason: 'reached its deadline' };
    case 'OUT_OF_MEMORY':
      // sacct says 0:125 (Slurm's own SIG_OOM, not a signal of the task): the code is the file's, if any.
      return { state: 'exited', exitCode: file ?? (s.exitCode ? s.exitCode : null), reason: 'ran out of memory', oom: true };
    case 'NODE_FAIL':
      return { state: 'exited', exitCode: file ?? null, reason: `its node failed${s.nodeList ? ` (${s.nodeList})` : ''}`, targetLost: true };
    case 'BOOT_FAIL':
      return { state: 'exited', exitCode: null, reason: 'its node failed to boot', targetLost: true };
    case 'PREEMPTED':
      return { state: 'exited', exitCode: file ?? null, reason: 'preempted by the scheduler' };
    case 'REVOKED':
      return { state: 'gone', reason: 'revoked (the job runs on another cluster of the federation)' };
    default:
      return { state: 'queued', reason: `Slurm state ${s.rawState}` };
  }
}
