/**
 * The contract between the run supervisor (target-independent: records, logs, statuses, stop, re-attach) and
 * a backend (one per target kind: prepares, submits, streams, polls, cancels, locates and collects the work).
 * A backend never writes run records or logs: it reports to the supervisor, which does. Adding a target is a
 * folder under client/src/backends/ implementing `Backend`, plus one line in client/src/backends/index.ts.
 * Pure Node: nothing here imports `vscode`, so backends are tested against real targets without an editor.
 */
import type { TaskPlan } from '../../../shared/lsp-protocol';
import type { RunRecord, RunTarget, TargetKind } from './record';

/** How the image is obtained: MLCube's `build_strategy` with the paths already resolved (absolute). */
export interface ImageBuild {
  strategy: 'pull' | 'auto' | 'always';
  /** Absolute build context folder (`build_context` relative to the manifest's folder). */
  context: string;
  /** Absolute Dockerfile path (`build_file` relative to the context). */
  file: string;
  /** `build_args`: a dict, or a string of `--build-arg K=V` flags as mlcube passes it verbatim. */
  args: Record<string, string> | string;
}

/** Where a run's live output goes besides its log file (a terminal, a test). */
export interface RunSink {
  /** One complete line of the task's output (no trailing newline). */
  line(text: string, stream: 'out' | 'err'): void;
  /** A line from CubeLab itself: progress, build output, status changes. */
  info(text: string): void;
  /** Image pull/build or staging progress: `current`/`total` when known. */
  progress?(message: string, current?: number, total?: number): void;
}

export interface CancelToken {
  readonly cancelled: boolean;
  onCancel(listener: () => void): void;
}

/** One line of the task's output with the target's timestamp (RFC 3339, as precise as the target gives). */
export interface LogLine { ts: string; stream: 'out' | 'err'; text: string }

/** What a backend says while it works; the supervisor puts it in the log and shows it. */
export interface Reporter {
  info(text: string): void;
  /** A line for the log only (per-layer pull status, build steps): too many for the terminal. */
  detail(text: string): void;
  warn(text: string): void;
  progress(message: string, current?: number, total?: number): void;
}

/** The work to run, as the supervisor hands it to a backend (the real plan: secrets included). */
export interface Job {
  runId: string;
  manifest: string;
  task: string;
  plan: TaskPlan;
  /** Overrides the plan's image build (tests; a "configure with" command). */
  build?: ImageBuild;
  /** Run as the host user (`uid:gid`; for a remote target, the remote account's) so outputs are not root-owned. */
  asHostUser?: boolean;
  /** Network mode when the plan's flags name none (tests use `none`). */
  defaultNetwork?: string;
  /** Keep the container (or the job's resources) after the work ended. */
  keepContainer?: boolean;
}

/**
 * A sweep handed whole to a scheduler that runs it as one array (a Slurm job array, a Kubernetes Indexed Job):
 * the elements to run (all, or the ones run again) with their real plans, and how many run at once.
 */
export interface ArrayJob extends Omit<Job, 'plan'> {
  elements: { index: number; plan: TaskPlan }[];
  parallelism: number;
}

/** What an array submission gives back: each element's handle on the target, by element index. */
export interface ArraySubmission {
  targets: Map<number, RunTarget>;
  image?: { id?: string; digest?: string };
  warnings: string[];
}

/** What a backend learned while preparing: carried to `submit`, never stored. */
export interface Prepared {
  image?: { id?: string; digest?: string };
  warnings: string[];
  /** Backend-private state (a translated container spec, a staged folder). */
  data?: unknown;
}

/** Where stored and shown lines go while a backend streams. */
export interface StreamOutput {
  /**
   * Lines to store, in order, and the backend's cursor just after the last of them (opaque to the supervisor,
   * handed back to `stream` when it resumes). Returns a promise when the caller should wait (backpressure).
   */
  store(lines: LogLine[], cursor: unknown): void | Promise<void>;
  /**
   * A line for the user (the terminal). `store` shows nothing: a backend shows each line once, from whichever
   * channel is faster (Docker's attach stream before the stored log stream, for instance).
   */
  show(text: string, stream: 'out' | 'err'): void;
}

/** For backends with one channel: stores the lines and shows them. */
export function storeAndShow(out: StreamOutput, lines: LogLine[], cursor: unknown): void | Promise<void> {
  const wait = out.store(lines, cursor);
  for (const l of lines) out.show(l.text, l.stream);
  return wait;
}

/** The state of the work on its target. */
export type WorkState =
  | { state: 'queued'; reason?: string }
  | { state: 'running' }
  | { state: 'exited'; exitCode: number | null; reason?: string; oom?: boolean; targetLost?: boolean }
  /** The work is not on the target any more (removed, never created, or not ours). */
  | { state: 'gone'; reason: string };

export interface TargetInfo { reachable: boolean; version?: string; detail?: string }

export interface Backend {
  readonly kind: TargetKind;
  /** The target's name (`local`, or a `cubelab.targets` entry). */
  readonly name: string;
  /** The target as written in records: its kind, name and address, without a handle yet. */
  target(): RunTarget;
  /** Whether this backend is the one that runs `target` (same kind, same address). */
  owns(target: RunTarget): boolean;
  /** Checks that the target answers; throws a `TargetError` with a sentence the user can act on. */
  probe(): Promise<TargetInfo>;
  /** Obtains the image as `mlcube configure` would. */
  configure(image: string, build: ImageBuild | undefined, reporter: Reporter, cancel?: CancelToken): Promise<void>;
  /** Checks the job without touching the target (a flag that cannot be translated): nothing is recorded when it throws. */
  validate?(job: Job): void;
  /** Translates the job (nothing created yet), obtains the image, stages files. */
  prepare(job: Job, reporter: Reporter, cancel?: CancelToken): Promise<Prepared>;
  /** Starts the work; returns the target with its handle (container id, job id). `out` may get early lines. */
  submit(job: Job, prepared: Prepared, reporter: Reporter, out: StreamOutput): Promise<RunTarget>;
  /**
   * Schedulers: prepares once and submits every element of a sweep as one array (instead of one `submit` per
   * element). The supervisor then follows each element by its target, as it follows a single run.
   */
  submitArray?(job: ArrayJob, reporter: Reporter, cancel?: CancelToken): Promise<ArraySubmission>;
  /** Cancels many elements in one call (`scancel` of an array): the supervisor's stop of a whole sweep. */
  cancelMany?(targets: RunTarget[], record: RunRecord, graceSeconds: number): Promise<void>;
  /** Follows the work's output from `cursor` (undefined: from the start) until the stream ends or `signal` aborts. */
  stream(target: RunTarget, cursor: unknown, out: StreamOutput, signal: AbortSignal): Promise<void>;
  /** The state of the work. Throws a `TargetError` with code `unreachable` when the target does not answer. */
  poll(target: RunTarget, record: RunRecord): Promise<WorkState>;
  /** Asks the target to stop the work: SIGTERM (or the scheduler's cancel), then SIGKILL after `graceSeconds`. */
  cancel(target: RunTarget, record: RunRecord, graceSeconds: number): Promise<void>;
  /** After a reload: whether the record's work is still on the target, checked by identity (label, job name). */
  locate(record: RunRecord): Promise<WorkState>;
  /** After the work ended: brings outputs back (remote targets) and removes what the work left (containers). */
  collect(target: RunTarget, record: RunRecord, reporter: Reporter): Promise<Partial<Pick<RunRecord, 'outputs'>>>;
  /** For logs written before cursors were stored (version 1 records): the cursor after the log's last line. */
  cursorFromLog?(logPath: string): unknown;
  /** How long to wait before polling again when a stream ended but the work still runs (ms). */
  readonly repollMs?: number;
  /** Whether submitted work waits in a queue first (a scheduler): the record says `queued` until it runs. */
  readonly queues?: boolean;
  /** A connection the target keeps (SSH): the Targets view shows its state and offers Connect/Disconnect. */
  readonly connection?: TargetConnection;
  /** Brings a run's outputs back while it runs or after it ended (remote targets); the supervisor records it. */
  syncOutputs?(record: RunRecord, reporter: Reporter): Promise<NonNullable<RunRecord['outputs']>>;
  dispose(): Promise<void>;
}

export interface TargetConnection {
  readonly state: 'disconnected' | 'connecting' | 'connected';
  /** Why it went down last, if it did. */
  readonly lastError: Error | undefined;
  on(event: 'state', listener: (state: TargetConnection['state']) => void): unknown;
  off(event: 'state', listener: (state: TargetConnection['state']) => void): unknown;
  connect(): Promise<void>;
  close(): Promise<void>;
}

export type TargetErrorCode =
  | 'unreachable' // the target does not answer (engine stopped, connection lost): the work may still run
  | 'missing' // no such target (no engine installed, unknown host)
  | 'denied' // the target refuses us (permissions, authentication, host key)
  | 'bad-flag' | 'gpu' | 'image' | 'build' | 'staging' | 'cancelled' | 'not-found' | 'refused' | 'target';

/** A backend error meant for the user as it stands: no stack trace needed. */
export class TargetError extends Error {
  constructor(message: string, readonly code: TargetErrorCode) {
    super(message);
  }
}

/** Creates the backend of a target kind from its settings; registered per kind in client/src/backends/index.ts. */
export type BackendFactory<S = unknown> = (settings: S, env: BackendEnvironment) => Backend;

/** What every backend may use from its surroundings (tests pass their own). */
export interface BackendEnvironment {
  /** Seconds between SIGTERM and SIGKILL on stop. */
  stopGraceSeconds: number;
  /** How often to look for a target that went away (ms). */
  retryMs: number;
  /** Questions a backend may need answered: SSH passwords, passphrases and host keys; overwriting a changed file. */
  prompts?: {
    ask(prompt: { kind: 'host-key' | 'password' | 'passphrase' | 'code' | 'other'; text: string; host: string }): Promise<string | undefined>;
    confirmOverwrite?(files: string[]): Promise<boolean>;
  };
  /** The extension's SSH_ASKPASS program (dist/askpass.js). */
  askpassMain?: string;
}
