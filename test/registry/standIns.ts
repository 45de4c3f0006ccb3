/**
 * STAND-INS of the registry tier (test doubles, named as such): an OCI 1.1 registry with the referrers API
 * (docker-registry 2.8 has none), an HTTP CONNECT proxy, and a registry that answers 503 and 429 before it
 * answers. Each listens on a random loopback port.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()); });
  return (server.address() as AddressInfo).port;
}
const closer = (server: Server) => (): Promise<void> => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
const body = (req: IncomingMessage): Promise<Buffer> => new Promise((resolve, reject) => { const c: Buffer[] = []; req.on('data', (d: Buffer) => c.push(d)); req.on('end', () => resolve(Buffer.concat(c))); req.on('error', reject); });
const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Repo { blobs: Map<string, Buffer>; manifests: Map<string, { bytes: Buffer; mediaType: string }>; tags: Map<string, string> }

export interface StandInRegistry {
  port: number;
  host: string;
  repos: Map<string, Repo>;
  /** Requests seen, as `METHOD path`. */
  log: string[];
  close(): Promise<void>;
}

/** A STAND-IN OCI Distribution 1.1 registry (in memory) with the referrers API and the OCI-Subject header. */
export async function startReferrersRegistry(): Promise<StandInRegistry> {
  const repos = new Map<string, Repo>();
  const uploads = new Map<string, Buffer[]>();
  const log: string[] = [];
  const repo = (name: string): Repo => {
    let r = repos.get(name);
    if (!r) { r = { blobs: new Map(), manifests: new Map(), tags: new Map() }; repos.set(name, r); }
    return r;
  };
  const send = (res: ServerResponse, status: number, headers: Record<string, string | number> = {}, data?: Buffer | string): void => {
    res.writeHead(status, { 'docker-distribution-api-version': 'registry/2.0', ...headers });
    res.end(data);
  };
  const json = (res: ServerResponse, status: number, v: unknown, headers: Record<string, string> = {}): void => {
    const b = Buffer.from(JSON.stringify(v));
    send(res, status, { 'content-type': 'application/json', 'content-length': b.length, ...headers }, b);
  };
  const unknown = (res: ServerResponse, code: string): void => json(res, 404, { errors: [{ code, message: code.toLowerCase().replace(/_/g, ' ') }] });
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const p = url.pathname;
      log.push(`${req.method} ${p}`);
      const data = await body(req);
      if (p === '/v2/' || p === '/v2') return json(res, 200, {});
      if (p === '/v2/_catalog') return json(res, 200, { repositories: [...repos.keys()].sort() });
      const m = /^\/v2\/(.+?)\/(blobs\/uploads|blobs|manifests|tags|referrers)(?:\/(.*))?$/.exec(p);
      if (!m) return unknown(res, 'NOT_FOUND');
      const [, name = '', kind, rest = ''] = m;
      const r = repo(name);
      if (kind === 'blobs/uploads') {
        if (req.method === 'POST') {
          const digest = url.searchParams.get('digest');
          if (digest) { r.blobs.set(digest, data); return send(res, 201, { location: `/v2/${name}/blobs/${digest}`, 'docker-content-digest': digest, 'content-length': 0 }); }
          const id = randomBytes(8).toString('hex');
          uploads.set(id, []);
          return send(res, 202, { location: `/v2/${name}/blobs/uploads/${id}`, 'docker-upload-uuid': id, range: '0-0', 'content-length': 0 });
        }
        const id = rest.replace(/\/$/, '');
        const parts = uploads.get(id);
        if (!parts) return unknown(res, 'BLOB_UPLOAD_UNKNOWN');
        if (data.length) parts.push(data);
        const size = parts.reduce((n, b) => n + b.length, 0);
        if (req.method === 'PATCH') return send(res, 202, { location: `/v2/${name}/blobs/uploads/${id}`, 'docker-upload-uuid': id, range: `0-${Math.max(0, size - 1)}`, 'content-length': 0 });
        if (req.method === 'PUT') {
          const all = Buffer.concat(parts);
          const want = url.searchParams.get('digest') ?? '';
          if (digestOf(all) !== want) return json(res, 400, { errors: [{ code: 'DIGEST_INVALID', message: 'digest did not match content' }] });
          uploads.delete(id);
          r.blobs.set(want, all);
          return send(res, 201, { location: `/v2/${name}/blobs/${want}`, 'docker-content-digest': want, 'content-length': 0 });
        }
      }
      if (kind === 'blobs') {
        const b = r.blobs.get(rest);
        if (!b) return unknown(res, 'BLOB_UNKNOWN');
        return send(res, 200, { 'content-length': b.length, 'docker-content-digest': rest, 'content-type': 'application/octet-stream' }, req.method === 'HEAD' ? undefined : b);
      }
      if (kind === 'tags') return json(res, 200, { name, tags: [...r.tags.keys()].sort() });
      if (kind === 'manifests') {
        if (req.method === 'PUT') {
          const digest = digestOf(data);
          const v = JSON.parse(data.toString('utf8')) as { mediaType?: string; subject?: { digest: string } };
          r.manifests.set(digest, { bytes: data, mediaType: String(req.headers['content-type'] ?? v.mediaType) });
          if (!rest.startsWith('sha256:')) r.tags.set(rest, digest);
          return send(res, 201, { location: `/v2/${name}/manifests/${digest}`, 'docker-content-digest': digest, 'content-length': 0, ...(v.subject ? { 'oci-subject': v.subject.digest } : {}) });
        }
        const digest = rest.startsWith('sha256:') ? rest : r.tags.get(rest);
        const found = digest ? r.manifests.get(digest) : undefined;
        if (!digest || !found) return unknown(res, 'MANIFEST_UNKNOWN');
        if (req.method === 'DELETE') {
          r.manifests.delete(digest);
          for (const [t, d] of r.tags) if (d === digest) r.tags.delete(t);
          return send(res, 202, { 'content-length': 0 });
        }
        return send(res, 200, { 'content-type': found.mediaType, 'content-length': found.bytes.length, 'docker-content-digest': digest }, req.method === 'HEAD' ? undefined : found.bytes);
      }
      if (kind === 'referrers') {
        const want = url.searchParams.get('artifactType');
        const manifests = [];
        for (const [digest, { bytes, mediaType }] of r.manifests) {
          const v = JSON.parse(bytes.toString('utf8')) as { subject?: { digest: string }; artifactType?: string; config?: { mediaType: string }; annotations?: Record<string, string> };
          if (v.subject?.digest !== rest) continue;
          const artifactType = v.artifactType ?? v.config?.mediaType;
          if (want && artifactType !== want) continue;
          manifests.push({ mediaType, digest, size: bytes.length, ...(artifactType ? { artifactType } : {}), ...(v.annotations ? { annotations: v.annotations } : {}) });
        }
        return json(res, 200, { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests },
          { 'content-type': 'application/vnd.oci.image.index.v1+json', ...(want ? { 'oci-filters-applied': 'artifactType' } : {}) });
      }
      return unknown(res, 'UNSUPPORTED');
    })().catch((e: Error) => { if (!res.headersSent) send(res, 500, {}, e.message); });
  });
  const port = await listen(server);
  return { port, host: `127.0.0.1:${port}`, repos, log, close: closer(server) };
}

export interface StandInProxy { port: number; tunnels: string[]; close(): Promise<void> }

/** A STAND-IN HTTP proxy that only tunnels (CONNECT), recording each tunnel's target. */
export async function startConnectProxy(): Promise<StandInProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = createServer((_req, res) => { res.writeHead(405); res.end(); });
  server.on('connect', (req: IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream); sockets.add(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const port = await listen(server);
  return { port, tunnels, close: async () => { for (const s of sockets) s.destroy(); await closer(server)(); } };
}

export interface FlakyRegistry { port: number; seen: number; close(): Promise<void> }

/** A STAND-IN registry whose `/v2/` answers the given statuses first (429 with Retry-After: 0), then 200. */
export async function startFlakyRegistry(statuses: number[]): Promise<FlakyRegistry> {
  const queue = [...statuses];
  const state = { seen: 0 };
  const server = createServer((req, res) => {
    state.seen++;
    const status = queue.shift() ?? 200;
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '0' } : {}) });
    res.end(status === 200 ? '{}' : JSON.stringify({ errors: [{ code: status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', message: `status ${status}` }] }));
    void req;
  });
  const port = await listen(server);
  return { port, get seen() { return state.seen; }, close: closer(server) };
}
