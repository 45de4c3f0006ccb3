/**
 * The bookkeeping of one sweep while a supervisor follows it: its elements' statuses, the summary the sweep's
 * record keeps (counts per status, written at most a few times a second), the elements still to start, and
 * how the sweep ends. The supervisor runs and follows the elements (client/src/runs/supervisor.ts); this only
 * counts and decides. Pure Node.
 */
import type { Backend } from './backend';
import { isFinal, type RunRecord, type RunStatus, type SweepElement } from './record';
import type { RunLock } from './runLock';
import type { RunLog } from './runLog';
import type { RunStore } from './runStore';
import type { Secret } from './secrets';

const SUMMARY_MS = 300;

/** What a caller gives for each element: its override words and the plan made with them. */
export interface SweepElementRequest { overrides: string[]; plan: import('../../../shared/lsp-protocol').TaskPlan }

export class SweepState {
  readonly statuses: RunStatus[];
  /** Elements not started yet, in order. */
  readonly pending: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<unknown> = Promise.resolve();
  stopAll = false;
  private ended: () => void = () => undefined;
  /** Settles when no element is left running or pending. */
  readonly finished: Promise<void>;
  private running = 0;

  constructor(
    readonly runId: string,
    readonly store: RunStore,
    readonly backend: Backend,
    readonly lock: RunLock,
    readonly log: RunLog,
    readonly secrets: Secret[],
    readonly elements: SweepElement[],
    private readonly onRecord: (r: RunRecord) => void,
  ) {
    this.statuses = elements.map((e) => e.status);
    this.finished = new Promise((resolve) => { this.ended = resolve; });
  }

  get count(): number { return this.elements.length; }

  counts(): Partial<Record<RunStatus, number>> {
    const c: Partial<Record<RunStatus, number>> = {};
    for (const s of this.statuses) c[s] = (c[s] ?? 0) + 1;
    return c;
  }

  /** An element changed status: the summary in the sweep's record follows (throttled). */
  set(index: number, status: RunStatus): void {
    this.statuses[index] = status;
    if (!this.timer) this.timer = setTimeout(() => { this.timer = undefined; void this.writeSummary(); }, SUMMARY_MS);
  }

  async writeSummary(patch: Partial<RunRecord> = {}): Promise<RunRecord | undefined> {
    const counts = this.counts();
    const active = this.statuses.some((s) => s === 'running' || s === 'configuring' || s === 'target-unreachable');
    const next = this.writing.then(() => this.store.update(this.runId, (r) => ({
      ...(r.sweep ? { sweep: { ...r.sweep, counts } } : {}),
      ...(!isFinal(r.status) && !patch.status ? { status: active ? 'running' as const : r.status } : {}),
      ...patch,
    })));
    this.writing = next.catch(() => undefined);
    const r = await next.catch(() => undefined);
    if (r) this.onRecord(r);
    return r;
  }

  started(): void { this.running++; }

  /** An element ended (or was never started and will not be): the sweep ends with the last one. */
  done(): void {
    this.running = Math.max(0, this.running - 1);
    this.check();
  }

  check(): void {
    if (this.running === 0 && (this.pending.length === 0 || this.stopAll)) this.ended();
  }

  /** How the sweep ended, from its elements. */
  outcome(stopRequested: boolean): { status: RunStatus; reason: string; exitCode: number | null } {
    const c = this.counts();
    const failed = c.failed ?? 0, stopped = c.stopped ?? 0, ok = c.succeeded ?? 0;
    const summary = `${ok} of ${this.count} element(s) succeeded${failed ? `, ${failed} failed` : ''}${stopped ? `, ${stopped} stopped` : ''}.`;
    if (stopRequested) return { status: 'stopped', reason: `Stopped by the user: ${summary}`, exitCode: null };
    if (failed) return { status: 'failed', reason: summary, exitCode: 1 };
    if (stopped) return { status: 'stopped', reason: `Elements stopped by the user: ${summary}`, exitCode: null };
    return { status: 'succeeded', reason: summary, exitCode: 0 };
  }

  dispose(): void { if (this.timer) clearTimeout(this.timer); }
}
