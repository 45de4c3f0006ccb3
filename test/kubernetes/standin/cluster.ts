/**
 * The state and controllers of the stand-in Kubernetes cluster (a TEST STAND-IN: no Kubernetes can run on these
 * machines). Jobs and Pods with resource versions and a bounded event history (for watches, and for `410 Gone`
 * once it was compacted); a Job controller (NonIndexed and Indexed completion, parallelism, backoffLimit and
 * backoffLimitPerIndex, a podFailurePolicy's Ignore rule, ttlSecondsAfterFinished, foreground/background/orphan
 * deletion); and a kubelet that runs every pod as a real container of the test's Docker engine, so logs, exit
 * codes and files written to the claim are real. Claims are folders of this machine.
 *
 * It implements what CubeLab's Kubernetes backend relies on, as the API documents it; it is not a conformant
 * API server. test/kubernetes/README.md says what it covers.
 */
import Dockerode from 'dockerode';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';

// The objects are JSON as the API serves them; their shapes are read defensively.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

export interface StandinOptions {
  docker: Dockerode;
  /** Claim name → the folder of this machine that holds it. */
  claims: Record<string, string>;
  /** How long a pod stays Pending (scheduling) before its container is made (ms). */
  pendingMs?: number;
  /** The one node's labels (nodeSelector is matched against them). */
  nodeLabels?: Record<string, string>;
  /** Events kept for watches (older resource versions get 410 Gone). */
  historyLimit?: number;
}

export interface WatchEvent { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Obj; rv: number }
export interface Watcher { kind: 'Pod' | 'Job'; namespace: string; match: (o: Obj) => boolean; send: (e: WatchEvent) => void; end: () => void }

const CONTAINER_LABEL = 'org.cubelab.k8s-standin.pod';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** `a=b,c!=d,e,!f` (equality and existence; what CubeLab sends). */
export function labelMatcher(selector: string | null | undefined): (o: Obj) => boolean {
  const terms = (selector ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return (o) => {
    const labels: Record<string, string> = o.metadata?.labels ?? {};
    return terms.every((t) => {
      let m = /^([^!=]+)!=(.*)$/.exec(t);
      if (m) return labels[m[1]!.trim()] !== m[2]!.trim();
      m = /^([^!=]+)==?(.*)$/.exec(t);
      if (m) return labels[m[1]!.trim()] === m[2]!.trim();
      if (t.startsWith('!')) return !(t.slice(1) in labels);
      return t in labels;
    });
  };
}

/** Kubernetes' `$(VAR)` expansion: `$$` is a literal `$`, an unknown `$(X)` stays as written. */
export function expand(text: string, env: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== '$' || i + 1 >= text.length) { out += ch; continue; }
    const next = text[i + 1]!;
    if (next === '$') { out += '$'; i++; continue; }
    if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close < 0) { out += text.slice(i); break; }
      const name = text.slice(i + 2, close);
      out += env.has(name) ? env.get(name)! : `$(${name})`;
      i = close;
      continue;
    }
    out += ch;
  }
  return out;
}

/** A resource quantity in base units (bytes, cores). */
export function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+]?[\d.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q);
  if (!m) return Number.NaN;
  const mult: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6 };
  return Number(m[1]) * (m[2] ? mult[m[2]]! : 1);
}

/** Indexes as the Job status writes them: `0-3,5`. */
function ranges(xs: number[]): string {
  const s = [...new Set(xs)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    out.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

interface PodRuntime { containerId?: string; deleting?: Promise<void>; accounted?: boolean }

export class StandinCluster {
  private rv = 1;
  /** Events with a resource version at or below this one are forgotten (a watch from there gets 410 Gone). */
  private compactedRv = 0;
  private readonly history: WatchEvent[] = [];
  readonly jobs = new Map<string, Obj>();
  readonly pods = new Map<string, Obj>();
  private readonly runtime = new Map<string, PodRuntime>();
  /** What the Job controller counted of each Job's ended pods (kept when the pods go, as its finalizers ensure). */
  private readonly acct = new Map<string, { done: Set<number>; fails: Map<number, number>; succeeded: number; failed: number }>();
  readonly watchers = new Set<Watcher>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private disposed = false;
  /** Every container the kubelet made (for the tests' checks and clean-up). */
  readonly containers = new Set<string>();
  readonly id = randomBytes(4).toString('hex');

  constructor(readonly opts: StandinOptions) {}

  get resourceVersion(): string { return String(this.rv); }

  private key(ns: string, name: string): string { return `${ns}/${name}`; }

  private record(kind: 'Pod' | 'Job', type: WatchEvent['type'], o: Obj): void {
    this.rv++;
    o.metadata.resourceVersion = String(this.rv);
    const e: WatchEvent = { type, object: clone(o), rv: this.rv };
    (e.object as Obj).kind = kind;
    (e.object as Obj).apiVersion = kind === 'Job' ? 'batch/v1' : 'v1';
    this.history.push(e);
    const limit = this.opts.historyLimit ?? 10_000;
    if (this.history.length > limit) { const dropped = this.history.splice(0, this.history.length - limit); this.compactedRv = dropped[dropped.length - 1]!.rv; }
    for (const w of this.watchers) if (w.kind === kind && w.namespace === o.metadata.namespace && w.match(e.object)) w.send(e);
  }

  /** Forgets the whole history and ends every watch: watchers come back with their version and get 410 Gone. */
  compact(): void {
    this.history.length = 0;
    // etcd compacts at a revision of its own: every version a client holds is older than it.
    this.rv++;
    this.compactedRv = this.rv;
    for (const w of [...this.watchers]) w.end();
  }

  /** The events after `rv` for a new watch, or 'gone' when they were compacted. */
  since(kind: 'Pod' | 'Job', namespace: string, rv: number, match: (o: Obj) => boolean): WatchEvent[] | 'gone' {
    if (rv < this.compactedRv) return 'gone';
    return this.history.filter((e) => e.rv > rv && e.object.kind === kind && e.object.metadata.namespace === namespace && match(e.object));
  }

  list(kind: 'Pod' | 'Job', namespace: string, match: (o: Obj) => boolean): Obj[] {
    const m = kind === 'Job' ? this.jobs : this.pods;
    return [...m.values()].filter((o) => o.metadata.namespace === namespace && match(o)).map((o) => ({ ...clone(o), kind, apiVersion: kind === 'Job' ? 'batch/v1' : 'v1' }));
  }

  private later(ms: number, f: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); if (!this.disposed) f(); }, ms);
    t.unref();
    this.timers.add(t);
  }

  // ---------------------------------------------------------------- jobs

  createJob(namespace: string, body: Obj): Obj {
    const job = clone(body);
    job.metadata ??= {};
    if (!job.metadata.name && job.metadata.generateName) job.metadata.name = `${job.metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    job.metadata.namespace = namespace;
    job.metadata.uid = randomUUID();
    job.metadata.creationTimestamp = now();
    job.metadata.generation = 1;
    const spec = job.spec;
    spec.completions ??= 1;
    spec.parallelism ??= 1;
    spec.completionMode ??= 'NonIndexed';
    if (spec.backoffLimitPerIndex === undefined) spec.backoffLimit ??= 6;
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': job.metadata.uid } };
    spec.template.metadata ??= {};
    spec.template.metadata.labels = { ...(spec.template.metadata.labels ?? {}), 'batch.kubernetes.io/controller-uid': job.metadata.uid, 'batch.kubernetes.io/job-name': job.metadata.name, 'job-name': job.metadata.name };
    job.status = { active: 0, succeeded: 0, failed: 0, startTime: now() };
    this.jobs.set(this.key(namespace, job.metadata.name), job);
    this.record('Job', 'ADDED', job);
    void this.reconcile(job);
    return job;
  }

  private podsOfJob(job: Obj): Obj[] {
    return [...this.pods.values()].filter((p) => p.metadata.namespace === job.metadata.namespace && p.metadata.labels?.['batch.kubernetes.io/controller-uid'] === job.metadata.uid);
  }

  private finished(job: Obj): boolean {
    return (job.status.conditions ?? []).some((c: Obj) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  }

  /** Whether a failed pod's failure counts (a podFailurePolicy's Ignore rule on a condition it has says no). */
  private counts(job: Obj, pod: Obj): boolean {
    for (const rule of job.spec.podFailurePolicy?.rules ?? []) {
      const onCond = (rule.onPodConditions ?? []).some((c: Obj) => (pod.status.conditions ?? []).some((pc: Obj) => pc.type === c.type && pc.status === (c.status ?? 'True')));
      if (onCond) return rule.action !== 'Ignore';
    }
    return true;
  }

  private accountOf(job: Obj) {
    let a = this.acct.get(job.metadata.uid);
    if (!a) { a = { done: new Set(), fails: new Map(), succeeded: 0, failed: 0 }; this.acct.set(job.metadata.uid, a); }
    return a;
  }

  /** Counts a pod that reached its terminal phase, once. */
  private account(pod: Obj): void {
    const rt = this.runtime.get(pod.metadata.uid);
    if (!rt || rt.accounted || !['Succeeded', 'Failed'].includes(pod.status.phase)) return;
    rt.accounted = true;
    const owner = pod.metadata.ownerReferences?.[0];
    const job = owner ? [...this.jobs.values()].find((j) => j.metadata.uid === owner.uid) : undefined;
    if (!job) return;
    const a = this.accountOf(job);
    const raw = pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
    const idx = raw === undefined ? undefined : Number(raw);
    if (pod.status.phase === 'Succeeded') { a.succeeded++; if (idx !== undefined) a.done.add(idx); return; }
    if (!this.counts(job, pod)) return;
    a.failed++;
    if (idx !== undefined) a.fails.set(idx, (a.fails.get(idx) ?? 0) + 1);
  }

  /** The Job controller: makes pods up to the parallelism, counts their ends, finishes the Job. */
  private reconcile(job: Obj): void {
    if (this.disposed || job.metadata.deletionTimestamp || !this.jobs.has(this.key(job.metadata.namespace, job.metadata.name)) || this.finished(job)) return;
    const spec = job.spec;
    const a = this.accountOf(job);
    const live = this.podsOfJob(job).filter((p) => !['Succeeded', 'Failed'].includes(p.status.phase) && !p.metadata.deletionTimestamp);
    let finish: { type: 'Complete' | 'Failed'; reason: string; message: string } | undefined;
    if (spec.completionMode === 'Indexed') {
      const done = [...a.done];
      const failed = spec.backoffLimitPerIndex === undefined ? [] : [...a.fails].filter(([k, n]) => n > spec.backoffLimitPerIndex && !a.done.has(k)).map(([k]) => k);
      job.status.completedIndexes = ranges(done) || undefined;
      job.status.failedIndexes = spec.backoffLimitPerIndex !== undefined ? ranges(failed) : undefined;
      if (spec.backoffLimitPerIndex === undefined && a.failed > spec.backoffLimit) finish = { type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      else if (done.length + failed.length >= spec.completions) {
        finish = failed.length ? { type: 'Failed', reason: 'FailedIndexes', message: 'Job has failed indexes' } : { type: 'Complete', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
      } else {
        // Indexes whose pod is still terminating are busy too (podReplacementPolicy: Failed, implied by podFailurePolicy).
        const busy = new Set(this.podsOfJob(job).filter((p) => !['Succeeded', 'Failed'].includes(p.status.phase)).map((p) => Number(p.metadata.annotations['batch.kubernetes.io/job-completion-index'])));
        let active = live.length;
        for (let k = 0; k < spec.completions && active < spec.parallelism; k++) {
          if (a.done.has(k) || failed.includes(k) || busy.has(k)) continue;
          this.createPod(job, k);
          active++;
        }
      }
      job.status.succeeded = done.length;
    } else {
      job.status.succeeded = a.succeeded;
      if (a.succeeded >= spec.completions) finish = { type: 'Complete', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
      else if (a.failed > spec.backoffLimit) finish = { type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      else {
        const terminating = this.podsOfJob(job).filter((p) => !['Succeeded', 'Failed'].includes(p.status.phase)).length;
        for (let n = terminating; n < Math.min(spec.parallelism, spec.completions - a.succeeded); n++) this.createPod(job);
      }
    }
    job.status.failed = a.failed;
    job.status.active = this.podsOfJob(job).filter((p) => !['Succeeded', 'Failed'].includes(p.status.phase)).length;
    if (finish) {
      const t = now();
      job.status.conditions = [...(job.status.conditions ?? []), { type: finish.type, status: 'True', reason: finish.reason, message: finish.message, lastProbeTime: t, lastTransitionTime: t }];
      if (finish.type === 'Complete') job.status.completionTime = t;
      if (finish.type === 'Failed') for (const p of live) void this.deletePod(p, p.spec.terminationGracePeriodSeconds ?? 30);
      const ttl = spec.ttlSecondsAfterFinished;
      if (typeof ttl === 'number') this.later(ttl * 1000, () => { if (this.jobs.get(this.key(job.metadata.namespace, job.metadata.name)) === job) void this.deleteJob(job, 'Background'); });
    }
    this.record('Job', 'MODIFIED', job);
  }

  /** Deletes a Job: `Foreground` waits for its pods to go, `Background` goes first, `Orphan` leaves them. */
  async deleteJob(job: Obj, policy: string): Promise<void> {
    const key = this.key(job.metadata.namespace, job.metadata.name);
    const pods = this.podsOfJob(job);
    if (policy === 'Foreground') {
      if (!job.metadata.deletionTimestamp) {
        job.metadata.deletionTimestamp = now();
        job.metadata.finalizers = ['foregroundDeletion'];
        this.record('Job', 'MODIFIED', job);
      }
      await Promise.all(pods.map((p) => this.deletePod(p, p.spec.terminationGracePeriodSeconds ?? 30)));
      if (this.jobs.get(key) === job) { this.jobs.delete(key); this.record('Job', 'DELETED', job); }
      return;
    }
    if (this.jobs.get(key) === job) { this.jobs.delete(key); job.metadata.deletionTimestamp ??= now(); this.record('Job', 'DELETED', job); }
    if (policy === 'Background') { await Promise.all(pods.map((p) => this.deletePod(p, p.spec.terminationGracePeriodSeconds ?? 30))); return; }
    for (const p of pods) { p.metadata.ownerReferences = []; this.record('Pod', 'MODIFIED', p); }
  }

  // ---------------------------------------------------------------- pods (the kubelet)

  private createPod(job: Obj, index?: number): void {
    const t = job.spec.template;
    const name = `${job.metadata.name}-${index !== undefined ? `${index}-` : ''}${randomBytes(4).toString('hex').slice(0, 5)}`;
    const spec = clone(t.spec);
    if (index !== undefined) for (const c of spec.containers) c.env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }];
    const pod: Obj = {
      metadata: {
        name, namespace: job.metadata.namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString(),
        labels: { ...(t.metadata?.labels ?? {}), ...(index !== undefined ? { 'batch.kubernetes.io/job-completion-index': String(index) } : {}) },
        annotations: { ...(t.metadata?.annotations ?? {}), ...(index !== undefined ? { 'batch.kubernetes.io/job-completion-index': String(index) } : {}) },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
        finalizers: ['batch.kubernetes.io/job-tracking'],
      },
      spec: { ...spec, nodeName: undefined },
      status: { phase: 'Pending', conditions: [], qosClass: 'BestEffort' },
    };
    this.pods.set(this.key(pod.metadata.namespace, name), pod);
    this.runtime.set(pod.metadata.uid, {});
    this.record('Pod', 'ADDED', pod);
    void this.runPod(pod, job).catch((e) => this.failPod(pod, job, `${(e as Error).message}`));
  }

  private alive(pod: Obj): boolean { return !this.disposed && this.pods.get(this.key(pod.metadata.namespace, pod.metadata.name)) === pod && !pod.metadata.deletionTimestamp; }

  private setStatus(pod: Obj, patch: Obj): void {
    Object.assign(pod.status, patch);
    this.account(pod);
    this.record('Pod', 'MODIFIED', pod);
  }

  private failPod(pod: Obj, job: Obj, message: string): void {
    if (!this.pods.has(this.key(pod.metadata.namespace, pod.metadata.name)) || ['Succeeded', 'Failed'].includes(pod.status.phase)) return;
    this.setStatus(pod, { phase: 'Failed', reason: 'StandinError', message });
    this.reconcile(job);
  }

  /** Why the one node cannot take the pod, or undefined. */
  private unschedulable(pod: Obj): string | undefined {
    const labels = { 'kubernetes.io/hostname': 'standin-node', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...(this.opts.nodeLabels ?? {}) } as Record<string, string>;
    const sel: Record<string, string> = pod.spec.nodeSelector ?? {};
    if (Object.entries(sel).some(([k, v]) => labels[k] !== v)) return "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    for (const c of pod.spec.containers) {
      const gpu = c.resources?.limits?.['nvidia.com/gpu'] ?? c.resources?.requests?.['nvidia.com/gpu'];
      if (gpu && quantity(gpu) > 0) return '0/1 nodes are available: 1 Insufficient nvidia.com/gpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
    }
    return undefined;
  }

  private async runPod(pod: Obj, job: Obj): Promise<void> {
    const rt = this.runtime.get(pod.metadata.uid)!;
    await sleep(this.opts.pendingMs ?? 0);
    if (!this.alive(pod)) return;
    const why = this.unschedulable(pod);
    const t0 = now();
    if (why) { this.setStatus(pod, { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: why, lastTransitionTime: t0 }] }); return; }
    const c = pod.spec.containers[0];
    pod.spec.nodeName = 'standin-node';
    this.setStatus(pod, {
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: t0 }],
      containerStatuses: [{ name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ContainerCreating' } } }],
    });
    const docker = this.opts.docker;
    // The image: pulled when the engine does not have it (from the registry its name says).
    for (let attempt = 0; ; attempt++) {
      if (!this.alive(pod)) return;
      const have = await docker.getImage(c.image).inspect().then(() => true, () => false);
      if (have) break;
      const err = await new Promise<string | undefined>((resolve) => {
        docker.pull(c.image, (e: Error | null, stream: NodeJS.ReadableStream) => {
          if (e) { resolve(e.message); return; }
          docker.modem.followProgress(stream, (e2: Error | null) => resolve(e2 ? e2.message : undefined));
        });
      });
      if (!err) break;
      this.setStatus(pod, { containerStatuses: [{ ...pod.status.containerStatuses[0], state: { waiting: { reason: attempt ? 'ImagePullBackOff' : 'ErrImagePull', message: attempt ? `Back-off pulling image "${c.image}"` : `failed to pull image "${c.image}": ${err}` } } }] });
      await sleep(Math.min(2000, 250 * 2 ** attempt));
    }
    // The container's environment: values with $(VAR) references, and the downward API's fields.
    const env = new Map<string, string>();
    for (const e of c.env ?? []) {
      if (e.valueFrom?.fieldRef) {
        const f: string = e.valueFrom.fieldRef.fieldPath;
        const m = /^metadata\.(annotations|labels)\['([^']+)'\]$/.exec(f);
        const v = m ? pod.metadata[m[1]!]?.[m[2]!] : f === 'metadata.name' ? pod.metadata.name : f === 'metadata.namespace' ? pod.metadata.namespace : f === 'metadata.uid' ? pod.metadata.uid : undefined;
        env.set(e.name, v ?? '');
      } else env.set(e.name, expand(String(e.value ?? ''), env));
    }
    const binds: string[] = [];
    const tmpfs: Record<string, string> = {};
    for (const vm of c.volumeMounts ?? []) {
      const vol = (pod.spec.volumes ?? []).find((v: Obj) => v.name === vm.name);
      if (!vol) throw new Error(`volume ${vm.name} is not defined`);
      if (vol.emptyDir) { tmpfs[vm.mountPath] = vol.emptyDir.sizeLimit ? `size=${Math.round(quantity(vol.emptyDir.sizeLimit))}` : ''; continue; }
      const root = vol.persistentVolumeClaim ? this.opts.claims[vol.persistentVolumeClaim.claimName] : undefined;
      if (!root) {
        this.setStatus(pod, { containerStatuses: [{ ...pod.status.containerStatuses[0], state: { waiting: { reason: 'ContainerCreating', message: `persistentvolumeclaim "${vol.persistentVolumeClaim?.claimName}" not found` } } }] });
        return;
      }
      const sub = vm.subPathExpr !== undefined ? expand(vm.subPathExpr, env) : (vm.subPath ?? '');
      if (isAbsolute(sub) || normalize(sub).split('/').includes('..')) {
        this.setStatus(pod, { containerStatuses: [{ ...pod.status.containerStatuses[0], state: { waiting: { reason: 'CreateContainerConfigError', message: `failed to prepare subPath for volumeMount "${vm.name}": ${sub} must be a relative path within the volume` } } }] });
        return;
      }
      const host = join(root, sub);
      mkdirSync(host, { recursive: true });
      binds.push(`${host}:${vm.mountPath}${vm.readOnly ? ':ro' : ''}`);
    }
    const sc = c.securityContext ?? {};
    const limits = c.resources?.limits ?? {};
    const create: Dockerode.ContainerCreateOptions = {
      Image: c.image,
      ...(c.command ? { Entrypoint: c.command.map((x: string) => expand(x, env)), Cmd: (c.args ?? []).map((x: string) => expand(x, env)) } : c.args ? { Cmd: c.args.map((x: string) => expand(x, env)) } : {}),
      Env: [...env].map(([k, v]) => `${k}=${v}`),
      ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
      ...(sc.runAsUser !== undefined ? { User: `${sc.runAsUser}${sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : ''}` } : {}),
      ...(pod.spec.hostname ? { Hostname: pod.spec.hostname } : {}),
      Labels: { [CONTAINER_LABEL]: pod.metadata.uid, 'org.cubelab.k8s-standin': this.id },
      HostConfig: {
        Binds: binds, NetworkMode: 'none', ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
        ...(limits.memory ? { Memory: Math.round(quantity(limits.memory)) } : {}),
        ...(limits.cpu ? { NanoCpus: Math.round(quantity(limits.cpu) * 1e9) } : {}),
        ...(sc.privileged ? { Privileged: true } : {}),
      },
    };
    const container = await docker.createContainer(create);
    rt.containerId = container.id;
    this.containers.add(container.id);
    if (!this.alive(pod)) { await container.remove({ force: true }).catch(() => undefined); return; }
    // Waited for before it starts (`next-exit`: the default condition answers at once for a container not started yet).
    const waited = container.wait({ condition: 'next-exit' });
    await container.start();
    const startedAt = now();
    this.setStatus(pod, {
      phase: 'Running', startTime: startedAt,
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: t0 }, { type: 'Ready', status: 'True', lastTransitionTime: startedAt }],
      containerStatuses: [{ name: c.name, image: c.image, imageID: c.image, containerID: `docker://${container.id}`, ready: true, started: true, restartCount: 0, state: { running: { startedAt } } }],
    });
    const res = await waited as { StatusCode: number };
    const info = await container.inspect().catch(() => undefined);
    const code = res.StatusCode;
    const finishedAt = now();
    const reason = info?.State.OOMKilled ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error';
    this.setStatus(pod, {
      phase: code === 0 ? 'Succeeded' : 'Failed',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: t0 }, { type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: finishedAt },
        ...(pod.status.conditions ?? []).filter((c: Obj) => c.type === 'DisruptionTarget'),
      ],
      containerStatuses: [{ name: c.name, image: c.image, imageID: c.image, containerID: `docker://${container.id}`, ready: false, started: false, restartCount: 0, state: { terminated: { exitCode: code, reason, startedAt, finishedAt, containerID: `docker://${container.id}` } } }],
    });
    this.reconcile(job);
  }

  /** The container of a pod (for its log), if it was made. */
  containerOf(pod: Obj): string | undefined { return this.runtime.get(pod.metadata.uid)?.containerId; }

  /**
   * Deletes a pod gracefully: the container gets SIGTERM, then SIGKILL after the grace period; the pod reaches
   * its terminal phase (so its Job counts it) and then goes, with its container.
   */
  deletePod(pod: Obj, graceSeconds: number): Promise<void> {
    const rt = this.runtime.get(pod.metadata.uid) ?? {};
    if (rt.deleting) return rt.deleting;
    rt.deleting = (async () => {
      pod.metadata.deletionTimestamp = now();
      pod.metadata.deletionGracePeriodSeconds = graceSeconds;
      this.record('Pod', 'MODIFIED', pod);
      if (rt.containerId && pod.status.phase === 'Running') {
        await this.opts.docker.getContainer(rt.containerId).stop({ t: graceSeconds }).catch(() => undefined);
        for (let i = 0; i < 200 && pod.status.phase === 'Running'; i++) await sleep(25);
      } else if (!['Succeeded', 'Failed'].includes(pod.status.phase)) {
        this.setStatus(pod, { phase: 'Failed', reason: 'Terminated', message: 'Pod was deleted before it started.' });
      }
      const key = this.key(pod.metadata.namespace, pod.metadata.name);
      if (this.pods.get(key) === pod) { this.pods.delete(key); pod.metadata.finalizers = []; this.record('Pod', 'DELETED', pod); }
      if (rt.containerId) await this.opts.docker.getContainer(rt.containerId).remove({ force: true }).catch(() => undefined);
      const owner = pod.metadata.ownerReferences?.[0];
      const job = owner ? this.jobs.get(this.key(pod.metadata.namespace, owner.name)) : undefined;
      if (job) this.reconcile(job);
    })();
    this.runtime.set(pod.metadata.uid, rt);
    return rt.deleting;
  }

  /** Evicts a pod as a node drain would: the `DisruptionTarget` condition, then a graceful delete. */
  async evict(pod: Obj): Promise<void> {
    pod.status.conditions = [...(pod.status.conditions ?? []), { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: now() }];
    this.record('Pod', 'MODIFIED', pod);
    await this.deletePod(pod, pod.spec.terminationGracePeriodSeconds ?? 30);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const w of [...this.watchers]) w.end();
    const mine = await this.opts.docker.listContainers({ all: true, filters: { label: [`org.cubelab.k8s-standin=${this.id}`] } }).catch(() => []);
    await Promise.all(mine.map((c) => this.opts.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  }
}
