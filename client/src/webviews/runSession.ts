/**
 * One watched event log shared by every panel showing it: the reader tails the file, the aggregator keeps
 * the series, and listeners get the ids changed since the last flush (at most every `flushMs`, so a writer
 * logging thousands of events per second costs a few messages per second). Also the selection of experiments
 * shared by the panels of this log (the table's selection drives the charts). Pure Node, no `vscode`.
 */
import { basename, dirname } from 'node:path';
import { EventLogReader, LogTail, RunAggregator } from '../events/index';

export interface SessionListener {
  /** The log was read again from the start (first read, truncation, replacement): send everything. */
  reset(): void;
  changed(ids: readonly string[]): void;
  selection?(ids: readonly string[], from: unknown): void;
  status?(text: string, badLines: number): void;
}

export class RunSession {
  readonly aggregator = new RunAggregator();
  readonly reader: EventLogReader;
  private tail?: LogTail;
  private readonly listeners = new Set<SessionListener>();
  private timer?: NodeJS.Timeout;
  private pendingReset = false;
  selection: string[] = [];
  /** Resolves after the first read of the whole log. */
  readonly ready: Promise<void>;

  constructor(readonly logPath: string, private readonly flushMs = 100, pollMs = 500) {
    this.reader = new EventLogReader(logPath, this.aggregator);
    this.tail = new LogTail(this.reader, {
      pollMs,
      onUpdate: (r) => { if (r.restarted) this.pendingReset = true; this.schedule(); },
      onError: (err) => this.emitStatus(`read error: ${err.message}`),
    });
    this.ready = this.tail.ready;
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
    this.timer = setTimeout(() => { this.timer = undefined; this.flush(); }, this.flushMs);
  }

  /** Sends what changed now (tests call it instead of waiting). */
  flush(): void {
    const ids = this.aggregator.takeChanged();
    if (this.pendingReset) {
      this.pendingReset = false;
      for (const l of this.listeners) l.reset();
    } else if (ids.length) {
      for (const l of this.listeners) l.changed(ids);
    }
    this.emitStatus();
  }

  private emitStatus(extra?: string): void {
    const st = this.reader.stats;
    const text = extra ?? `${this.aggregator.experiments.size} experiments, ${st.events} events`;
    for (const l of this.listeners) l.status?.(text, st.badLines);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.tail?.close();
    this.tail = undefined;
    this.listeners.clear();
  }
}

/** Sessions by log path, closed when their last panel closes. */
export class SessionRegistry {
  private readonly sessions = new Map<string, RunSession>();

  acquire(logPath: string): RunSession {
    let s = this.sessions.get(logPath);
    if (!s) { s = new RunSession(logPath); this.sessions.set(logPath, s); }
    return s;
  }

  /** The session of an open panel's log, if any (nothing is created or read). */
  peek(logPath: string): RunSession | undefined {
    return this.sessions.get(logPath);
  }

  release(s: RunSession, l: SessionListener): void {
    s.remove(l);
    if (s.listenerCount === 0) { s.dispose(); this.sessions.delete(s.logPath); }
  }

  disposeAll(): void {
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
  }
}
