/**
 * `run.lock`: which window follows a run and writes its log. Two windows on one workspace both find an
 * unfinished run after a reload; only the one that takes the lock re-attaches it, so the log is never written
 * twice. The holder touches the file every few seconds; a lock whose holder died (its process is gone, or it
 * stopped touching the file) is taken over. Pure Node.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';

const HEARTBEAT_MS = 5_000;
/** A lock not touched for this long belongs to a window that is gone (or frozen for long). */
export const STALE_MS = 30_000;

interface LockBody { pid: number; host: string; owner: string; at: string }

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

export class RunLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(readonly path: string, readonly owner: string) {
    this.timer = setInterval(() => { void utimes(this.path, new Date(), new Date()).catch(() => undefined); }, HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Takes the lock, or returns undefined when a live holder has it. */
  static async acquire(path: string): Promise<RunLock | undefined> {
    const owner = randomBytes(8).toString('hex');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fh = await open(path, 'wx', 0o600);
        const body: LockBody = { pid: process.pid, host: hostname(), owner, at: new Date().toISOString() };
        await fh.writeFile(JSON.stringify(body));
        await fh.close();
        return new RunLock(path, owner);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (!(await RunLock.isStale(path))) return undefined;
      await unlink(path).catch(() => undefined); // the dead holder's lock; the next attempt races fairly
    }
    return undefined;
  }

  /** Whether the lock at `path` has no live holder. */
  static async isStale(path: string): Promise<boolean> {
    let body: Partial<LockBody>;
    let mtime: number;
    try {
      body = JSON.parse(await readFile(path, 'utf8')) as Partial<LockBody>;
      mtime = (await stat(path)).mtimeMs;
    } catch {
      // Unreadable or half-written: stale only once it is old (its writer may be writing it right now).
      try { return Date.now() - (await stat(path)).mtimeMs > STALE_MS; } catch { return true; }
    }
    if (body.host === hostname() && typeof body.pid === 'number' && !alive(body.pid)) return true;
    return Date.now() - mtime > STALE_MS;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    try {
      const body = JSON.parse(await readFile(this.path, 'utf8')) as Partial<LockBody>;
      if (body.owner === this.owner) await unlink(this.path);
    } catch { /* gone already */ }
  }
}
