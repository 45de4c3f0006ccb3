/**
 * The commands and settings of the MLboard-compatible endpoint: `cubelab.endpoint.start` / `.stop`,
 * `cubelab.endpoint.enable` (off by default) to start it with the extension, `cubelab.endpoint.allowedOrigins`
 * (browser pages that may use it), and `cubelab.endpoint.requireToken` (off by default) with
 * `cubelab.endpoint.showToken`: the token is kept in VS Code's SecretStorage, never in settings, and handed to
 * the endpoint as an option. The server itself (socket.io)
 * lives in dist/endpoint.js and is required only when it starts, so activation never loads it. It serves
 * 127.0.0.1 only and never runs in a restricted workspace: it writes files wherever its storage setting says.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as EndpointModule from './index';
import { DEFAULT_ALLOWED_ORIGINS } from './origins';

type Endpoint = EndpointModule.EndpointHandle;

let loaded: typeof EndpointModule | undefined;

function loadEndpointModule(extensionPath: string): typeof EndpointModule {
  // createRequire keeps esbuild from inlining the endpoint bundle (and socket.io) into dist/client.js.
  loaded ??= createRequire(__filename)(path.join(extensionPath, 'dist', 'endpoint.js')) as typeof EndpointModule;
  return loaded;
}

interface EndpointSettings {
  port: number;
  storagePath: string;
  allowedOrigins: string[];
  requireToken: boolean;
  maxUploadBytes: number;
}

/** SecretStorage key of the endpoint's token. */
const TOKEN_KEY = 'cubelab.endpoint.token';

/** The stored token, created (32 random bytes, base64url) when there is none or `regenerate` is set. */
async function endpointToken(secrets: vscode.SecretStorage, regenerate = false): Promise<string> {
  const existing = regenerate ? undefined : await secrets.get(TOKEN_KEY);
  if (existing) return existing;
  const token = randomBytes(32).toString('base64url');
  await secrets.store(TOKEN_KEY, token);
  return token;
}

/** The settings, the storage resolved against the first workspace folder (default `event_storage`). */
function readSettings(): EndpointSettings | string {
  const config = vscode.workspace.getConfiguration('cubelab.endpoint');
  const port = config.get<number>('port', 5002);
  const configured = config.get<string>('storagePath', '').trim();
  // The package.json default is the list MLboard's frontend is usually served from (origins.ts).
  const origins = config.get<unknown>('allowedOrigins');
  const allowedOrigins = Array.isArray(origins) ? origins.filter((o): o is string => typeof o === 'string') : [...DEFAULT_ALLOWED_ORIGINS];
  const requireToken = config.get<boolean>('requireToken', false) === true;
  const uploadMB = config.get<number>('maxUploadMB', 16384);
  const maxUploadBytes = Math.max(1, Number.isFinite(uploadMB) ? uploadMB : 16384) * 1024 * 1024;
  const common = { port, allowedOrigins, requireToken, maxUploadBytes };
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (path.isAbsolute(configured)) return { ...common, storagePath: configured };
  if (!folder || folder.uri.scheme !== 'file') return 'open a folder, or set cubelab.endpoint.storagePath to an absolute path';
  return { ...common, storagePath: path.join(folder.uri.fsPath, configured || 'event_storage') };
}

export function registerEndpoint(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): void {
  let running: Endpoint | undefined;
  let starting: Promise<Endpoint | undefined> | undefined;
  const log = (line: string) => output.info(`[endpoint] ${line}`);
  // The `cubelab.endpoint.running` context key shows Stop and Show Token only while there is something to stop.
  const setRunning = (on: boolean) => void vscode.commands.executeCommand('setContext', 'cubelab.endpoint.running', on);

  async function start(interactive: boolean): Promise<Endpoint | undefined> {
    if (running) {
      if (interactive) void vscode.window.showInformationMessage(`CubeLab: the MLboard-compatible endpoint is already running at ${running.url}.`);
      return running;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('CubeLab: the MLboard-compatible endpoint writes files; it does not start in a restricted workspace.');
      return undefined;
    }
    const settings = readSettings();
    if (typeof settings === 'string') {
      void vscode.window.showErrorMessage(`CubeLab: cannot start the MLboard-compatible endpoint: ${settings}.`);
      return undefined;
    }
    try {
      const mod = loadEndpointModule(context.extensionPath);
      const token = settings.requireToken ? await endpointToken(context.secrets) : undefined;
      running = await mod.startEndpoint({ storagePath: settings.storagePath, port: settings.port, allowedOrigins: settings.allowedOrigins, token, maxUploadBytes: settings.maxUploadBytes, log });
      setRunning(true);
      const url = running.url;
      void vscode.window.showInformationMessage(
        `CubeLab: MLboard-compatible endpoint at ${url} (websocket and REST), writing to ${running.storagePath}. Point an MLgym run's websocket and REST endpoints at it.`,
        'Copy URL',
      ).then((choice) => {
        if (choice === 'Copy URL') void vscode.env.clipboard.writeText(url);
      });
      return running;
    } catch (err) {
      const message = (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? `port ${settings.port} is in use (set cubelab.endpoint.port)`
        : err instanceof Error ? err.message : String(err);
      output.error(`[endpoint] could not start: ${err instanceof Error ? err.stack ?? message : message}`);
      void vscode.window.showErrorMessage(`CubeLab: the MLboard-compatible endpoint did not start: ${message}.`);
      return undefined;
    }
  }

  async function stop(): Promise<void> {
    await starting;
    const current = running;
    running = undefined;
    setRunning(false);
    if (current) {
      await current.close();
      log('stopped');
    }
  }

  const startOnce = (interactive: boolean) => (starting ??= start(interactive).finally(() => (starting = undefined)));

  context.subscriptions.push(
    vscode.commands.registerCommand('cubelab.endpoint.start', () => startOnce(true)),
    vscode.commands.registerCommand('cubelab.endpoint.stop', async () => {
      const was = running;
      await stop();
      if (was) void vscode.window.showInformationMessage('CubeLab: MLboard-compatible endpoint stopped.');
    }),
    vscode.commands.registerCommand('cubelab.endpoint.showToken', async () => {
      const token = await endpointToken(context.secrets);
      const on = vscode.workspace.getConfiguration('cubelab.endpoint').get<boolean>('requireToken', false);
      const choice = await vscode.window.showInformationMessage(
        `CubeLab: the MLboard-compatible endpoint's token is ${token} . Clients send it as "Authorization: Bearer <token>" (REST, socket.io) or socket.io auth {token}. ${on ? 'It is required (cubelab.endpoint.requireToken).' : 'It is not required: cubelab.endpoint.requireToken is off.'}`,
        'Copy Token', 'Regenerate',
      );
      if (choice === 'Copy Token') await vscode.env.clipboard.writeText(token);
      if (choice === 'Regenerate') {
        const fresh = await endpointToken(context.secrets, true);
        await vscode.env.clipboard.writeText(fresh);
        void vscode.window.showInformationMessage('CubeLab: a new endpoint token is in the clipboard; the old one no longer works.');
      }
    }),
    // A new token (this window or another) restarts a running endpoint that requires one.
    context.secrets.onDidChange(async (e) => {
      if (e.key !== TOKEN_KEY || !running || !vscode.workspace.getConfiguration('cubelab.endpoint').get<boolean>('requireToken', false)) return;
      await stop();
      await startOnce(false);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('cubelab.endpoint')) return;
      const enabled = vscode.workspace.getConfiguration('cubelab.endpoint').get<boolean>('enable', false);
      // The enable switch starts or stops it; a change of port or storage restarts a running endpoint.
      if (e.affectsConfiguration('cubelab.endpoint.enable') && !enabled) {
        await stop();
        return;
      }
      const wasRunning = running !== undefined;
      if (wasRunning) await stop();
      if (wasRunning || enabled) await startOnce(false);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      if (vscode.workspace.getConfiguration('cubelab.endpoint').get<boolean>('enable', false)) void startOnce(false);
    }),
    { dispose: () => void stop() },
  );

  // Off by default. When enabled, it starts after activation has returned, so activation stays cheap.
  if (vscode.workspace.getConfiguration('cubelab.endpoint').get<boolean>('enable', false) && vscode.workspace.isTrusted) {
    setImmediate(() => void startOnce(false));
  }
}
