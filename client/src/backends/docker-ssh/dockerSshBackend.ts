/**
 * Docker over SSH: the workspace stays on this machine, the work runs on another host's Docker engine. The
 * engine is reached through the target's OpenSSH connection (its socket forwarded to a local unix socket in a
 * folder only the user can read), never through docker-modem's own SSH transport (which reads neither
 * ~/.ssh/config nor known_hosts). Before a run the cube folder and the task's inputs are synced to the target's
 * work folder (only what changed); the container mounts the remote copy, runs as the remote account (when "run
 * as host user" is on), and its outputs come back when it ends. Everything else (logs, stop, exit codes,
 * re-attach) is the Docker backend's. A dropped connection makes the run `target-unreachable`; the container
 * keeps running there and is re-attached when the connection is back.
 */
import Dockerode from 'dockerode';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { basename, relative, sep } from 'node:path';
import { TargetError, type BackendEnvironment, type ImageBuild, type Job, type Reporter, type TargetInfo, type CancelToken } from '../../runs/backend';
import type { RunRecord, RunTarget } from '../../runs/record';
import type { TaskPlan } from '../../../../shared/lsp-protocol';
import { DockerBackend, buildArgs } from '../docker/dockerBackend';
import type { HostFacts } from '../../../../shared/docker/runArgs';
import type { AskFn } from '../ssh/askpass';
import { SshConnection } from '../ssh/connection';
import { shq } from '../ssh/sshHost';
import { ignoreRules, listLocal, push, rsyncHere, type SyncMethod, type SyncResult } from '../ssh/sync';
import type { PathMapping } from './remotePlan';
import { RemoteWorkspace } from '../ssh/remoteWorkspace';

export interface DockerSshSettings {
  name: string;
  /** An alias of the user's SSH config, or user@host[:port]. */
  host: string;
  /** The remote work folder (`~` is the remote account's home). */
  workDir?: string;
  /** The remote engine's socket. */
  socket?: string;
  /** Folders that already live on the remote host: not synced, mounted where they are. */
  pathMappings?: PathMapping[];
  /** `auto`: rsync where both ends have it, else CubeLab's own transfer. */
  sync?: 'auto' | SyncMethod;
}

/** What the editor (or a test) gives the SSH layer: prompts, the askpass program, a config of its own. */
export interface SshEnvironment {
  ask?: AskFn;
  askpassMain?: string;
  configFile?: string;
  options?: string[];
  keepaliveSeconds?: number;
  /** Asked before an output overwrites a local file changed since the last sync. */
  confirmOverwrite?: (files: string[]) => Promise<boolean>;
}

interface RemoteFacts { uid: number; gid: number; home: string; rsync: boolean }

export class DockerSshBackend extends DockerBackend {
  override readonly kind = 'docker-ssh' as const;
  readonly ssh: SshConnection;
  get connection(): SshConnection { return this.ssh; }
  private readonly settings: DockerSshSettings;
  private facts: RemoteFacts | undefined;
  private learning: Promise<RemoteFacts> | undefined;
  private socketPath = '';
  /** The run's files on the remote host: synced up before, outputs back after. */
  private readonly files: RemoteWorkspace;
  /** The last sync of each run's work, by run id: what went up (bytes counted) and when. */
  get syncs(): Map<string, SyncResult[]> { return this.files.syncs; }

  constructor(settings: DockerSshSettings, env: Partial<BackendEnvironment> = {}, sshEnv: SshEnvironment = {}) {
    const socket = settings.socket || '/var/run/docker.sock';
    super({ name: settings.name }, env, { host: `ssh://${settings.host}${socket}`, source: 'setting', modem: { socketPath: '/nonexistent' } });
    this.settings = settings;
    this.ssh = new SshConnection({
      host: settings.host, ...(sshEnv.configFile ? { configFile: sshEnv.configFile } : {}), ...(sshEnv.options ? { options: sshEnv.options } : {}),
      ...(sshEnv.ask ? { ask: sshEnv.ask } : {}), ...(sshEnv.askpassMain ? { askpassMain: sshEnv.askpassMain } : {}),
      ...(sshEnv.keepaliveSeconds ? { keepaliveSeconds: sshEnv.keepaliveSeconds } : {}),
    });
    this.ssh.on('down', () => { this.facts = undefined; this.learning = undefined; this.socketPath = ''; });
    this.files = new RemoteWorkspace(this.ssh, {
      targetName: settings.name, host: settings.host, workDir: () => this.workDir(), method: () => this.method(),
      ...(settings.pathMappings ? { pathMappings: settings.pathMappings } : {}), ...(sshEnv.confirmOverwrite ? { confirmOverwrite: sshEnv.confirmOverwrite } : {}),
    });
  }

  private get socket(): string { return this.settings.socket || '/var/run/docker.sock'; }

  override target(): RunTarget {
    return { kind: 'docker-ssh', name: this.name, host: this.settings.host, engine: this.socket, workDir: this.settings.workDir ?? '~/cubelab' };
  }

  override owns(target: RunTarget): boolean {
    return target.kind === 'docker-ssh' && target.name === this.name && target.host === this.settings.host;
  }

  protected override refuseRemote(): void { /* the engine is remote on purpose */ }

  /** Connects (one multiplexed SSH connection), learns the remote account, forwards the engine's socket. */
  protected override async connectEngine(): Promise<void> {
    await this.ssh.connect();
    // Who the remote account is is asked now and awaited where it is needed (paths, uid), so the engine's first
    // answer does not wait for it.
    this.learning ??= this.learnFacts();
    this.learning.catch(() => { this.learning = undefined; });
    const local = await this.ssh.forwardSocket(this.socket);
    if (local !== this.socketPath) {
      this.socketPath = local;
      // Keep-alive: the API calls of a run share one forwarded connection instead of opening a channel each.
      this.docker = new Dockerode({ socketPath: local, agent: new http.Agent({ keepAlive: true }) } as Dockerode.DockerOptions);
    }
  }

  private async remoteFacts(): Promise<RemoteFacts> {
    if (this.facts) return this.facts;
    await this.ssh.connect();
    this.learning ??= this.learnFacts();
    return this.learning;
  }

  private async learnFacts(): Promise<RemoteFacts> {
    const r = await this.ssh.exec('id -u; id -g; printf "%s\\n" "$HOME"; command -v rsync >/dev/null 2>&1 && echo rsync || echo none');
    const [uid, gid, home, rsync] = r.stdout.toString('utf8').split('\n');
    if (r.code !== 0 || !home) throw new TargetError(`${this.settings.host} did not say who the remote account is (${r.stderr.trim() || `exit ${r.code}`}).`, 'target');
    this.facts = { uid: Number(uid), gid: Number(gid), home, rsync: rsync === 'rsync' };
    return this.facts;
  }

  override async probe(): Promise<TargetInfo> {
    try { await this.connectEngine(); } catch (e) { throw e instanceof TargetError ? e : this.explain(e); }
    try {
      const v = await this.docker.version();
      return { reachable: true, version: `${v.Version} (API ${v.ApiVersion}) on ${this.settings.host}` };
    } catch (e) {
      throw new TargetError(`The Docker engine at ${this.socket} on ${this.settings.host} does not answer (${(e as Error).message}): is it running, and may the remote account use it (the "docker" group)?`, 'unreachable');
    }
  }

  /** The remote work folder, with `~` as the remote account's home. */
  private async workDir(): Promise<string> {
    const w = this.settings.workDir || '~/cubelab';
    const home = (await this.remoteFacts()).home;
    return w === '~' ? home : w.startsWith('~/') ? `${home}/${w.slice(2)}` : w;
  }

  private async method(): Promise<SyncMethod> {
    const want = this.settings.sync ?? 'auto';
    if (want !== 'auto') return want;
    // The remote side's rsync is known from the first call on the connection; this machine's is asked once.
    return (await this.remoteFacts()).rsync && (await rsyncHere()) ? 'rsync' : 'builtin';
  }

  protected override async accountFacts(): Promise<HostFacts> {
    const f = await this.remoteFacts();
    return { ...this.host, uid: f.uid, gid: f.gid };
  }

  /** Sends the cube folder and the task's inputs (only what changed), makes the remote folders. */
  protected override async stage(job: Job, reporter: Reporter): Promise<TaskPlan> {
    return this.files.stage(job.runId, job.plan, reporter);
  }

  /**
   * Builds on the target from a synced copy of the build context (only what changed goes up), with the remote
   * host's docker CLI, so the context never crosses the connection whole.
   */
  protected override async build(image: string, build: ImageBuild, reporter: Reporter, cancel: CancelToken | undefined): Promise<void> {
    const dockerfile = relative(build.context, build.file);
    if (dockerfile.startsWith('..')) throw new TargetError(`The build file ${build.file} is outside the build context ${build.context}.`, 'build');
    const remote = `${await this.workDir()}/.cubelab-contexts/${basename(build.context).replace(/[^A-Za-z0-9_.-]/g, '_')}-${createHash('sha256').update(build.context).digest('hex').slice(0, 10)}`;
    const files = await listLocal(build.context, ignoreRules(build.context));
    const synced = await push(this.ssh, build.context, remote, files, await this.method(), (done, total) => reporter.progress(`Build context to ${this.settings.host}`, done, total));
    reporter.info(`Build context synced to ${this.settings.host}:${remote} (${synced.files.length} changed file(s), ${synced.bytes} bytes)`);
    const a = buildArgs(build.args, this.host);
    const words = ['docker', '-H', `unix://${this.socket}`, 'build', '--network', 'none', '-t', image, '-f', dockerfile.split(sep).join('/'),
      ...Object.entries(a.buildargs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]), ...(a.nocache ? ['--no-cache'] : []), ...(a.pull ? ['--pull'] : []), '.'];
    reporter.info(`Building ${image} on ${this.settings.host}`);
    const proc = await this.ssh.spawn(`cd ${shq(remote)} && DOCKER_BUILDKIT=0 ${words.map(shq).join(' ')} 2>&1`);
    cancel?.onCancel(() => proc.kill('SIGTERM'));
    const tail: string[] = [];
    let partial = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) { reporter.detail(l); tail.push(l); if (tail.length > 5) tail.shift(); reporter.progress(`Building ${image}: ${l.slice(0, 80)}`); }
    });
    const code = await new Promise<number | null>((resolve) => proc.once('close', (c) => resolve(c)));
    if (cancel?.cancelled) throw new TargetError(`Build of ${image} cancelled.`, 'cancelled');
    if (code !== 0) throw new TargetError(`Building ${image} on ${this.settings.host} failed: ${[...tail, partial].filter(Boolean).slice(-3).join(' ')}`, 'build');
    reporter.info(`Built ${image} on ${this.settings.host}`);
  }

  /** Streams an image that exists only in the local engine to the remote one (docker save | docker load). */
  async copyImageFromLocal(image: string, local: Dockerode, reporter: Reporter): Promise<void> {
    await this.connectEngine();
    reporter.info(`Copying ${image} from the local engine to ${this.settings.host}`);
    const stream = await local.getImage(image).get();
    const out = await this.docker.loadImage(stream as unknown as NodeJS.ReadableStream);
    await new Promise<void>((resolve, reject) => this.docker.modem.followProgress(out, (err: Error | null) => (err ? reject(err) : resolve())));
    reporter.info(`Copied ${image} to ${this.settings.host}`);
  }

  /** After the run (and on demand): the outputs come back; a local file changed since the last sync is asked about. */
  protected override async collectOutputs(record: RunRecord, reporter: Reporter): Promise<Partial<Pick<RunRecord, 'outputs'>>> {
    return { outputs: await this.syncOutputs(record, reporter) };
  }

  /** Brings the outputs of a run back; returns where each lives and when it was synced. */
  async syncOutputs(record: RunRecord, reporter: Reporter): Promise<NonNullable<RunRecord['outputs']>> {
    await this.connectEngine();
    return this.files.syncOutputs(record, reporter);
  }

  /** GPU requests are checked against the remote engine's runtimes before anything starts. */
  override async prepare(job: Job, reporter: Reporter, cancel?: CancelToken) {
    await this.connectEngine();
    if (job.plan.gpus !== null) {
      const info = await this.docker.info() as { Runtimes?: Record<string, unknown> };
      const runtimes = Object.keys(info.Runtimes ?? {});
      if (!runtimes.includes('nvidia')) {
        throw new TargetError(`This task requests GPUs (--gpus=${job.plan.gpus}), but the Docker engine on ${this.settings.host} has no GPU runtime (its runtimes: ${runtimes.join(', ') || 'none'}). Install the NVIDIA Container Toolkit there, or run without GPUs (platform.accelerator_count: 0).`, 'gpu');
      }
    }
    return super.prepare(job, reporter, cancel);
  }

  override async dispose(): Promise<void> {
    await super.dispose();
    await this.ssh.dispose();
  }
}
