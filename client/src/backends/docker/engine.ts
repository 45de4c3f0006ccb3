/**
 * Which Docker engine to talk to, decided as the docker CLI does: an explicit setting
 * (`cubelab.docker.host`) first, then `DOCKER_HOST`, then the active context (`DOCKER_CONTEXT` or
 * `currentContext` in ~/.docker/config.json, resolved through ~/.docker/contexts/meta), then the local socket.
 * Also turns the engine's connection failures into sentences a user can act on.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TargetError } from '../../runs/backend';

export interface EngineEndpoint {
  /** The host as the user would write it: unix:///var/run/docker.sock, tcp://h:2376, ssh://u@h. */
  host: string;
  source: 'setting' | 'DOCKER_HOST' | 'context' | 'default';
  contextName?: string;
  /** Options for dockerode / docker-modem. */
  modem: { socketPath?: string; host?: string; port?: number; protocol?: 'http' | 'https' | 'ssh'; username?: string };
}

export const DEFAULT_HOST = process.platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock';

export function modemOptionsFor(host: string): EngineEndpoint['modem'] {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe://')) return { socketPath: host.slice('npipe://'.length) };
  let url: URL;
  try { url = new URL(host); } catch { throw new TargetError(`The Docker host "${host}" is not a URL (expected unix:///path, tcp://host:port or ssh://user@host).`, 'target'); }
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = url.protocol === 'https:' || (process.env.DOCKER_TLS_VERIFY ?? '') !== '';
    return { host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)), protocol: tls ? 'https' : 'http' };
  }
  if (url.protocol === 'ssh:') {
    return { host: url.hostname, port: Number(url.port || 22), protocol: 'ssh', ...(url.username ? { username: decodeURIComponent(url.username) } : {}) };
  }
  throw new TargetError(`The Docker host "${host}" has an unsupported scheme "${url.protocol}".`, 'target');
}

/** Whether the engine runs on this machine (a socket, a named pipe, or TCP on a loopback address). */
export function isLocalEngine(endpoint: EngineEndpoint): boolean {
  if (endpoint.modem.socketPath) return true;
  if (endpoint.modem.protocol === 'ssh') return false;
  const h = (endpoint.modem.host ?? '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The active docker context's endpoint, if a non-default context is selected. */
export function contextHost(env: Record<string, string | undefined>, dockerConfigDir: string): { name: string; host: string } | undefined {
  let name = env.DOCKER_CONTEXT;
  if (!name) {
    try {
      const cfg = JSON.parse(readFileSync(join(dockerConfigDir, 'config.json'), 'utf8')) as { currentContext?: unknown };
      if (typeof cfg.currentContext === 'string') name = cfg.currentContext;
    } catch { /* no config: the default context */ }
  }
  if (!name || name === 'default') return undefined;
  const metaFile = join(dockerConfigDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'), 'meta.json');
  let meta: { Endpoints?: { docker?: { Host?: unknown } } };
  try { meta = JSON.parse(readFileSync(metaFile, 'utf8')) as typeof meta; } catch {
    throw new TargetError(`The active Docker context "${name}" has no metadata (${metaFile}); run \`docker context use default\` or set cubelab.docker.host.`, 'target');
  }
  const host = meta.Endpoints?.docker?.Host;
  if (typeof host !== 'string' || !host) throw new TargetError(`The Docker context "${name}" names no engine host.`, 'target');
  return { name, host };
}

export function selectEngine(setting: string | undefined, env: Record<string, string | undefined> = process.env,
  dockerConfigDir = env.DOCKER_CONFIG || join(homedir(), '.docker')): EngineEndpoint {
  if (setting && setting.trim()) return { host: setting.trim(), source: 'setting', modem: modemOptionsFor(setting.trim()) };
  if (env.DOCKER_HOST) return { host: env.DOCKER_HOST, source: 'DOCKER_HOST', modem: modemOptionsFor(env.DOCKER_HOST) };
  const ctx = contextHost(env, dockerConfigDir);
  if (ctx) return { host: ctx.host, source: 'context', contextName: ctx.name, modem: modemOptionsFor(ctx.host) };
  return { host: DEFAULT_HOST, source: 'default', modem: modemOptionsFor(DEFAULT_HOST) };
}

const HOW_TO_START = 'Start it (Docker Desktop; or `sudo systemctl start docker`; or, as root, `dockerd &`), or point CubeLab at another engine with the setting cubelab.docker.host or DOCKER_HOST.';

/** Whether an error means "the engine cannot be reached" (as opposed to the engine refusing a request). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && ['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'ECONNABORTED'].includes(code);
}

/** Words for a failure to reach the engine; other errors come back unchanged. */
export function explainEngineError(err: unknown, endpoint: EngineEndpoint): Error {
  if (err instanceof TargetError) return err;
  const code = (err as { code?: unknown })?.code;
  const where = `${endpoint.host}${endpoint.source === 'default' ? '' : ` (from ${endpoint.source === 'context' ? `Docker context "${endpoint.contextName}"` : endpoint.source === 'setting' ? 'cubelab.docker.host' : 'DOCKER_HOST'})`}`;
  if (code === 'ENOENT') return new TargetError(`No Docker engine at ${where}: the socket does not exist. Is Docker installed and running? ${HOW_TO_START}`, 'missing');
  if (code === 'ECONNREFUSED') return new TargetError(`The Docker engine at ${where} is not running (connection refused). ${HOW_TO_START}`, 'unreachable');
  if (code === 'EACCES') return new TargetError(`Permission denied on the Docker engine at ${where}. Add your user to the "docker" group (\`sudo usermod -aG docker $USER\`, then log in again), or use a rootless engine.`, 'denied');
  if (isConnectionError(err)) return new TargetError(`The Docker engine at ${where} cannot be reached (${String(code)}). ${HOW_TO_START}`, 'unreachable');
  return err instanceof Error ? err : new Error(String(err));
}

/** Words for the engine's refusal of a GPU request (HTTP 500 "could not select device driver"). */
export function explainStartError(err: unknown): Error {
  const msg = String((err as { json?: { message?: unknown } })?.json?.message ?? (err as Error)?.message ?? err);
  if (/could not select device driver/i.test(msg)) {
    return new TargetError('This task requests GPUs, but the Docker engine has no GPU runtime (the NVIDIA Container Toolkit is not installed or not configured). '
      + 'Install it and restart Docker, or run without GPUs: set platform.accelerator_count to 0, pass --gpus= (empty), or remove --gpus from gpu_args. '
      + `(Engine said: ${msg.trim()})`, 'gpu');
  }
  if (/unknown or invalid runtime name/i.test(msg)) {
    return new TargetError(`The Docker engine does not know the requested --runtime (e.g. nvidia): ${msg.trim()}. Install that runtime or remove --runtime from cpu_args/gpu_args.`, 'gpu');
  }
  return err instanceof Error ? err : new Error(msg);
}
