/**
 * The set-up every code-server test file shares: the packaged CubeLab installed once per file into a
 * fresh extensions folder, one headless Chromium, code-server sessions on folders, and clean-up in
 * reverse order after the file. A failure carries a screenshot and the end of code-server's log.
 */
import { before, after } from 'node:test';
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { checkPrerequisites, defaultVsix, installVsix, startCodeServer, tempDir, type CodeServer } from './codeServer';
import { launchBrowser, openWorkbench, screenshot } from './workbench';

export interface Session {
  server: CodeServer;
  page: Page;
}

export interface CodeServerSuite {
  /** Starts code-server on `folder` with these user settings and opens its workbench in a new page. */
  open(folder: string, settings?: Record<string, unknown>, env?: Record<string, string>, machineSettings?: Record<string, unknown>): Promise<Session>;
  /** Runs `fn` after the file, before the sessions stop (e.g. removing containers a test left). */
  onCleanup(fn: () => Promise<void> | void): void;
}

/** Registers before/after hooks for the calling test file; `prepare` runs first (e.g. starting Docker). */
export function codeServerSuite(prepare?: () => void): CodeServerSuite {
  let extensionsDir = '';
  const cleanups: (() => Promise<void> | void)[] = [];

  // Started once, by whichever comes first: this file's before hook or the test file's own before hook
  // calling open() (node:test does not order root-level hooks of one file the way they were registered).
  let started: Promise<Browser> | undefined;
  const start = (): Promise<Browser> => (started ??= (async () => {
    checkPrerequisites();
    prepare?.();
    extensionsDir = tempDir('ext');
    cleanups.push(() => rmSync(extensionsDir, { recursive: true, force: true }));
    await installVsix(defaultVsix, extensionsDir);
    const b = await launchBrowser();
    cleanups.push(() => b.close());
    return b;
  })());

  before(async () => { await start(); });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  return {
    async open(folder, settings = {}, env = {}, machineSettings) {
      const b = await start();
      const server = await startCodeServer({ folder, extensionsDir, settings, env, ...(machineSettings ? { machineSettings } : {}) });
      cleanups.push(() => server.stop());
      const page = await openWorkbench(b, server.url);
      return { server, page };
    },
    onCleanup(fn) { cleanups.push(fn); },
  };
}

/** Runs `work`; on failure saves test/out/e2e/<name>.png and rethrows with the end of code-server's log. */
export async function withEvidence<T>(session: Session, name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    await screenshot(session.page, name).catch(() => undefined);
    throw new Error(`${(err as Error).message}\ncode-server log:\n${session.server.log().slice(-3000)}`);
  }
}
