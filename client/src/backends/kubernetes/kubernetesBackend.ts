/**
 * The Kubernetes backend: a task runs as a `batch/v1` Job (its workspace on a PersistentVolumeClaim, as MLCube's
 * Kubernetes runner lays it out), a sweep as one Indexed Job (jobSpec.ts). The state of every run and element
 * comes from one shared watch of CubeLab's pods in the namespace (podWatch.ts, which survives `410 Gone` by
 * listing again); each pod's log is followed with `timestamps=true` and resumed after a drop from the second of
 * the last stored line, skipping what was stored (podLog.ts). Stop deletes the Job with its pods (foreground
 * propagation; each pod gets SIGTERM, then SIGKILL after the grace period), or one element's pod. A reload finds
 * a run's Job again by its name and checks it by its labels. A failed Job is left on the cluster with its pod,
 * so its log stays readable (`kubectl logs`), until `ttlSecondsAfterFinished`.
 *
 * `@kubernetes/client-node` is loaded on first use from its own bundle (kubeModule.ts). The local Docker engine
 * is asked about the image only: one that exists there but in no registry cannot be pulled by the cluster.
 */
import Dockerode from 'dockerode';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import {
  TargetError, type ArrayJob, type ArraySubmission, type Backend, type BackendEnvironment, type CancelToken, type ImageBuild, type Job, type LogLine,
  type Prepared, type Reporter, type StreamOutput, type TargetErrorCode, type TargetInfo, type WorkState,
} from '../../runs/backend';
import type { RunRecord, RunTarget } from '../../runs/record';
import { currentHostFacts, type HostFacts } from '../../../../shared/docker/runArgs';
import { isConnectionError, selectEngine } from '../docker/engine';
import type { KubeApi, KubeApiError, KubeApiOptions } from './kubeApi';
import { loadKubeModule } from './kubeModule';
import { claimLayout, CONTAINER_NAME, indexedJob, jobName, MANAGED_BY, podParts, RUN_ID_ANNOTATION, RUN_LABEL, runLabel, singleJob, subPathOf, type JobOptions, type PodParts } from './jobSpec';
import { PodWatch, type PodEntry } from './podWatch';
import { advance, isKubeCursor, PodLogParser, ResumeSkip, sinceTimeOf, type KubeCursor } from './podLog';
import { DEFAULT_TTL_SECONDS, readKubernetesSettings, type KubernetesSettings } from './settings';

type KubeTarget = Extract<RunTarget, { kind: 'kubernetes' }>;

export interface KubernetesOptions {
  /** The API client (tests may pass one; default: client-node through dist/kubernetes.js). */
  api?: (opts: KubeApiOptions) => KubeApi;
  /** The local Docker engine asked about images (null: none). */
  docker?: Dockerode | null;
  hostFacts?: HostFacts;
}

const isKubeError = (e: unknown): e is KubeApiError => !!e && typeof e === 'object' && (e as KubeApiError).kubeApiError === true;
const podName = (p: V1Pod): string => p.metadata?.name ?? '';
const terminated = (p: V1Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
/** Whether the task's container was started (so that it has a log). */
const startedContainer = (p: V1Pod): boolean => {
  const s = p.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME) ?? p.status?.containerStatuses?.[0];
  return !!(s?.state?.running || s?.state?.terminated || s?.lastState?.terminated);
};

export class KubernetesBackend implements Backend {
  readonly kind = 'kubernetes' as const;
  readonly name: string;
  readonly queues = true;
  readonly repollMs = 250;
  readonly settings: KubernetesSettings;
  private readonly problems: string[];
  private readonly grace: number;
  private readonly retryMs: number;
  private readonly host: HostFacts;
  private readonly makeApi: (opts: KubeApiOptions) => KubeApi;
  private apiInstance: KubeApi | undefined;
  private dockerInstance: Dockerode | null | undefined;
  /** The one watch of CubeLab's pods in the namespace. */
  readonly watch: PodWatch;
  /** Jobs and elements this window stopped (their pods' failures are the stop, not the task's). */
  private readonly stopped = new Set<string>();
  /** Elements to stop as soon as their pod appears (stopped while waiting for a slot). */
  private readonly stopOnStart = new Set<string>();
  private readonly jobCache = new Map<string, { at: number; job: V1Job | undefined }>();
  /** Sweep elements this window follows (`job#index`), and those whose end it recorded (collected). */
  private readonly followed = new Set<string>();
  private readonly collected = new Set<string>();
  private readonly offWatch: () => void;

  constructor(settings: Record<string, unknown> & { name: string }, env: Partial<BackendEnvironment> = {}, opts: KubernetesOptions = {}) {
    const read = readKubernetesSettings(settings);
    this.settings = read.settings;
    this.problems = read.problems;
    this.name = settings.name;
    this.grace = env.stopGraceSeconds ?? 10;
    this.retryMs = env.retryMs ?? 1000;
    this.host = opts.hostFacts ?? currentHostFacts();
    this.makeApi = opts.api ?? ((o) => loadKubeModule().createKubeApi(o));
    if (opts.docker !== undefined) this.dockerInstance = opts.docker;
    this.watch = new PodWatch(() => this.api(), `${MANAGED_BY}=cubelab`, Math.min(this.retryMs, 1000));
    this.offWatch = this.watch.onChange(() => this.stopWaiting());
  }

  // ---------------------------------------------------------------- the target

  /** The API client for the target's context (the kubeconfig is read once). */
  api(): KubeApi {
    if (this.problems.length) throw new TargetError(`The Kubernetes target "${this.name}" in cubelab.targets: ${this.problems.join('; ')}.`, 'refused');
    if (!this.apiInstance) {
      try {
        this.apiInstance = this.makeApi({
          ...(this.settings.kubeconfig ? { kubeconfig: this.settings.kubeconfig } : {}), ...(this.settings.context ? { context: this.settings.context } : {}),
          ...(this.settings.namespace ? { namespace: this.settings.namespace } : {}),
        });
      } catch (e) { throw this.explain(e); }
    }
    return this.apiInstance;
  }

  private docker(): Dockerode | null {
    if (this.dockerInstance === undefined) {
      try { this.dockerInstance = new Dockerode(selectEngine(undefined).modem); } catch { this.dockerInstance = null; }
    }
    return this.dockerInstance;
  }

  target(): RunTarget {
    let context = this.settings.context ?? '', namespace = this.settings.namespace ?? '';
    try { const a = this.api(); context = a.context; namespace = a.namespace; } catch { /* the settings' values */ }
    return { kind: 'kubernetes', name: this.name, context, namespace };
  }

  owns(target: RunTarget): boolean {
    if (target.kind !== 'kubernetes') return false;
    const mine = this.target() as KubeTarget;
    return target.context === mine.context && target.namespace === mine.namespace;
  }

  private where(): string {
    const a = this.apiInstance;
    return a ? `the Kubernetes API server ${a.server} (context ${a.context}, namespace ${a.namespace})` : `the Kubernetes target "${this.name}"`;
  }

  /** API failures as sentences a user can act on. */
  private explain(e: unknown, what = ''): TargetError {
    if (e instanceof TargetError) return e;
    if (!isKubeError(e)) return new TargetError(`${what}${(e as Error)?.message ?? String(e)}`, 'target');
    const k = e;
    const code = (c: TargetErrorCode, msg: string) => new TargetError(`${what}${msg}`, c);
    if (k.config) return code('missing', k.message);
    if (k.status === undefined) return code('unreachable', `${this.where()} does not answer${k.code ? ` (${k.code})` : ''}: ${k.message}`);
    if (k.status === 401) return code('denied', `${this.where()} did not accept the credentials of the kubeconfig (401 Unauthorized): ${k.message}. Check that kubectl works with this context (an expired token, an exec plugin that failed).`);
    if (k.status === 403) return code('denied', `${this.where()} does not allow this (403 Forbidden): ${k.message}`);
    if (k.status >= 500) return code('unreachable', `${this.where()} failed (${k.status}${k.reason ? ` ${k.reason}` : ''}): ${k.message}`);
    return code('target', `${this.where()} refused (${k.status}${k.reason ? ` ${k.reason}` : ''}): ${k.message}`);
  }

  /** While following a run, any failure to reach the API server means the target went away (the work may run on). */
  private lost(e: unknown): TargetError {
    const t = this.explain(e);
    return t.code === 'unreachable' || (isKubeError(e) && e.status === undefined) ? new TargetError(t.message, 'unreachable') : t;
  }

  async probe(): Promise<TargetInfo> {
    const api = this.api();
    try { return { reachable: true, version: `Kubernetes ${await api.version()} (${api.context}, namespace ${api.namespace})` }; } catch (e) { throw this.explain(e); }
  }

  // ---------------------------------------------------------------- image, configure

  /**
   * What the local engine knows of the image: refused when it exists only there (built or tagged here, never
   * pushed: the cluster cannot pull it); its ENTRYPOINT when known. An image the local engine does not have (or
   * no local engine) is the cluster's to pull.
   */
  private async localImage(image: string): Promise<{ entrypoint?: string[]; digest?: string }> {
    const docker = this.docker();
    if (!docker) return {};
    let info: Dockerode.ImageInspectInfo;
    try { info = await docker.getImage(image).inspect(); } catch (e) {
      if (isConnectionError(e) || (e as { statusCode?: number }).statusCode === 404) return {};
      return {};
    }
    const ep = info.Config?.Entrypoint as string[] | string | null | undefined;
    const entrypoint = Array.isArray(ep) ? ep : typeof ep === 'string' && ep ? ['/bin/sh', '-c', ep] : [];
    if (image.includes('@sha256:')) return { entrypoint };
    const repo = familiar(image.replace(/:[^:/]+$/, ''));
    const digest = (info.RepoDigests ?? []).find((d) => familiar(d.split('@')[0] ?? '') === repo);
    if (!digest) {
      throw new TargetError(`The image ${image} exists only in the local Docker engine (it was built or tagged on this machine and never pushed), so the cluster cannot pull it. `
        + `Push it to a registry the cluster pulls from (a name with the registry's host, e.g. registry.example.com/team/${repo.split('/').pop()}), use that name in the manifest, and run again.`, 'image');
    }
    return { entrypoint, digest };
  }

  async configure(image: string, build: ImageBuild | undefined, reporter: Reporter): Promise<void> {
    await this.localImage(image);
    if (build && build.strategy !== 'pull' && existsSync(build.file)) reporter.info(`CubeLab does not build images for Kubernetes: build ${image} with the local target's Configure, push it to a registry the cluster pulls from, and use that name.`);
    reporter.info(`The cluster pulls ${image} when a pod starts (MLCube's Kubernetes runner has no configure step either).`);
  }

  // ---------------------------------------------------------------- prepare, submit

  private jobOptions(job: Pick<Job, 'runId' | 'task' | 'manifest'>): JobOptions {
    return { runId: job.runId, task: job.task, manifest: job.manifest, namespace: (this.target() as KubeTarget).namespace, settings: this.settings, graceSeconds: this.grace };
  }

  private parts(job: Job): { parts: PodParts; warnings: string[] } {
    if (this.problems.length) throw new TargetError(`The Kubernetes target "${this.name}" in cubelab.targets: ${this.problems.join('; ')}.`, 'refused');
    const r = podParts(job.plan, { runId: job.runId, manifest: job.manifest, task: job.task, ...(job.asHostUser !== undefined ? { asHostUser: job.asHostUser } : {}) }, this.settings, this.host);
    if (!r.ok) throw new TargetError(r.error, r.code);
    return { parts: r.parts, warnings: r.warnings };
  }

  validate(job: Job): void { this.parts(job); }

  /**
   * Readies the claim's side: with `localPath` (the claim's files here) the folders mlcube would create and the
   * inputs of a custom workspace are made here; without it CubeLab cannot see into the claim and says which
   * inputs it expects there (it never uploads to the claim).
   */
  private stage(job: Job, parts: PodParts, reporter: Reporter): string[] {
    const warnings: string[] = [];
    const layout = claimLayout(this.settings, job.plan);
    if (layout.shared) {
      for (const d of job.plan.mkdirs) if (subPathOf(d, layout) !== undefined) mkdirSync(d, { recursive: true });
      for (const s of job.plan.workspaceSync ?? []) {
        if (existsSync(s.to) || subPathOf(s.to, layout) === undefined) continue;
        mkdirSync(dirname(s.to), { recursive: true });
        cpSync(s.from, s.to, { recursive: s.kind === 'directory' });
        reporter.info(`copied ${s.from} to ${s.to}`);
      }
      const missing = parts.mounts.filter((m) => m.io !== 'output' && !existsSync(m.host)).map((m) => m.host);
      if (missing.length) warnings.push(`Input(s) not found in localPath (the claim ${layout.claim}'s files): ${missing.join(', ')}.`);
    } else {
      const local = parts.mounts.filter((m) => m.io !== 'output' && existsSync(m.host));
      if (local.length) {
        warnings.push(`CubeLab does not upload to the claim ${layout.claim}: the task reads ${local.map((m) => `${m.subPath || '.'} (here: ${m.host})`).join(', ')} from the claim, which must hold them. `
          + 'Set localPath in the target when the claim\'s files are mounted on this machine.');
      }
      if (job.plan.workspaceSync?.length) warnings.push(`The inputs mlcube copies into a custom workspace (${job.plan.workspaceSync.map((s) => s.to).join(', ')}) are not copied into the claim.`);
    }
    return warnings;
  }

  private async checkClaim(): Promise<void> {
    const claim = this.settings.persistentVolumeClaim ?? '';
    let exists: boolean;
    try { exists = await this.api().claimExists(claim); } catch (e) { throw this.explain(e); }
    if (!exists) throw new TargetError(`The PersistentVolumeClaim ${claim} does not exist in namespace ${this.api().namespace} (context ${this.api().context}): create it with the cube's workspace, or name another in the target's persistentVolumeClaim.`, 'staging');
  }

  async prepare(job: Job, reporter: Reporter, cancel?: CancelToken): Promise<Prepared> {
    const { parts, warnings } = this.parts(job);
    warnings.push(...this.stage(job, parts, reporter));
    await this.checkClaim();
    const img = await this.localImage(job.plan.image);
    if (cancel?.cancelled) throw new TargetError('Run cancelled before it started.', 'cancelled');
    return { warnings, ...(img.digest ? { image: { digest: img.digest } } : {}), data: singleJob(parts, this.jobOptions(job)) };
  }

  private async create(job: V1Job): Promise<string> {
    try {
      const created = await this.api().createJob(job);
      return created.metadata?.name ?? job.metadata?.name ?? '';
    } catch (e) {
      const t = this.explain(e, 'The cluster refused the Job: ');
      throw new TargetError(t.message, t.code === 'target' ? 'refused' : t.code);
    }
  }

  async submit(job: Job, prepared: Prepared, reporter: Reporter): Promise<RunTarget> {
    const spec = prepared.data as V1Job;
    const name = await this.create(spec);
    reporter.info(`created Job ${name} in namespace ${spec.metadata?.namespace} (${this.api().context}); pods run ${job.plan.image}`);
    void this.watch.ensure().catch(() => undefined);
    return { ...(this.target() as KubeTarget), job: name };
  }

  async submitArray(aj: ArrayJob, reporter: Reporter, cancel?: CancelToken): Promise<ArraySubmission> {
    if (!aj.elements.length) throw new TargetError('A sweep needs at least one element.', 'refused');
    const warnings = new Set<string>();
    const parts: PodParts[] = [];
    for (const el of aj.elements) {
      const job: Job = { ...aj, runId: `${aj.runId}#${el.index}`, plan: el.plan };
      const p = this.parts(job);
      for (const w of p.warnings) warnings.add(w);
      for (const w of this.stage(job, p.parts, reporter)) warnings.add(w);
      parts.push(p.parts);
    }
    await this.checkClaim();
    const img = await this.localImage(aj.elements[0]!.plan.image);
    if (cancel?.cancelled) throw new TargetError('Sweep cancelled before it started.', 'cancelled');
    const built = indexedJob(parts, aj.parallelism, this.jobOptions(aj), img.entrypoint);
    if (!built.ok) throw new TargetError(built.error, 'refused');
    const name = await this.create(built.job);
    reporter.info(`created Indexed Job ${name} in namespace ${built.job.metadata?.namespace} (${this.api().context}): ${parts.length} element(s), ${built.job.spec?.parallelism} at a time${built.launcher ? '; each pod starts its element\'s command line through /bin/sh' : ''}`);
    void this.watch.ensure().catch(() => undefined);
    const targets = new Map<number, RunTarget>();
    aj.elements.forEach((el, k) => targets.set(el.index, { ...(this.target() as KubeTarget), job: name, index: k }));
    return { targets, warnings: [...warnings], ...(img.digest ? { image: { digest: img.digest } } : {}) };
  }

  // ---------------------------------------------------------------- state

  private async ensureWatch(): Promise<void> {
    try { await this.watch.ensure(); } catch (e) { throw this.lost(e); }
  }

  private jobOf(target: RunTarget): { job: string; index: number | undefined } {
    const t = target as KubeTarget;
    if (!t.job) throw new TargetError('The run has no Job yet.', 'not-found');
    if (t.index !== undefined) this.followed.add(`${t.job}#${t.index}`);
    return { job: t.job, index: t.index };
  }

  /** The Job itself, read at most every two seconds per Job (only needed while it has no pod). */
  private async readJob(name: string, fresh = false): Promise<V1Job | undefined> {
    const c = this.jobCache.get(name);
    if (!fresh && c && Date.now() - c.at < 2000) return c.job;
    let job: V1Job | undefined;
    try { job = await this.api().readJob(name); } catch (e) { throw this.lost(e); }
    this.jobCache.set(name, { at: Date.now(), job });
    return job;
  }

  async poll(target: RunTarget): Promise<WorkState> {
    const { job, index } = this.jobOf(target);
    await this.ensureWatch();
    if (this.watch.down) throw this.lost(this.watch.down);
    const pods = this.watch.podsOf(job, index);
    const cur = pods[pods.length - 1];
    if (!cur || (cur.deletedAt !== undefined && !terminated(cur.pod))) {
      const j = await this.readJob(job);
      if (!j || j.metadata?.deletionTimestamp) {
        if (this.stopped.has(job) || (index !== undefined && this.stopped.has(`${job}#${index}`))) return { state: 'exited', exitCode: null, reason: `Its Job ${job} was deleted before the task ended.` };
        return { state: 'gone', reason: `The Job ${job} is not in namespace ${this.api().namespace} any more: it was deleted outside CubeLab, or removed after ttlSecondsAfterFinished.` };
      }
      const failed = j.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failed && index === undefined) return { state: 'exited', exitCode: null, reason: `The Job failed before its task ran: ${failed.reason ?? ''}${failed.message ? `: ${failed.message}` : ''}.` };
      return { state: 'queued', reason: cur ? 'Its pod was deleted; waiting for the Job\'s next pod.' : 'Waiting for the Job to create its pod.' };
    }
    if (terminated(cur.pod) && disruption(cur.pod)) {
      // Evicted or preempted: the Job's podFailurePolicy ignores it and makes a new pod for the task.
      const j = await this.readJob(job);
      const over = j?.status?.conditions?.some((c) => (c.type === 'Failed' || c.type === 'Complete') && c.status === 'True');
      if (j && !j.metadata?.deletionTimestamp && !over) return { state: 'queued', reason: `The pod ${podName(cur.pod)} was evicted (${disruption(cur.pod)}): the Job replaces it.` };
    }
    return podState(cur);
  }

  // ---------------------------------------------------------------- logs

  /** Wakes `stream` calls waiting for a pod to start, and stops elements that were stopped before they started. */
  private stopWaiting(): void {
    if (!this.stopOnStart.size) return;
    for (const key of [...this.stopOnStart]) {
      const [job, i] = key.split('#');
      for (const e of this.watch.podsOf(job ?? '', Number(i))) {
        if (e.deletedAt !== undefined || terminated(e.pod)) continue;
        this.stopOnStart.delete(key);
        void this.api().deletePod(podName(e.pod), this.grace).catch(() => undefined);
      }
    }
  }

  async stream(target: RunTarget, cursor: unknown, out: StreamOutput, signal: AbortSignal): Promise<void> {
    const { job, index } = this.jobOf(target);
    await this.ensureWatch();
    let c: KubeCursor | undefined = isKubeCursor(cursor) ? cursor : undefined;
    for (let round = 0; ; round++) {
      if (signal.aborted) return;
      if (this.watch.down) throw this.lost(this.watch.down);
      const pods = this.watch.podsOf(job, index);
      const cur = pods[pods.length - 1];
      if (!cur) { await this.watch.changed(2000, signal); return; }
      const name = podName(cur.pod);
      if (c && c.pod !== name) {
        // The element got a new pod (the old one was evicted): the old pod's last lines first, if it still has them.
        const old = pods.find((p) => podName(p.pod) === c!.pod);
        if (old && old.deletedAt === undefined) c = (await this.readLog(old, c, false, out, signal)).cursor;
        c = undefined;
      }
      if (cur.deletedAt !== undefined || !startedContainer(cur.pod)) {
        // Not started yet (scheduling, pulling the image), or gone: nothing to read now; the supervisor polls.
        if (round === 0) await this.watch.changed(2000, signal);
        return;
      }
      const done = terminated(cur.pod);
      const r = await this.readLog(cur, c, !done, out, signal);
      c = r.cursor;
      // An evicted pod's last lines are stored: wait for the pod that replaces it.
      if (done && disruption(cur.pod)) await this.watch.changed(2000, signal);
      if (done || signal.aborted) return;
      if (r.error) {
        if (r.error.status === undefined) throw this.lost(r.error);
        if (r.error.status === 404) return;
        // 400: the container is not ready for logs yet (or restarting): look again after the next change.
        await this.watch.changed(1000, signal);
        return;
      }
      // The follow ended while the pod ran (the API server or kubelet dropped it, or the task just exited and the
      // watch has not said so yet): resume from the cursor, once the watch had a moment to catch up.
      if (!r.lines) await this.watch.changed(500, signal);
    }
  }

  /** Reads a pod's log from `cursor` (following it or not) into `out`; returns the cursor after the last line. */
  private async readLog(entry: PodEntry, cursor: KubeCursor | undefined, follow: boolean, out: StreamOutput, signal: AbortSignal): Promise<{ cursor: KubeCursor | undefined; lines: number; error?: KubeApiError }> {
    const pod = podName(entry.pod);
    let c = cursor && cursor.pod === pod ? cursor : undefined;
    const skip = new ResumeSkip(c);
    const parser = new PodLogParser();
    let lines = 0;
    const ac = new AbortController();
    const abort = () => ac.abort();
    signal.addEventListener('abort', abort);
    try {
      const body = await this.api().podLog(pod, CONTAINER_NAME, { follow, ...(c ? { sinceTime: sinceTimeOf(c.ts) } : {}) }, ac.signal);
      await new Promise<void>((resolve) => {
        let settled = false;
        const finish = () => { if (settled) return; settled = true; take(parser.end()); resolve(); };
        const take = (got: { ts: string; text: string }[]) => {
          const kept: LogLine[] = [];
          for (const l of got) {
            if (!skip.keep(l)) continue;
            c = advance(c, pod, l);
            kept.push({ ts: l.ts, stream: 'out', text: l.text });
          }
          if (!kept.length) return;
          lines += kept.length;
          const wait = out.store(kept, c);
          for (const l of kept) out.show(l.text, 'out');
          if (wait) { body.pause(); void wait.then(() => body.resume()); }
        };
        body.on('data', (chunk: Buffer) => take(parser.push(chunk)));
        body.on('end', finish);
        body.on('close', finish);
        body.on('error', finish);
        if (ac.signal.aborted) { body.destroy(); finish(); }
      });
      return { cursor: c, lines };
    } catch (e) {
      if (signal.aborted) return { cursor: c, lines };
      return { cursor: c, lines, error: isKubeError(e) ? e : { kubeApiError: true, message: (e as Error).message } };
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  // ---------------------------------------------------------------- stop, locate, collect

  /** Checks that a Job is the run's (its annotation names the run) before CubeLab touches it. */
  private async ownJob(name: string, runId: string): Promise<V1Job | undefined> {
    let job: V1Job | undefined;
    try { job = await this.api().readJob(name); } catch (e) { throw this.explain(e); }
    if (!job) return undefined;
    const owner = job.metadata?.annotations?.[RUN_ID_ANNOTATION];
    if (owner !== runId) throw new TargetError(`The Job ${name} is not run ${runId}'s (it names ${owner ? `run ${owner}` : 'no CubeLab run'}); CubeLab leaves it alone.`, 'refused');
    return job;
  }

  async cancel(target: RunTarget, record: RunRecord, graceSeconds: number): Promise<void> {
    const t = target as KubeTarget;
    if (!t.job) throw new TargetError(`Run ${record.runId} has no Job to stop (yet).`, 'not-found');
    const runId = record.runId.split('#')[0] ?? record.runId;
    if (!await this.ownJob(t.job, runId)) return; // gone already: the follower records it
    if (t.index !== undefined) {
      // One element of a sweep: its pod goes (SIGTERM, then SIGKILL after the grace period); the index then
      // counts as failed and is not run again (backoffLimitPerIndex 0), the other elements go on.
      const key = `${t.job}#${t.index}`;
      this.stopped.add(key);
      await this.ensureWatch();
      const live = this.watch.podsOf(t.job, t.index).filter((e) => e.deletedAt === undefined && !terminated(e.pod));
      if (!live.length) { this.stopOnStart.add(key); return; }
      try { for (const e of live) await this.api().deletePod(podName(e.pod), graceSeconds); } catch (e) { throw this.explain(e); }
      return;
    }
    this.stopped.add(t.job);
    try { await this.api().deleteJob(t.job, 'Foreground', graceSeconds); } catch (e) { throw this.explain(e); }
  }

  /** A whole sweep's stop: its Job deleted with its pods, in one call per Job. */
  async cancelMany(targets: RunTarget[], record: RunRecord, graceSeconds: number): Promise<void> {
    const jobs = [...new Set(targets.map((t) => (t as KubeTarget).job).filter((j): j is string => !!j))];
    for (const j of jobs) {
      if (!await this.ownJob(j, record.runId)) continue;
      this.stopped.add(j);
      for (const t of targets) if ((t as KubeTarget).job === j && (t as KubeTarget).index !== undefined) this.stopped.add(`${j}#${(t as KubeTarget).index}`);
      try { await this.api().deleteJob(j, 'Foreground', graceSeconds); } catch (e) { throw this.explain(e); }
    }
  }

  async locate(record: RunRecord): Promise<WorkState> {
    const t = record.target as KubeTarget;
    const runId = record.runId.split('#')[0] ?? record.runId;
    await this.ensureWatch();
    if (!t.job) {
      // The window closed between creating the Job and recording its name: found by its label, and removed,
      // since nothing will follow it.
      let found: V1Job[] = [];
      try { found = await this.api().listJobs(`${RUN_LABEL}=${runLabel(runId)}`); } catch (e) { throw this.lost(e); }
      const mine = found.filter((j) => j.metadata?.annotations?.[RUN_ID_ANNOTATION] === runId);
      for (const j of mine) await this.api().deleteJob(j.metadata?.name ?? '', 'Background').catch(() => undefined);
      return { state: 'gone', reason: mine.length ? `The window that started the run closed before it recorded its Job; CubeLab deleted that Job (${mine.map((j) => j.metadata?.name).join(', ')}), which nothing followed.` : 'The run never got a Job: the window that started it closed (or the cluster refused it) before the Job was created.' };
    }
    let job: V1Job | undefined;
    try { job = await this.readJob(t.job, true); } catch (e) { throw this.lost(e); }
    if (!job) {
      // Perhaps under another name (a Job made by another version): its label says whose it is.
      let found: V1Job[] = [];
      try { found = await this.api().listJobs(`${RUN_LABEL}=${runLabel(runId)}`); } catch (e) { throw this.lost(e); }
      if (!found.some((j) => j.metadata?.annotations?.[RUN_ID_ANNOTATION] === runId)) {
        return { state: 'gone', reason: `The Job ${t.job} is not in namespace ${t.namespace} any more: it was deleted outside CubeLab, or removed after ttlSecondsAfterFinished.` };
      }
    } else if (job.metadata?.annotations?.[RUN_ID_ANNOTATION] !== runId || job.metadata?.labels?.[RUN_LABEL] !== runLabel(runId)) {
      return { state: 'gone', reason: `The Job ${t.job} in namespace ${t.namespace} is not this run's (its labels name ${job.metadata?.annotations?.[RUN_ID_ANNOTATION] ?? 'no CubeLab run'}); this run's Job is gone.` };
    }
    return this.poll(record.target);
  }

  async collect(target: RunTarget, record: RunRecord, reporter: Reporter): Promise<Partial<Pick<RunRecord, 'outputs'>>> {
    const t = target as KubeTarget;
    if (!t.job || record.keepContainer) return {};
    const ttl = this.settings.ttlSecondsAfterFinished ?? DEFAULT_TTL_SECONDS;
    const keep = `The Job ${t.job} stays on the cluster with its failed pod${t.index !== undefined ? 's' : ''}, so its log can be read (kubectl logs -n ${t.namespace} job/${t.job}${t.index !== undefined ? ` or the pod of index ${t.index}` : ''}), until ${ttl} s after it finished (ttlSecondsAfterFinished).`;
    // The record is not final yet: whether the task failed on its own is the pod's to say.
    const ownFailure = (job: string, index?: number): boolean => {
      const pods = this.watch.podsOf(job, index);
      const last = pods[pods.length - 1];
      return !!last && last.pod.status?.phase === 'Failed' && !this.stopped.has(index === undefined ? job : `${job}#${index}`) && !disruption(last.pod);
    };
    if (t.index === undefined) {
      if (ownFailure(t.job) && !record.stopRequested) { reporter.info(keep); return {}; }
      this.stopped.delete(t.job);
      await this.api().deleteJob(t.job, 'Background').catch(() => undefined);
      return {};
    }
    // An element: the Job goes with its last element, unless an element failed on its own. "Last" is the last
    // this window follows to its end (another element's follower may still be reading its pod's log).
    this.collected.add(`${t.job}#${t.index}`);
    if (ownFailure(t.job, t.index)) reporter.info(keep);
    const job = await this.readJob(t.job, true).catch(() => undefined);
    const completions = job?.spec?.completions ?? 0;
    if (!job || !completions) return {};
    let allDone = true, failed = false;
    for (let k = 0; k < completions; k++) {
      const pods = this.watch.podsOf(t.job, k);
      const last = pods[pods.length - 1];
      const key = `${t.job}#${k}`;
      if (this.followed.has(key) && !this.collected.has(key)) { allDone = false; continue; }
      const stopped = this.stopped.has(key);
      if (!last || (!terminated(last.pod) && last.deletedAt === undefined)) { if (!stopped) allDone = false; continue; }
      if (last.pod.status?.phase === 'Failed' && !stopped) failed = true;
    }
    if (!allDone) return {};
    if (failed) return {};
    await this.api().deleteJob(t.job, 'Background').catch(() => undefined);
    return {};
  }

  async dispose(): Promise<void> {
    this.offWatch();
    this.watch.dispose();
  }
}

/** Why a pod was disrupted (evicted, preempted), or undefined. */
function disruption(p: V1Pod): string | undefined {
  const c = p.status?.conditions?.find((x) => x.type === 'DisruptionTarget' && x.status === 'True');
  return c ? (c.reason ?? 'DisruptionTarget') : undefined;
}

/** The work's state from its current pod. */
export function podState(entry: PodEntry): WorkState {
  const p = entry.pod;
  const phase = p.status?.phase;
  const cs = p.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME) ?? p.status?.containerStatuses?.[0];
  if (phase === 'Succeeded' || phase === 'Failed') {
    const term = cs?.state?.terminated ?? cs?.lastState?.terminated;
    const code = term ? term.exitCode : null;
    if (term?.reason === 'OOMKilled') return { state: 'exited', exitCode: code, oom: true, reason: `The container ran out of memory and was killed (exit code ${code}); raise the memory limit (--memory, or resources.limits.memory in the target) or lower the task's memory use.` };
    if (!term) return { state: 'exited', exitCode: null, reason: `The pod ${podName(p)} failed${p.status?.reason ? ` (${p.status.reason})` : ''}${p.status?.message ? `: ${p.status.message}` : ''}.` };
    if (p.status?.reason && code !== 0) return { state: 'exited', exitCode: code, reason: `The task's pod ${podName(p)} ended with code ${code} (${p.status.reason}${p.status.message ? `: ${p.status.message}` : ''}).` };
    return { state: 'exited', exitCode: code };
  }
  if (phase === 'Running') return { state: 'running' };
  // Pending: why, as the cluster says it (the scheduler's message, or the container's waiting reason).
  const sched = p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const waiting = cs?.state?.waiting;
  if (waiting?.reason && waiting.reason !== 'ContainerCreating') return { state: 'queued', reason: `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` };
  if (sched) return { state: 'queued', reason: `${sched.reason ?? 'Unschedulable'}${sched.message ? `: ${sched.message}` : ''}` };
  return { state: 'queued', reason: waiting?.reason ?? 'Pending' };
}

/** A repository's name as Docker shows it (`busybox`, not `docker.io/library/busybox`). */
function familiar(repo: string): string {
  return repo.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
}

export { jobName };
