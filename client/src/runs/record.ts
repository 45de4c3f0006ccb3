/**
 * The run record (`run.json`): what a run is, where it runs, and how it ended. Target-independent: where the
 * work runs is a discriminated union with one member per target kind, and each backend keeps its own cursor
 * into the log opaque to everything else. Version 2; every older record is read (see `upgradeRecord`).
 * Pure data and functions: no `vscode`, no Node APIs.
 */
import type { TaskPlan } from '../../../shared/lsp-protocol';

export const RECORD_VERSION = 2;

export type RunStatus =
  | 'queued' // accepted, waiting for the target (a scheduler's queue, a concurrency bound)
  | 'configuring' // obtaining the image, staging files
  | 'running'
  | 'target-unreachable' // the target stopped answering; the work may still be running there
  | 'succeeded'
  | 'failed'
  | 'stopped';

export const FINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'stopped'];

/** Whether a run may still change (the supervisor follows it, or will re-attach it). */
export function isActive(status: RunStatus): boolean {
  return !FINAL_STATUSES.includes(status);
}

export function isFinal(status: RunStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** The kinds of target a run can execute on; a backend is registered per kind. */
export type TargetKind = 'docker' | 'docker-ssh' | 'slurm' | 'kubernetes' | 'memory';

/** Where a run executes, and the target's own handle on the work once it was submitted. */
export type RunTarget =
  | { kind: 'docker'; name: string; engine: string; containerId?: string }
  | { kind: 'docker-ssh'; name: string; host: string; engine: string; workDir: string; containerId?: string }
  /**
   * `jobId` is Slurm's key of the work (`1234`, or `1234_5` for an array element); `runDir` the run folder on
   * the cluster (the login node's path) holding the batch scripts and each element's output and exit code.
   */
  | { kind: 'slurm'; name: string; host?: string; jobId?: string; arrayIndex?: number; runDir?: string; jobName?: string }
  /**
   * `job` is the Job's name in `namespace`; `index` a sweep element's completion index in its Indexed Job (absent
   * for a single task's Job, and in records written before sweeps ran on Kubernetes).
   */
  | { kind: 'kubernetes'; name: string; context: string; namespace: string; job?: string; index?: number }
  /** The in-memory backend of the unit tests (never offered to users). */
  | { kind: 'memory'; name: string; workId?: string };

/** A value kept out of the record: its name and a hash, so a later run can tell that it changed. */
export interface SecretDigest { name: string; sha256: string }

export interface RunRecord {
  version: number;
  runId: string;
  manifest: string;
  task: string;
  target: RunTarget;
  /** The plan as executed, with every secret value replaced by a placeholder (see secrets.ts). */
  plan: TaskPlan;
  overrides: string[];
  image: { name: string; id?: string; digest?: string };
  keepContainer?: boolean;
  status: RunStatus;
  /** Why the run ended as it did, or why it is in its current state. */
  reason?: string;
  stopRequested?: boolean;
  startedAt: string;
  endedAt?: string;
  exitCode: number | null;
  git: { commit: string; dirty: boolean } | null;
  warnings: string[];
  /** Hashes of the secret values the run was given (environment values, `${oc.env:…}` resolutions). */
  secrets?: SecretDigest[];
  /** What the run grants the container on the host, as confirmed by the user (hash of the granted set). */
  grants?: { items: string[]; sha256: string };
  /** Where the outputs live (a remote target) and when they were last brought back. */
  outputs?: { location: string; syncedAt?: string }[];
  /** A sweep: one task over a list of override sets; each element's state is in `elements/<i>/element.json`. */
  sweep?: SweepInfo;
}

/** What a sweep's record says of its elements (the elements themselves are files of their own). */
export interface SweepInfo {
  count: number;
  /** How many elements run at once. */
  parallelism: number;
  /** Elements per status, kept up to date while the sweep runs. */
  counts: Partial<Record<RunStatus, number>>;
  /** Where the override sets came from (`product`, a sweep file, a grid search). */
  source?: string;
  /** Elements the user asked to stop (any window). */
  stopElements?: number[];
}

/** One element of a sweep: its overrides, plan, where it runs, how it ended (`elements/<i>/element.json`). */
export interface SweepElement {
  index: number;
  overrides: string[];
  /** The element's plan, secrets masked. */
  plan: TaskPlan;
  status: RunStatus;
  exitCode: number | null;
  reason?: string;
  /** The element's own handle on the target (a container id, a job id and array index). */
  target?: RunTarget;
  startedAt?: string;
  endedAt?: string;
}

/** The fields every record must have to be shown at all. */
const REQUIRED = ['runId', 'manifest', 'task', 'status', 'startedAt'] as const;

const STATUSES: readonly RunStatus[] = ['queued', 'configuring', 'running', 'target-unreachable', 'succeeded', 'failed', 'stopped'];

/**
 * Reads a parsed `run.json` of any version into the current shape, or throws a sentence saying what is wrong.
 * Version 1 (the Docker-only runner) kept `target: 'docker'`, `engine: {host}` and `containerId` at the top and
 * said `engine-unreachable`.
 */
export function upgradeRecord(value: unknown, folderName: string): RunRecord {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('run.json does not hold an object');
  const r = value as Record<string, unknown>;
  const missing = REQUIRED.filter((k) => typeof r[k] !== 'string');
  if (missing.length) throw new Error(`run.json lacks ${missing.join(', ')}`);
  if (r.runId !== folderName) throw new Error(`run.json names run "${String(r.runId)}" but sits in folder "${folderName}"`);
  if (typeof r.plan !== 'object' || r.plan === null) throw new Error('run.json lacks the plan');
  const version = typeof r.version === 'number' ? r.version : 1;
  if (version > RECORD_VERSION) throw new Error(`run.json has version ${version}, newer than this CubeLab understands (${RECORD_VERSION})`);
  let status = r.status as string;
  if (status === 'engine-unreachable') status = 'target-unreachable';
  if (!STATUSES.includes(status as RunStatus)) throw new Error(`run.json has an unknown status "${status}"`);

  let target: RunTarget;
  if (version < 2 || typeof r.target !== 'object' || r.target === null) {
    const engine = (r.engine as { host?: unknown } | undefined)?.host;
    target = {
      kind: 'docker', name: 'local', engine: typeof engine === 'string' ? engine : '',
      ...(typeof r.containerId === 'string' ? { containerId: r.containerId } : {}),
    };
  } else {
    target = r.target as RunTarget;
    if (typeof target.kind !== 'string') throw new Error('run.json names a target without a kind');
  }
  const out: RunRecord = {
    version: RECORD_VERSION,
    runId: r.runId as string,
    manifest: r.manifest as string,
    task: r.task as string,
    target,
    plan: r.plan as TaskPlan,
    overrides: Array.isArray(r.overrides) ? r.overrides.filter((x): x is string => typeof x === 'string') : [],
    image: typeof r.image === 'object' && r.image !== null ? r.image as RunRecord['image'] : { name: '' },
    status: status as RunStatus,
    startedAt: r.startedAt as string,
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : null,
    git: typeof r.git === 'object' ? r.git as RunRecord['git'] : null,
    warnings: Array.isArray(r.warnings) ? r.warnings.filter((x): x is string => typeof x === 'string') : [],
  };
  // Optional fields are copied only when well-formed: a record missing them is still shown and re-attached.
  if (typeof r.keepContainer === 'boolean') out.keepContainer = r.keepContainer;
  if (typeof r.reason === 'string') out.reason = r.reason;
  if (r.stopRequested === true) out.stopRequested = true;
  if (typeof r.endedAt === 'string') out.endedAt = r.endedAt;
  if (Array.isArray(r.secrets)) out.secrets = r.secrets as SecretDigest[];
  if (typeof r.grants === 'object' && r.grants !== null) out.grants = r.grants as RunRecord['grants'];
  if (Array.isArray(r.outputs)) out.outputs = r.outputs as RunRecord['outputs'];
  if (typeof r.sweep === 'object' && r.sweep !== null && typeof (r.sweep as SweepInfo).count === 'number') out.sweep = r.sweep as SweepInfo;
  return out;
}

/** A short description of where a run executes, for trees and messages. */
export function describeTarget(t: RunTarget): string {
  switch (t.kind) {
    case 'docker': return t.name === 'local' ? `local Docker engine${t.engine ? ` (${t.engine})` : ''}` : `${t.name} (${t.engine})`;
    case 'docker-ssh': return `${t.name} (Docker over SSH on ${t.host})`;
    case 'slurm': return `${t.name} (Slurm${t.jobId ? ` job ${t.jobId}${t.arrayIndex !== undefined ? `_${t.arrayIndex}` : ''}` : ''})`;
    case 'kubernetes': return `${t.name} (Kubernetes ${t.context}/${t.namespace}${t.job ? `, job ${t.job}${t.index !== undefined ? ` index ${t.index}` : ''}` : ''})`;
    case 'memory': return `${t.name} (in memory)`;
  }
}
