/**
 * Who may talk to the endpoint. It listens on 127.0.0.1 only; on top of that:
 * - the Host header must name a loopback host (a page of another site reaching 127.0.0.1 through DNS
 *   rebinding names its own host);
 * - a request without an Origin header is a local program (MLgym's `requests` and python-socketio polling)
 *   and is allowed; `Origin: null` (sandboxed frames, file pages) is refused;
 * - the endpoint's own origin (`http://127.0.0.1:<port>`, `http://localhost:<port>`) is allowed: it serves no
 *   page, and python-socketio's websocket transport (websocket-client) sends it on every connection;
 * - any other origin must be listed in `cubelab.endpoint.allowedOrigins`: those pages get CORS headers
 *   (socket.io polling and REST), every other browser page is refused with 403.
 * MLboard's own servers: the REST server allows every origin (`CORSMiddleware`, `["*"]`); the websocket server
 * takes `--cors_allowed_origins` and requires it.
 */
import type { IncomingMessage } from 'node:http';

/**
 * Where MLboard's frontend is usually served from: its development server (`npm start`, create-react-app's
 * http://localhost:3000, `[M] src/ml_board/frontend/Dashboard/README.md`; the websocket server's own
 * `__main__` allows `http://localhost:3000` and `http://127.0.0.1:3000`), and `ml_board --ml_board_port 8080`
 * of MLgym's README, whose example passes `--cors_allowed_origins http://127.0.0.1:8080`. MLboard's dummy
 * server allows both host forms of its frontend ports the same way.
 */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  'http://localhost:3000',
  'http://127.0.0.1:3000',
  'http://localhost:8080',
  'http://127.0.0.1:8080',
];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * An origin as browsers send it (`scheme://host[:port]`, lower-case host, no default port), or undefined
 * when `text` is not exactly an http(s) origin (a path, query, credentials or `*` are not origins).
 */
export function normalizeOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return undefined;
  // `new URL('http://a/')` keeps no trace of the trailing slash in `origin`; anything else after the host was refused above.
  if (!/^https?:\/\/[^/]+\/?$/i.test(text.trim())) return undefined;
  return url.origin;
}

function hostnameOf(hostHeader: string): string {
  return hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0] ?? '';
}

export type OriginVerdict =
  /** A local program (no Origin) or the endpoint's own origin: no CORS headers needed. */
  | { allowed: true; cors?: undefined }
  /** A page of an allowed origin: answer with CORS headers for `cors`. */
  | { allowed: true; cors: string }
  | { allowed: false; reason: string };

export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;
  /** Entries of the setting that are not origins (reported once, never matched). */
  readonly ignored: string[] = [];

  constructor(allowedOrigins: readonly string[] = DEFAULT_ALLOWED_ORIGINS, private port = 0) {
    const set = new Set<string>();
    for (const o of allowedOrigins) {
      const n = normalizeOrigin(o);
      if (n) set.add(n);
      else this.ignored.push(o);
    }
    this.allowed = set;
  }

  /** The port the endpoint listens on, once known: its own origin is always allowed. */
  setPort(port: number): void {
    this.port = port;
  }

  get origins(): string[] {
    return [...this.allowed];
  }

  /** Whether a browser page of `origin` may use the endpoint (CORS and websocket). */
  allowsOrigin(origin: string | undefined): boolean {
    return origin !== undefined && this.allowed.has(origin);
  }

  private isOwnOrigin(origin: string): boolean {
    try {
      const url = new URL(origin);
      return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname.toLowerCase()) && Number(url.port || 80) === this.port;
    } catch {
      return false;
    }
  }

  check(req: IncomingMessage): OriginVerdict {
    const host = req.headers.host;
    if (!host || !LOOPBACK_HOSTS.has(hostnameOf(host).toLowerCase())) return { allowed: false, reason: 'only local clients may use this endpoint (Host is not a loopback name)' };
    const origin = req.headers.origin;
    if (origin === undefined) return { allowed: true };
    if (this.allowsOrigin(origin)) return { allowed: true, cors: origin };
    if (origin !== 'null' && this.isOwnOrigin(origin)) return { allowed: true };
    return { allowed: false, reason: `origin ${origin} is not allowed (cubelab.endpoint.allowedOrigins)` };
  }
}
