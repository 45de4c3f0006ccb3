/**
 * One watched event log shared by every panel showing it (Metrics, Experiments table, Model card): the reader
 * tails the file, the aggregator keeps the series, and listeners get the ids changed since the last flush. Also
 * the selection of experiments shared by the panels of this log (the table's selection drives the charts).
 * Pure Node, no `vscode`.
 *
 * Latency: a flush follows each read at once (reads already coalesce a burst of appends), unless the previous
 * flush was expensive: then the next waits a few times its cost, so that a log of thousands of events per second
 * with many experiments never keeps the extension host busy for more than a fifth of the time.
 *
 * With an event index store (eventIndex.ts) the first read starts from the log's index when it still describes
 * the log; the index is saved after the first read and, while the log grows, at most every `indexSaveMs`.
 */
import { basename, dirname } from 'node:path';
import { EventLogReader, LogTail, RunAggregator, openFromIndex, saveToIndex, type EventIndexStore, type IndexOpen } from '../events/index';

export interface SessionListener {
  /** The log was read again from the start (first read, truncation, replacement): send everything. */
  reset(): void;
  changed(ids: readonly string[]): void;
  selection?(ids: readonly string[], from: unknown): void;
  status?(text: string, badLines: number): void;
}

export interface SessionOptions {
  /** Least time between two flushes, ms (default 0: each read's changes go out at once). */
  flushMs?: number;
  /** The poll that backs fs.watch, ms (default 500). */
  pollMs?: number;
  /** Where the log's event index is kept; none: the log is read from its start. */
  index?: EventIndexStore;
  /** Least time between two saves of the index while the log grows, ms (default 10 s). */
  indexSaveMs?: number;
  /** Told how opening from the index went, and about index write errors (the output channel). */
  log?: (text: string) => void;
}

export class RunSession {
  readonly aggregator = new RunAggregator();
  readonly reader: EventLogReader;
  private tail?: LogTail;
  private readonly listeners = new Set<SessionListener>();
  private timer?: NodeJS.Timeout;
  private pendingReset = false;
  private lastFlushEnd = 0;
  private flushCost = 0;
  private readonly flushMs: number;
  private readonly pollMs: number;
  private indexTimer?: NodeJS.Timeout;
  private indexDirty = false;
  private indexSaving: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private readonly options: SessionOptions;
  selection: string[] = [];
  /** How the first read used the event index (undefined without a store). */
  indexOpen?: IndexOpen;
  /** Resolves after the first read of the whole log (from its index, when it had a usable one). */
  readonly ready: Promise<void>;

  constructor(readonly logPath: string, options: SessionOptions | number = {}, pollMs?: number) {
    // (logPath, flushMs, pollMs): the older positional form.
    const o: SessionOptions = typeof options === 'number' ? { flushMs: options, pollMs } : options;
    this.flushMs = o.flushMs ?? 0;
    this.pollMs = o.pollMs ?? 500;
    this.options = o;
    this.reader = new EventLogReader(logPath, this.aggregator);
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    const store = this.options.index;
    if (store) {
      try {
        this.indexOpen = await openFromIndex(store, this.reader, this.aggregator);
        this.options.log?.(`event index for ${this.logPath}: ${this.indexOpen.outcome} (${this.indexOpen.ms.toFixed(0)} ms)`);
      } catch (err) {
        this.options.log?.(`event index for ${this.logPath} not used: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (this.disposed) return;
    this.tail = new LogTail(this.reader, {
      pollMs: this.pollMs,
      onUpdate: (r) => {
        if (r.restarted) this.pendingReset = true;
        this.indexDirty = true;
        this.schedule();
      },
      onError: (err) => this.emitStatus(`read error: ${err.message}`),
    });
    await this.tail.ready;
    // Saved right after the first read when it read something (a first open, or a log that grew).
    if (store && this.indexDirty) this.saveIndex();
  }

  /** `<grid_search_id>` (the folder of the log). */
  get title(): string {
    return basename(dirname(this.logPath));
  }

  get gridSearchDir(): string {
    return dirname(this.logPath);
  }

  add(l: SessionListener): void { this.listeners.add(l); }
  remove(l: SessionListener): void { this.listeners.delete(l); }
  get listenerCount(): number { return this.listeners.size; }

  setSelection(ids: string[], from: unknown): void {
    this.selection = ids;
    for (const l of this.listeners) l.selection?.(ids, from);
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = this.lastFlushEnd + Math.max(this.flushMs, 4 * this.flushCost) - performance.now();
    if (wait <= 0) { this.flush(); return; }
    this.timer = setTimeout(() => { this.timer = undefined; this.flush(); }, wait);
  }

  /** Sends what changed now (tests call it instead of waiting). */
  flush(): void {
    const t0 = performance.now();
    const ids = this.aggregator.takeChanged();
    if (this.pendingReset) {
      this.pendingReset = false;
      for (const l of this.listeners) l.reset();
    } else if (ids.length) {
      for (const l of this.listeners) l.changed(ids);
    }
    this.emitStatus();
    this.lastFlushEnd = performance.now();
    this.flushCost = this.lastFlushEnd - t0;
    if (this.indexDirty && this.options.index && !this.indexTimer) {
      this.indexTimer = setTimeout(() => { this.indexTimer = undefined; this.saveIndex(); }, this.options.indexSaveMs ?? 10_000);
    }
  }

  /** Saves the event index now (after the read in progress); resolves when written. */
  saveIndex(): Promise<unknown> {
    const store = this.options.index;
    if (!store) return Promise.resolve();
    this.indexDirty = false;
    this.indexSaving = this.indexSaving.then(async () => {
      try {
        // Between reads only: a read in progress would leave the reader and the aggregator out of step.
        await this.reader.read();
        await saveToIndex(store, this.reader, this.aggregator);
      } catch (err) {
        this.options.log?.(`event index for ${this.logPath} not saved: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    return this.indexSaving;
  }

  private emitStatus(extra?: string): void {
    const st = this.reader.stats;
    const text = extra ?? `${this.aggregator.experiments.size} experiments, ${st.events} events`;
    for (const l of this.listeners) l.status?.(text, st.badLines);
  }

  dispose(): Promise<unknown> {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.indexTimer) clearTimeout(this.indexTimer);
    this.tail?.close();
    this.tail = undefined;
    this.listeners.clear();
    return this.indexDirty ? this.saveIndex() : this.indexSaving;
  }
}

/** Sessions by log path, closed when their last panel closes. */
export class SessionRegistry {
  private readonly sessions = new Map<string, RunSession>();

  constructor(private readonly options: SessionOptions = {}) {}

  acquire(logPath: string): RunSession {
    let s = this.sessions.get(logPath);
    if (!s) { s = new RunSession(logPath, this.options); this.sessions.set(logPath, s); }
    return s;
  }

  /** The session of an open panel's log, if any (nothing is created or read). */
  peek(logPath: string): RunSession | undefined {
    return this.sessions.get(logPath);
  }

  release(s: RunSession, l: SessionListener): void {
    s.remove(l);
    if (s.listenerCount === 0) { void s.dispose(); this.sessions.delete(s.logPath); }
  }

  disposeAll(): void {
    for (const s of this.sessions.values()) void s.dispose();
    this.sessions.clear();
  }
}
