/**
 * Entry point of dist/kubernetes.js: the few Kubernetes API calls the Kubernetes backend makes, through
 * `@kubernetes/client-node` (the user's kubeconfig, its contexts and every auth it supports: tokens, client
 * certificates, exec plugins such as `aws eks get-token` or `gke-gcloud-auth-plugin`, OIDC). Loaded only when a
 * Kubernetes target is first used (client-node is larger than the rest of the runner), see kubeModule.ts.
 *
 * Errors come out as `KubeApiError` (plain data: this bundle and the runner bundle do not share classes); the
 * backend turns them into sentences. Log follows use the kubeconfig's transport directly (client-node's `Log`
 * pipes into a stream and cannot tell a dropped connection from the end of the log).
 */
import { BatchV1Api, CoreV1Api, KubeConfig, VersionApi, Watch, type V1Job, type V1Pod } from '@kubernetes/client-node';
import * as http from 'node:http';
import * as https from 'node:https';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';

export interface KubeApiOptions {
  /** A kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`). */
  kubeconfig?: string;
  /** A context of it (default: its current context). */
  context?: string;
  /** Default: the context's namespace, else `default`. */
  namespace?: string;
}

/** What went wrong, as data: an HTTP status (with the API's Status reason and message) or a transport failure. */
export interface KubeApiError {
  kubeApiError: true;
  /** HTTP status; absent when no answer came (connection refused, reset, DNS). */
  status?: number;
  /** The API's Status `reason` (`NotFound`, `Expired`, `Forbidden`, …). */
  reason?: string;
  message: string;
  /** The transport's error code (`ECONNREFUSED`, `ECONNRESET`, …). */
  code?: string;
  /** The kubeconfig itself is missing or names no such context. */
  config?: boolean;
}

export function isKubeApiError(e: unknown): e is KubeApiError {
  return !!e && typeof e === 'object' && (e as KubeApiError).kubeApiError === true;
}

export interface WatchHandle { abort(): void }

export interface KubeApi {
  readonly context: string;
  readonly namespace: string;
  /** The API server's URL. */
  readonly server: string;
  version(): Promise<string>;
  /** Whether the claim exists in the namespace. */
  claimExists(name: string): Promise<boolean>;
  createJob(job: V1Job): Promise<V1Job>;
  readJob(name: string): Promise<V1Job | undefined>;
  listJobs(labelSelector: string): Promise<V1Job[]>;
  deleteJob(name: string, propagationPolicy: 'Foreground' | 'Background', gracePeriodSeconds?: number): Promise<void>;
  deletePod(name: string, gracePeriodSeconds: number): Promise<void>;
  listPods(labelSelector: string): Promise<{ items: V1Pod[]; resourceVersion: string }>;
  /** A watch of pods from `resourceVersion`; `done` once it ends (`err` when it failed). */
  watchPods(labelSelector: string, resourceVersion: string, onEvent: (type: string, object: unknown) => void, done: (err: KubeApiError | undefined) => void): Promise<WatchHandle>;
  /** A pod's log (`<RFC 3339 timestamp> <text>` lines); follows until the container ends or `signal` aborts. */
  podLog(pod: string, container: string, opts: { follow: boolean; sinceTime?: string }, signal: AbortSignal): Promise<Readable>;
}

function configError(message: string): KubeApiError { return { kubeApiError: true, config: true, message }; }

/** Turns what client-node or the transport threw into a `KubeApiError`. */
export function toKubeError(e: unknown): KubeApiError {
  if (isKubeApiError(e)) return e;
  const err = e as { code?: unknown; body?: unknown; message?: string; statusCode?: number; errno?: string; type?: string; cause?: { code?: string } };
  // client-node's ApiException: `code` is the HTTP status and `body` the API's Status (a JSON string or object).
  if (typeof err?.code === 'number') {
    let body: { reason?: string; message?: string } | undefined;
    try { body = typeof err.body === 'string' ? JSON.parse(err.body) as typeof body : err.body as typeof body; } catch { body = undefined; }
    return { kubeApiError: true, status: err.code, ...(body?.reason ? { reason: body.reason } : {}), message: body?.message ?? `HTTP ${err.code}` };
  }
  if (typeof err?.statusCode === 'number') return { kubeApiError: true, status: err.statusCode, message: err.message ?? `HTTP ${err.statusCode}` };
  const code = typeof err?.code === 'string' ? err.code : err?.errno ?? err?.cause?.code;
  return { kubeApiError: true, ...(code ? { code } : {}), message: err?.message ?? String(e) };
}

function loadConfig(opts: KubeApiOptions): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) {
      if (!existsSync(opts.kubeconfig)) throw configError(`The kubeconfig ${opts.kubeconfig} (the target's kubeconfig setting) does not exist.`);
      kc.loadFromFile(opts.kubeconfig);
    } else if (process.env.KUBECONFIG) {
      const files = process.env.KUBECONFIG.split(delimiter).filter(Boolean);
      if (!files.some((f) => existsSync(f))) throw configError(`None of the kubeconfig files KUBECONFIG names exists (${files.join(delimiter)}).`);
      kc.loadFromDefault();
    } else {
      const file = join(homedir(), '.kube', 'config');
      if (!existsSync(file)) throw configError(`There is no kubeconfig: ${file} does not exist and KUBECONFIG is not set. Set up access to the cluster (kubectl works when CubeLab will), or name a file in the target's kubeconfig setting.`);
      kc.loadFromFile(file);
    }
  } catch (e) {
    if (isKubeApiError(e)) throw e;
    throw configError(`The kubeconfig cannot be read: ${(e as Error).message}`);
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw configError(`The kubeconfig has no context "${opts.context}" (it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}).`);
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentContext() || !kc.getCurrentCluster()) throw configError('The kubeconfig has no current context: name one in the target\'s context setting.');
  return kc;
}

class ClientNodeApi implements KubeApi {
  readonly context: string;
  readonly namespace: string;
  readonly server: string;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly versions: VersionApi;

  constructor(private readonly kc: KubeConfig, namespace: string | undefined) {
    this.context = kc.getCurrentContext();
    this.namespace = namespace || kc.getContextObject(this.context)?.namespace || 'default';
    this.server = kc.getCurrentCluster()?.server ?? '';
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.versions = kc.makeApiClient(VersionApi);
  }

  private async call<T>(f: () => Promise<T>): Promise<T> {
    try { return await f(); } catch (e) { throw toKubeError(e); }
  }

  version(): Promise<string> { return this.call(async () => (await this.versions.getCode()).gitVersion); }

  async claimExists(name: string): Promise<boolean> {
    try { await this.core.readNamespacedPersistentVolumeClaim({ name, namespace: this.namespace }); return true; } catch (e) {
      const k = toKubeError(e);
      if (k.status === 404) return false;
      throw k;
    }
  }

  createJob(job: V1Job): Promise<V1Job> {
    // Strict: a field this cluster does not know is an error, never silently dropped.
    return this.call(() => this.batch.createNamespacedJob({ namespace: this.namespace, body: job, fieldValidation: 'Strict' }));
  }

  async readJob(name: string): Promise<V1Job | undefined> {
    try { return await this.batch.readNamespacedJob({ name, namespace: this.namespace }); } catch (e) {
      const k = toKubeError(e);
      if (k.status === 404) return undefined;
      throw k;
    }
  }

  listJobs(labelSelector: string): Promise<V1Job[]> {
    return this.call(async () => (await this.batch.listNamespacedJob({ namespace: this.namespace, labelSelector })).items);
  }

  async deleteJob(name: string, propagationPolicy: 'Foreground' | 'Background', gracePeriodSeconds?: number): Promise<void> {
    try {
      await this.batch.deleteNamespacedJob({ name, namespace: this.namespace, propagationPolicy, ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}) });
    } catch (e) {
      const k = toKubeError(e);
      if (k.status !== 404) throw k;
    }
  }

  async deletePod(name: string, gracePeriodSeconds: number): Promise<void> {
    try { await this.core.deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds }); } catch (e) {
      const k = toKubeError(e);
      if (k.status !== 404) throw k;
    }
  }

  listPods(labelSelector: string): Promise<{ items: V1Pod[]; resourceVersion: string }> {
    return this.call(async () => {
      const list = await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector });
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
    });
  }

  async watchPods(labelSelector: string, resourceVersion: string, onEvent: (type: string, object: unknown) => void, done: (err: KubeApiError | undefined) => void): Promise<WatchHandle> {
    const w = new Watch(this.kc);
    // The server ends a watch after timeoutSeconds; the caller watches again from where it was.
    const controller = await w.watch(`/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`,
      { labelSelector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 },
      (type: string, object: unknown) => onEvent(type, object),
      (err: unknown) => done(err ? toKubeError(err) : undefined));
    return { abort: () => controller.abort() };
  }

  async podLog(pod: string, container: string, opts: { follow: boolean; sinceTime?: string }, signal: AbortSignal): Promise<Readable> {
    const url = new URL(`${this.server.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods/${encodeURIComponent(pod)}/log`);
    url.searchParams.set('container', container);
    url.searchParams.set('timestamps', 'true');
    if (opts.follow) url.searchParams.set('follow', 'true');
    if (opts.sinceTime) url.searchParams.set('sinceTime', opts.sinceTime);
    let init: { agent?: unknown; headers?: unknown };
    try { init = await this.kc.applyToFetchOptions({}) as { agent?: unknown; headers?: unknown }; } catch (e) { throw toKubeError(e); }
    const headers: Record<string, string> = {};
    const h = init.headers as { forEach?: (f: (v: string, k: string) => void) => void } | Record<string, string> | undefined;
    if (h && typeof (h as { forEach?: unknown }).forEach === 'function') (h as { forEach: (f: (v: string, k: string) => void) => void }).forEach((v, k) => { headers[k] = v; });
    else if (h) Object.assign(headers, h);
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise<Readable>((resolve, reject) => {
      const req = lib.request(url, { method: 'GET', headers, agent: init.agent as http.Agent, signal }, (res) => {
        if (res.statusCode === 200) { resolve(res); return; }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { if (body.length < 65536) body += c; });
        res.on('end', () => {
          let status: { reason?: string; message?: string } = {};
          try { status = JSON.parse(body) as typeof status; } catch { /* not a Status */ }
          reject({ kubeApiError: true, status: res.statusCode, ...(status.reason ? { reason: status.reason } : {}), message: status.message ?? (body.trim() || `HTTP ${res.statusCode}`) } satisfies KubeApiError);
        });
        res.on('error', (e) => reject(toKubeError(e)));
      });
      req.on('error', (e) => reject(toKubeError(e)));
      req.end();
    });
  }
}

export function createKubeApi(opts: KubeApiOptions): KubeApi {
  return new ClientNodeApi(loadConfig(opts), opts.namespace);
}
