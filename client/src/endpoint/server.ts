/**
 * The MLboard-compatible endpoint: one HTTP server on 127.0.0.1 serving both MLboard's websocket
 * (socket.io, Engine.IO v4 / Socket.IO v5 protocol, which python-socketio 5.x speaks) and its REST routes,
 * over one event storage folder. An MLgym run points both its websocket and REST endpoints at it.
 * Browser pages of the allowed origins (MLboard's frontend) get CORS headers on socket.io's polling transport
 * and on REST, preflights included (cors.ts); pages of other origins, and requests naming another host (DNS
 * rebinding), are refused (origins.ts): the endpoint writes files, and only local clients should reach it.
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Server } from 'socket.io';
import { handleRest } from './restRoutes';
import { RoomLogs } from './roomLogs';
import { attachProtocol, type ProtocolStats } from './socketProtocol';
import { DEFAULT_ALLOWED_ORIGINS, OriginPolicy } from './origins';
import { answerPreflight, isPreflight, setCorsHeaders } from './cors';
import { pythonJsonParser } from './socketParser';
import { bearerToken, tokenMatches } from './token';
import { UploadGate } from './uploadGate';

export interface EndpointOptions {
  storagePath: string;
  /** 0 picks a free port. */
  port: number;
  /** Events per history message on join. */
  historyBatch?: number;
  /** Rooms one `join` may name (default 16). */
  maxRoomsPerJoin?: number;
  /** Largest checkpoint file accepted per upload (413 beyond it); default 16 GiB. */
  maxUploadBytes?: number;
  /** Checkpoint uploads written at once (default 4); more wait, up to maxQueuedUploads (default 64), then 503. */
  maxConcurrentUploads?: number;
  maxQueuedUploads?: number;
  /**
   * Browser origins allowed to use the endpoint (`scheme://host[:port]`), e.g. where MLboard's frontend is
   * served; default DEFAULT_ALLOWED_ORIGINS. Local programs (no Origin header) are always allowed.
   */
  allowedOrigins?: readonly string[];
  /**
   * When set, every REST request (preflights aside) and every socket.io connection must present it (token.ts):
   * unmodified MLgym runs then cannot connect. Unset (the default): no credential is asked.
   */
  token?: string;
  log?: (line: string) => void;
}

export interface EndpointHandle {
  readonly port: number;
  /** `http://127.0.0.1:<port>`: the websocket and REST endpoint of an MLgym run. */
  readonly url: string;
  readonly storagePath: string;
  readonly stats: ProtocolStats;
  close(): Promise<void>;
}

/** Whether a request may use the endpoint under the default origin policy (a local program, or an allowed page). */
export function isLocalRequest(req: IncomingMessage, allowedOrigins: readonly string[] = DEFAULT_ALLOWED_ORIGINS, port = 0): boolean {
  return new OriginPolicy(allowedOrigins, port).check(req).allowed;
}

export async function startEndpoint(options: EndpointOptions): Promise<EndpointHandle> {
  const root = resolve(options.storagePath);
  mkdirSync(root, { recursive: true });
  const log = options.log ?? (() => undefined);
  const logs = new RoomLogs(root);
  const uploads = new UploadGate(Math.max(1, options.maxConcurrentUploads ?? 4), Math.max(0, options.maxQueuedUploads ?? 64));
  const origins = new OriginPolicy(options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS, options.port);
  for (const o of origins.ignored) log(`Ignored allowed origin ${JSON.stringify(o)}: not an http(s) origin (scheme://host[:port]).`);
  const http: HttpServer = createServer((req, res) => {
    // socket.io answers its own path before this listener runs.
    if (req.url?.startsWith('/socket.io/')) return;
    const verdict = origins.check(req);
    if (!verdict.allowed) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: verdict.reason }));
      return;
    }
    if (isPreflight(req)) {
      if (verdict.cors) answerPreflight(req, res, verdict.cors);
      else {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: 'a preflight from a page that is not of an allowed origin' }));
      }
      return;
    }
    if (verdict.cors) setCorsHeaders(res, verdict.cors);
    if (!tokenMatches(options.token, bearerToken(req.headers))) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="cubelab-endpoint"' });
      res.end(JSON.stringify({ detail: 'this endpoint requires its token (Authorization: Bearer <token>)' }));
      return;
    }
    void handleRest(req, res, root, { maxUploadBytes: options.maxUploadBytes, uploads, log });
  });
  const io = new Server(http, {
    serveClient: false,
    // Reads what clients send as Python's json does (NaN, whole floats, big ints), so the log is MLboard's.
    parser: pythonJsonParser,
    // MLboard allows 100 GB messages; a checkpoint never travels over the socket at HEAD, events are small.
    maxHttpBufferSize: 100 * 1024 * 1024,
    // The polling transport of a page (MLboard's frontend) is a cross-origin XHR: without these headers the
    // browser drops the handshake. The websocket transport and local programs send no preflight; every
    // handshake still passes allowRequest, which refuses other origins and non-loopback Host names.
    cors: { origin: (origin, callback) => callback(null, origins.allowsOrigin(origin)), methods: ['GET', 'POST'] },
    allowRequest: (req, callback) => {
      const verdict = origins.check(req);
      if (!verdict.allowed) log(`Refused a socket.io handshake: ${verdict.reason}.`);
      callback(verdict.allowed ? null : 'Forbidden', verdict.allowed);
    },
  });
  if (options.token !== undefined) {
    const token = options.token;
    io.use((socket, next) => {
      const auth = socket.handshake.auth as Record<string, unknown> | undefined;
      if (tokenMatches(token, auth?.token) || tokenMatches(token, bearerToken(socket.handshake.headers))) {
        next();
        return;
      }
      log('Refused a socket.io connection without the endpoint\'s token.');
      next(new Error('this endpoint requires its token (socket.io auth {token} or Authorization: Bearer)'));
    });
  }
  const stats = attachProtocol(io, logs, { historyBatch: options.historyBatch, maxRoomsPerJoin: options.maxRoomsPerJoin, log });

  await new Promise<void>((resolvePromise, reject) => {
    http.once('error', reject);
    http.listen(options.port, '127.0.0.1', () => {
      http.off('error', reject);
      resolvePromise();
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  origins.setPort(port);
  log(`MLboard-compatible endpoint on http://127.0.0.1:${port}, event storage ${root}; browser pages allowed from ${origins.origins.join(', ') || 'no origin'}; ${options.token !== undefined ? 'token required' : 'no token'}`);
  let closed: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    storagePath: root,
    stats,
    close: () =>
      (closed ??= new Promise<void>((done) => {
        io.close(() => {
          logs.close();
          done();
        });
        http.closeAllConnections();
      })),
  };
}
