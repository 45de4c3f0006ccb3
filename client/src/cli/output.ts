/**
 * Where the CLI writes: results on stdout, messages on stderr, and a progress line on stderr only while stdout is a
 * terminal (a pipe or a file gets none, so CI logs and redirected output stay clean). Paths are shown relative to
 * the current folder when inside it, and with the platform's own separators (backslashes on Windows).
 */
import * as path from 'node:path';

export interface Streams {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (progress lines, colours are for people, never for pipes). */
  readonly interactive: boolean;
  readonly platform: NodeJS.Platform;
  readonly cwd: string;
}

export const processStreams: Streams = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  interactive: !!process.stdout.isTTY && !!process.stderr.isTTY,
  platform: process.platform,
  cwd: process.cwd(),
};

/** A path as users of the platform write it: backslashes on Windows, as is elsewhere. */
export function nativePath(p: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? p.replace(/\//g, '\\') : p;
}

/** A path for a person: relative to `cwd` when inside it, else absolute; native separators. */
export function displayPath(abs: string, cwd: string, platform: NodeJS.Platform = process.platform): string {
  const api = platform === 'win32' ? path.win32 : path.posix;
  const a = platform === 'win32' ? abs.replace(/\//g, '\\') : abs;
  const c = platform === 'win32' ? cwd.replace(/\//g, '\\') : cwd;
  const rel = api.relative(c, a);
  const shown = rel && !rel.startsWith('..') && !api.isAbsolute(rel) ? rel : a;
  return nativePath(shown, platform);
}

/** A path for machines (SARIF, workflow annotations): relative to `cwd` when inside it, always with `/`. */
export function portablePath(abs: string, cwd: string, platform: NodeJS.Platform = process.platform): string {
  const api = platform === 'win32' ? path.win32 : path.posix;
  const rel = api.relative(cwd, abs);
  const shown = rel && !rel.startsWith('..') && !api.isAbsolute(rel) ? rel : abs;
  return shown.replace(/\\/g, '/');
}

/**
 * One line of progress on stderr, rewritten in place (`\r`), shown only when stdout is a terminal, and only once the
 * work has taken longer than `delayMs` (quick work shows nothing). `done()` erases it before results are printed.
 */
export class Progress {
  private shown = false;
  private last = 0;
  private readonly started = Date.now();

  constructor(private readonly streams: Streams, private readonly delayMs = 400, private readonly intervalMs = 100) {}

  update(text: string): void {
    if (!this.streams.interactive) return;
    const now = Date.now();
    if (now - this.started < this.delayMs || (this.shown && now - this.last < this.intervalMs)) return;
    this.last = now;
    this.shown = true;
    const width = Math.max(20, (process.stderr.columns || 80) - 1);
    const line = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    this.streams.err(`\r\x1b[2K${line}`);
  }

  done(): void {
    if (this.shown) this.streams.err('\r\x1b[2K');
    this.shown = false;
  }
}
