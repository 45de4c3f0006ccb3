/**
 * The contract every execution target implements (local Docker engine today; Docker over SSH and Slurm
 * later). A runner executes a task plan from the language server; it never reads a manifest itself.
 * Pure Node: nothing here imports `vscode`, so runners are tested against real engines without an editor.
 */
import type { TaskPlan } from '../../../shared/lsp-protocol';

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

/** Where a runner's live output goes besides the run's log file (a terminal, a test). */
export interface RunSink {
  /** One complete line of container output (no trailing newline). */
  line(text: string, stream: 'out' | 'err'): void;
  /** A line from CubeLab itself: progress, build output, status changes. */
  info(text: string): void;
  /** Image pull/build progress: `current`/`total` bytes when known. */
  progress?(message: string, current?: number, total?: number): void;
}

export type RunStatus = 'configuring' | 'running' | 'succeeded' | 'failed' | 'stopped' | 'engine-unreachable';

export interface RunRequest {
  /** The manifest the plan came from (absolute path) and the task name, for the record. */
  manifest: string;
  task: string;
  plan: TaskPlan;
  /** Overrides the plan's `imageBuild` (tests; a "configure with" command). */
  build?: ImageBuild;
  overrides?: string[];
  /** Run as the host user (`uid:gid`) so outputs are not root-owned. */
  asHostUser?: boolean;
  /** NetworkMode when the plan's flags name none (tests use `none`). */
  defaultNetwork?: string;
  /** Keep the container after it exits (default: removed once its log is on disk). */
  keepContainer?: boolean;
}

export interface CancelToken {
  readonly cancelled: boolean;
  onCancel(listener: () => void): void;
}

/** A run that has been started (or re-attached); `done` settles when its record is final. */
export interface RunHandle {
  runId: string;
  containerId: string;
  done: Promise<RunOutcome>;
}

export interface RunOutcome {
  runId: string;
  status: RunStatus;
  exitCode: number | null;
  reason?: string;
}

export interface Runner {
  /** Obtains the image as `mlcube configure` would. */
  configure(image: string, build: ImageBuild | undefined, sink: RunSink, cancel?: CancelToken): Promise<void>;
  /** Configures if needed, creates and starts the container, and streams its output. */
  run(request: RunRequest, sink: RunSink, cancel?: CancelToken): Promise<RunHandle>;
  /** Finds this runner's running containers and resumes their runs; returns the handles. */
  attach(sink: (runId: string) => RunSink): Promise<RunHandle[]>;
  /** SIGTERM, then SIGKILL after `graceSeconds`. */
  stop(runId: string, graceSeconds?: number): Promise<void>;
  /** The run's stored log (what is on disk). */
  logs(runId: string): Promise<string>;
}

/** A runner error meant for the user as it stands: no stack trace needed. */
export class RunnerError extends Error {
  constructor(message: string, readonly code: 'engine-missing' | 'engine-stopped' | 'engine-denied' | 'engine' | 'bad-flag' | 'gpu' | 'image' | 'build' | 'cancelled' | 'not-found') {
    super(message);
  }
}
