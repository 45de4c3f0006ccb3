/**
 * Watches every job a Slurm target's runs submitted from this window with ONE round trip per poll: a single
 * status query for all their job names (`squeue`, the controller's live view with each pending job's reason; plus,
 * where accounting is on, `sacct` for the jobs the controller no longer lists) and, in the same script, the new
 * bytes of each started element's output file and its exit code file. Never one call per job. The
 * interval adapts: soon after a submission, backing off while nothing changes, up to a cap.
 *
 * Elements are followed by their key (`1234` or `1234_5`). `stream` (the supervisor's follow) gets an element's
 * lines as they are read; `poll` gets its last known state. A status query that fails (slurmctld restarting) keeps
 * the last known states and is retried; only a login node that cannot be reached is reported (as unreachable).
 * Pure Node.
 */
import { TargetError, type LogLine, type WorkState } from '../../runs/backend';
import type { ClusterShell } from './clusterShell';
import { ELEMENT_FILES } from './batchScript';
import { parseSacct, parseSqueue, sacctArgs, squeueArgs, toWorkState, type SlurmJobState } from './schedulerState';

/** Most bytes read from one element's output per poll, and from all of them. */
const MAX_READ = 1024 * 1024;
const MAX_READ_TOTAL = 8 * 1024 * 1024;
/** A line longer than this is stored in pieces (as the Docker backend does). */
const MAX_LINE = 1024 * 1024;
/** How long the status query may fail before runs are told the scheduler does not answer. */
const UNANSWERED_MS = 8_000;
/** How long a submitted job may be missing from the status query (sacct lags behind sbatch). */
const LIST_GRACE_MS = 60_000;

export interface WatchOptions {
  /** Where accounting is off, `squeue`; else `sacct`. */
  accounting(): Promise<boolean>;
  /** First interval after a submission (ms). */
  minMs?: number;
  /** The cap of the interval while nothing changes (ms). */
  maxMs?: number;
}

interface Followed {
  key: string;
  jobName: string;
  /** The element's folder on the cluster. */
  dir: string;
  /** Bytes of output.log read so far (delivered lines + `carry`). */
  readOffset: number;
  /** The end of the last delivered line (the cursor the supervisor stores). */
  delivered: number;
  carry: Buffer;
  /** Lines read and not yet taken by `stream`. */
  pending: LogLine[];
  slurm?: SlurmJobState;
  exitFile?: number | null;
  /** output.log's size at the last poll (-1: not there). */
  size?: number;
  state?: WorkState;
  submittedAt: number;
  /** Whether Slurm has ever listed it (a key never listed after the grace period is gone). */
  listed: boolean;
  /** The last status query did not list it. */
  unlisted?: boolean;
  waiters: Set<() => void>;
}

/** Per poll: how many status calls were made (the benchmark's and the shim test's figure). */
export interface WatchStats {
  polls: number;
  /** squeue calls: one per poll. */
  statusCalls: number;
  /** sacct calls (in the same round trip) for jobs the controller no longer lists. */
  historyCalls: number;
  failures: number;
  lastError?: string;
}

export class JobWatch {
  private readonly jobs = new Map<string, Followed>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private interval: number;
  private readonly minMs: number;
  private readonly maxMs: number;
  private disposed = false;
  /** When the login node itself did not answer, the error (stream and poll report it). */
  private unreachable: TargetError | undefined;
  readonly stats: WatchStats = { polls: 0, statusCalls: 0, historyCalls: 0, failures: 0 };
  private tickWaiters: (() => void)[] = [];
  private failingSince: number | undefined;

  constructor(private readonly shell: ClusterShell, private readonly opts: WatchOptions) {
    this.minMs = opts.minMs ?? 500;
    this.maxMs = opts.maxMs ?? 10_000;
    this.interval = this.minMs;
  }

  /** Starts following an element (again, after a reload: from `cursor`, the end of its last stored line). */
  follow(key: string, jobName: string, dir: string, cursor?: number, submittedAt = Date.now()): void {
    const known = this.jobs.get(key);
    if (known) {
      if (cursor !== undefined && cursor !== known.delivered) { known.readOffset = cursor; known.delivered = cursor; known.carry = Buffer.alloc(0); known.pending = []; }
      return;
    }
    const at = cursor ?? 0;
    this.jobs.set(key, { key, jobName, dir, readOffset: at, delivered: at, carry: Buffer.alloc(0), pending: [], submittedAt, listed: false, waiters: new Set() });
    this.soon();
  }

  forget(key: string): void {
    const f = this.jobs.get(key);
    if (!f) return;
    this.jobs.delete(key);
    for (const w of [...f.waiters]) w();
  }

  has(key: string): boolean { return this.jobs.has(key); }

  /** The login node answered again (a probe): the next poll decides; until then nothing is reported unreachable. */
  answered(): void {
    this.unreachable = undefined;
    this.failingSince = undefined;
    this.soon();
  }

  /** Polls soon (a submission, a new follower, a stop). */
  soon(ms = 250): void {
    this.interval = this.minMs;
    this.schedule(Math.min(ms, this.minMs));
  }

  private schedule(ms: number): void {
    if (this.disposed) return;
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (!this.jobs.size) return;
    this.timer = setTimeout(() => { this.timer = undefined; void this.tick(); }, ms);
  }

  /** Waits for the next poll to finish (polling now when none is under way). */
  async next(): Promise<void> {
    const p = new Promise<void>((resolve) => this.tickWaiters.push(resolve));
    if (!this.running && !this.timer) void this.tick();
    return p;
  }

  /** The element's last known state (waits for a first poll when there is none yet). */
  async state(key: string): Promise<WorkState> {
    if (this.unreachable) throw this.unreachable;
    const f = this.jobs.get(key);
    if (!f) return { state: 'gone', reason: 'CubeLab does not follow this job.' };
    if (!f.state) { await this.next(); if (this.unreachable) throw this.unreachable; }
    return f.state ?? { state: 'queued', reason: 'Submitted; waiting for Slurm to list it.' };
  }

  /** Lines read for the element since the last call, and the cursor after them. */
  take(key: string): { lines: LogLine[]; cursor: number } | undefined {
    const f = this.jobs.get(key);
    if (!f || !f.pending.length) return undefined;
    const lines = f.pending;
    f.pending = [];
    return { lines, cursor: f.delivered };
  }

  /** Whether the element ended and everything it wrote has been read (its last partial line included). */
  finished(key: string): boolean {
    const f = this.jobs.get(key);
    if (!f) return true;
    return f.state?.state === 'exited' || f.state?.state === 'gone' ? this.fullyRead(f) : false;
  }

  /** Whether the output file was looked at since the end was known and nothing of it is left to read. */
  private fullyRead(f: Followed): boolean {
    return f.size !== undefined && (f.size < 0 || f.readOffset >= f.size);
  }

  /** Resolves at the element's next change (lines, state) or after `ms`. */
  changed(key: string, signal: AbortSignal, ms = 30_000): Promise<void> {
    const f = this.jobs.get(key);
    if (!f) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => { f.waiters.delete(done); signal.removeEventListener('abort', done); clearTimeout(t); resolve(); };
      const t = setTimeout(done, ms);
      f.waiters.add(done);
      signal.addEventListener('abort', done);
    });
  }

  private async tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.poll().finally(() => {
      this.running = undefined;
      const waiters = this.tickWaiters.splice(0);
      for (const w of waiters) w();
    });
    return this.running;
  }

  private async poll(): Promise<void> {
    if (this.disposed || !this.jobs.size) return;
    const jobs = [...this.jobs.values()];
    const names = [...new Set(jobs.map((j) => j.jobName))];
    const accounting = await this.opts.accounting().catch(() => true);
    // squeue is the controller's live view (the only one that says why a job waits: sacct records pending jobs
    // with reason None); sacct, in the same round trip, only for jobs the controller no longer lists (ended more
    // than MinJobAge ago, or while slurmctld does not answer). An array's id covers all its elements.
    const ids = [...new Set(jobs.map((j) => j.key.split('_')[0] ?? j.key))];
    const history = accounting ? [
      "nl='",
      "'",
      'miss=',
      `for id in ${ids.join(' ')}; do`,
      '  if [ "$qrc" -ne 0 ]; then miss="$miss,$id"; continue; fi',
      '  case "$nl$q" in *"$nl$id"_*|*"$nl$id|"*) ;; *) miss="$miss,$id" ;; esac',
      'done',
      `if [ -n "$miss" ]; then printf '@@A\n'; sacct ${sacctArgs(['MISSING']).map(shWord).join(' ').replace('--jobs=MISSING', '--jobs="${miss#,}"')} 2>&1; printf '\n@@AR %s\n' "$?"; fi`,
    ] : [];
    // Elements worth reading: started or ended ones (a pending element has written nothing yet).
    const budget = { left: MAX_READ_TOTAL };
    // Elements worth reading: those Slurm lists as started (or ended), and ended ones not read to the end; a job
    // not listed yet, or pending, has written nothing (a thousand fresh elements cost nothing).
    // A job a poll did not find (squeue forgot it, no accounting) is read too: its exit code file says how it ended.
    const reads = jobs.filter((j) => (this.finalState(j) ? !(this.fullyRead(j) && j.exitFile !== undefined) : j.unlisted || (!!j.slurm && j.slurm.state !== 'PENDING')));
    const input = reads.map((j) => {
      const max = Math.max(0, Math.min(MAX_READ, budget.left));
      budget.left -= max;
      return `${j.key} ${j.readOffset} ${max} ${j.dir}\n`;
    }).join('');
    const script = [
      `q=$(squeue ${squeueArgs(names).map(shWord).join(' ')} 2>&1); qrc=$?`,
      `printf '@@S\\n%s\\n@@R %s\\n' "$q" "$qrc"`,
      ...history,
      'while read -r key off max dir; do',
      `  f="$dir/${ELEMENT_FILES.output}"`,
      '  if [ -f "$f" ]; then s=$(stat -c %s "$f" 2>/dev/null || echo -1); else s=-1; fi',
      `  c=; [ -f "$dir/${ELEMENT_FILES.exitCode}" ] && read -r c <"$dir/${ELEMENT_FILES.exitCode}"; case "$c" in *[!0-9]*) c= ;; esac`,
      '  printf \'@@F %s %s %s\\n\' "$key" "$s" "${c:--}"',
      '  if [ "$s" -gt "$off" ] && [ "$max" -gt 0 ]; then printf \'@@D %s \' "$key"; tail -c +$((off + 1)) "$f" | head -c "$max" | base64 -w 0; printf \'\\n\'; fi',
      'done',
    ].join('\n');
    this.stats.polls++;
    let out: string;
    try {
      const r = await this.shell.run(script, { input, timeoutMs: 120_000 });
      out = r.stdout.toString('utf8');
      this.unreachable = undefined;
    } catch (e) {
      this.stats.failures++;
      this.stats.lastError = (e as Error).message;
      // The login node cannot be reached (or no longer lets us in): the runs say so until a probe succeeds.
      this.unreachable = e instanceof TargetError && e.code === 'unreachable' ? e : new TargetError(`${this.shell.where} does not answer: ${(e as Error).message}`, 'unreachable');
      for (const j of jobs) for (const w of [...j.waiters]) w();
      this.interval = Math.min(Math.max(this.interval * 1.6, 1000), this.maxMs);
      this.schedule(this.interval);
      return;
    }
    const changed = this.apply(out, jobs);
    this.interval = changed ? this.minMs : Math.min(this.interval * 1.6, this.maxMs);
    this.schedule(this.interval);
  }

  private finalState(j: Followed): boolean {
    return j.state?.state === 'exited' || j.state?.state === 'gone';
  }

  /** Reads the poll's output into the followed elements; says whether anything changed. */
  private apply(out: string, jobs: Followed[]): boolean {
    const sAt = out.indexOf('@@S\n');
    const rAt = out.indexOf('\n@@R ', sAt);
    const qrc = rAt >= 0 ? Number(/^\n@@R (\d+)/.exec(out.slice(rAt))?.[1] ?? 1) : 1;
    const queueText = sAt >= 0 && rAt >= 0 ? out.slice(sAt + 4, rAt) : '';
    let end = rAt >= 0 ? out.indexOf('\n', rAt + 1) + 1 : out.length;
    this.stats.statusCalls++;
    // The history query, when the script needed it.
    let histText: string | undefined;
    let hrc = 0;
    if (out.startsWith('@@A\n', end)) {
      const arAt = out.indexOf('\n@@AR ', end);
      histText = out.slice(end + 4, arAt >= 0 ? arAt : undefined);
      hrc = arAt >= 0 ? Number(/^\n@@AR (\d+)/.exec(out.slice(arAt))?.[1] ?? 1) : 1;
      end = arAt >= 0 ? out.indexOf('\n', arAt + 1) + 1 : out.length;
      this.stats.historyCalls++;
    }
    // What the controller says wins; the accounting database fills in the jobs it no longer lists.
    let states: Map<string, SlurmJobState> | undefined = qrc === 0 ? parseSqueue(queueText) : undefined;
    if (histText !== undefined && hrc === 0) {
      states ??= new Map();
      for (const [k, v] of parseSacct(histText)) if (!states.has(k)) states.set(k, v);
    }
    // A status query that failed (slurmctld restarting, slurmdbd away) says nothing new: keep what is known.
    if (!states) {
      this.stats.failures++;
      this.stats.lastError = (histText ?? queueText).trim().split('\n').slice(-1)[0];
      // A few seconds of failures are a restart; longer, the runs say the scheduler does not answer (they are
      // re-attached when it does: nothing is lost meanwhile, the files keep the output).
      this.failingSince ??= Date.now();
      if (Date.now() - this.failingSince > UNANSWERED_MS) {
        this.unreachable = new TargetError(`Slurm does not answer on ${this.shell.where} (${this.stats.lastError || 'the status query failed'}).`, 'unreachable');
      }
    } else this.failingSince = undefined;
    const files = new Map<string, { size: number; exit: number | null }>();
    const data = new Map<string, Buffer>();
    const rest = out.slice(end);
    for (const line of rest.split('\n')) {
      if (line.startsWith('@@F ')) {
        const [, key, size, code] = line.split(' ');
        if (key) files.set(key, { size: Number(size), exit: code && /^\d+$/.test(code) ? Number(code) : null });
      } else if (line.startsWith('@@D ')) {
        const sp = line.indexOf(' ', 4);
        data.set(line.slice(4, sp), Buffer.from(line.slice(sp + 1), 'base64'));
      }
    }
    const now = new Date().toISOString();
    let changed = false;
    for (const j of jobs) {
      if (!this.jobs.has(j.key)) continue;
      let touched = false;
      const file = files.get(j.key);
      if (file) {
        if (j.size !== file.size) touched = true;
        j.size = file.size;
        if (file.exit !== null && j.exitFile !== file.exit) { j.exitFile = file.exit; touched = true; }
        if (file.exit === null && j.exitFile === undefined) j.exitFile = null;
      }
      const bytes = data.get(j.key);
      if (bytes?.length) { this.read(j, bytes, now); touched = true; }
      if (states) {
        const s = states.get(j.key);
        if (s) { j.listed = true; j.slurm = s; }
        j.unlisted = !s;
        const next = this.stateOf(j, s);
        if (JSON.stringify(next) !== JSON.stringify(j.state)) {
          // The file was looked at before the end was known (or not at all): the next poll reads it to the end.
          const ended = next.state === 'exited' || next.state === 'gone';
          if (ended && !this.finalState(j) && !(file && j.readOffset >= file.size)) j.size = undefined;
          j.state = next;
          touched = true;
        }
      } else if (!j.state) {
        j.state = { state: 'queued', reason: `Slurm does not answer (${this.stats.lastError ?? 'status query failed'}); CubeLab keeps asking.` };
        touched = true;
      }
      // Ended and read through: the last partial line is a line of its own.
      if (this.finalState(j) && this.fullyRead(j) && j.carry.length) { this.emit(j, j.carry, now); j.carry = Buffer.alloc(0); touched = true; }
      if (touched) { changed = true; for (const w of [...j.waiters]) w(); }
    }
    return changed;
  }

  private stateOf(j: Followed, s: SlurmJobState | undefined): WorkState {
    if (s) return toWorkState(s, j.exitFile !== undefined ? { exitCodeFile: j.exitFile } : {});
    // Slurm does not (or not yet) list it: sacct lags behind sbatch; squeue forgets ended jobs after MinJobAge.
    if (j.exitFile !== undefined && j.exitFile !== null) return { state: 'exited', exitCode: j.exitFile };
    // Not looked at yet: the next poll reads its exit code file before anything is decided.
    if (j.exitFile === undefined) return { state: 'queued', reason: 'Looking for the job on the cluster.' };
    if (!j.listed && Date.now() - j.submittedAt < LIST_GRACE_MS) return { state: 'queued', reason: 'Submitted; waiting for Slurm to list it.' };
    return { state: 'gone', reason: `Slurm no longer knows job ${j.key} and it left no exit code.` };
  }

  /** Appends bytes read from output.log: complete lines become pending lines, the rest waits. */
  private read(j: Followed, bytes: Buffer, ts: string): void {
    j.readOffset += bytes.length;
    let buf = j.carry.length ? Buffer.concat([j.carry, bytes]) : bytes;
    let at = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, at);
      if (nl < 0) break;
      this.emit(j, buf.subarray(at, nl + 1), ts);
      at = nl + 1;
    }
    buf = buf.subarray(at);
    // A line without an end, longer than the bound, is stored in pieces.
    while (buf.length > MAX_LINE) { this.emit(j, buf.subarray(0, MAX_LINE), ts); buf = buf.subarray(MAX_LINE); }
    j.carry = Buffer.from(buf);
  }

  private emit(j: Followed, bytes: Buffer, ts: string): void {
    j.delivered += bytes.length;
    let text = bytes.toString('utf8');
    if (text.endsWith('\n')) text = text.slice(0, -1);
    j.pending.push({ ts, stream: 'out', text });
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const j of this.jobs.values()) for (const w of [...j.waiters]) w();
    this.jobs.clear();
  }
}

/** A word for the status command inside the script (job names are ours: letters, digits, `_.-+,`). */
function shWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
