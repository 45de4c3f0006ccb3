/**
 * The task terminal of a run (a Pseudoterminal). Output is batched and written a few times a second; when
 * a container talks faster than a terminal can render, the oldest pending lines are summarized instead of
 * queued without bound (every line is in the run's log file anyway).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import * as vscode from 'vscode';
import type { RunSink } from '../backend';

const FLUSH_MS = 50;
const MAX_PENDING = 5000;

export class RunTerminal implements vscode.Pseudoterminal, RunSink {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private pending: string[] = [];
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private opened = false;

  constructor(private readonly onOpen: (term: RunTerminal) => void, private readonly onUserClose: () => void) {}

  open(): void { this.opened = true; this.onOpen(this); this.schedule(); }
  close(): void { this.onUserClose(); }

  line(text: string, stream: 'out' | 'err'): void { this.push(stream === 'err' ? `\x1b[31m${text}\x1b[0m` : text); }
  info(text: string): void { this.push(`\x1b[2m${text}\x1b[0m`); }
  progress(message: string, current?: number, total?: number): void {
    if (total) this.push(`\x1b[2m${message} ${Math.round((100 * (current ?? 0)) / total)}%\x1b[0m`);
  }

  /** Ends the task with the run's exit code (0 for success). */
  finish(code: number): void {
    this.flush();
    this.closeEmitter.fire(code);
  }

  private push(text: string): void {
    this.pending.push(text);
    if (this.pending.length > MAX_PENDING) { this.dropped += this.pending.length - MAX_PENDING / 2; this.pending = this.pending.slice(-MAX_PENDING / 2); }
    this.schedule();
  }

  private schedule(): void {
    if (!this.timer && this.opened) this.timer = setTimeout(() => { this.timer = undefined; this.flush(); }, FLUSH_MS);
  }

  private flush(): void {
    if (!this.opened) return;
    let out = '';
    if (this.dropped) { out += `\x1b[33m… ${this.dropped} lines not shown here (the run's log file has them all)\x1b[0m\r\n`; this.dropped = 0; }
    if (this.pending.length) out += this.pending.join('\r\n') + '\r\n';
    this.pending = [];
    if (out) this.writeEmitter.fire(out);
  }
}

/** The last `maxLines` container lines of a run's log file (`<timestamp> out|err <text>`), oldest first. */
export function logTail(file: string, maxLines = 200, maxBytes = 256 * 1024): { text: string; stream: 'out' | 'err' }[] {
  let fd: number | undefined;
  try {
    const size = statSync(file).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    fd = openSync(file, 'r');
    readSync(fd, buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n');
    if (start > 0) lines.shift(); // a partial first line
    const out: { text: string; stream: 'out' | 'err' }[] = [];
    for (const l of lines) {
      const m = /^\S+ (out|err) ([^\n]*)$/.exec(l);
      if (m) out.push({ stream: m[1] as 'out' | 'err', text: m[2] ?? '' });
    }
    return out.slice(-maxLines);
  } catch {
    return []; // no log yet: the live lines follow
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
