/**
 * One watch of CubeLab's pods in a namespace, shared by every run and sweep element on the target (a sweep of
 * a thousand elements is still one watch, and `poll` reads its cache instead of asking the API server).
 *
 * List, then watch from the list's resourceVersion; a watch that ends is resumed from the last version seen;
 * `410 Gone` (the server no longer has that version: an `ERROR` event or the HTTP status) means list again and
 * take the list as the truth, pods absent from it being gone. A pod that is deleted is kept as a tombstone with
 * its last state for a while (its exit code is what a stopped run reports). While the watch cannot be
 * re-established the target counts as unreachable.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeApi, KubeApiError, WatchHandle } from './kubeApi';
import { INDEX_ANNOTATION } from './jobSpec';

export interface PodEntry {
  pod: V1Pod;
  /** When the watch saw it deleted (ms), undefined while it exists. */
  deletedAt?: number;
}

const TOMBSTONE_MS = 30 * 60_000;

export class PodWatch {
  private readonly pods = new Map<string, PodEntry>();
  private resourceVersion = '';
  private handle: WatchHandle | undefined;
  private started: Promise<void> | undefined;
  private stopped = false;
  private failures = 0;
  private relisting: Promise<void> | undefined;
  private inflight: Promise<void> | undefined;
  private gen = 0;
  private retry: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();
  /** Why the watch is down (the target does not answer), or undefined while it is up. */
  down: KubeApiError | undefined;
  /** How often the pods were listed (the first time and after each 410 Gone or lost watch): for tests. */
  lists = 0;
  /** How many watch requests were made: for tests. */
  watches = 0;

  constructor(private readonly api: () => KubeApi, private readonly selector: string, private readonly retryMs: number) {}

  /** Starts the watch once; resolves after the first list, throws while the target does not answer. */
  ensure(): Promise<void> {
    this.started ??= this.relist().catch(() => undefined);
    return this.started.then(async () => {
      // Down: one list now rather than at the next retry (the caller was told the target answers again).
      if (this.down) { this.relisting ??= this.relist().catch(() => undefined).finally(() => { this.relisting = undefined; }); await this.relisting; }
      if (this.down) throw this.down;
    });
  }

  /** Calls `listener` after every change (a pod added, changed or deleted, a re-list). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves at the next change, or after `ms`, or when `signal` aborts. */
  changed(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { off(); clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); };
      const off = this.onChange(done);
      const t = setTimeout(done, ms);
      signal?.addEventListener('abort', done);
    });
  }

  /** The pods of a Job (and of one completion index), oldest first, tombstones included. */
  podsOf(job: string, index?: number): PodEntry[] {
    const out: PodEntry[] = [];
    for (const e of this.pods.values()) {
      const labels = e.pod.metadata?.labels ?? {};
      if ((labels['batch.kubernetes.io/job-name'] ?? labels['job-name']) !== job) continue;
      if (index !== undefined && completionIndex(e.pod) !== index) continue;
      out.push(e);
    }
    return out.sort((a, b) => created(a.pod) - created(b.pod) || (a.pod.metadata?.name ?? '').localeCompare(b.pod.metadata?.name ?? ''));
  }

  private notify(): void { for (const l of [...this.listeners]) l(); }

  /** One list (and the watch after it) at a time. */
  private relist(): Promise<void> {
    this.inflight ??= this.doRelist().finally(() => { this.inflight = undefined; });
    return this.inflight;
  }

  private async doRelist(): Promise<void> {
    this.gen++; // the watch being replaced must not resume itself
    this.handle?.abort();
    this.handle = undefined;
    let list: { items: V1Pod[]; resourceVersion: string };
    try {
      this.lists++;
      list = await this.api().listPods(this.selector);
    } catch (e) {
      this.down = e as KubeApiError;
      this.scheduleRetry();
      this.notify();
      throw e;
    }
    const seen = new Set<string>();
    for (const p of list.items) {
      const name = p.metadata?.name ?? '';
      seen.add(name);
      this.pods.set(name, { pod: p });
    }
    const now = Date.now();
    for (const [name, e] of this.pods) {
      if (!seen.has(name) && e.deletedAt === undefined) e.deletedAt = now;
      if (e.deletedAt !== undefined && now - e.deletedAt > TOMBSTONE_MS) this.pods.delete(name);
    }
    this.resourceVersion = list.resourceVersion;
    this.down = undefined;
    this.failures = 0;
    this.notify();
    void this.watch();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let ended = false;
    const gen = this.gen;
    const finish = (err: KubeApiError | undefined, gone: boolean): void => {
      if (ended) return;
      ended = true;
      if (this.stopped || gen !== this.gen) return;
      this.handle = undefined;
      // 410 Gone: the server has forgotten our version; only a new list tells what happened meanwhile.
      if (gone) { void this.relist().catch(() => undefined); return; }
      if (err) this.failures++;
      // A watch that ended (the server's timeout, a dropped connection) resumes from the last version seen; one
      // that fails twice in a row means the target does not answer: listed again every retryMs until it does.
      if (this.failures >= 2) {
        this.down = err ?? { kubeApiError: true, message: 'the watch ended' };
        this.notify();
        this.scheduleRetry();
        return;
      }
      void this.watch();
    };
    try {
      this.watches++;
      this.handle = await this.api().watchPods(this.selector, this.resourceVersion, (type, object) => {
        if (ended || gen !== this.gen) return;
        this.failures = 0;
        if (type === 'ERROR') {
          const status = object as { code?: number; reason?: string; message?: string };
          finish({ kubeApiError: true, status: status.code, reason: status.reason, message: status.message ?? 'watch error' }, status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone');
          return;
        }
        const pod = object as V1Pod;
        const rv = pod.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (type === 'BOOKMARK') return;
        const name = pod.metadata?.name ?? '';
        if (type === 'DELETED') this.pods.set(name, { pod, deletedAt: Date.now() });
        else this.pods.set(name, { pod });
        this.notify();
      }, (err) => finish(err, err?.status === 410));
      if (!ended) this.failures = 0;
    } catch (e) {
      finish(e as KubeApiError, (e as KubeApiError).status === 410);
    }
  }

  private async resume(): Promise<void> {
    if (this.stopped) return;
    try { await this.relist(); } catch { /* relist scheduled the next try */ }
  }

  private scheduleRetry(): void {
    if (this.retry || this.stopped) return;
    this.retry = setTimeout(() => { this.retry = undefined; void this.resume(); }, this.retryMs);
  }

  dispose(): void {
    this.stopped = true;
    this.handle?.abort();
    if (this.retry) clearTimeout(this.retry);
    this.listeners.clear();
  }
}

function created(p: V1Pod): number {
  const c = p.metadata?.creationTimestamp as unknown;
  return c instanceof Date ? c.getTime() : typeof c === 'string' ? Date.parse(c) : 0;
}

/** A pod's completion index in an Indexed Job (undefined for a single task's pod). */
export function completionIndex(p: V1Pod): number | undefined {
  const v = p.metadata?.annotations?.[INDEX_ANNOTATION] ?? p.metadata?.labels?.[INDEX_ANNOTATION];
  return v === undefined ? undefined : Number(v);
}
