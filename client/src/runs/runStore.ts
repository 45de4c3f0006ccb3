/**
 * The run store: one folder per run under `<workspace folder>/.cubelab/runs/<runId>/` holding `run.json`
 * (the record) and `run.log` (timestamped output). Every view reads it, so a reload, a crash or a closed
 * window loses nothing. Records are written atomically (temporary file + rename); a record that cannot be
 * read is reported and skipped. The store folder carries its own `.gitignore` so runs never show in git.
 * Pure Node: no `vscode` import.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, openSync, readSync, closeSync, fstatSync, ftruncateSync, writeFileSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskPlan } from '../../../shared/lsp-protocol';
import type { RunStatus } from '../runners/runner';
import type { LogPosition } from '../runners/docker/logFrames';

export const RECORD_VERSION = 1;

export interface RunRecord {
  version: number;
  runId: string;
  manifest: string;
  task: string;
  target: 'docker';
  /** The plan exactly as executed. */
  plan: TaskPlan;
  overrides: string[];
  image: { name: string; id?: string; digest?: string };
  engine: { host: string };
  containerId?: string;
  keepContainer?: boolean;
  status: RunStatus;
  /** Why the run ended as it did, or why it is in its current state. */
  reason?: string;
  stopRequested?: boolean;
  startedAt: string;
  endedAt?: string;
  exitCode: number | null;
  git: { commit: string; dirty: boolean } | null;
  warnings: string[];
}

export interface StoreProblem { runId: string; file: string; error: string }

export const FINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'stopped'];

export class RunStore {
  private readonly writes = new Map<string, Promise<void>>();

  /** `root` is the runs folder itself, e.g. `<workspace>/.cubelab/runs`. */
  constructor(readonly root: string) {}

  dir(runId: string): string { return join(this.root, runId); }
  recordPath(runId: string): string { return join(this.dir(runId), 'run.json'); }
  logPath(runId: string): string { return join(this.dir(runId), 'run.log'); }

  /** A sortable, readable id: time, task, random suffix. */
  newRunId(task: string, now = new Date()): string {
    const t = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
    const safe = task.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40) || 'task';
    return `${t}-${safe}-${randomBytes(3).toString('hex')}`;
  }

  private ensureRoot(): void {
    if (!existsSync(this.root)) mkdirSync(this.root, { recursive: true });
    const ignore = join(this.root, '.gitignore');
    // `*` ignores the folder's content, this file included: runs never show in `git status`.
    if (!existsSync(ignore)) writeFileSync(ignore, '# CubeLab run records: local to this machine.\n*\n');
  }

  async create(record: RunRecord): Promise<void> {
    this.ensureRoot();
    await mkdir(this.dir(record.runId), { recursive: true });
    await this.write(record);
  }

  /** Atomic replace; writes to one record are serialized in call order. */
  write(record: RunRecord): Promise<void> {
    return this.enqueue(record.runId, () => this.replace(record));
  }

  /** Read-modify-write in the same queue as writes, so concurrent updates apply in call order. */
  async update(runId: string, patch: Partial<RunRecord>): Promise<RunRecord> {
    let next: RunRecord | undefined;
    await this.enqueue(runId, async () => {
      next = { ...parseRecord(await readFile(this.recordPath(runId), 'utf8'), runId), ...patch };
      await this.replace(next);
    });
    return next as RunRecord;
  }

  private enqueue(runId: string, work: () => Promise<void>): Promise<void> {
    const prev = this.writes.get(runId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(work);
    this.writes.set(runId, next);
    return next;
  }

  private async replace(record: RunRecord): Promise<void> {
    const target = this.recordPath(record.runId);
    const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, JSON.stringify(record, null, 2) + '\n');
    await rename(tmp, target);
  }

  async read(runId: string): Promise<RunRecord> {
    await this.writes.get(runId)?.catch(() => undefined);
    const text = await readFile(this.recordPath(runId), 'utf8');
    return parseRecord(text, runId);
  }

  /** Every readable record, newest first, and a problem entry for each one that is not. */
  async list(): Promise<{ runs: RunRecord[]; problems: StoreProblem[] }> {
    const runs: RunRecord[] = [];
    const problems: StoreProblem[] = [];
    let names: string[];
    try { names = await readdir(this.root); } catch { return { runs, problems }; }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const file = join(this.root, name, 'run.json');
      let text: string;
      try { text = await readFile(file, 'utf8'); } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        problems.push({ runId: name, file, error: `no readable run.json (${(e as NodeJS.ErrnoException).code ?? String(e)})` });
        continue;
      }
      try { runs.push(parseRecord(text, name)); } catch (e) { problems.push({ runId: name, file, error: (e as Error).message }); }
    }
    runs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
    return { runs, problems };
  }

  async delete(runId: string): Promise<void> {
    await rm(this.dir(runId), { recursive: true, force: true });
  }

  openLog(runId: string): RunLogWriter {
    return new RunLogWriter(this.logPath(runId));
  }

  async readLog(runId: string): Promise<string> {
    try { return await readFile(this.logPath(runId), 'utf8'); } catch { return ''; }
  }
}

function parseRecord(text: string, runId: string): RunRecord {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw new Error(`run.json is not valid JSON (${(e as Error).message}); it may have been cut short`); }
  const r = v as Partial<RunRecord> | null;
  if (!r || typeof r !== 'object') throw new Error('run.json does not hold an object');
  const missing = (['runId', 'manifest', 'task', 'status', 'startedAt'] as const).filter((k) => typeof r[k] !== 'string');
  if (missing.length) throw new Error(`run.json lacks ${missing.join(', ')}`);
  if (r.runId !== runId) throw new Error(`run.json names run "${r.runId}" but sits in folder "${runId}"`);
  if (typeof r.plan !== 'object' || r.plan === null) throw new Error('run.json lacks the plan');
  if (typeof r.version === 'number' && r.version > RECORD_VERSION) throw new Error(`run.json has version ${r.version}, newer than this CubeLab understands (${RECORD_VERSION})`);
  return r as RunRecord;
}

/**
 * Appends timestamped lines to a run's log: `<timestamp> <out|err|sys> <text>`. Container lines keep
 * Docker's own timestamps, so the file can be compared with, and resumed against, the engine's log.
 * Keeps the position of the last container line (for resuming without duplicates).
 */
export class RunLogWriter {
  private stream: WriteStream;
  position: LogPosition | undefined;

  constructor(readonly path: string) {
    const found = readLogPosition(path);
    this.position = found;
    this.stream = createWriteStream(path, { flags: 'a' });
  }

  /** Returns false when the caller should wait for `drain()` before writing more. */
  writeContainerLines(lines: { ts: string; stream: 'out' | 'err'; text: string }[]): boolean {
    if (!lines.length) return true;
    let chunk = '';
    for (const l of lines) {
      chunk += `${l.ts} ${l.stream} ${l.text}\n`;
      if (!l.ts) continue;
      if (this.position && this.position.ts === l.ts) this.position.countAtTs++;
      else this.position = { ts: l.ts, countAtTs: 1 };
    }
    return this.stream.write(chunk);
  }

  info(text: string): boolean {
    const ts = new Date().toISOString();
    return this.stream.write(text.split('\n').map((t) => `${ts} sys ${t}\n`).join(''));
  }

  drain(): Promise<void> {
    return new Promise((resolve) => { if (!this.stream.writableNeedDrain) resolve(); else this.stream.once('drain', () => resolve()); });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}

/**
 * The position of the last container line in a log file, read from its tail. A last line cut short by a
 * crash is removed first, so that resuming fetches it again whole.
 */
export function readLogPosition(path: string): LogPosition | undefined {
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, 'r+');
  try {
    let size = fstatSync(fd).size;
    if (size === 0) return undefined;
    // Drop a partial last line.
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] !== 0x0a) {
      let cut = size - 1;
      const b = Buffer.alloc(Math.min(size, 1 << 16));
      while (cut > 0) {
        const from = Math.max(0, cut - b.length);
        const n = readSync(fd, b, 0, cut - from, from);
        const i = b.subarray(0, n).lastIndexOf(0x0a);
        if (i >= 0) { cut = from + i + 1; break; }
        cut = from;
      }
      ftruncateSync(fd, cut);
      size = cut;
    }
    for (let window = 1 << 16; ; window *= 4) {
      const from = Math.max(0, size - window);
      const buf = Buffer.alloc(size - from);
      readSync(fd, buf, 0, buf.length, from);
      const lines = buf.toString('utf8').split('\n');
      lines.pop(); // after the final newline
      if (from > 0) lines.shift(); // may be cut at the window's start
      let ts: string | undefined;
      let count = 0;
      let sawOlder = false;
      for (let i = lines.length - 1; i >= 0; i--) {
        const m = /^(\S+) (out|err) /.exec(lines[i]);
        if (!m) continue;
        if (ts === undefined) { ts = m[1]; count = 1; } else if (m[1] === ts) count++; else { sawOlder = true; break; }
      }
      if (ts !== undefined && (sawOlder || from === 0)) return { ts, countAtTs: count };
      if (from === 0) return undefined;
    }
  } finally {
    closeSync(fd);
  }
}
