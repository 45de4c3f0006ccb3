/**
 * A bound on concurrent checkpoint uploads. A multiprocessing MLgym run uploads from each of its jobs, so
 * uploads beyond the bound wait their turn (first come, first served) with their bodies unread: the client
 * is held back by TCP flow control and costs no memory. Beyond the waiting room too, the answer is 503 with
 * Retry-After (MLgym's client then reports a NetworkError). A waiting client that goes away leaves the queue.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './httpError';

export class BusyError extends HttpError {
  constructor(readonly retryAfterSeconds: number, message: string) {
    super(503, message);
  }
}

export class UploadGate {
  private active = 0;
  private readonly waiting: { req: IncomingMessage; go: () => void }[] = [];

  constructor(readonly maxConcurrent: number, readonly maxWaiting: number) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once the upload may proceed; rejects with BusyError when the queue is full. */
  acquire(req: IncomingMessage): Promise<() => void> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.active--;
      const next = this.waiting.shift();
      if (next) next.go();
    };
    if (this.active < this.maxConcurrent) {
      this.active++;
      return Promise.resolve(release);
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new BusyError(5, `${this.active} checkpoint uploads running and ${this.waiting.length} waiting: try again later`));
    }
    return new Promise((resolve, reject) => {
      const entry = {
        req,
        go: () => {
          req.off('close', gone);
          this.active++;
          resolve(release);
        },
      };
      const gone = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new HttpError(400, 'upload aborted while waiting'));
      };
      req.once('close', gone);
      this.waiting.push(entry);
    });
  }
}
