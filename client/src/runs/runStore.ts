/**
 * The run store: one folder per run under `<workspace folder>/.cubelab/runs/<runId>/` holding `run.json` (the
 * record), `run.log` (timestamped output), `run.cursor.json` (where the log stands in the target's output) and,
 * while a window follows the run, `run.lock`. Every view reads it, so a reload, a crash or a closed window
 * loses nothing. Records are written atomically and durably (temporary file, fsync, rename); a record that
 * cannot be read is reported and skipped, never fatal to the others. The store folder carries its own
 * `.gitignore` so runs never show in git. Pure Node: no `vscode` import.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { upgradeRecord, type RunRecord, type SweepElement } from './record';
import { RunLock } from './runLock';
import { RunLog } from './runLog';

const RECORD_LOCK_STALE_MS = 5_000;
const RECORD_LOCK_WAIT_MS = 10_000;

export interface StoreProblem { runId: string; file: string; error: string }

export class RunStore {
  private readonly writes = new Map<string, Promise<void>>();

  /** `root` is the runs folder itself, e.g. `<workspace>/.cubelab/runs`. */
  constructor(readonly root: string) {}

  dir(runId: string): string { return join(this.root, runId); }
  recordPath(runId: string): string { return join(this.dir(runId), 'run.json'); }
  logPath(runId: string): string { return join(this.dir(runId), 'run.log'); }
  cursorPath(runId: string): string { return join(this.dir(runId), 'run.cursor.json'); }
  lockPath(runId: string): string { return join(this.dir(runId), 'run.lock'); }

  elementDir(runId: string, index: number): string { return join(this.dir(runId), 'elements', String(index)); }
  elementPath(runId: string, index: number): string { return join(this.elementDir(runId, index), 'element.json'); }

  /**
   * Writes a sweep element's state (temporary file and rename; not fsync'd, since elements change often and
   * the sweep's record, which is, says how many there are). Writes to one element apply in call order.
   */
  writeElement(runId: string, element: SweepElement): Promise<void> {
    return this.enqueue(`${runId}#${element.index}`, async () => {
      const file = this.elementPath(runId, element.index);
      await mkdir(this.elementDir(runId, element.index), { recursive: true, mode: 0o700 });
      const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        await writeFile(tmp, JSON.stringify(element, null, 2) + '\n', { mode: 0o600 });
        await rename(tmp, file);
      } catch (e) {
        await unlink(tmp).catch(() => undefined);
        throw new Error(`Cannot write element ${element.index} of run ${runId} (${file}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    });
  }

  async readElement(runId: string, index: number): Promise<SweepElement | undefined> {
    await this.writes.get(`${runId}#${index}`)?.catch(() => undefined);
    try { return JSON.parse(await readFile(this.elementPath(runId, index), 'utf8')) as SweepElement; } catch { return undefined; }
  }

  /** Every element of a sweep that has a readable file, in index order. */
  async readElements(runId: string, count: number): Promise<SweepElement[]> {
    const out: SweepElement[] = [];
    for (let i = 0; i < count; i++) { const e = await this.readElement(runId, i); if (e) out.push(e); }
    return out;
  }

  /** The log of one sweep element (its own file, cursor and all). */
  openElementLog(runId: string, index: number, onError?: (e: Error) => void): RunLog {
    const dir = this.elementDir(runId, index);
    return new RunLog(join(dir, 'run.log'), join(dir, 'run.cursor.json'), onError);
  }

  /** A sortable, readable id: time, task, random suffix. */
  newRunId(task: string, now = new Date()): string {
    const t = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
    const safe = task.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40) || 'task';
    return `${t}-${safe}-${randomBytes(3).toString('hex')}`;
  }

  private ensureRoot(): void {
    if (!existsSync(this.root)) mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const ignore = join(this.root, '.gitignore');
    // `*` ignores the folder's content, this file included: runs never show in `git status`.
    if (!existsSync(ignore)) writeFileSync(ignore, '# CubeLab run records: local to this machine.\n*\n');
  }

  async create(record: RunRecord): Promise<void> {
    this.ensureRoot();
    await mkdir(this.dir(record.runId), { recursive: true, mode: 0o700 });
    await this.enqueue(record.runId, () => this.replace(record, true));
  }

  /**
   * Read-modify-write in the record's write queue, so concurrent updates apply in call order and a field
   * written by another window (a stop request) is kept: callers pass only what they change.
   */
  async update(runId: string, patch: Partial<RunRecord> | ((current: RunRecord) => Partial<RunRecord>)): Promise<RunRecord> {
    let next: RunRecord | undefined;
    await this.enqueue(runId, async () => {
      // Other windows update the same file: the read-modify-write holds a short lock file across processes.
      const release = await this.recordLock(runId);
      try {
        const current = upgradeRecord(JSON.parse(await readFile(this.recordPath(runId), 'utf8')), runId);
        const p = typeof patch === 'function' ? patch(current) : patch;
        next = { ...current, ...p };
        // `undefined` in a patch removes the field (JSON.stringify drops it).
        await this.replace(next);
      } finally {
        await release();
      }
    });
    return next as RunRecord;
  }

  /** `run.json.lock`, held for one read-modify-write; a lock older than a few seconds is a crashed writer's. */
  private async recordLock(runId: string): Promise<() => Promise<void>> {
    const path = `${this.recordPath(runId)}.lock`;
    const started = Date.now();
    for (;;) {
      try {
        const fh = await open(path, 'wx', 0o600);
        await fh.close();
        return () => unlink(path).catch(() => undefined);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const age = await stat(path).then((st) => Date.now() - st.mtimeMs, () => 0);
      if (age > RECORD_LOCK_STALE_MS) { await unlink(path).catch(() => undefined); continue; }
      if (Date.now() - started > RECORD_LOCK_WAIT_MS) throw new Error(`The record of run ${runId} stays locked by another window (${path}).`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private enqueue(runId: string, work: () => Promise<void>): Promise<void> {
    const prev = this.writes.get(runId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(work);
    this.writes.set(runId, next);
    return next;
  }

  /** Temporary file, fsync, rename, fsync of the folder; the temporary file never stays behind. */
  private async replace(record: RunRecord, syncFolder = false): Promise<void> {
    const target = this.recordPath(record.runId);
    const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(JSON.stringify(record, null, 2) + '\n');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, target);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw new Error(`Cannot write the record of run ${record.runId} (${target}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    // A new record's folder entry is made durable once; later renames replace a durable entry.
    if (!syncFolder) return;
    const dir = await open(this.dir(record.runId), 'r').catch(() => undefined);
    if (dir) { await dir.sync().catch(() => undefined); await dir.close(); }
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

  /** The run's log, opened for appending (the supervisor is its only writer). */
  openLog(runId: string, onError?: (e: Error) => void): RunLog {
    return new RunLog(this.logPath(runId), this.cursorPath(runId), onError);
  }

  /** The right to follow a run and write its log: one holder at a time across windows. */
  tryLock(runId: string): Promise<RunLock | undefined> {
    return RunLock.acquire(this.lockPath(runId));
  }

  async readLog(runId: string): Promise<string> {
    try { return await readFile(this.logPath(runId), 'utf8'); } catch { return ''; }
  }
}

function parseRecord(text: string, runId: string): RunRecord {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw new Error(`run.json is not valid JSON (${(e as Error).message}); it may have been cut short`); }
  return upgradeRecord(v, runId);
}
