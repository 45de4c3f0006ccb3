/**
 * An in-memory backend for the supervisor's and the controller's fast unit tests (every status transition,
 * without a container engine). Work is described by a small program carried in the plan (`memory:` followed by
 * JSON in `args[0]`): lines to print with a pause between them, files to write into the plan's mounts, a time
 * in the queue, an exit code. A `MemoryWorld` is the target: it outlives backend instances (a reloaded window
 * builds a new backend on the same world), can be taken away and brought back, and counts the calls made to it.
 * This is a test stand-in for a target, not a product backend.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TaskPlan } from '../../shared/lsp-protocol';
import { TargetError, storeAndShow, type ArrayJob, type ArraySubmission, type Backend, type Job, type Prepared, type Reporter, type StreamOutput, type TargetInfo, type WorkState } from '../../client/src/runs/backend';
import type { RunRecord, RunTarget } from '../../client/src/runs/record';

export interface MemoryProgram {
  lines?: string[];
  /** Pause before each line (ms). */
  lineMs?: number;
  /** Files written (relative to the mount whose container path is `container`) after the lines. */
  outputs?: { container: string; file: string; content: string }[];
  exitCode?: number;
  /** Time spent queued before it runs (ms), with the scheduler's reason. */
  queuedMs?: number;
  queuedReason?: string;
  /** A failure at submission (the target refuses the work). */
  refuse?: string;
}

interface Work {
  id: string;
  runId: string;
  program: MemoryProgram;
  plan: TaskPlan;
  printed: { ts: string; stream: 'out' | 'err'; text: string }[];
  state: 'queued' | 'running' | 'exited';
  exitCode: number | null;
  cancelled: boolean;
  timer?: NodeJS.Timeout;
  waiters: Set<() => void>;
}

export class MemoryWorld {
  reachable = true;
  readonly works = new Map<string, Work>();
  readonly calls: Record<string, number> = {};
  private seq = 0;

  count(call: string): void { this.calls[call] = (this.calls[call] ?? 0) + 1; }

  check(): void {
    if (!this.reachable) throw new TargetError('The in-memory target is unreachable.', 'unreachable');
  }

  newId(): string { return `work-${++this.seq}`; }

  /** Lets the work advance: prints its lines one by one, writes its outputs, exits. */
  startWork(w: Work): void {
    const lines = w.program.lines ?? [];
    const step = (i: number) => {
      if (w.cancelled) return;
      if (i < lines.length) {
        const text = lines[i] ?? '';
        w.printed.push({ ts: new Date().toISOString(), stream: text.startsWith('err:') ? 'err' : 'out', text: text.replace(/^err:/, '') });
        this.wake(w);
        w.timer = setTimeout(() => step(i + 1), w.program.lineMs ?? 0);
        return;
      }
      for (const o of w.program.outputs ?? []) {
        const m = w.plan.mounts.find((x) => x.container === o.container);
        if (!m) continue;
        const file = join(m.host, o.file);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, o.content);
      }
      this.exit(w, w.program.exitCode ?? 0);
    };
    const run = () => { w.state = 'running'; this.wake(w); step(0); };
    if (w.program.queuedMs) w.timer = setTimeout(run, w.program.queuedMs); else run();
  }

  exit(w: Work, code: number): void {
    if (w.state === 'exited') return;
    if (w.timer) clearTimeout(w.timer);
    w.state = 'exited';
    w.exitCode = code;
    this.wake(w);
  }

  wake(w: Work): void { for (const f of [...w.waiters]) f(); }

  dispose(): void { for (const w of this.works.values()) if (w.timer) clearTimeout(w.timer); }
}

/** A plan whose work is `program` (mounts as given). */
export function memoryPlan(program: MemoryProgram, over: Partial<TaskPlan> = {}): TaskPlan {
  return {
    taskName: 'task', image: 'memory', root: '/tmp', workspace: '/tmp', entrypoint: [], args: [`memory:${JSON.stringify(program)}`],
    paramArgs: [], mounts: [], env: {}, gpus: null, mkdirs: [], workspaceSync: [], warnings: [],
    platforms: { docker: { tool: 'docker', runArgs: '', command: '', imageBuild: { strategy: 'pull', context: '/tmp', file: '/tmp/Dockerfile', fileExists: false, buildArgs: {}, action: 'pull' } }, singularity: null },
    ...over,
  };
}

function programOf(plan: TaskPlan): MemoryProgram {
  const a = plan.args[0] ?? '';
  if (!a.startsWith('memory:')) throw new TargetError('Not an in-memory plan.', 'bad-flag');
  return JSON.parse(a.slice('memory:'.length)) as MemoryProgram;
}

type MemoryTarget = Extract<RunTarget, { kind: 'memory' }>;

export class MemoryBackend implements Backend {
  readonly kind = 'memory' as const;
  readonly repollMs = 20;
  readonly queues = true;

  constructor(readonly world: MemoryWorld, readonly name = 'memory') {}

  target(): MemoryTarget { return { kind: 'memory', name: this.name }; }
  owns(t: RunTarget): boolean { return t.kind === 'memory' && t.name === this.name; }

  async probe(): Promise<TargetInfo> { this.world.count('probe'); this.world.check(); return { reachable: true, version: 'memory 1' }; }
  async configure(): Promise<void> { this.world.check(); }

  async prepare(job: Job, reporter: Reporter): Promise<Prepared> {
    this.world.count('prepare');
    this.world.check();
    const program = programOf(job.plan);
    reporter.info('prepared in memory');
    return { warnings: [...job.plan.warnings], data: program };
  }

  async submit(job: Job, prepared: Prepared): Promise<RunTarget> {
    this.world.count('submit');
    this.world.check();
    const program = prepared.data as MemoryProgram;
    if (program.refuse) throw new TargetError(program.refuse, 'refused');
    const w: Work = { id: this.world.newId(), runId: job.runId, program, plan: job.plan, printed: [], state: 'queued', exitCode: null, cancelled: false, waiters: new Set() };
    this.world.works.set(w.id, w);
    this.world.startWork(w);
    return { ...this.target(), workId: w.id };
  }

  private work(target: RunTarget): Work | undefined {
    const id = (target as MemoryTarget).workId;
    return id ? this.world.works.get(id) : undefined;
  }

  async stream(target: RunTarget, cursor: unknown, out: StreamOutput, signal: AbortSignal): Promise<void> {
    this.world.count('stream');
    this.world.check();
    const w = this.work(target);
    if (!w) return;
    let next = typeof cursor === 'number' ? cursor : 0;
    for (;;) {
      if (signal.aborted) return;
      if (!this.world.reachable) throw new TargetError('The in-memory target is unreachable.', 'unreachable');
      if (next < w.printed.length) {
        const lines = w.printed.slice(next);
        next = w.printed.length;
        const wait = storeAndShow(out, lines, next);
        if (wait) await wait;
        continue;
      }
      // Nothing to follow while the work waits in the queue: the supervisor polls and records why it waits.
      if (w.state === 'exited' || w.state === 'queued') return;
      await new Promise<void>((resolve) => {
        const done = () => { w.waiters.delete(done); signal.removeEventListener('abort', done); clearTimeout(t); resolve(); };
        // The world can be taken away while nothing changes: look again now and then.
        const t = setTimeout(done, 50);
        w.waiters.add(done);
        signal.addEventListener('abort', done);
      });
    }
  }

  async poll(target: RunTarget): Promise<WorkState> {
    this.world.count('poll');
    this.world.check();
    const w = this.work(target);
    if (!w) return { state: 'gone', reason: 'The in-memory work is gone.' };
    if (w.state === 'queued') return { state: 'queued', reason: w.program.queuedReason ?? 'Resources' };
    if (w.state === 'running') return { state: 'running' };
    return { state: 'exited', exitCode: w.exitCode };
  }

  async cancel(target: RunTarget, record: RunRecord): Promise<void> {
    this.world.count('cancel');
    this.world.check();
    const w = this.work(target);
    if (!w || w.runId !== record.runId) return;
    w.cancelled = true;
    this.world.exit(w, 143);
  }

  async locate(record: RunRecord): Promise<WorkState> {
    this.world.count('locate');
    this.world.check();
    const w = this.work(record.target);
    if (!w || w.runId !== record.runId) return { state: 'gone', reason: 'The in-memory work is gone.' };
    return this.poll(record.target);
  }

  async collect(): Promise<Partial<Pick<RunRecord, 'outputs'>>> {
    this.world.count('collect');
    return {};
  }

  async dispose(): Promise<void> { /* the world outlives its backends */ }
}

/**
 * The in-memory target as a scheduler with arrays (as Slurm and Kubernetes are): a sweep is one submission; its
 * elements wait in the queue (`JobArrayTaskLimit`) while `parallelism` others run; a sweep's stop is one call.
 */
export class MemoryArrayBackend extends MemoryBackend {
  async submitArray(job: ArrayJob, reporter: Reporter): Promise<ArraySubmission> {
    this.world.count('submitArray');
    this.world.check();
    const targets = new Map<number, RunTarget>();
    const works: Work[] = [];
    for (const el of job.elements) {
      const program = programOf(el.plan);
      if (program.refuse) throw new TargetError(program.refuse, 'refused');
      const w: Work = { id: this.world.newId(), runId: `${job.runId}#${el.index}`, program: { ...program, queuedReason: 'JobArrayTaskLimit' }, plan: el.plan, printed: [], state: 'queued', exitCode: null, cancelled: false, waiters: new Set() };
      this.world.works.set(w.id, w);
      works.push(w);
      targets.set(el.index, { ...this.target(), workId: w.id });
    }
    reporter.info(`submitted ${works.length} element(s) as one array`);
    // At most `parallelism` run at once: the next starts when one ends.
    let next = 0;
    const startNext = (): void => {
      while (next < works.length && works.filter((w) => w.state === 'running' || (w.state === 'queued' && w.timer)).length < job.parallelism) {
        const w = works[next++]!;
        w.waiters.add(function onEnd() { if (w.state === 'exited') { w.waiters.delete(onEnd); startNext(); } });
        if (w.cancelled) { continue; }
        this.world.startWork(w);
      }
    };
    startNext();
    return { targets, warnings: [] };
  }

  async cancelMany(targets: RunTarget[], record: RunRecord): Promise<void> {
    this.world.count('cancelMany');
    this.world.check();
    for (const t of targets) {
      const id = (t as MemoryTarget).workId;
      const w = id ? this.world.works.get(id) : undefined;
      if (!w || !w.runId.startsWith(`${record.runId}#`)) continue;
      w.cancelled = true;
      this.world.exit(w, 143);
    }
  }
}
