/**
 * A real VS Code for tests: code-server 4.100.3 (VS Code 1.100.3) installed by test/env/setup-vscode.sh.
 * Starts one code-server per test on a random free loopback port, with its own user-data and extensions
 * folders, installs the packaged CubeLab .vsix, and stops the whole process group at the end.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const repoRoot = resolve(__dirname, '..', '..', '..');
export const codeServerBin = join(repoRoot, 'test/env/vscode/node_modules/.bin/code-server');
/** Where test/run-all.mjs packages the extension before the e2e and integration tiers. */
export const defaultVsix = join(repoRoot, 'test/out/cubelab.vsix');
export const outDir = join(repoRoot, 'test/out');

/** Throws a message that says what to run when code-server or the .vsix is missing. */
export function checkPrerequisites(vsix = defaultVsix): void {
  if (!existsSync(codeServerBin)) throw new Error(`code-server is not installed (${codeServerBin}); run: bash test/env/setup-vscode.sh`);
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing; run: node scripts/package.mjs ${vsix}`);
}

/** A free TCP port on 127.0.0.1, chosen by the OS. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? ok(port) : fail(new Error('no free port'))));
    });
  });
}

/** A fresh temporary folder (removed by `cleanup()` of the session that made it). */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cubelab-${prefix}-`));
}

/** Copies a fixture folder to a fresh temp folder, so tests never write into the repository. */
export function copyFixture(fixtureDir: string): string {
  const dir = tempDir('ws');
  cpSync(fixtureDir, dir, { recursive: true });
  return dir;
}

/** Installs a .vsix into an extensions folder with code-server's own CLI. */
export async function installVsix(vsix: string, extensionsDir: string): Promise<void> {
  mkdirSync(extensionsDir, { recursive: true });
  try {
    await execFileAsync(codeServerBin, ['--extensions-dir', extensionsDir, '--install-extension', vsix], { timeout: 60_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`code-server --install-extension ${vsix} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

export interface CodeServerOptions {
  /** Folder to open; the URL opens it with `?folder=`. */
  folder: string;
  extensionsDir: string;
  /** User settings written to `<user-data>/User/settings.json` before start. */
  settings?: Record<string, unknown>;
  /**
   * Machine settings (`<user-data>/Machine/settings.json`): where a window whose extension host runs on a server,
   * as code-server's does, reads machine-scoped settings such as `cubelab.targets`.
   */
  machineSettings?: Record<string, unknown>;
  /** Extra environment for the code-server process; it reaches the extension host (`process.env`). */
  env?: Record<string, string>;
  /** Milliseconds to wait until code-server answers /healthz. */
  startTimeoutMs?: number;
}

export interface CodeServer {
  port: number;
  /** The workbench URL with the folder open. */
  url: string;
  userDataDir: string;
  /** Everything code-server printed so far (for failure messages). */
  log(): string;
  /** Stops code-server and everything it started (extension hosts, language servers). */
  stop(): Promise<void>;
}

/** Settings every test session starts from: no telemetry, no welcome page, no trust dialog, no noise. */
export const quietSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'window.restoreWindows': 'none',
  'chat.commandCenter.enabled': false,
};

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const port = await freePort();
  const userDataDir = tempDir('user');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...quietSettings, ...opts.settings }, null, 2));
  if (opts.machineSettings) {
    mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
    writeFileSync(join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(opts.machineSettings, null, 2));
  }
  const args = [
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-getting-started-override', '--config', join(userDataDir, 'code-server.yaml'), '--user-data-dir', userDataDir, '--extensions-dir', opts.extensionsDir, opts.folder,
  ];
  // Own process group, so stop() can end the extension host and the language server with it.
  const child: ChildProcess = spawn(codeServerBin, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let text = '';
  child.stdout?.on('data', (b: Buffer) => { text += b.toString(); });
  child.stderr?.on('data', (b: Buffer) => { text += b.toString(); });
  let exited = false;
  const exit = new Promise<void>((ok) => child.on('exit', () => { exited = true; ok(); }));

  const stop = async (): Promise<void> => {
    if (!exited && child.pid) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const killed = await Promise.race([exit.then(() => true), sleep(5000).then(() => false)]);
      if (!killed) { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ } await exit; }
      // Children that outlived the leader (a language server mid-restart) still share the group.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ }
    }
    rmSync(userDataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) { await stop(); throw new Error(`code-server exited before answering:\n${text}`); }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { await stop(); throw new Error(`code-server did not answer on port ${port} in time:\n${text}`); }
    await sleep(200);
  }
  return {
    port,
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(opts.folder)}`,
    userDataDir,
    log: () => text,
    stop,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}
