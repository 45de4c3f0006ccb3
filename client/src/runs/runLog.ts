/**
 * A run's log: `<timestamp> <out|err|sys> <text>` lines, appended by the supervisor only. Beside it,
 * `run.cursor.json` says how many bytes of the log correspond to which backend cursor (where the target's
 * output was read up to). It is saved once those bytes are written, a few times a second, so after a crash the
 * log is cut back to the last saved point (CubeLab's own `sys` lines after it are kept) and the backend
 * resumes from that cursor: no line is lost and none is stored twice.
 * A write error (a full disk) is reported once through `onError`; later writes are dropped, never thrown.
 */
import { createWriteStream, existsSync, openSync, readSync, closeSync, fstatSync, ftruncateSync, writeSync, type WriteStream } from 'node:fs';
import { readFile, rename, writeFile, unlink } from 'node:fs/promises';
import type { LogLine } from './backend';

const SAVE_MS = 200;

interface CursorFile { bytes: number; cursor: unknown }

export class RunLog {
  private stream: WriteStream | undefined;
  private base = 0;
  private confirmed: CursorFile | undefined;
  private saved: CursorFile | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private error: Error | undefined;
  private closed = false;

  constructor(readonly path: string, readonly cursorPath: string, private readonly onError?: (e: Error) => void) {}

  /** The first write error, if any. */
  get failed(): Error | undefined { return this.error; }

  /**
   * Opens the log for appending and says where the target's output should resume. With a saved cursor, the
   * log is cut back to its byte count (sys lines after it are kept). Without one, `fallback` (a backend that can
   * read its position off the log itself) decides; otherwise every stored output line is dropped and the
   * output is read again from the start.
   */
  async open(fallback?: (path: string) => unknown): Promise<{ cursor: unknown }> {
    let cursor: unknown;
    let saved: CursorFile | undefined;
    try { saved = JSON.parse(await readFile(this.cursorPath, 'utf8')) as CursorFile; } catch { saved = undefined; }
    if (existsSync(this.path)) {
      if (saved && typeof saved.bytes === 'number') { cutBack(this.path, saved.bytes); cursor = saved.cursor; this.saved = saved; this.confirmed = saved; }
      else if (fallback) cursor = fallback(this.path);
      else cutBack(this.path, 0);
    }
    this.base = existsSync(this.path) ? sizeOf(this.path) : 0;
    this.stream = createWriteStream(this.path, { flags: 'a' });
    this.stream.on('error', (e) => this.fail(e));
    return { cursor };
  }

  private fail(e: Error): void {
    if (this.error) return;
    const code = (e as NodeJS.ErrnoException).code;
    this.error = new Error(`CubeLab cannot write the run's log ${this.path}${code ? ` (${code}${code === 'ENOSPC' ? ': no space left on the disk' : ''})` : `: ${e.message}`}; the output is no longer stored.`);
    this.onError?.(this.error);
  }

  private write(chunk: string, cursor?: { value: unknown }): boolean {
    if (!this.stream || this.error || this.closed) return true;
    return this.stream.write(chunk, (err) => {
      if (err || !cursor || !this.stream) return;
      this.confirmed = { bytes: this.base + this.stream.bytesWritten, cursor: cursor.value };
      this.scheduleSave();
    });
  }

  /** Appends output lines and the cursor after them. Returns false when the caller should wait for `drain()`. */
  append(lines: LogLine[], cursor: unknown): boolean {
    if (!lines.length) return true;
    let chunk = '';
    for (const l of lines) chunk += `${l.ts} ${l.stream} ${l.text}\n`;
    return this.write(chunk, { value: cursor });
  }

  /** A line of CubeLab's own (timestamped now). */
  info(text: string): boolean {
    const ts = new Date().toISOString();
    return this.write(text.split('\n').map((t) => `${ts} sys ${t}\n`).join(''));
  }

  drain(): Promise<void> {
    return new Promise((resolve) => {
      const s = this.stream;
      if (!s || !s.writableNeedDrain || this.error) { resolve(); return; }
      const done = () => { s.off('drain', done); s.off('error', done); resolve(); };
      s.on('drain', done);
      s.on('error', done);
    });
  }

  private scheduleSave(): void {
    if (this.saveTimer || this.closed) return;
    this.saveTimer = setTimeout(() => { this.saveTimer = undefined; this.saving = this.saving.then(() => this.save()); }, SAVE_MS);
  }

  private async save(): Promise<void> {
    const c = this.confirmed;
    if (!c || c === this.saved) return;
    const tmp = `${this.cursorPath}.tmp-${process.pid}`;
    try {
      await writeFile(tmp, JSON.stringify(c));
      await rename(tmp, this.cursorPath);
      this.saved = c;
    } catch {
      await unlink(tmp).catch(() => undefined); // the next save tries again; the log itself is intact
    }
  }

  /** Flushes the log and saves the cursor of everything written. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.saveTimer) { clearTimeout(this.saveTimer); this.saveTimer = undefined; }
    const s = this.stream;
    if (s) await new Promise<void>((resolve) => { if (s.destroyed) resolve(); else s.end(() => resolve()); });
    await this.saving;
    await this.save();
  }
}

function sizeOf(path: string): number {
  const fd = openSync(path, 'r');
  try { return fstatSync(fd).size; } finally { closeSync(fd); }
}

/**
 * Cuts the log back to `bytes` (or to its last complete line, if shorter), putting back the `sys` lines that
 * followed: they are CubeLab's own notes, not output that will be read again.
 */
function cutBack(path: string, bytes: number): void {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (bytes >= size) {
      // Nothing after the saved point (a longer count cannot happen: the cursor is saved after its bytes are
      // written); only a last line cut short by a crash is removed.
      if (size === 0) return;
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] === 0x0a) return;
      const head = Buffer.alloc(size);
      readSync(fd, head, 0, size, 0);
      ftruncateSync(fd, head.lastIndexOf(0x0a) + 1);
      return;
    }
    const tail = Buffer.alloc(size - bytes);
    readSync(fd, tail, 0, tail.length, bytes);
    const keep = tail.toString('utf8').split('\n').filter((l) => /^\S+ sys /.test(l));
    ftruncateSync(fd, bytes);
    if (keep.length) writeSync(fd, keep.join('\n') + '\n', bytes);
  } finally {
    closeSync(fd);
  }
}
