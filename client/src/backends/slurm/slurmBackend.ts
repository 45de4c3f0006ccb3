/**
 * Slurm clusters: a task becomes one batch job, a sweep one job array (in chunks where it has more elements than
 * the cluster's MaxArraySize), reached on a login node over SSH (the SSH layer of Docker over SSH: files synced
 * up, outputs back) or on this machine when `sbatch` is on the PATH. The generated scripts (batchScript.ts) run
 * each element's container with the node's runtime (docker, podman, apptainer/singularity), write its output and
 * exit code to files in the run folder on the cluster, and remove the container however the element ends.
 * Status comes from one batched query per poll for all of this window's jobs (jobWatch.ts); logs are those files,
 * read in the same round trip; Stop is `scancel` (the array in one call, or one element); after a reload the
 * elements are found again by job id. A `slurmctld` restart loses nothing: the files hold the output, and Slurm
 * keeps its jobs. The backend never writes run records: the supervisor does.
 */
import { homedir } from 'node:os';
import type { TaskPlan } from '../../../../shared/lsp-protocol';
import { currentHostFacts, type HostFacts } from '../../../../shared/docker/runArgs';
import {
  TargetError, storeAndShow, type ArrayJob, type ArraySubmission, type Backend, type BackendEnvironment, type CancelToken, type ImageBuild, type Job,
  type Prepared, type Reporter, type StreamOutput, type TargetConnection, type TargetInfo, type WorkState,
} from '../../runs/backend';
import type { RunRecord, RunTarget } from '../../runs/record';
import { SshConnection } from '../ssh/connection';
import type { AskFn } from '../ssh/askpass';
import { RemoteWorkspace } from '../ssh/remoteWorkspace';
import { shq } from '../ssh/sshHost';
import { rsyncHere, type SyncMethod } from '../ssh/sync';
import type { PathMapping } from '../docker-ssh/remotePlan';
import { LocalShell, SshShell, type ClusterShell } from './clusterShell';
import {
  checkSettings, CONTAINER_RUNTIMES, defaultJobName, elementDir, generateBatchScripts, type ContainerRuntime, type SbatchSettings, type SifSource,
} from './batchScript';
import { JobWatch } from './jobWatch';
import { accountingEnabled, parseMaxArraySize, parseSlurmConfig } from './schedulerState';

export interface SlurmSettings extends SbatchSettings {
  name: string;
  /** The login node: an alias of the user's SSH config, or user@host[:port]. Empty: this machine (`sbatch` on the PATH). */
  host?: string;
  /** The run folders' parent on the cluster (`~` is the account's home); it must be visible from the nodes. */
  workDir?: string;
  /** The container runtime on the nodes. */
  runtime?: ContainerRuntime;
  /** apptainer/singularity: the image (a SIF on the cluster, or `docker://name@sha256:…`). */
  sif?: SifSource;
  sifCache?: string;
  /** Folders that already live on the cluster: not synced, mounted where they are. */
  pathMappings?: PathMapping[];
  sync?: 'auto' | SyncMethod;
  /** Whether the nodes share the login node's filesystem (outputs come back through the login node). */
  sharedFilesystem?: boolean;
  /** The cap of the status interval while nothing changes (seconds). */
  pollSeconds?: number;
  sshConfig?: string;
}

/** What the editor (or a test) gives: SSH prompts, the askpass program, the tests' own SSH options and PATH. */
export interface SlurmEnvironment {
  ask?: AskFn;
  askpassMain?: string;
  configFile?: string;
  options?: string[];
  confirmOverwrite?: (files: string[]) => Promise<boolean>;
  /** Extra environment of local commands (the tests' logging shim on the PATH). */
  localEnv?: NodeJS.ProcessEnv;
  /** The first status interval after a submission (ms). */
  minPollMs?: number;
}

type SlurmTarget = Extract<RunTarget, { kind: 'slurm' }>;

interface ClusterFacts { maxArraySize: number; killWait: number; accounting: boolean; version: string; home: string; uid?: number; gid?: number; images?: boolean }

interface PreparedElements { runDir: string; elements: { index: number; plan: TaskPlan }[]; host: HostFacts }

export class SlurmBackend implements Backend {
  readonly kind = 'slurm' as const;
  readonly name: string;
  readonly queues = true;
  readonly repollMs = 250;
  readonly shell: ClusterShell;
  readonly watch: JobWatch;
  private readonly ssh: SshConnection | undefined;
  private readonly files: RemoteWorkspace | undefined;
  private facts: ClusterFacts | undefined;
  private learning: Promise<ClusterFacts> | undefined;
  private readonly grace: number;
  private readonly secretDirs = new Set<string>();
  private removing: Promise<void> | undefined;

  constructor(readonly settings: SlurmSettings, env: Partial<BackendEnvironment> = {}, slurmEnv: SlurmEnvironment = {}) {
    this.name = settings.name;
    this.grace = Math.max(0, Math.min(60, Math.round(env.stopGraceSeconds ?? 10)));
    if (settings.host) {
      this.ssh = new SshConnection({
        host: settings.host, ...(slurmEnv.configFile ?? settings.sshConfig ? { configFile: slurmEnv.configFile ?? settings.sshConfig } : {}),
        ...(slurmEnv.options ? { options: slurmEnv.options } : {}), ...(slurmEnv.ask ? { ask: slurmEnv.ask } : {}),
        ...(slurmEnv.askpassMain ? { askpassMain: slurmEnv.askpassMain } : {}),
      });
      this.ssh.on('down', () => { this.facts = undefined; this.learning = undefined; });
      this.shell = new SshShell(this.ssh, settings.host);
      this.files = new RemoteWorkspace(this.ssh, {
        targetName: settings.name, host: settings.host, workDir: () => this.workDir(), method: () => this.syncMethod(),
        ...(settings.pathMappings ? { pathMappings: settings.pathMappings } : {}), ...(slurmEnv.confirmOverwrite ? { confirmOverwrite: slurmEnv.confirmOverwrite } : {}),
      });
    } else {
      this.shell = new LocalShell(slurmEnv.localEnv);
    }
    this.watch = new JobWatch(this.shell, {
      accounting: async () => (await this.clusterFacts()).accounting,
      minMs: slurmEnv.minPollMs ?? 500, maxMs: Math.max(1, settings.pollSeconds ?? 10) * 1000,
    });
  }

  get connection(): TargetConnection | undefined { return this.ssh; }
  private get where(): string { return this.settings.host || 'this machine'; }
  private get runtime(): ContainerRuntime { return this.settings.runtime ?? 'docker'; }

  target(): RunTarget { return { kind: 'slurm', name: this.name, ...(this.settings.host ? { host: this.settings.host } : {}) }; }

  owns(target: RunTarget): boolean {
    return target.kind === 'slurm' && target.name === this.name && (target.host ?? '') === (this.settings.host ?? '');
  }

  // ---------------------------------------------------------------- the cluster

  /** What the cluster says of itself (once per connection): MaxArraySize, accounting, the account. */
  private async clusterFacts(): Promise<ClusterFacts> {
    if (this.facts) return this.facts;
    this.learning ??= this.learn().finally(() => { this.learning = undefined; });
    return this.learning;
  }

  private async learn(): Promise<ClusterFacts> {
    const r = await this.shell.run([
      'command -v sbatch >/dev/null 2>&1 || { echo "@@NOSBATCH"; exit 0; }',
      'printf "@@HOME %s\\n@@ID %s %s\\n" "$HOME" "$(id -u)" "$(id -g)"',
      `printf "@@RT %s\\n" "$(command -v ${this.runtime === 'singularity' ? 'singularity' : this.runtime} >/dev/null 2>&1 && echo yes || echo no)"`,
      'printf "@@VERSION %s\\n" "$(sbatch --version 2>&1 | head -1)"',
      'echo "@@CONFIG"; scontrol show config 2>&1',
    ].join('\n'), { timeoutMs: 60_000 });
    const out = r.stdout.toString('utf8');
    if (out.includes('@@NOSBATCH')) {
      throw new TargetError(`sbatch is not on the PATH of ${this.where}: is this a Slurm login node${this.settings.host ? '' : ' (for a cluster reached over SSH, set the target\'s "host")'}?`, 'missing');
    }
    const config = out.slice(out.indexOf('@@CONFIG') + 9);
    const map = parseSlurmConfig(config);
    if (!map.size) {
      throw new TargetError(`Slurm's controller does not answer on ${this.where} (scontrol show config: ${config.trim().split('\n').slice(-1)[0] || `exit ${r.code}`}).`, 'unreachable');
    }
    const home = /@@HOME (.*)/.exec(out)?.[1] ?? (this.settings.host ? '' : homedir());
    const id = /@@ID (\d+) (\d+)/.exec(out);
    this.facts = {
      maxArraySize: parseMaxArraySize(config) ?? 1001, killWait: Number(/^(\d+)/.exec(map.get('KillWait') ?? '')?.[1] ?? 30), accounting: accountingEnabled(config) ?? true,
      version: /@@VERSION (.*)/.exec(out)?.[1]?.trim() ?? 'slurm', home,
      ...(id ? { uid: Number(id[1]), gid: Number(id[2]) } : {}), images: /@@RT yes/.test(out),
    };
    return this.facts;
  }

  private async workDir(): Promise<string> {
    const w = this.settings.workDir || '~/cubelab';
    const home = this.settings.host ? (await this.clusterFacts()).home || await this.shell.home() : homedir();
    return w === '~' ? home : w.startsWith('~/') ? `${home}/${w.slice(2)}` : w;
  }

  private async syncMethod(): Promise<SyncMethod> {
    const want = this.settings.sync ?? 'auto';
    if (want !== 'auto') return want;
    if (!this.ssh) return 'builtin';
    const r = await this.ssh.exec('command -v rsync >/dev/null 2>&1 && echo rsync || echo none');
    return r.stdout.toString('utf8').trim() === 'rsync' && (await rsyncHere()) ? 'rsync' : 'builtin';
  }

  async probe(): Promise<TargetInfo> {
    if (this.ssh) await this.ssh.connect();
    this.facts = undefined;
    const f = await this.clusterFacts();
    this.watch.answered();
    return { reachable: true, version: `${f.version} on ${this.where}`, detail: `MaxArraySize ${f.maxArraySize}; ${f.accounting ? 'accounting (sacct)' : 'no accounting (squeue)'}; runtime ${this.runtime}` };
  }

  /** Images are the nodes' business: CubeLab checks the login node's engine where it has one, and pulls there. */
  async configure(image: string, build: ImageBuild | undefined, reporter: Reporter, cancel?: CancelToken): Promise<void> {
    if (this.runtime !== 'docker' && this.runtime !== 'podman') {
      reporter.info(`${this.runtime} pulls the image on the node when the job starts (cached by digest).`);
      return;
    }
    const facts = await this.clusterFacts();
    if (!facts.images) {
      reporter.warn(`${this.runtime} is not on ${this.where}'s PATH, so CubeLab cannot check that the nodes have ${image}; they must be able to pull it.`);
      return;
    }
    const q = shq(image);
    const r = await this.shell.run(`${this.runtime} image inspect ${q} >/dev/null 2>&1 && echo present || { ${this.runtime} pull ${q} >/dev/null 2>&1 && echo pulled || echo missing; }`, { timeoutMs: 15 * 60_000 });
    if (cancel?.cancelled) throw new TargetError('Configure cancelled.', 'cancelled');
    const said = r.stdout.toString('utf8').trim();
    if (said === 'present') { reporter.info(`${image} is on ${this.where} (${this.runtime}).`); return; }
    if (said === 'pulled') { reporter.info(`Pulled ${image} on ${this.where} (${this.runtime}).`); return; }
    const how = build ? ' CubeLab does not build images on a cluster: build it where the nodes can pull it from (a registry) and push it there.' : '';
    throw new TargetError(`The image ${image} is not on ${this.where} (${this.runtime}) and could not be pulled.${how}`, 'image');
  }

  validate(job: Job): void {
    const problems = checkSettings(this.settings);
    if (problems.length) throw new TargetError(`The Slurm target "${this.name}" cannot be used: ${problems.join('; ')}.`, 'refused');
    if (!CONTAINER_RUNTIMES.includes(this.runtime)) throw new TargetError(`The Slurm target "${this.name}" names the container runtime "${String(this.settings.runtime)}"; use one of ${CONTAINER_RUNTIMES.join(', ')}.`, 'refused');
    if (this.settings.sharedFilesystem === false) {
      throw new TargetError(`The nodes of "${this.name}" do not share a filesystem with the login node (sharedFilesystem: false), so the task's outputs could not come back and CubeLab does not submit it. Use a work folder on a shared filesystem and set sharedFilesystem to true.`, 'refused');
    }
    void job;
  }

  // ---------------------------------------------------------------- submit

  /** Files up (over SSH), the element plans with the cluster's paths, the image checked. */
  private async prepareElements(runId: string, elements: { index: number; plan: TaskPlan }[], reporter: Reporter): Promise<PreparedElements> {
    const facts = await this.clusterFacts();
    const runDir = `${await this.workDir()}/runs/${runId}`;
    const images = [...new Set(elements.map((e) => e.plan.image))];
    for (const image of images) await this.configure(image, undefined, reporter);
    let out = elements;
    if (this.files) {
      // The cube folder goes up once (the token check makes the next element's sync one round trip).
      out = [];
      for (const [n, e] of elements.entries()) {
        reporter.progress(`Staging on ${this.where}`, n, elements.length);
        out.push({ index: e.index, plan: await this.files.stage(`${runId}#${e.index}`, e.plan, n === 0 ? reporter : quiet(reporter)) });
      }
    }
    const host: HostFacts = this.settings.host ? { env: {}, home: facts.home, ...(facts.uid !== undefined ? { uid: facts.uid, gid: facts.gid } : {}) } : currentHostFacts();
    return { runDir, elements: out, host };
  }

  private generate(job: Omit<Job, 'plan'>, p: PreparedElements, sweep: boolean, parallelism?: number) {
    const facts = this.facts;
    const r = generateBatchScripts({
      runId: job.runId.replace('#', '-'), runDir: p.runDir, manifest: job.manifest, task: job.task, settings: this.settings, runtime: this.runtime,
      elements: p.elements, sweep, ...(parallelism ? { parallelism } : {}), maxArraySize: facts?.maxArraySize ?? 1001, host: p.host,
      ...(job.asHostUser ? { asHostUser: true } : {}), ...(job.defaultNetwork ? { defaultNetwork: job.defaultNetwork } : {}),
      // The container's TERM-to-KILL pause stays below Slurm's own (KillWait), after which the script is killed too.
      ...(job.keepContainer ? { keepContainer: true } : {}), stopGraceSeconds: Math.max(0, Math.min(this.grace, (facts?.killWait ?? 30) - 3)),
      ...(this.settings.sif ? { sif: this.settings.sif } : {}), ...(this.settings.sifCache ? { sifCache: this.settings.sifCache } : {}),
    });
    if (!r.ok) throw new TargetError(`Cannot make the batch script: ${r.error}`, 'bad-flag');
    return r.value;
  }

  /** Writes the run's files on the cluster and submits each chunk: one round trip for all. Returns the job ids. */
  private async submitChunks(runDir: string, batch: ReturnType<SlurmBackend['generate']>, reporter: Reporter): Promise<string[]> {
    const rel = (p: string): string => p.slice(runDir.length + 1);
    await this.shell.writeFiles(runDir, batch.files.map((f) => ({ path: rel(f.path), data: f.text, mode: f.mode })));
    const script = [`cd ${shq(runDir)} || exit 97`, ...batch.chunks.map((c) => `sbatch --parsable ${shq(rel(c.path))} || exit 98`)].join('\n');
    const r = await this.shell.run(script, { timeoutMs: 120_000 });
    const ids = r.stdout.toString('utf8').split('\n').map((l) => l.trim().split(';')[0] ?? '').filter((l) => /^\d+$/.test(l));
    if (r.code !== 0 || ids.length !== batch.chunks.length) {
      const why = r.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' ') || `exit code ${r.code}`;
      if (ids.length) await this.shell.run(`scancel ${ids.join(' ')}`).catch(() => undefined);
      throw new TargetError(`sbatch refused the job on ${this.where}: ${why.replace(/^sbatch: error: /, '')}`, 'refused');
    }
    reporter.info(`Submitted ${batch.chunks.length === 1 ? `job ${ids[0]}` : `jobs ${ids.join(', ')}`} on ${this.where} (${runDir}).`);
    return ids;
  }

  async prepare(job: Job, reporter: Reporter): Promise<Prepared> {
    const p = await this.prepareElements(job.runId, [{ index: 0, plan: job.plan }], reporter);
    const batch = this.generate(job, p, false);
    return { warnings: batch.warnings, data: { p, batch } };
  }

  async submit(job: Job, prepared: Prepared, reporter: Reporter): Promise<RunTarget> {
    const { p, batch } = prepared.data as { p: PreparedElements; batch: ReturnType<SlurmBackend['generate']> };
    const [id] = await this.submitChunks(p.runDir, batch, reporter);
    const jobName = defaultJobName(job.runId.replace('#', '-'));
    const target: SlurmTarget = { ...(this.target() as SlurmTarget), jobId: id!, arrayIndex: 0, runDir: p.runDir, jobName };
    this.watch.follow(id!, jobName, elementDir(p.runDir, 0));
    return target;
  }

  async submitArray(job: ArrayJob, reporter: Reporter): Promise<ArraySubmission> {
    const p = await this.prepareElements(job.runId, job.elements, reporter);
    const batch = this.generate(job, p, true, job.parallelism);
    const ids = await this.submitChunks(p.runDir, batch, reporter);
    const jobName = defaultJobName(job.runId);
    const targets = new Map<number, RunTarget>();
    batch.chunks.forEach((c, k) => {
      for (const index of c.indices) {
        const key = `${ids[k]}_${index - c.offset}`;
        targets.set(index, { ...(this.target() as SlurmTarget), jobId: key, arrayIndex: index, runDir: p.runDir, jobName });
        this.watch.follow(key, jobName, elementDir(p.runDir, index));
      }
    });
    return { targets, warnings: batch.warnings };
  }

  // ---------------------------------------------------------------- follow

  private followTarget(target: RunTarget, cursor?: number): SlurmTarget {
    if (target.kind !== 'slurm' || !target.jobId || !target.runDir) throw new TargetError('This run has no Slurm job yet.', 'not-found');
    this.watch.follow(target.jobId, target.jobName ?? 'cubelab', elementDir(target.runDir, target.arrayIndex ?? 0), cursor, 0);
    return target;
  }

  async stream(target: RunTarget, cursor: unknown, out: StreamOutput, signal: AbortSignal): Promise<void> {
    const t = this.followTarget(target, typeof cursor === 'number' ? cursor : undefined);
    const key = t.jobId!;
    const first = await this.watch.state(key);
    for (;;) {
      const got = this.watch.take(key);
      if (got) { const wait = storeAndShow(out, got.lines, got.cursor); if (wait) await wait; }
      if (signal.aborted) return;
      if (this.watch.finished(key)) { const last = this.watch.take(key); if (last) await storeAndShow(out, last.lines, last.cursor); return; }
      const now = await this.watch.state(key);
      // The supervisor records a change of state (queued → running, the end) when the stream returns.
      if (now.state !== first.state && now.state !== 'exited' && now.state !== 'gone') return;
      if (now.state === 'queued' && first.state === 'queued' && (now as { reason?: string }).reason !== (first as { reason?: string }).reason) return;
      await this.watch.changed(key, signal);
    }
  }

  async poll(target: RunTarget): Promise<WorkState> {
    const t = this.followTarget(target);
    return this.watch.state(t.jobId!);
  }

  async locate(record: RunRecord): Promise<WorkState> {
    const t = this.followTarget(record.target);
    await this.watch.next();
    return this.watch.state(t.jobId!);
  }

  async cancel(target: RunTarget, _record: RunRecord, _graceSeconds: number): Promise<void> {
    if (target.kind !== 'slurm' || !target.jobId) return;
    await this.scancel([target.jobId]);
  }

  /** One `scancel` for every element given (whole arrays by their id when all their elements are). */
  async cancelMany(targets: RunTarget[]): Promise<void> {
    const keys = targets.flatMap((t) => (t.kind === 'slurm' && t.jobId ? [t.jobId] : []));
    if (keys.length) await this.scancel(compactKeys(keys));
  }

  private async scancel(keys: string[]): Promise<void> {
    const r = await this.shell.run(`scancel ${keys.map(shq).join(' ')}`, { timeoutMs: 60_000 });
    if (r.code !== 0 && !/Invalid job id|already completing or completed|Job\/step already/i.test(r.stderr)) {
      throw new TargetError(`scancel failed on ${this.where}: ${r.stderr.trim() || `exit code ${r.code}`}`, 'target');
    }
    this.watch.soon();
  }

  async collect(target: RunTarget, record: RunRecord, reporter: Reporter): Promise<Partial<Pick<RunRecord, 'outputs'>>> {
    if (target.kind === 'slurm' && target.jobId) {
      this.watch.forget(target.jobId);
      // An element cancelled before it ran never read (and so never deleted) its secret files.
      if (target.runDir) await this.removeSecrets(elementDir(target.runDir, target.arrayIndex ?? 0));
    }
    if (!this.files) return {};
    return { outputs: await this.files.syncOutputs(record, reporter) };
  }

  /** Deletes elements' env/args files, many elements in one call (a cancelled array ends all at once). */
  private removeSecrets(dir: string): Promise<void> {
    this.secretDirs.add(dir);
    this.removing ??= new Promise<void>((resolve) => setTimeout(resolve, 200)).then(async () => {
      const dirs = [...this.secretDirs];
      this.secretDirs.clear();
      this.removing = undefined;
      const r = await this.shell.run('while IFS= read -r d; do rm -f "$d/env" "$d/args"; done', { input: dirs.map((d) => `${d}\n`).join('') }).catch((e: Error) => ({ code: 1, stderr: e.message }));
      if (r.code !== 0) throw new TargetError(`CubeLab could not delete the secret files of ${dirs.length} element(s) on ${this.where}: ${r.stderr.trim()}`, 'target');
    });
    return this.removing;
  }

  async syncOutputs(record: RunRecord, reporter: Reporter): Promise<NonNullable<RunRecord['outputs']>> {
    if (!this.files) throw new TargetError(`The outputs of run ${record.runId} are on this machine already.`, 'not-found');
    return this.files.syncOutputs(record, reporter);
  }

  /** The batch script of a run (Open Batch Script): read on the cluster. */
  async batchScript(target: RunTarget): Promise<string> {
    if (target.kind !== 'slurm' || !target.runDir) throw new TargetError('This run has no batch script.', 'not-found');
    const r = await this.shell.run(`cd ${shq(target.runDir)} && for f in batch.sh batch-*.sh; do [ -f "$f" ] && { printf '# ==> %s <==\\n' "$f"; cat "$f"; }; done; true`);
    const text = r.stdout.toString('utf8');
    if (!text) throw new TargetError(`No batch script in ${target.runDir} on ${this.where}.`, 'not-found');
    return text;
  }

  async dispose(): Promise<void> {
    this.watch.dispose();
    await this.shell.dispose();
  }
}

/**
 * A sweep's stop: each array by its id (`scancel 1234` ends every element of the array still pending or running,
 * whatever their number); plain jobs as they are.
 */
export function compactKeys(keys: string[]): string[] {
  return [...new Set(keys.map((k) => k.split('_')[0] ?? k))];
}

function quiet(r: Reporter): Reporter {
  return { info: (t) => r.detail(t), detail: (t) => r.detail(t), warn: (t) => r.warn(t), progress: () => undefined };
}
