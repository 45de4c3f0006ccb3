/**
 * Loads a built webview bundle (dist/webviews/<name>.js) into Debian's headless Chromium, in the very page
 * the extension serves (client/src/webviews/html.ts, same CSP and nonce), from a local http server on
 * 127.0.0.1 standing in for the webview resource origin. `fakeVsCodeWebviewHost` stands in for VS Code's
 * webview host only: it provides `acquireVsCodeApi` and records what the page posts. Messages to the page are
 * delivered as VS Code delivers them: a `message` event on the window. CSP violations, page errors and
 * console errors are collected so every test can assert there were none.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { webviewHtml } from '../../client/src/webviews/html';

const root = join(__dirname, '..', '..');
const distWebviews = join(root, 'dist', 'webviews');

export interface WebviewHarness {
  browser: Browser;
  server: Server;
  origin: string;
  close(): Promise<void>;
}

export async function startHarness(): Promise<WebviewHarness> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/favicon.ico') { res.writeHead(204).end(); return; }
      const page = /^\/page\/(\w+)$/.exec(url.pathname);
      if (page) {
        const name = page[1];
        const styleUris = existsSync(join(distWebviews, `${name}.css`)) ? [`${origin}/webviews/${name}.css`] : [];
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(webviewHtml({ cspSource: origin, title: name, scriptUri: `${origin}/webviews/${name}.js`, styleUris }));
        return;
      }
      const file = normalize(join(distWebviews, url.pathname.replace(/^\/webviews\//, '')));
      if (!url.pathname.startsWith('/webviews/') || !file.startsWith(distWebviews) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type });
      res.end(await readFile(file));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  return {
    browser, server, origin,
    close: async () => { await browser.close(); await new Promise<void>((r) => server.close(() => r())); },
  };
}

/**
 * Installed before the page's own scripts (via CDP, so outside the page's CSP): the stand-in for VS Code's
 * webview host. Plain JavaScript text, not a function, so no transpiler helper leaks into the page.
 */
function fakeVsCodeWebviewHost(initialState: unknown): string {
  return `(() => {
    const posted = [];
    const violations = [];
    let state = ${JSON.stringify(initialState ?? null)};
    window.__posted = posted;
    window.__cspViolations = violations;
    window.__state = () => state;
    document.addEventListener('securitypolicyviolation', (e) => {
      violations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' ' + e.sourceFile + ':' + e.lineNumber);
    });
    let acquired = false;
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi called twice (VS Code throws too)');
      acquired = true;
      return {
        // postMessage clones; a JSON round trip is close enough and catches functions or cycles.
        postMessage: (m) => { posted.push(JSON.parse(JSON.stringify(m))); },
        getState: () => state,
        setState: (s) => { state = JSON.parse(JSON.stringify(s)); },
      };
    };
  })();`;
}

export interface WebviewPage {
  page: Page;
  /** Page errors and console errors, in order. */
  errors: string[];
  send(message: unknown): Promise<void>;
  posted(): Promise<{ type: string; [k: string]: unknown }[]>;
  cspViolations(): Promise<string[]>;
  state(): Promise<unknown>;
  /** Waits until the page has posted a message of this type (and returns it). */
  waitForPosted(type: string, count?: number): Promise<{ type: string; [k: string]: unknown }>;
}

export async function openWebview(h: WebviewHarness, name: string, options: { initialState?: unknown; viewport?: { width: number; height: number } } = {}): Promise<WebviewPage> {
  const page = await h.browser.newPage({ viewport: options.viewport ?? { width: 1200, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => { errors.push(`pageerror: ${e.message}`); if (process.env.CUBELAB_DEBUG) console.log(e.message); });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  await page.addInitScript({ content: fakeVsCodeWebviewHost(options.initialState) });
  await page.goto(`${h.origin}/page/${name}`);
  const wp: WebviewPage = {
    page, errors,
    send: async (message) => { await page.evaluate((m) => window.postMessage(m, '*'), message); },
    posted: () => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted),
    cspViolations: () => page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations),
    state: () => page.evaluate(() => (window as unknown as { __state: () => unknown }).__state()),
    waitForPosted: async (type, count = 1) => {
      const handle = await page.waitForFunction(([t, n]) => {
        const all = (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === t);
        return all.length >= (n as number) ? all[(n as number) - 1] : undefined;
      }, [type, count] as const, { timeout: 10_000 });
      return (await handle.jsonValue()) as { type: string; [k: string]: unknown };
    },
  };
  await wp.waitForPosted('ready');
  return wp;
}
