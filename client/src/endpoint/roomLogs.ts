/**
 * The websocket side of the event storage: one `event_storage.log` per room (= grid search id), appended
 * in arrival order. As in MLboard's `DiscEventStorage`, an event's id is its 0-based line index, so each
 * log's line count and byte length are kept; appends are synchronous so ids, file order and broadcast order
 * always agree, even with several publishers. History is read back in byte ranges, never all at once.
 */
import { closeSync, createReadStream, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { LOG_FILE } from '../events/storage';
import { parseLine } from '../events/lineScan';
import { pythonJsonDumps } from '../../../shared/python-json';
import { storagePath } from './safePath';

/** The event types MLboard stores (docs/mlgym.md §3.2); others are dropped. */
export const STORED_EVENT_TYPES: ReadonlySet<string> = new Set(['experiment_config', 'job_status', 'experiment_status', 'evaluation_result']);

/** A stored event as the websocket carries it: `{event_id, data}`. */
export interface WireEvent {
  event_id: number;
  data: unknown;
}

interface RoomLog {
  path: string;
  fd: number;
  lines: number;
  bytes: number;
}

/** Counts the complete lines of an open file and tells whether it ends in the middle of a line. */
function scan(fd: number): { lines: number; bytes: number; partial: boolean } {
  const size = fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  let pos = 0;
  let last = 10;
  while (pos < size) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n <= 0) break;
    for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
    last = buf[n - 1]!; // 0 < n <= buf.length
    pos += n;
  }
  return { lines, bytes: pos, partial: last !== 10 };
}

export class RoomLogs {
  private readonly rooms = new Map<string, RoomLog>();

  constructor(readonly root: string) {}

  /** Opens (creating folder and empty log if missing, as MLboard's join does) the log of a room. */
  open(room: string): RoomLog {
    let log = this.rooms.get(room);
    if (log) return log;
    const dir = storagePath(this.root, room);
    mkdirSync(dir, { recursive: true });
    const path = storagePath(this.root, room, LOG_FILE);
    const fd = openSync(path, 'a+');
    const { lines, bytes, partial } = scan(fd);
    log = { path, fd, lines, bytes };
    // A log cut in the middle of a line (a crashed writer) gets its line ended, so the next event is not
    // glued onto it: the reader then reports that one line as bad instead of losing the new event.
    if (partial) {
      writeSync(fd, '\n');
      log.bytes += 1;
      log.lines += 1;
    }
    this.rooms.set(room, log);
    return log;
  }

  /** Appends an event (one `json.dumps` line) and returns its event id. */
  append(room: string, event: unknown): number {
    const log = this.open(room);
    const line = Buffer.from(pythonJsonDumps(event) + '\n', 'utf8');
    writeSync(log.fd, line);
    log.bytes += line.length;
    return log.lines++;
  }

  /** Line count and byte length of a room's log now: a history snapshot to replay up to. */
  position(room: string): { lines: number; bytes: number } {
    const log = this.open(room);
    return { lines: log.lines, bytes: log.bytes };
  }

  /**
   * Reads the events stored between two positions, in batches (`onBatch` may be slow: reading waits).
   * Lines that are not JSON keep their id but are skipped, as MLboard's replay would fail on them.
   */
  async replay(room: string, from: { lines: number; bytes: number }, to: { bytes: number }, batchSize: number, onBatch: (events: WireEvent[]) => void): Promise<void> {
    if (to.bytes <= from.bytes) return;
    const log = this.open(room);
    const stream = createReadStream(log.path, { start: from.bytes, end: to.bytes - 1 });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let id = from.lines;
    let batch: WireEvent[] = [];
    for await (const line of lines) {
      const parsed = parseLine(line);
      if ('value' in parsed) batch.push({ event_id: id, data: parsed.value });
      id++;
      if (batch.length >= batchSize) {
        onBatch(batch);
        batch = [];
      }
    }
    if (batch.length) onBatch(batch);
  }

  close(): void {
    for (const log of this.rooms.values()) closeSync(log.fd);
    this.rooms.clear();
  }
}
