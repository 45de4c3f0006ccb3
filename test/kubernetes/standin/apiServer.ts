/**
 * The stand-in Kubernetes API server (a TEST STAND-IN, named so wherever it is used): HTTPS on 127.0.0.1 with a
 * certificate of a test CA (the kubeconfig's certificate-authority-data), bearer-token authentication, the REST paths CubeLab's Kubernetes backend calls, over the state of
 * cluster.ts. Every object a client sends is validated against its schema with unknown fields rejected, as the
 * real API server's strict field validation does (strict.ts). Watches stream `ADDED`/`MODIFIED`/`DELETED`
 * events from a resource version and answer `410 Gone` once that version was compacted; pod logs follow the
 * container and can be made to drop after some lines (the client resumes with `sinceTime`); the target can be
 * taken away (connections refused, the pods run on) and brought back.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { LogFrameParser } from '../../../client/src/backends/docker/logFrames';
import { labelMatcher, StandinCluster, type StandinOptions, type WatchEvent, type Watcher } from './cluster';
import { strictDeleteOptions, strictJob } from './strict';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

export interface StandinServerOptions extends StandinOptions {
  /** The bearer token every request must carry. */
  token: string;
  /** The server's certificate and key (PEM), signed by the CA the kubeconfig names. */
  tls: { cert: string; key: string };
}

export interface RequestRecord { method: string; path: string; query: Record<string, string>; status: number; body?: unknown }

const status = (code: number, reason: string, message: string): Obj => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** The kubelet's timestamps: RFC 3339 with nanoseconds, trailing zeros trimmed. */
function kubeletTs(dockerTs: string): string {
  return dockerTs.replace(/\.(\d*?)0+Z$/, (_m, d: string) => (d ? `.${d}Z` : 'Z'));
}

export class StandinApiServer {
  readonly cluster: StandinCluster;
  private server: https.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  /** Every request, in order (tests read what the backend asked). */
  readonly requests: RequestRecord[] = [];
  /** Objects refused by validation, with why. */
  readonly refused: { path: string; errors: string[]; unknown: string[] }[] = [];
  /** When set, every log follow ends after this many lines (alternately closed cleanly and cut off). */
  dropFollowAfterLines: number | undefined;
  private drops = 0;
  /** Open watch connections right now, and the most there were at once. */
  openWatches = 0;
  maxOpenWatches = 0;

  constructor(readonly opts: StandinServerOptions) {
    this.cluster = new StandinCluster(opts);
  }

  get url(): string { return `https://127.0.0.1:${this.port}`; }

  async start(): Promise<string> {
    this.server = https.createServer({ cert: this.opts.tls.cert, key: this.opts.tls.key }, (req, res) => { void this.handle(req, res); });
    this.server.on('secureConnection', (s: Socket) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise<void>((resolve, reject) => { this.server!.once('error', reject); this.server!.listen(this.port, '127.0.0.1', () => resolve()); });
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  /** The API server goes away: open connections are cut, new ones refused; the cluster's pods run on. */
  async takeAway(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const w of [...this.cluster.watchers]) w.end();
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** The API server answers again, on the same port. */
  async bringBack(): Promise<void> { if (!this.server) await this.start(); }

  async stop(): Promise<void> {
    await this.takeAway();
    await this.cluster.dispose();
  }

  count(method: string, pathRe: RegExp, query?: (q: Record<string, string>) => boolean): number {
    return this.requests.filter((r) => r.method === method && pathRe.test(r.path) && (!query || query(r.query))).length;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    const query = Object.fromEntries(url.searchParams);
    const rec: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query, status: 0 };
    this.requests.push(rec);
    const send = (code: number, body: unknown): void => {
      rec.status = code;
      if (res.headersSent) return;
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.opts.token}`) { send(401, status(401, 'Unauthorized', 'Unauthorized')); return; }
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: Obj | undefined;
    if (raw) {
      try { body = JSON.parse(raw) as Obj; } catch { send(400, status(400, 'BadRequest', 'the request body is not JSON')); return; }
      rec.body = body;
    }
    const p = url.pathname.replace(/\/+$/, '');
    let m: RegExpExecArray | null;
    try {
      if (p === '/version') { send(200, { major: '1', minor: '31', gitVersion: 'v1.31.0-cubelab-standin', platform: 'linux/amd64' }); return; }
      if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/persistentvolumeclaims\/([^/]+)$/.exec(p)) && req.method === 'GET') {
        const [, ns, name] = m;
        if (!this.opts.claims[name!]) { send(404, status(404, 'NotFound', `persistentvolumeclaims "${name}" not found`)); return; }
        send(200, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', metadata: { name, namespace: ns }, spec: { accessModes: ['ReadWriteMany'] }, status: { phase: 'Bound' } });
        return;
      }
      if ((m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs$/.exec(p))) {
        const ns = m[1]!;
        if (req.method === 'POST') { this.createJob(ns, body, query, send); return; }
        if (req.method === 'GET') {
          if (query.watch === 'true' || query.watch === '1') { this.watch('Job', ns, query, req, res); return; }
          send(200, { kind: 'JobList', apiVersion: 'batch/v1', metadata: { resourceVersion: this.cluster.resourceVersion }, items: this.cluster.list('Job', ns, labelMatcher(query.labelSelector)) });
          return;
        }
      }
      if ((m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)$/.exec(p))) {
        const [, ns, name] = m;
        const job = this.cluster.jobs.get(`${ns}/${name}`);
        if (!job) { send(404, status(404, 'NotFound', `jobs.batch "${name}" not found`)); return; }
        if (req.method === 'GET') { send(200, { ...job, kind: 'Job', apiVersion: 'batch/v1' }); return; }
        if (req.method === 'DELETE') {
          if (!this.validDelete(p, body, send)) return;
          // As the real API: a Job deleted without a propagation policy orphans its pods.
          const policy = query.propagationPolicy ?? body?.propagationPolicy ?? (body?.orphanDependents === false ? 'Background' : 'Orphan');
          void this.cluster.deleteJob(job, policy);
          send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: 'batch', kind: 'jobs', uid: job.metadata.uid } });
          return;
        }
      }
      if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(p)) && req.method === 'GET') {
        const ns = m[1]!;
        if (query.watch === 'true' || query.watch === '1') { this.watch('Pod', ns, query, req, res); return; }
        send(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: this.cluster.resourceVersion }, items: this.cluster.list('Pod', ns, labelMatcher(query.labelSelector)) });
        return;
      }
      if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(p))) {
        const [, ns, name] = m;
        const pod = this.cluster.pods.get(`${ns}/${name}`);
        if (!pod) { send(404, status(404, 'NotFound', `pods "${name}" not found`)); return; }
        if (req.method === 'GET') { send(200, { ...pod, kind: 'Pod', apiVersion: 'v1' }); return; }
        if (req.method === 'DELETE') {
          if (!this.validDelete(p, body, send)) return;
          const grace = Number(query.gracePeriodSeconds ?? body?.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30);
          void this.cluster.deletePod(pod, grace);
          send(200, { ...pod, kind: 'Pod', apiVersion: 'v1' });
          return;
        }
      }
      if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(p)) && req.method === 'GET') {
        const [, ns, name] = m;
        const pod = this.cluster.pods.get(`${ns}/${name}`);
        if (!pod) { send(404, status(404, 'NotFound', `pods "${name}" not found`)); return; }
        await this.log(pod, query, req, res, send);
        rec.status = res.statusCode;
        return;
      }
      send(404, status(404, 'NotFound', `the server could not find the requested resource (${req.method} ${p})`));
    } catch (e) {
      send(500, status(500, 'InternalError', (e as Error).message));
    }
  }

  private validDelete(path: string, body: Obj | undefined, send: (code: number, body: unknown) => void): boolean {
    if (!body) return true;
    const v = strictDeleteOptions({ kind: 'DeleteOptions', apiVersion: 'v1', ...body });
    if (v.errors.length || v.unknown.length) {
      this.refused.push({ path, ...v });
      send(400, status(400, 'BadRequest', v.unknown.length ? `strict decoding error: ${v.unknown.map((u) => `unknown field "${u}"`).join(', ')}` : v.errors.join('; ')));
      return false;
    }
    return true;
  }

  private createJob(ns: string, body: Obj | undefined, query: Record<string, string>, send: (code: number, body: unknown) => void): void {
    if (!body) { send(400, status(400, 'BadRequest', 'the Job is missing')); return; }
    const v = strictJob(body);
    const path = `/apis/batch/v1/namespaces/${ns}/jobs`;
    if (v.unknown.length) {
      this.refused.push({ path, ...v });
      send(400, status(400, 'BadRequest', `strict decoding error: ${v.unknown.map((u) => `unknown field "${u}"`).join(', ')}`));
      return;
    }
    const semantic = jobErrors(body, ns);
    if (v.errors.length || semantic.length) {
      this.refused.push({ path, errors: [...v.errors, ...semantic], unknown: [] });
      send(422, status(422, 'Invalid', `Job.batch "${body.metadata?.name ?? ''}" is invalid: ${[...v.errors, ...semantic].join('; ')}`));
      return;
    }
    if (query.fieldValidation !== 'Strict') this.refused.push({ path, errors: ['created without fieldValidation=Strict'], unknown: [] });
    if (body.metadata?.name && this.cluster.jobs.has(`${ns}/${body.metadata.name}`)) { send(409, status(409, 'AlreadyExists', `jobs.batch "${body.metadata.name}" already exists`)); return; }
    const job = this.cluster.createJob(ns, body);
    send(201, { ...job, kind: 'Job', apiVersion: 'batch/v1' });
  }

  private watch(kind: 'Pod' | 'Job', ns: string, query: Record<string, string>, req: http.IncomingMessage, res: http.ServerResponse): void {
    const match = labelMatcher(query.labelSelector);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const write = (e: { type: string; object: Obj }): void => { res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`); };
    const from = query.resourceVersion;
    let backlog: WatchEvent[] | 'gone';
    if (!from || from === '0') backlog = this.cluster.list(kind, ns, match).map((o) => ({ type: 'ADDED', object: o, rv: Number(o.metadata.resourceVersion) }));
    else backlog = this.cluster.since(kind, ns, Number(from), match);
    if (backlog === 'gone') {
      write({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.cluster.resourceVersion})`) });
      res.end();
      return;
    }
    for (const e of backlog) write(e);
    this.openWatches++;
    this.maxOpenWatches = Math.max(this.maxOpenWatches, this.openWatches);
    let ended = false;
    const w: Watcher = {
      kind, namespace: ns, match, send: (e) => write(e),
      end: () => { if (ended) return; ended = true; this.openWatches--; this.cluster.watchers.delete(w); res.end(); },
    };
    this.cluster.watchers.add(w);
    const timeout = Number(query.timeoutSeconds ?? 0);
    const t = timeout > 0 ? setTimeout(() => w.end(), timeout * 1000) : undefined;
    t?.unref();
    req.on('close', () => { if (t) clearTimeout(t); w.end(); });
  }

  private async log(pod: Obj, query: Record<string, string>, req: http.IncomingMessage, res: http.ServerResponse, send: (code: number, body: unknown) => void): Promise<void> {
    const id = this.cluster.containerOf(pod);
    const cname = query.container ?? pod.spec.containers[0].name;
    if (cname !== pod.spec.containers[0].name) { send(400, status(400, 'BadRequest', `container ${cname} is not valid for pod ${pod.metadata.name}`)); return; }
    if (!id || !pod.status.containerStatuses?.[0]?.state || pod.status.containerStatuses[0].state.waiting) {
      send(400, status(400, 'BadRequest', `container "${cname}" in pod "${pod.metadata.name}" is waiting to start: ${pod.status.containerStatuses?.[0]?.state?.waiting?.reason ?? 'ContainerCreating'}`));
      return;
    }
    const follow = query.follow === 'true';
    const timestamps = query.timestamps === 'true';
    const since = query.sinceTime ? Math.floor(Date.parse(query.sinceTime) / 1000) : 0;
    let stream: NodeJS.ReadableStream;
    try {
      const got = await this.cluster.opts.docker.getContainer(id).logs({ follow: follow as true, stdout: true, stderr: true, timestamps: true, ...(since ? { since } : {}) }) as unknown;
      // dockerode answers a log that is not followed with the whole of it at once.
      stream = Buffer.isBuffer(got) ? Readable.from([got]) : got as NodeJS.ReadableStream;
    } catch (e) { send(404, status(404, 'NotFound', `the pod's container is gone: ${(e as Error).message}`)); return; }
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    const parser = new LogFrameParser();
    let lines = 0;
    const limit = follow ? this.dropFollowAfterLines : undefined;
    const cut = this.drops++ % 2 === 1;
    let done = false;
    const finish = (): void => { if (done) return; done = true; (stream as unknown as { destroy?: () => void }).destroy?.(); if (cut && limit !== undefined && lines >= limit) res.socket?.destroy(); else res.end(); };
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      for (const l of parser.push(chunk)) {
        res.write(`${timestamps ? `${kubeletTs(l.ts)} ` : ''}${l.text}\n`);
        if (limit !== undefined && ++lines >= limit) { finish(); return; }
      }
    });
    stream.on('end', () => { if (!done) for (const l of parser.end()) res.write(`${timestamps ? `${kubeletTs(l.ts)} ` : ''}${l.text}\n`); finish(); });
    stream.on('error', finish);
    req.on('close', () => { done = true; (stream as unknown as { destroy?: () => void }).destroy?.(); });
  }
}

/** What the real API server's Job validation says beyond the schema (the checks CubeLab's Jobs could hit). */
function jobErrors(job: Obj, ns: string): string[] {
  const errs: string[] = [];
  const dns1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const name = job.metadata?.name;
  if (job.apiVersion !== 'batch/v1' || job.kind !== 'Job') errs.push(`apiVersion/kind must be batch/v1 Job (got ${job.apiVersion} ${job.kind})`);
  if (!name && !job.metadata?.generateName) errs.push('metadata.name: Required value');
  if (name && (name.length > 63 || !dns1123.test(name))) errs.push(`metadata.name: Invalid value: "${name}": a lowercase RFC 1123 label`);
  if (job.metadata?.namespace && job.metadata.namespace !== ns) errs.push(`metadata.namespace: Invalid value: "${job.metadata.namespace}": does not match the namespace of the request`);
  for (const [k, v] of Object.entries<string>(job.metadata?.labels ?? {})) if (v.length > 63 || !/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(v)) errs.push(`metadata.labels: Invalid value: "${v}" (${k})`);
  const spec = job.spec ?? {};
  const pod = spec.template?.spec ?? {};
  if (!['Never', 'OnFailure'].includes(pod.restartPolicy)) errs.push(`spec.template.spec.restartPolicy: Unsupported value: "${pod.restartPolicy}": supported values: "OnFailure", "Never"`);
  if (spec.podFailurePolicy && pod.restartPolicy !== 'Never') errs.push('spec.podFailurePolicy: Invalid value: only "Never" is supported when podFailurePolicy is specified');
  if (spec.completionMode === 'Indexed' && spec.completions === undefined) errs.push('spec.completions: Required value: when completion mode is Indexed');
  if (spec.backoffLimitPerIndex !== undefined && spec.completionMode !== 'Indexed') errs.push('spec.backoffLimitPerIndex: Forbidden: requires indexed completion mode');
  if (!Array.isArray(pod.containers) || pod.containers.length === 0) errs.push('spec.template.spec.containers: Required value');
  const volumes = new Set((pod.volumes ?? []).map((v: Obj) => v.name));
  for (const [i, c] of (pod.containers ?? []).entries()) {
    if (!c.name || !dns1123.test(c.name)) errs.push(`spec.template.spec.containers[${i}].name: Invalid value: "${c.name}"`);
    if (!c.image) errs.push(`spec.template.spec.containers[${i}].image: Required value`);
    for (const [j, vm] of (c.volumeMounts ?? []).entries()) {
      if (!volumes.has(vm.name)) errs.push(`spec.template.spec.containers[${i}].volumeMounts[${j}].name: Not found: "${vm.name}"`);
      if (vm.subPath !== undefined && vm.subPathExpr !== undefined) errs.push(`spec.template.spec.containers[${i}].volumeMounts[${j}].subPathExpr: Invalid value: subPathExpr and subPath are mutually exclusive`);
      const sp = vm.subPath ?? vm.subPathExpr ?? '';
      if (sp.startsWith('/') || sp.split('/').includes('..')) errs.push(`spec.template.spec.containers[${i}].volumeMounts[${j}].subPath: Invalid value: "${sp}": must be a relative path without '..'`);
    }
    for (const [j, e] of (c.env ?? []).entries()) if (!e.name || e.name.includes('=')) errs.push(`spec.template.spec.containers[${i}].env[${j}].name: Invalid value: "${e.name}"`);
  }
  return errs;
}
