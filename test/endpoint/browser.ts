/**
 * A browser page standing in for MLboard's frontend: Debian's headless Chromium (playwright-core, as
 * test/webviews/harness.ts launches it) loads a page from a page server on its own loopback port, with
 * socket.io's browser client from node_modules (socket.io/client-dist, the client MLboard bundles:
 * `socket.io-client` 4.x). Nothing remote is loaded. The same server answers as two origins:
 * `http://127.0.0.1:<port>` and `http://localhost:<port>`, so a test can allow one and refuse the other.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';

const SOCKET_IO_CLIENT = join(__dirname, '..', '..', 'node_modules', 'socket.io', 'client-dist', 'socket.io.min.js');

export interface PageHarness {
  browser: Browser;
  /** `http://127.0.0.1:<port>` of the page server. */
  origin: string;
  /** The same page server as `http://localhost:<port>`: another origin. */
  otherOrigin: string;
  /** A fresh page of `origin`, with `io` loaded; console errors are collected in `errors`. */
  open(origin: string): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

const CLIENT = 'socket.io.min.js';
const STAND_IN = 'stand-in.js';
const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>MLboard stand-in</title>'
  + `<script src="${CLIENT}"></script><script src="${STAND_IN}"></script></head><body>MLboard stand-in</body></html>`;

export async function startPageHarness(): Promise<PageHarness> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
      } else if (req.url === `/${STAND_IN}`) {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(PAGE_SCRIPT);
      } else if (req.url === `/${CLIENT}`) {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(await readFile(SOCKET_IO_CLIENT));
      } else {
        res.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  return {
    browser,
    origin: `http://127.0.0.1:${port}`,
    otherOrigin: `http://localhost:${port}`,
    open: async (origin: string) => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${origin}/`);
      await page.waitForFunction('typeof window.io === "function" && typeof window.socketRun === "function" && typeof window.restRun === "function"');
      return { page, errors };
    },
    close: async () => {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface SocketRun {
  /** Transport of the first connection (socket.io starts with polling unless told otherwise). */
  firstTransport?: string;
  /** Transport after the upgrade, if one happened. */
  upgradedTo?: string;
  /** Events as MLboard's worker collects them: batched_events unwrapped, live events as they come. */
  eventIds: number[];
  logs: string[];
  pong: boolean;
  error?: string;
}

/**
 * In the page (plain JavaScript text, so no transpiler helper leaks into it): `socketRun(endpoint, gs, opts)`
 * connects as MLboard's WorkerSocket does (`io(url)`, default transports: polling first, then the websocket
 * upgrade), joins `{rooms: [gs]}`, pings, and resolves once the history is replayed, a pong came back and the
 * transport was upgraded (or on error / timeout). Events are collected as MLboard's worker does:
 * batched_events unwrapped, live events as they come.
 */
const PAGE_SCRIPT = `
window.socketRun = (endpoint, gs, options) => new Promise((resolve) => {
  const run = { eventIds: [], logs: [], pong: false };
  let replayed = false;
  let timer;
  const opts = { reconnection: false, timeout: 10000 };
  if (options.transports) opts.transports = options.transports;
  if (options.auth) opts.auth = options.auth;
  const socket = io(endpoint, opts);
  const finish = () => { clearTimeout(timer); socket.close(); resolve(run); };
  const check = () => { if (replayed && run.pong && run.upgradedTo) finish(); };
  timer = setTimeout(() => { if (!run.error) run.error = 'timeout'; finish(); }, 20000);
  socket.io.on('open', () => {
    const engine = socket.io.engine;
    run.firstTransport = engine.transport.name;
    if (engine.transport.name === 'websocket') run.upgradedTo = 'websocket';
    engine.on('upgrade', (t) => { run.upgradedTo = t.name; check(); });
  });
  socket.on('connect', () => { socket.emit('join', { rooms: [gs] }); socket.emit('ping'); });
  socket.on('connect_error', (e) => { run.error = (e && e.message) || 'connect_error'; finish(); });
  socket.on('pong', () => { run.pong = true; check(); });
  socket.on('server_log_message', (m) => {
    run.logs.push(String(m));
    if (String(m).startsWith('Replayed ')) { replayed = true; check(); }
  });
  socket.on('mlgym_event', (msg) => {
    if (msg.event_id === 'batched_events') for (const e of msg.data) run.eventIds.push(e.event_id);
    else run.eventIds.push(msg.event_id);
  });
});

// Each request as MLboard's frontend makes it (axios: a GET with Accept, no credentials); binary bodies as base64.
window.restRun = async (base, requests) => {
  const out = [];
  for (const r of requests) {
    try {
      const res = await fetch(base + r.path, { method: r.method || 'GET', headers: r.headers || { Accept: 'application/json, text/plain, */*' }, body: r.body });
      const bytes = new Uint8Array(await res.arrayBuffer());
      let text = '';
      for (const b of bytes) text += String.fromCharCode(b);
      out.push({ path: r.path, status: res.status, contentType: res.headers.get('content-type'), base64: btoa(text) });
    } catch (e) {
      out.push({ path: r.path, error: String(e) });
    }
  }
  return out;
};
`;

export interface RestRequest {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface RestResult {
  path: string;
  status?: number;
  contentType?: string | null;
  base64?: string;
  /** The page could not read the response (CORS failure, refused connection). */
  error?: string;
}

/** Runs `requests` in the page with fetch, one after the other. */
export function restInPage(page: Page, base: string, requests: RestRequest[]): Promise<RestResult[]> {
  return page.evaluate(`window.restRun(${JSON.stringify(base)}, ${JSON.stringify(requests)})`) as Promise<RestResult[]>;
}

export const bodyText = (r: RestResult): string => Buffer.from(r.base64 ?? '', 'base64').toString('utf8');

export function socketInPage(page: Page, endpoint: string, gs: string, options: { transports?: string[]; auth?: Record<string, string> } = {}): Promise<SocketRun> {
  return page.evaluate(`window.socketRun(${JSON.stringify(endpoint)}, ${JSON.stringify(gs)}, ${JSON.stringify(options)})`) as Promise<SocketRun>;
}
