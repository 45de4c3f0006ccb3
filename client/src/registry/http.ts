/**
 * The HTTP side of the OCI Distribution API: one client per registry with keep-alive connections, basic and
 * bearer-token authentication (the `WWW-Authenticate` challenge, tokens cached per scope until they expire),
 * retries with exponential backoff for 429 and 5xx answers and dropped connections (honouring `Retry-After`),
 * TLS verified against the system store plus the registry's `caFile`, plain HTTP for loopback addresses only,
 * and an HTTP proxy (CONNECT tunnel) for HTTPS registries unless the host is in the no-proxy list.
 * Credentials are sent to the registry (and its token realm) only, never logged.
 */
import * as dns from 'node:dns';
import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Readable } from 'node:stream';
import * as tls from 'node:tls';
import type { Credential, CredentialProvider } from './credentials';
import { RegistryError, untrusted } from './errors';
import { isLoopback, type RegistryEndpoint } from './names';

export interface ProxySettings {
  /** `http://[user:pass@]proxy:port`; empty: from HTTPS_PROXY / https_proxy. */
  url?: string;
  /** Hosts (or `.domain` suffixes, `*` for all) that bypass the proxy; NO_PROXY / no_proxy are added. */
  noProxy?: string[];
  /** Whether the registry's certificate is verified through the proxy (VS Code's http.proxyStrictSSL; default true). */
  strictSSL?: boolean;
  /** A `Proxy-Authorization` header value (VS Code's http.proxyAuthorization). */
  authorization?: string;
}

export interface RetryPolicy { attempts: number; baseMs: number; maxMs: number }

export interface HttpOptions {
  registry: RegistryEndpoint;
  credentials?: CredentialProvider & { forget?(): void };
  proxy?: ProxySettings;
  retry?: Partial<RetryPolicy>;
  /** Idle time before a request fails (default 60 s). */
  timeoutMs?: number;
  /** One line per request (method, URL, status, time); never a header or a body. */
  log?: (line: string) => void;
  userAgent?: string;
  env?: NodeJS.ProcessEnv;
}

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE' | 'PATCH';
  /** A path under the registry (`v2/...`) or an absolute URL (upload locations, redirects). */
  path: string;
  headers?: Record<string, string>;
  /** A buffer, or a function that opens the body again for each attempt (so that a retry can resend it). */
  body?: Buffer | (() => Readable);
  bodyLength?: number;
  /** The token scope the request needs (`repository:<name>:pull,push`, `registry:catalog:*`). */
  scope?: string;
  /** Return a 2xx answer's body as a stream (blob downloads) instead of reading it. */
  stream?: boolean;
  /** The largest body read into memory (default 4 MiB). */
  maxBytes?: number;
  signal?: AbortSignal;
  /**
   * GET only: a 2xx answer's body is handed to `sink` as it arrives, synchronously, chunk by chunk (a chunk is
   * valid during the call only); the response then has an empty body. A sink that throws aborts the request.
   * Read straight from the socket into one reused 1 MiB buffer (no HTTP stream machinery) unless the request
   * goes through a proxy. A failure after the first byte is not retried (the sink has seen it).
   */
  sink?: (chunk: Buffer) => void;
}

export interface RegistryResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** With `stream`: the 2xx answer's body, for the caller to consume or destroy. */
  stream?: http.IncomingMessage;
  url: URL;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRY_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET']);
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'INVALID_CA', 'HOSTNAME_MISMATCH',
]);

/** The system's CA store (where Node can say, else the distribution's bundle), read once. */
let systemCas: string[] | undefined;
export function systemCertificates(): string[] {
  if (systemCas) return systemCas;
  const get = (tls as unknown as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
  const out = new Set<string>(tls.rootCertificates);
  if (typeof get === 'function') {
    try { for (const c of get('system')) out.add(c); } catch { /* older Node */ }
  } else {
    for (const f of ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem', '/etc/ssl/ca-bundle.pem']) {
      if (!existsSync(f)) continue;
      try {
        for (const m of readFileSync(f, 'utf8').matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)) out.add(m[0]);
      } catch { /* unreadable: Node's own list stays */ }
      break;
    }
  }
  systemCas = [...out];
  return systemCas;
}

function parseProxy(p: ProxySettings | undefined, env: NodeJS.ProcessEnv): { url: URL; noProxy: string[]; strictSSL: boolean; authorization?: string } | undefined {
  const raw = p?.url || env.HTTPS_PROXY || env.https_proxy || '';
  const noProxy = [...(p?.noProxy ?? []), ...`${env.NO_PROXY ?? ''},${env.no_proxy ?? ''}`.split(',')].map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (!raw) return undefined;
  let url: URL;
  try { url = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`); } catch { throw new RegistryError(`The proxy "${raw}" is not a URL.`, 'config'); }
  if (url.protocol !== 'http:') throw new RegistryError(`The proxy ${url.protocol}//${url.host}: CubeLab tunnels through http:// proxies only.`, 'config');
  return { url, noProxy, strictSSL: p?.strictSSL !== false, ...(p?.authorization ? { authorization: p.authorization } : {}) };
}

function bypassesProxy(host: string, hostname: string, noProxy: string[]): boolean {
  const h = hostname.toLowerCase();
  return noProxy.some((n) => n === '*' || n === h || n === host || (n.startsWith('.') ? h.endsWith(n) : h.endsWith(`.${n}`)));
}

/** An HTTPS agent whose connections are CONNECT tunnels through an HTTP proxy (kept alive like any other). */
class TunnelAgent extends https.Agent {
  constructor(private readonly proxy: URL, private readonly proxyAuth: string | undefined, opts: https.AgentOptions) { super(opts); }
  override createConnection(opts: http.ClientRequestArgs, callback?: (err: Error | null, stream: import('node:stream').Duplex) => void): undefined {
    const options = opts as tls.ConnectionOptions & { host?: string; port?: number };
    const cb = (err: Error | null, s?: net.Socket): void => { callback?.(err, s as net.Socket); };
    const target = `${options.host}:${options.port}`;
    const headers: Record<string, string> = { host: target };
    if (this.proxyAuth) headers['proxy-authorization'] = this.proxyAuth;
    else if (this.proxy.username) headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(this.proxy.username)}:${decodeURIComponent(this.proxy.password)}`).toString('base64')}`;
    const req = http.request({ host: this.proxy.hostname, port: Number(this.proxy.port) || 80, method: 'CONNECT', path: target, headers, agent: false });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        const e = new Error(`the proxy ${this.proxy.host} refused the tunnel to ${target} (HTTP ${res.statusCode})`) as NodeJS.ErrnoException;
        e.code = 'EPROXY';
        cb(e);
        return;
      }
      const s = tls.connect({ ...options, socket, servername: options.servername ?? (net.isIP(options.host ?? '') ? undefined : options.host) });
      s.once('secureConnect', () => cb(null, s));
      s.once('error', (e) => cb(e));
    });
    req.once('error', (e: NodeJS.ErrnoException) => { const err = new Error(`the proxy ${this.proxy.host} is unreachable (${e.code ?? e.message})`) as NodeJS.ErrnoException; err.code = 'EPROXY'; cb(err); });
    req.end();
    return undefined;
  }
}

/** dns.lookup that only answers loopback addresses (plain HTTP goes to this machine only). */
function loopbackLookup(hostname: string, options: dns.LookupOptions, cb: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void): void {
  dns.lookup(hostname, options, (err, address, family) => {
    if (err) { cb(err, address, family); return; }
    const list = Array.isArray(address) ? address : [{ address, family: family ?? 4 }];
    if (list.some((a) => !isLoopback(a.address))) {
      const e = new Error(`${hostname} resolves to a non-loopback address; plain HTTP is allowed for loopback only`) as NodeJS.ErrnoException;
      e.code = 'ENOTLOOPBACK';
      cb(e, address, family);
      return;
    }
    cb(null, address, family);
  });
}

interface Challenge { scheme: 'basic' | 'bearer'; params: Record<string, string> }

/** Parses `WWW-Authenticate: Bearer realm="...",service="...",scope="..."` (quoted or token values). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(Basic|Bearer)\b\s*(.*)$/i.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const p of (m[2] ?? '').matchAll(re)) params[(p[1] ?? '').toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: (m[1] ?? '').toLowerCase() === 'basic' ? 'basic' : 'bearer', params };
}

/** The registry's `{errors: [{code, message}]}` body, as one line (untrusted text). */
export function errorBody(body: Buffer): string {
  if (!body.length) return '';
  try {
    const v = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    if (Array.isArray(v.errors) && v.errors.length) return v.errors.slice(0, 3).map((e) => untrusted(`${e.code ?? ''} ${e.message ?? ''}`, 160)).join('; ');
  } catch { /* not JSON */ }
  return untrusted(body.toString('utf8'), 160);
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
  if (signal?.aborted) { reject(new RegistryError('Cancelled.', 'cancelled')); return; }
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
  const onAbort = (): void => { clearTimeout(t); reject(new RegistryError('Cancelled.', 'cancelled')); };
  signal?.addEventListener('abort', onAbort, { once: true });
});

export class RegistryHttp {
  readonly registry: RegistryEndpoint;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly agents = new Map<string, http.Agent>();
  private readonly proxy: ReturnType<typeof parseProxy>;
  private ca: string[] | undefined;
  private basic = false;
  private bearer: { realm: string; service: string } | undefined;
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  /** Requests made (for tests and the benchmark), and retries done. */
  readonly stats = { requests: 0, retries: 0, tokens: 0 };

  constructor(private readonly o: HttpOptions) {
    this.registry = o.registry;
    this.retry = { attempts: o.retry?.attempts ?? 4, baseMs: o.retry?.baseMs ?? 250, maxMs: o.retry?.maxMs ?? 10_000 };
    this.timeoutMs = o.timeoutMs ?? 60_000;
    this.proxy = parseProxy(o.proxy, o.env ?? process.env);
  }

  /** The registry's origin: `https://host:port`. */
  get origin(): string { return this.registry.base.replace(/\/$/, ''); }

  private caList(): string[] {
    if (this.ca) return this.ca;
    const list = [...systemCertificates()];
    if (this.registry.caFile) {
      let pem: string;
      try { pem = readFileSync(this.registry.caFile, 'utf8'); } catch (e) {
        throw new RegistryError(`The caFile of registry "${this.registry.name}" (${this.registry.caFile}) cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, 'config');
      }
      if (!/-----BEGIN CERTIFICATE-----/.test(pem)) throw new RegistryError(`The caFile of registry "${this.registry.name}" (${this.registry.caFile}) holds no PEM certificate.`, 'config');
      list.push(pem);
    }
    this.ca = list;
    return list;
  }

  private context: tls.SecureContext | undefined;
  /** One TLS context (system store plus caFile) for the raw blob reads. */
  private secureContext(): tls.SecureContext {
    this.context ??= tls.createSecureContext({ ca: this.caList() });
    return this.context;
  }

  private agentFor(url: URL): http.Agent {
    const key = url.origin;
    const known = this.agents.get(key);
    if (known) return known;
    let a: http.Agent;
    if (url.protocol === 'http:') {
      if (!isLoopback(url.hostname)) throw new RegistryError(`Refused plain HTTP to ${url.host}: plain HTTP is allowed for loopback addresses only.`, 'config');
      a = new http.Agent({ keepAlive: true, maxSockets: 16, lookup: loopbackLookup } as http.AgentOptions);
    } else {
      const opts: https.AgentOptions = { keepAlive: true, maxSockets: 16, ca: this.caList() };
      const p = this.proxy;
      if (p && !bypassesProxy(url.host, url.hostname, p.noProxy)) {
        a = new TunnelAgent(p.url, p.authorization, { ...opts, rejectUnauthorized: p.strictSSL });
      } else {
        a = new https.Agent(opts);
      }
    }
    this.agents.set(key, a);
    return a;
  }

  /** Sends a request: authentication, retries and redirects included. Non-2xx answers are returned, except a refused authentication. */
  async request(spec: RequestSpec): Promise<RegistryResponse> {
    let authTried = false;
    let url = /^https?:\/\//.test(spec.path) ? new URL(spec.path) : new URL(spec.path.replace(/^\/+/, ''), this.registry.base);
    for (let redirects = 0; ; ) {
      const sameOrigin = url.origin === this.origin;
      const headers: Record<string, string> = { 'user-agent': this.o.userAgent ?? 'CubeLab', ...spec.headers };
      if (sameOrigin) {
        const auth = await this.authorization(spec.scope, spec.signal);
        if (auth) headers.authorization = auth;
      }
      const res = await this.withRetry(spec, url, headers);
      if ([301, 302, 303, 307, 308].includes(res.status) && res.headers.location && (spec.method === 'GET' || spec.method === 'HEAD')) {
        res.stream?.destroy();
        if (++redirects > 5) throw new RegistryError(`${url.host} redirected more than 5 times.`, 'protocol');
        const next = new URL(res.headers.location, url);
        if (next.protocol === 'http:' && !isLoopback(next.hostname)) throw new RegistryError(`${url.host} redirected to plain HTTP at ${next.host}: refused.`, 'protocol');
        url = next;
        continue;
      }
      if (res.status === 401 && sameOrigin) {
        res.stream?.destroy();
        if (authTried) throw await this.refused(spec.scope, res);
        authTried = true;
        await this.answerChallenge(res, spec.scope, spec.signal);
        continue;
      }
      return res;
    }
  }

  private async withRetry(spec: RequestSpec, url: URL, headers: Record<string, string>): Promise<RegistryResponse> {
    const replayable = !spec.body || Buffer.isBuffer(spec.body) || typeof spec.body === 'function';
    for (let attempt = 1; ; attempt++) {
      let res: RegistryResponse | undefined;
      let error: NodeJS.ErrnoException | undefined;
      const t0 = performance.now();
      try { res = await this.once(spec, url, headers); } catch (e) { error = e as NodeJS.ErrnoException; }
      this.o.log?.(`${spec.method} ${url.origin}${url.pathname}: ${res ? res.status : `error ${error?.code ?? error?.message}`} (${Math.round(performance.now() - t0)} ms)`);
      const retryable = res ? RETRY_STATUS.has(res.status) : !!error && RETRY_CODES.has(error.code ?? '') && !spec.signal?.aborted;
      if (!retryable || attempt >= this.retry.attempts || !replayable) {
        if (res) return res;
        throw this.explain(error as NodeJS.ErrnoException, url);
      }
      res?.stream?.destroy();
      let wait = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      const ra = res?.headers['retry-after'];
      if (ra) {
        const secs = Number(ra);
        const at = Number.isFinite(secs) ? secs * 1000 : Date.parse(ra) - Date.now();
        if (Number.isFinite(at) && at >= 0) wait = Math.min(this.retry.maxMs, at);
      }
      this.stats.retries++;
      this.o.log?.(`  retrying in ${Math.round(wait)} ms (attempt ${attempt + 1} of ${this.retry.attempts})`);
      await sleep(wait, spec.signal);
    }
  }

  private async once(spec: RequestSpec, url: URL, headers: Record<string, string>): Promise<RegistryResponse> {
    if (spec.sink && spec.method === 'GET' && !this.proxied(url)) {
      const raw = await this.rawOnce(spec, url, headers);
      if (raw) return raw;
      // An answer the raw reader leaves to Node's HTTP client (chunked, no length): asked again, below.
    }
    return this.nodeOnce(spec, url, headers);
  }

  private proxied(url: URL): boolean {
    return url.protocol === 'https:' && !!this.proxy && !bypassesProxy(url.host, url.hostname, this.proxy.noProxy);
  }

  private nodeOnce(spec: RequestSpec, url: URL, headers: Record<string, string>): Promise<RegistryResponse> {
    this.stats.requests++;
    return new Promise<RegistryResponse>((resolve, reject) => {
      const h: Record<string, string> = { ...headers };
      if (spec.body !== undefined) {
        const len = Buffer.isBuffer(spec.body) ? spec.body.length : spec.bodyLength;
        if (len !== undefined) h['content-length'] = String(len);
      } else if (spec.method === 'PUT' || spec.method === 'POST' || spec.method === 'PATCH') {
        h['content-length'] = '0';
      }
      const mod = url.protocol === 'https:' ? https : http;
      let req: http.ClientRequest;
      try {
        req = mod.request(url, { method: spec.method, headers: h, agent: this.agentFor(url), ...(spec.signal ? { signal: spec.signal } : {}) });
      } catch (e) { reject(e); return; }
      req.setTimeout(this.timeoutMs, () => { const e = new Error('timed out') as NodeJS.ErrnoException; e.code = 'ETIMEDOUT'; req.destroy(e); });
      req.on('error', reject);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (spec.stream && status >= 200 && status < 300 && spec.method !== 'HEAD') {
          resolve({ status, headers: res.headers, body: Buffer.alloc(0), stream: res, url });
          return;
        }
        if (spec.sink && status >= 200 && status < 300) {
          const sink = spec.sink;
          let delivered = 0;
          res.on('data', (c: Buffer) => {
            try { sink(c); delivered += c.length; } catch (e) { res.destroy(); reject(e); }
          });
          res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.alloc(0), url }));
          res.on('error', (e: NodeJS.ErrnoException) => { if (delivered) e.code = 'EPARTIAL'; reject(e); });
          return;
        }
        const max = spec.maxBytes ?? 4 << 20;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > max) { res.destroy(); reject(new RegistryError(`${url.host} answered ${spec.method} ${url.pathname} with more than ${max} bytes.`, 'protocol')); return; }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.concat(chunks), url }));
        res.on('error', reject);
      });
      if (spec.body === undefined) req.end();
      else if (Buffer.isBuffer(spec.body)) req.end(spec.body);
      else {
        const body = spec.body();
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      }
    });
  }

  /**
   * A GET read straight from a socket into one reused 1 MiB buffer (`onread`): HTTP/1.1, `Connection: close`, a
   * body with Content-Length. Undefined for an answer it leaves to Node's HTTP client (chunked or unknown length).
   */
  private rawOnce(spec: RequestSpec, url: URL, headers: Record<string, string>): Promise<RegistryResponse | undefined> {
    this.stats.requests++;
    const sink = spec.sink as (chunk: Buffer) => void;
    const max = spec.maxBytes ?? 4 << 20;
    return new Promise<RegistryResponse | undefined>((resolve, reject) => {
      const buf = Buffer.allocUnsafe(1 << 20);
      let head: Buffer | undefined;
      let status = 0;
      let resHeaders: http.IncomingHttpHeaders = {};
      let inBody = false;
      let deliver = false;
      let remaining = -1;
      let delivered = 0;
      const errorBody: Buffer[] = [];
      let errorSize = 0;
      let settled = false;
      let socket: net.Socket;
      const finish = (err: NodeJS.ErrnoException | undefined, res?: RegistryResponse): void => {
        if (settled) return;
        settled = true;
        spec.signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        if (err) { if (delivered && !(err instanceof RegistryError) && err.code !== 'ABORT_ERR') err.code = 'EPARTIAL'; reject(err); } else resolve(res);
      };
      const onAbort = (): void => { const e = new Error('aborted') as NodeJS.ErrnoException; e.name = 'AbortError'; e.code = 'ABORT_ERR'; finish(e); };
      const done = (): void => finish(undefined, { status, headers: resHeaders, body: deliver ? Buffer.alloc(0) : Buffer.concat(errorBody), url });
      const body = (chunk: Buffer): void => {
        if (remaining >= 0 && chunk.length > remaining) chunk = chunk.subarray(0, remaining);
        if (deliver) { sink(chunk); delivered += chunk.length; }
        else if ((errorSize += chunk.length) <= max) errorBody.push(Buffer.from(chunk));
        if (remaining >= 0) { remaining -= chunk.length; if (remaining === 0) done(); }
      };
      const onHead = (data: Buffer): void => {
        head = head ? Buffer.concat([head, data]) : Buffer.from(data);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) { if (head.length > 64 << 10) throw new RegistryError(`${url.host} sent an answer head larger than 64 KiB.`, 'protocol'); return; }
        const lines = head.toString('latin1', 0, end).split('\r\n');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
        if (!m) throw new RegistryError(`${url.host} did not answer in HTTP/1.1.`, 'protocol');
        status = Number(m[1]);
        const h: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const i = line.indexOf(':');
          if (i <= 0) continue;
          const k = line.slice(0, i).trim().toLowerCase();
          const v = line.slice(i + 1).trim();
          h[k] = h[k] !== undefined ? `${h[k]}, ${v}` : v;
        }
        resHeaders = h;
        const te = h['transfer-encoding'];
        const len = h['content-length'];
        if ((te && te.toLowerCase() !== 'identity') || (len === undefined && status >= 200 && status < 300)) { settled = true; socket.destroy(); resolve(undefined); return; }
        remaining = len !== undefined ? Number(len) : -1;
        deliver = status >= 200 && status < 300;
        inBody = true;
        const rest = head.subarray(end + 4);
        head = undefined;
        if (remaining === 0) { done(); return; }
        if (rest.length) body(rest);
      };
      const onread = (nread: number, b: Buffer): boolean => {
        if (settled) return false;
        try {
          const chunk = b.subarray(0, nread);
          if (!inBody) onHead(chunk); else body(chunk);
        } catch (e) { finish(e as NodeJS.ErrnoException); return false; }
        return true;
      };
      const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      let request = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\nAccept-Encoding: identity\r\n`;
      for (const [k, v] of Object.entries(headers)) request += `${k}: ${v.replace(/[\r\n]/g, '')}\r\n`;
      request += '\r\n';
      try {
        if (url.protocol === 'https:') {
          socket = tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), secureContext: this.secureContext(), ALPNProtocols: ['http/1.1'], onread: { buffer: buf, callback: onread } } as tls.ConnectionOptions);
          socket.once('secureConnect', () => socket.write(request));
        } else {
          if (!isLoopback(url.hostname)) throw new RegistryError(`Refused plain HTTP to ${url.host}: plain HTTP is allowed for loopback addresses only.`, 'config');
          socket = net.connect({ host, port, lookup: loopbackLookup, onread: { buffer: buf, callback: onread } } as net.NetConnectOpts);
          socket.once('connect', () => socket.write(request));
        }
      } catch (e) { reject(e); return; }
      socket.setTimeout(this.timeoutMs, () => { const e = new Error('timed out') as NodeJS.ErrnoException; e.code = 'ETIMEDOUT'; finish(e); });
      socket.on('error', (e: NodeJS.ErrnoException) => finish(e));
      socket.on('close', () => {
        if (settled) return;
        if (inBody && remaining < 0) { done(); return; }
        const e = new Error('the connection closed before the answer was complete') as NodeJS.ErrnoException;
        e.code = 'ECONNRESET';
        finish(e);
      });
      if (spec.signal) { if (spec.signal.aborted) onAbort(); else spec.signal.addEventListener('abort', onAbort, { once: true }); }
    });
  }

  /** Network and TLS failures as sentences. */
  private explain(e: NodeJS.ErrnoException, url: URL): Error {
    if (e instanceof RegistryError) return e;
    const code = e.code ?? '';
    if (e.name === 'AbortError' || code === 'ABORT_ERR') return new RegistryError('Cancelled.', 'cancelled');
    if (TLS_CODES.has(code)) {
      return new RegistryError(`The TLS certificate of ${url.origin} is not trusted (${e.message}). If the registry uses a private CA, set "caFile" for it in cubelab.registries to that CA's certificate (PEM); CubeLab never skips the check.`, 'tls');
    }
    if (code === 'EPARTIAL') return new RegistryError(`The download from ${url.host} broke off (${e.message}); pull again.`, 'unreachable');
    if (code === 'ENOTLOOPBACK' || code === 'EPROXY') return new RegistryError(`Cannot reach ${url.host}: ${e.message}.`, 'unreachable');
    const what: Record<string, string> = {
      ECONNREFUSED: 'connection refused', ENOTFOUND: 'unknown host', EAI_AGAIN: 'name lookup failed', ETIMEDOUT: 'no answer in time',
      ECONNRESET: 'the connection was reset', EHOSTUNREACH: 'host unreachable', ENETUNREACH: 'network unreachable',
    };
    if (what[code]) return new RegistryError(`Cannot reach the registry at ${url.host} (${what[code]}).`, 'unreachable');
    if (/wrong version number|packet length too long|EPROTO/i.test(`${code} ${e.message}`)) {
      return new RegistryError(`${url.host} does not speak TLS on this port (${e.message}); if it is a loopback registry over plain HTTP, write its url as http://${url.host}.`, 'tls');
    }
    return new RegistryError(`Request to ${url.host} failed: ${e.message}`, 'unreachable');
  }

  // ------------------------------------------------------------------ authentication

  private async creds(): Promise<Credential | undefined> {
    try { return await this.o.credentials?.(); } catch (e) {
      throw new RegistryError(`Cannot read the credentials for ${this.registry.host}: ${(e as Error).message}`, 'auth');
    }
  }

  private async authorization(scope: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
    if (this.basic) {
      const c = await this.creds();
      return c?.password !== undefined ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : undefined;
    }
    if (this.bearer) {
      const key = scope ?? '';
      const t = this.tokens.get(key);
      if (t && t.expires > Date.now()) return `Bearer ${t.token}`;
      const token = await this.fetchToken(scope ? [scope] : [], signal);
      return token ? `Bearer ${token}` : undefined;
    }
    return undefined;
  }

  private async answerChallenge(res: RegistryResponse, scope: string | undefined, signal?: AbortSignal): Promise<void> {
    const ch = parseChallenge(res.headers['www-authenticate'] as string | undefined);
    if (!ch) throw new RegistryError(`${this.registry.host} answered 401 without a usable WWW-Authenticate challenge.`, 'protocol');
    if (ch.scheme === 'basic') {
      const c = await this.creds();
      if (!c || c.password === undefined) throw this.needsCredentials();
      this.basic = true;
      return;
    }
    const realm = ch.params.realm;
    if (!realm) throw new RegistryError(`${this.registry.host} asked for a bearer token without naming its realm.`, 'protocol');
    let realmUrl: URL;
    try { realmUrl = new URL(realm); } catch { throw new RegistryError(`${this.registry.host} named a token realm that is not a URL.`, 'protocol'); }
    if (realmUrl.protocol === 'http:' && !isLoopback(realmUrl.hostname)) throw new RegistryError(`${this.registry.host} named a token realm over plain HTTP (${realmUrl.host}): refused, credentials would travel in clear.`, 'protocol');
    if (realmUrl.protocol !== 'http:' && realmUrl.protocol !== 'https:') throw new RegistryError(`${this.registry.host} named a token realm that is not http(s).`, 'protocol');
    this.bearer = { realm, service: ch.params.service ?? '' };
    const scopes = new Set<string>();
    if (scope) scopes.add(scope);
    if (ch.params.scope) for (const s of ch.params.scope.split(' ')) if (s) scopes.add(s);
    const token = await this.fetchToken([...scopes], signal);
    if (!token) throw this.needsCredentials();
    const got = this.tokens.get(scope ?? '');
    if (!got || got.token !== token) this.tokens.set(scope ?? '', { token, expires: Date.now() + 60_000 });
  }

  private needsCredentials(): RegistryError {
    return new RegistryError(`${this.registry.host} needs credentials, and CubeLab found none for it (Docker's config: auths, credsStore, credHelpers; or "CubeLab: Sign In to Registry").`, 'auth', 401);
  }

  private async refused(scope: string | undefined, res: RegistryResponse): Promise<RegistryError> {
    const c = await this.creds();
    this.o.credentials?.forget?.();
    const detail = errorBody(res.body);
    if (!c) return this.needsCredentials();
    if (this.bearer) {
      return new RegistryError(`${this.registry.host} denied ${scope ? `"${scope}"` : 'this request'} to ${c.username ? `user "${c.username}"` : 'the identity token'} (credentials from ${c.source})${detail ? `: ${detail}` : ''}.`, 'denied', 401);
    }
    return new RegistryError(`${this.registry.host} refused the credentials of user "${c.username}" (from ${c.source}): wrong user name or password${detail ? ` (${detail})` : ''}.`, 'auth', 401);
  }

  /** Asks the realm for a token covering `scopes` (with credentials when there are some; anonymous otherwise). */
  private async fetchToken(scopes: string[], signal?: AbortSignal): Promise<string | undefined> {
    const b = this.bearer;
    if (!b) return undefined;
    const c = await this.creds();
    const realm = new URL(b.realm);
    let res: RegistryResponse;
    this.stats.tokens++;
    if (c?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, service: b.service, client_id: 'cubelab', scope: scopes.join(' ') });
      res = await this.withRetry({ method: 'POST', path: realm.href, body: Buffer.from(form.toString()), ...(signal ? { signal } : {}) }, realm, { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'CubeLab' });
    } else {
      if (b.service) realm.searchParams.set('service', b.service);
      for (const s of scopes) realm.searchParams.append('scope', s);
      if (c?.username) realm.searchParams.set('account', c.username);
      const headers: Record<string, string> = { 'user-agent': 'CubeLab' };
      if (c?.password !== undefined) headers.authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
      res = await this.withRetry({ method: 'GET', path: realm.href, ...(signal ? { signal } : {}) }, realm, headers);
    }
    if (res.status === 401 || res.status === 403) {
      this.o.credentials?.forget?.();
      if (!c) throw this.needsCredentials();
      throw new RegistryError(`The token service of ${this.registry.host} (${realm.host}) refused the credentials of ${c.username ? `user "${c.username}"` : 'the identity token'} (from ${c.source}): wrong user name or password.`, 'auth', res.status);
    }
    if (res.status < 200 || res.status >= 300) throw new RegistryError(`The token service of ${this.registry.host} (${realm.host}) answered HTTP ${res.status}${errorBody(res.body) ? `: ${errorBody(res.body)}` : ''}.`, 'auth', res.status);
    let v: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try { v = JSON.parse(res.body.toString('utf8')) as typeof v; } catch { throw new RegistryError(`The token service of ${this.registry.host} answered something that is not JSON.`, 'protocol'); }
    const token = typeof v.token === 'string' && v.token ? v.token : typeof v.access_token === 'string' ? v.access_token : '';
    if (!token) throw new RegistryError(`The token service of ${this.registry.host} answered without a token.`, 'protocol');
    const secs = typeof v.expires_in === 'number' && v.expires_in > 0 ? v.expires_in : 60;
    // Cached per scope until shortly before it expires.
    this.tokens.set(scopes.length === 1 ? scopes[0] ?? '' : scopes.join(' '), { token, expires: Date.now() + Math.max(10, secs - 10) * 1000 });
    for (const s of scopes) this.tokens.set(s, { token, expires: Date.now() + Math.max(10, secs - 10) * 1000 });
    return token;
  }

  /** Closes the kept-alive connections. */
  dispose(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}
