/**
 * Credentials for a registry, from VS Code's secret storage or the user's Docker config (`auths`, `credsStore`,
 * `credHelpers`, with the credential-helper protocol: `docker-credential-<name> get|store|erase`, the server
 * URL or a JSON object on stdin, JSON on stdout). Never from settings; never written to a log: a credential's
 * `source` says where it came from, for messages, and holds no secret.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isDockerHub } from './names';

export interface Credential {
  username: string;
  password?: string;
  /** An OAuth2 refresh token (Docker's `identitytoken`; a helper's `<token>` user name). */
  identityToken?: string;
  /** Where it came from, for messages: `Docker config (auths)`, `credential helper "pass"`, `VS Code secret storage`. */
  source: string;
}

/** VS Code's SecretStorage, or a Map in tests. */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

export interface CredentialOptions {
  secrets?: SecretStore;
  /** Where Docker's config.json lives (default: $DOCKER_CONFIG, else ~/.docker). */
  dockerConfigDir?: string;
  /** The environment helpers run in (PATH finds them); default process.env. */
  env?: NodeJS.ProcessEnv;
  mode?: 'auto' | 'docker' | 'secretStorage' | 'none';
  helperTimeoutMs?: number;
}

export type CredentialProvider = () => Promise<Credential | undefined>;

export function secretKey(host: string): string { return `cubelab.registry.credentials/${host}`; }

/** The keys Docker uses for a host in config.json (Docker Hub's is the old index URL). */
export function dockerKeys(host: string): string[] {
  if (isDockerHub(host.split(':')[0] ?? host)) return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(homedir(), '.docker');
}

async function readDockerConfig(dir: string): Promise<DockerConfig | undefined> {
  let text: string;
  try { text = await readFile(join(dir, 'config.json'), 'utf8'); } catch { return undefined; }
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? v as DockerConfig : undefined;
  } catch { return undefined; }
}

/** Looks a host up: secret storage first (what the user gave CubeLab), then Docker's config. */
export async function findCredentials(host: string, o: CredentialOptions = {}): Promise<Credential | undefined> {
  const mode = o.mode ?? 'auto';
  if (mode === 'none') return undefined;
  if ((mode === 'auto' || mode === 'secretStorage') && o.secrets) {
    const stored = await o.secrets.get(secretKey(host));
    if (stored) {
      try {
        const v = JSON.parse(stored) as { username?: unknown; secret?: unknown; token?: unknown };
        if (typeof v.username === 'string' && typeof v.secret === 'string') {
          return v.token === true
            ? { username: v.username, identityToken: v.secret, source: 'VS Code secret storage' }
            : { username: v.username, password: v.secret, source: 'VS Code secret storage' };
        }
      } catch { /* a broken entry counts as none */ }
    }
  }
  if (mode === 'secretStorage') return undefined;
  return fromDockerConfig(host, o);
}

export async function fromDockerConfig(host: string, o: CredentialOptions = {}): Promise<Credential | undefined> {
  const env = o.env ?? process.env;
  const config = await readDockerConfig(o.dockerConfigDir ?? dockerConfigDir(env));
  if (!config) return undefined;
  const keys = dockerKeys(host);
  const helpers = config.credHelpers ?? {};
  for (const k of keys) {
    const h = helpers[k];
    if (typeof h === 'string' && h) return helperGet(h, k, env, o.helperTimeoutMs);
  }
  if (typeof config.credsStore === 'string' && config.credsStore) {
    for (const k of keys) {
      const c = await helperGet(config.credsStore, k, env, o.helperTimeoutMs);
      if (c) return c;
    }
  }
  const auths = config.auths ?? {};
  for (const k of keys) {
    const a = auths[k];
    if (!a || typeof a !== 'object') continue;
    if (typeof a.identitytoken === 'string' && a.identitytoken) {
      return { username: typeof a.username === 'string' ? a.username : '', identityToken: a.identitytoken, source: 'Docker config (auths, identity token)' };
    }
    if (typeof a.auth === 'string' && a.auth) {
      const decoded = Buffer.from(a.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1), source: 'Docker config (auths)' };
    }
    if (typeof a.username === 'string' && typeof a.password === 'string') return { username: a.username, password: a.password, source: 'Docker config (auths)' };
  }
  return undefined;
}

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Runs `docker-credential-<name> <verb>` with `input` on stdin; its stdout, or the failure. */
function runHelper(name: string, verb: 'get' | 'store' | 'erase' | 'list', input: string, env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<{ code: number; out: string; err: string }> {
  if (!HELPER_NAME.test(name)) return Promise.reject(new Error(`"${name}" is not a credential helper name.`));
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${name}`, [verb], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill(); reject(new Error(`the credential helper docker-credential-${name} did not answer within ${timeoutMs / 1000} s`)); }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { if (out.length < 1 << 20) out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (err.length < 1 << 16) err += d; });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ENOENT' ? `the credential helper docker-credential-${name} (named in Docker's config) is not on the PATH` : e.message));
    });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, out, err }); });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

const NOT_FOUND = /credentials not found|not found in native keychain|no credentials/i;

export async function helperGet(name: string, serverUrl: string, env: NodeJS.ProcessEnv = process.env, timeoutMs?: number): Promise<Credential | undefined> {
  const r = await runHelper(name, 'get', serverUrl, env, timeoutMs);
  if (r.code !== 0) {
    if (NOT_FOUND.test(r.out) || NOT_FOUND.test(r.err)) return undefined;
    throw new Error(`the credential helper docker-credential-${name} failed (exit ${r.code}): ${(r.err || r.out).trim().slice(0, 200)}`);
  }
  let v: { Username?: unknown; Secret?: unknown };
  try { v = JSON.parse(r.out) as typeof v; } catch { throw new Error(`the credential helper docker-credential-${name} printed something that is not JSON`); }
  if (typeof v.Secret !== 'string' || !v.Secret) return undefined;
  const user = typeof v.Username === 'string' ? v.Username : '';
  const source = `credential helper "${name}"`;
  return user === '<token>' ? { username: '', identityToken: v.Secret, source } : { username: user, password: v.Secret, source };
}

export async function helperStore(name: string, serverUrl: string, username: string, secret: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const r = await runHelper(name, 'store', JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret }), env);
  if (r.code !== 0) throw new Error(`the credential helper docker-credential-${name} could not store the credentials (exit ${r.code}): ${(r.err || r.out).trim().slice(0, 200)}`);
}

export async function helperErase(name: string, serverUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const r = await runHelper(name, 'erase', serverUrl, env);
  if (r.code !== 0 && !NOT_FOUND.test(r.out + r.err)) throw new Error(`the credential helper docker-credential-${name} could not erase the credentials (exit ${r.code})`);
}

/** Keeps credentials in secret storage (user name and secret as one JSON value under a per-host key). */
export async function storeSecret(secrets: SecretStore, host: string, username: string, secret: string, token = false): Promise<void> {
  await secrets.store(secretKey(host), JSON.stringify({ username, secret, ...(token ? { token: true } : {}) }));
}

export async function eraseSecret(secrets: SecretStore, host: string): Promise<void> {
  await secrets.delete(secretKey(host));
}

/** A provider that looks once and remembers (until `forget()`: after a refusal, the next call looks again). */
export function credentialProvider(host: string, o: CredentialOptions): CredentialProvider & { forget(): void } {
  let cached: Promise<Credential | undefined> | undefined;
  const f = (() => (cached ??= findCredentials(host, o))) as CredentialProvider & { forget(): void };
  f.forget = () => { cached = undefined; };
  return f;
}
