/**
 * The MLboard-compatible endpoint: one HTTP server on 127.0.0.1 serving both MLboard's websocket
 * (socket.io, Engine.IO v4 / Socket.IO v5 protocol, which python-socketio 5.x speaks) and its REST routes,
 * over one event storage folder. An MLgym run points both its websocket and REST endpoints at it.
 * Requests from a browser page of another origin, or naming another host (DNS rebinding), are refused:
 * the endpoint writes files, and only local clients should reach it.
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Server } from 'socket.io';
import { handleRest } from './restRoutes';
import { RoomLogs } from './roomLogs';
import { attachProtocol, type ProtocolStats } from './socketProtocol';

export interface EndpointOptions {
  storagePath: string;
  /** 0 picks a free port. */
  port: number;
  /** Events per history message on join. */
  historyBatch?: number;
  maxBodyBytes?: number;
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

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function hostnameOf(hostHeader: string): string {
  return hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0];
}

/** Only local clients: Host must be a loopback name, and a browser Origin (if any) a loopback page. */
export function isLocalRequest(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (!host || !LOOPBACK.has(hostnameOf(host).toLowerCase())) return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return LOOPBACK.has(new URL(origin).hostname.toLowerCase());
  } catch {
    return false;
  }
}

export async function startEndpoint(options: EndpointOptions): Promise<EndpointHandle> {
  const root = resolve(options.storagePath);
  mkdirSync(root, { recursive: true });
  const log = options.log ?? (() => undefined);
  const logs = new RoomLogs(root);
  const http: HttpServer = createServer((req, res) => {
    // socket.io answers its own path before this listener runs.
    if (req.url?.startsWith('/socket.io/')) return;
    if (!isLocalRequest(req)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: 'only local clients may use this endpoint' }));
      return;
    }
    void handleRest(req, res, root, { maxBodyBytes: options.maxBodyBytes, log });
  });
  const io = new Server(http, {
    serveClient: false,
    // MLboard allows 100 GB messages; a checkpoint never travels over the socket at HEAD, events are small.
    maxHttpBufferSize: 100 * 1024 * 1024,
    allowRequest: (req, callback) => callback(null, isLocalRequest(req)),
  });
  const stats = attachProtocol(io, logs, { historyBatch: options.historyBatch, log });

  await new Promise<void>((resolvePromise, reject) => {
    http.once('error', reject);
    http.listen(options.port, '127.0.0.1', () => {
      http.off('error', reject);
      resolvePromise();
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log(`MLboard-compatible endpoint on http://127.0.0.1:${port}, event storage ${root}`);
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
