/**
 * A run's files on a remote host reached over SSH (Docker over SSH, a Slurm login node): before the work, the
 * cube folder and the task's inputs go up to the target's work folder (only what changed; a token left there
 * lets one round trip say "nothing changed"); after it, the outputs come back, asking before a local file changed
 * since the last sync is overwritten. Notes of what was synced live under the cube's `.cubelab/sync/`. Pure Node.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TaskPlan } from '../../../../shared/lsp-protocol';
import { TargetError, type Reporter } from '../../runs/backend';
import type { RunRecord } from '../../runs/record';
import { remoteLayout, type PathMapping, type RemoteLayout } from '../docker-ssh/remotePlan';
import type { SshConnection } from './connection';
import { shq } from './sshHost';
import { ignoreRules, listLocal, pull, push, remoteError, type SyncMethod, type SyncResult } from './sync';

export interface RemoteWorkspaceOptions {
  /** The target's name (names the sync notes). */
  targetName: string;
  /** The host as the user wrote it (messages). */
  host: string;
  /** The remote work folder, `~` expanded. */
  workDir(): Promise<string>;
  /** rsync or CubeLab's own transfer. */
  method(): Promise<SyncMethod>;
  pathMappings?: PathMapping[];
  confirmOverwrite?: (files: string[]) => Promise<boolean>;
}

export class RemoteWorkspace {
  /** The last sync of each run's work, by run id: what went up (bytes counted) and when. */
  readonly syncs = new Map<string, SyncResult[]>();
  private readonly layouts = new Map<string, RemoteLayout>();

  constructor(private readonly ssh: SshConnection, private readonly opts: RemoteWorkspaceOptions) {}

  private noteName(): string { return this.opts.targetName.replace(/[^A-Za-z0-9_.-]/g, '_'); }

  /** Where a plan's paths are on the remote host (remembered for the run, so outputs come back from there). */
  async layout(runId: string, plan: TaskPlan): Promise<RemoteLayout> {
    const known = this.layouts.get(runId);
    if (known) return known;
    const l = remoteLayout(plan, await this.opts.workDir(), this.opts.pathMappings);
    this.layouts.set(runId, l);
    return l;
  }

  /** Sends the cube folder and the task's inputs (only what changed), makes the remote folders; returns the remote plan. */
  async stage(runId: string, plan: TaskPlan, reporter: Reporter): Promise<TaskPlan> {
    this.layouts.delete(runId);
    const layout = await this.layout(runId, plan);
    const method = await this.opts.method();
    const results: SyncResult[] = [];
    // What the last sync sent from this cube folder to each remote folder, with the token it left there: when the
    // local files are the same and the remote token still is, nothing is sent (one round trip checks, and makes
    // the run's folders).
    const stateFile = join(plan.root, '.cubelab', 'sync', `${this.noteName()}-up.json`);
    let state: Record<string, { token: string; files: string }> = {};
    try { state = JSON.parse(readFileSync(stateFile, 'utf8')) as typeof state; } catch { /* first sync */ }
    const listed = await Promise.all(layout.uploads.map((u) => listLocal(u.local, u.kind === 'cube' ? ignoreRules(u.local) : () => false)));
    const digest = (files: { rel: string; size: number; mtimeMs: number }[]): string =>
      createHash('sha256').update(files.map((f) => `${f.rel}\0${f.size}\0${Math.floor(f.mtimeMs / 1000)}`).join('\n')).digest('hex');
    const sums = listed.map(digest);
    const check = await this.ssh.exec([`mkdir -p ${layout.mkdirs.map(shq).join(' ') || '.'}`,
      ...layout.uploads.map((u) => `cat ${shq(`${u.remote}/.cubelab-sync`)} 2>/dev/null; echo`)].join(' && '));
    if (check.code !== 0) throw remoteError(this.opts.host, layout.mkdirs[0] ?? layout.remoteRoot, check.stderr);
    const tokens = check.stdout.toString('utf8').split('\n');
    for (const [i, u] of layout.uploads.entries()) {
      const known = state[u.remote];
      if (known && known.files === sums[i] && tokens[i] === known.token) {
        results.push({ method, files: [], bytes: 0, ms: 0 });
        continue;
      }
      reporter.info(`Syncing ${u.local} to ${this.opts.host}:${u.remote} (${method})`);
      const r = await push(this.ssh, u.local, u.remote, listed[i] ?? [], method, (done, total) => reporter.progress(`Syncing to ${this.opts.host}`, done, total));
      const token = randomBytes(8).toString('hex');
      const w = await this.ssh.exec(`printf %s ${token} > ${shq(`${u.remote}/.cubelab-sync`)}`);
      if (w.code === 0) state[u.remote] = { token, files: sums[i] ?? '' };
      results.push(r);
      reporter.info(`Synced ${r.files.length} changed file(s), ${r.bytes} bytes, in ${r.ms} ms`);
    }
    try { mkdirSync(dirname(stateFile), { recursive: true }); writeFileSync(stateFile, JSON.stringify(state)); } catch { /* a note, not needed to run */ }
    this.syncs.set(runId, results);
    for (const s of layout.plan.workspaceSync) {
      const r = await this.ssh.exec(`[ -e ${shq(s.to)} ] || { mkdir -p "$(dirname ${shq(s.to)})" && cp -r ${shq(s.from)} ${shq(s.to)}; }`);
      if (r.code !== 0) throw new TargetError(`Cannot copy ${s.from} to ${s.to} on ${this.opts.host}: ${r.stderr.trim()}`, 'staging');
    }
    return layout.plan;
  }

  /** Brings the outputs of a run (or one sweep element: `runId#i` with its plan) back; says where each lives and when. */
  async syncOutputs(record: Pick<RunRecord, 'runId' | 'plan'>, reporter: Reporter): Promise<NonNullable<RunRecord['outputs']>> {
    const layout = await this.layout(record.runId, record.plan);
    const method = await this.opts.method();
    const out: NonNullable<RunRecord['outputs']> = [];
    // What earlier syncs left in each local output folder (any run's): CubeLab's own note under .cubelab/.
    const stateFile = join(record.plan.root, '.cubelab', 'sync', `${this.noteName()}.json`);
    let state: Record<string, Record<string, number>> = {};
    try { state = JSON.parse(readFileSync(stateFile, 'utf8')) as typeof state; } catch { /* first sync */ }
    for (const o of layout.outputs) {
      const r = await pull(this.ssh, o.remote, o.local, {
        method, synced: state[o.local] ?? {},
        confirmOverwrite: this.opts.confirmOverwrite ?? (async () => false),
        progress: (done, total) => reporter.progress(`Outputs from ${this.opts.host}`, done, total),
      });
      reporter.info(`Outputs: ${r.files.length} file(s), ${r.bytes} bytes from ${this.opts.host}:${o.remote} to ${o.local}${r.kept.length ? `; kept ${r.kept.length} local file(s) changed since the last sync: ${r.kept.join(', ')}` : ''}`);
      state[o.local] = r.synced;
      out.push({ location: `${this.opts.host}:${o.remote}`, syncedAt: new Date().toISOString() });
    }
    mkdirSync(dirname(stateFile), { recursive: true });
    writeFileSync(stateFile, JSON.stringify(state));
    return out;
  }

  forget(runId: string): void { this.layouts.delete(runId); }
}
