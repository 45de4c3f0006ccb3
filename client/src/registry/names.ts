/**
 * Registry endpoints (the `cubelab.registries` setting), repository names, tags and digests, as the OCI
 * Distribution specification writes them. Plain HTTP is allowed for loopback addresses only.
 */
import { isIP } from 'node:net';
import { RegistryError } from './errors';

/** One entry of `cubelab.registries`, as the user writes it. */
export interface RegistrySetting {
  name?: string;
  /** `https://ghcr.io`, `registry.example.com:5000` (HTTPS implied) or `http://127.0.0.1:5000` (loopback only). */
  url: string;
  /** A PEM file with the CA (or CAs) that signed the registry's certificate, added to the system store. */
  caFile?: string;
  /** Repositories to list when the registry serves no catalog (or `catalog` is false). */
  repositories?: string[];
  /** Whether to ask the registry's catalog (default true; Docker Hub and GHCR serve none). */
  catalog?: boolean;
  /** Where Publish proposes new repositories: `<namespace>/<cube name>`. */
  namespace?: string;
  /** Where credentials come from: both stores (default), Docker's config only, VS Code's secret storage only, or none. */
  credentials?: 'auto' | 'docker' | 'secretStorage' | 'none';
}

export interface RegistryEndpoint {
  name: string;
  scheme: 'http' | 'https';
  /** `host[:port]` as Docker writes it (`127.0.0.1:5000`, `ghcr.io`). */
  host: string;
  hostname: string;
  port: number;
  /** `scheme://host/` */
  base: string;
  caFile?: string;
  repositories: string[];
  catalog: boolean;
  namespace: string;
  credentials: 'auto' | 'docker' | 'secretStorage' | 'none';
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** Docker Hub's names, all of which mean the same registry. */
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
export function isDockerHub(host: string): boolean { return DOCKER_HUB.has(host.toLowerCase()); }

/** Parses one `cubelab.registries` entry. */
export function parseRegistrySetting(s: unknown, index = 0): RegistryEndpoint {
  if (!s || typeof s !== 'object') throw new RegistryError(`cubelab.registries[${index}] is not an object.`, 'config');
  const o = s as Record<string, unknown>;
  if (typeof o.url !== 'string' || !o.url.trim()) throw new RegistryError(`cubelab.registries[${index}] has no "url".`, 'config');
  let raw = o.url.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) raw = `https://${raw}`;
  let u: URL;
  try { u = new URL(raw); } catch { throw new RegistryError(`cubelab.registries[${index}].url "${o.url}" is not a URL.`, 'config'); }
  const scheme = u.protocol === 'http:' ? 'http' : u.protocol === 'https:' ? 'https' : undefined;
  if (!scheme) throw new RegistryError(`cubelab.registries[${index}].url: "${u.protocol}" is not http or https.`, 'config');
  if (u.username || u.password) throw new RegistryError(`cubelab.registries[${index}].url holds credentials: CubeLab never reads them from settings. Use Docker's config or "CubeLab: Sign In to Registry".`, 'config');
  if (u.pathname !== '/' && u.pathname !== '') throw new RegistryError(`cubelab.registries[${index}].url "${o.url}" has a path; give the registry's host (and port) only.`, 'config');
  if (scheme === 'http' && !isLoopback(u.hostname)) {
    throw new RegistryError(`cubelab.registries[${index}].url "${o.url}": plain HTTP is allowed for loopback addresses only (127.0.0.1, ::1, localhost); use https.`, 'config');
  }
  const port = u.port ? Number(u.port) : scheme === 'https' ? 443 : 80;
  let host = u.host.toLowerCase();
  if (isDockerHub(u.hostname)) host = 'registry-1.docker.io';
  const repositories = Array.isArray(o.repositories) ? o.repositories.filter((r): r is string => typeof r === 'string' && isRepositoryName(r)) : [];
  const credentials = o.credentials === 'docker' || o.credentials === 'secretStorage' || o.credentials === 'none' ? o.credentials : 'auto';
  const name = typeof o.name === 'string' && o.name.trim() ? o.name.trim() : host;
  const namespace = typeof o.namespace === 'string' ? o.namespace.replace(/^\/+|\/+$/g, '') : '';
  if (namespace && !isRepositoryName(namespace)) throw new RegistryError(`cubelab.registries[${index}].namespace "${namespace}" is not a repository path.`, 'config');
  return {
    name, scheme, host, hostname: u.hostname.replace(/^\[|\]$/g, ''), port, base: `${scheme}://${host}/`,
    ...(typeof o.caFile === 'string' && o.caFile ? { caFile: o.caFile } : {}),
    repositories, catalog: o.catalog !== false, namespace, credentials,
  };
}

/** The OCI distribution grammar for `<name>` (path components of lowercase alphanumerics and separators). */
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${COMPONENT}(?:\\/${COMPONENT})*$`);
export function isRepositoryName(s: string): boolean { return s.length > 0 && s.length <= 255 && REPOSITORY.test(s); }

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export function isTag(s: string): boolean { return TAG.test(s); }

const DIGEST = /^sha256:[a-f0-9]{64}$/;
export function isDigest(s: string): boolean { return DIGEST.test(s); }

/** A suggested repository name from a cube's name (lowercase, separators the grammar allows). */
export function repositoryFor(name: string, namespace = ''): string {
  const part = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '').replace(/[._-]{2,}/g, '-') || 'cube';
  return namespace ? `${namespace}/${part}` : part;
}

/** Tags CubeLab keeps for itself in a cube's repository: the referrers fallback index and the pushed image. */
export const IMAGE_TAG_PREFIX = 'image-';
export function isFallbackTag(tag: string): boolean { return /^sha256-[a-f0-9]{64}$/.test(tag); }
export function fallbackTag(digest: string): string { return digest.replace(':', '-'); }

export function checkRepository(repository: string): void {
  if (!isRepositoryName(repository)) {
    throw new RegistryError(`"${repository}" is not a repository name: lowercase letters and digits, separated by ".", "_", "__", "-" or "/".`, 'refused');
  }
}

export function checkVersionTag(tag: string, what = 'version'): void {
  if (!isTag(tag)) throw new RegistryError(`"${tag}" is not a valid ${what}: letters, digits, "_", "." and "-", at most 128, not starting with "." or "-".`, 'refused');
  if (isFallbackTag(tag) || /^sha256-/.test(tag)) throw new RegistryError(`"${tag}" is reserved for the referrers fallback index.`, 'refused');
  if (tag.startsWith(IMAGE_TAG_PREFIX)) throw new RegistryError(`"${tag}": tags starting with "${IMAGE_TAG_PREFIX}" hold the cubes' images in this repository.`, 'refused');
}
