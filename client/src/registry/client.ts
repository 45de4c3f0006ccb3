/**
 * The Distribution API operations CubeLab uses (OCI Distribution spec 1.1): the catalog and tag lists (paged
 * with `n`/`last` and `Link`), manifests (fetched and verified by digest), blobs (existence, monolithic upload,
 * download), deletes, and the referrers of a manifest (the referrers API, else the fallback tag
 * `sha256-<hex>` holding an image index).
 */
import type { Readable } from 'node:stream';
import { DigestMismatchError, RegistryError } from './errors';
import { RegistryHttp, errorBody, type HttpOptions, type RegistryResponse } from './http';
import { checkRepository, fallbackTag, isDigest, type RegistryEndpoint } from './names';
import { MANIFEST_ACCEPT, MEDIA, isIndex, parseManifest, sha256, jsonBytes, type Descriptor, type ImageIndex, type ImageManifest } from './oci';

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  manifest: ImageManifest | ImageIndex;
}

export const pullScope = (repo: string): string => `repository:${repo}:pull`;
export const pushScope = (repo: string): string => `repository:${repo}:pull,push`;
export const deleteScope = (repo: string): string => `repository:${repo}:delete`;

/** The `last` value of a `Link: <...?last=x&n=y>; rel="next"` header. */
export function nextLast(link: string | string[] | undefined): string | undefined {
  const text = Array.isArray(link) ? link.join(',') : link;
  if (!text) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(text);
  if (!m?.[1]) return undefined;
  try { return new URL(m[1], 'http://x').searchParams.get('last') ?? undefined; } catch { return undefined; }
}

export class RegistryClient {
  readonly http: RegistryHttp;
  constructor(options: HttpOptions) { this.http = new RegistryHttp(options); }

  get registry(): RegistryEndpoint { return this.http.registry; }
  get host(): string { return this.http.registry.host; }

  fail(res: RegistryResponse, what: string): RegistryError {
    const detail = errorBody(res.body);
    const code = res.status === 404 ? 'not-found' : res.status === 403 ? 'denied' : res.status === 405 ? 'unsupported' : 'http';
    return new RegistryError(`${what}: ${this.host} answered HTTP ${res.status}${detail ? ` (${detail})` : ''}.`, code, res.status);
  }

  /** `GET /v2/`: the registry speaks the API, and the credentials (if any are asked for) are accepted. */
  async ping(signal?: AbortSignal): Promise<void> {
    const res = await this.http.request({ method: 'GET', path: 'v2/', ...(signal ? { signal } : {}) });
    if (res.status !== 200) throw this.fail(res, `${this.host} is not an OCI registry (GET /v2/)`);
  }

  /** One page of the catalog. Throws `unsupported`/`denied`/`auth` when the registry does not serve it to us. */
  async catalog(n: number, last?: string, signal?: AbortSignal): Promise<{ repositories: string[]; next?: string }> {
    const q = new URLSearchParams({ n: String(n) });
    if (last) q.set('last', last);
    const res = await this.http.request({ method: 'GET', path: `v2/_catalog?${q}`, scope: 'registry:catalog:*', ...(signal ? { signal } : {}) });
    if (res.status === 404 || res.status === 405) throw new RegistryError(`${this.host} serves no catalog.`, 'unsupported', res.status);
    if (res.status !== 200) throw this.fail(res, 'The catalog');
    const v = safeJson(res.body) as { repositories?: unknown } | undefined;
    const repositories = Array.isArray(v?.repositories) ? v.repositories.filter((r): r is string => typeof r === 'string') : [];
    const next = nextLast(res.headers.link);
    return { repositories, ...(next ? { next } : {}) };
  }

  async tags(repo: string, n = 1000, last?: string, signal?: AbortSignal): Promise<{ tags: string[]; next?: string }> {
    checkRepository(repo);
    const q = new URLSearchParams({ n: String(n) });
    if (last) q.set('last', last);
    const res = await this.http.request({ method: 'GET', path: `v2/${repo}/tags/list?${q}`, scope: pullScope(repo), ...(signal ? { signal } : {}) });
    if (res.status === 404) return { tags: [] };
    if (res.status !== 200) throw this.fail(res, `The tags of ${repo}`);
    const v = safeJson(res.body) as { tags?: unknown } | undefined;
    const tags = Array.isArray(v?.tags) ? v.tags.filter((t): t is string => typeof t === 'string') : [];
    const next = nextLast(res.headers.link);
    return { tags, ...(next ? { next } : {}) };
  }

  /** Every tag of a repository (at most `max`). */
  async allTags(repo: string, max = 10_000, signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await this.tags(repo, 1000, last, signal);
      out.push(...page.tags);
      if (!page.next || out.length >= max || page.next === last) break;
      last = page.next;
    }
    return out.slice(0, max);
  }

  /** A manifest by tag or digest; its bytes hash to the digest asked for (or the one the registry names). */
  async manifest(repo: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    checkRepository(repo);
    const res = await this.http.request({ method: 'GET', path: `v2/${repo}/manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT }, scope: pullScope(repo), ...(signal ? { signal } : {}) });
    if (res.status === 404) throw new RegistryError(`${repo}:${reference} is not in ${this.host}.`, 'not-found', 404);
    if (res.status !== 200) throw this.fail(res, `The manifest ${repo}:${reference}`);
    const digest = sha256(res.body);
    const named = res.headers['docker-content-digest'];
    if (isDigest(reference) && reference !== digest) throw new DigestMismatchError(`the manifest ${repo}@${reference}`, reference, digest, `what ${this.host} sent`);
    if (typeof named === 'string' && isDigest(named) && named !== digest) throw new DigestMismatchError(`the manifest ${repo}:${reference}`, named, digest, `what ${this.host} sent`);
    const manifest = parseManifest(res.body, `The manifest ${repo}:${reference}`);
    const ct = String(res.headers['content-type'] ?? '').split(';')[0]?.trim();
    return { digest, mediaType: manifest.mediaType || ct || MEDIA.ociManifest, bytes: res.body, manifest };
  }

  /** The digest a tag points to (HEAD), or undefined when the tag does not exist. */
  async resolve(repo: string, reference: string, signal?: AbortSignal): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    checkRepository(repo);
    const res = await this.http.request({ method: 'HEAD', path: `v2/${repo}/manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT }, scope: pullScope(repo), ...(signal ? { signal } : {}) });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.fail(res, `The manifest ${repo}:${reference}`);
    const digest = res.headers['docker-content-digest'];
    if (typeof digest !== 'string' || !isDigest(digest)) {
      // Without the header: fetch it and hash.
      const m = await this.manifest(repo, reference, signal);
      return { digest: m.digest, mediaType: m.mediaType, size: m.bytes.length };
    }
    return { digest, mediaType: String(res.headers['content-type'] ?? '').split(';')[0] ?? '', size: Number(res.headers['content-length'] ?? 0) };
  }

  /** Pushes a manifest under a tag (or its digest); returns its digest and the `OCI-Subject` header (referrers API). */
  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string, signal?: AbortSignal): Promise<{ digest: string; subjectProcessed: boolean }> {
    checkRepository(repo);
    const res = await this.http.request({ method: 'PUT', path: `v2/${repo}/manifests/${reference}`, headers: { 'content-type': mediaType }, body: bytes, scope: pushScope(repo), ...(signal ? { signal } : {}) });
    if (res.status !== 201 && res.status !== 200) throw this.fail(res, `Pushing the manifest ${repo}:${reference}`);
    const digest = sha256(bytes);
    const named = res.headers['docker-content-digest'];
    if (typeof named === 'string' && isDigest(named) && named !== digest) throw new DigestMismatchError(`the manifest pushed as ${repo}:${reference}`, digest, named, `what ${this.host} stored`);
    return { digest, subjectProcessed: typeof res.headers['oci-subject'] === 'string' };
  }

  async deleteManifest(repo: string, digest: string, signal?: AbortSignal): Promise<void> {
    checkRepository(repo);
    if (!isDigest(digest)) throw new RegistryError(`"${digest}" is not a digest.`, 'refused');
    const res = await this.http.request({ method: 'DELETE', path: `v2/${repo}/manifests/${digest}`, scope: deleteScope(repo), ...(signal ? { signal } : {}) });
    if (res.status === 202 || res.status === 200 || res.status === 404) return;
    if (res.status === 405) throw new RegistryError(`${this.host} does not allow deleting manifests (HTTP 405; a Distribution registry needs storage.delete.enabled).`, 'unsupported', 405);
    throw this.fail(res, `Deleting ${repo}@${digest}`);
  }

  async blobExists(repo: string, digest: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.http.request({ method: 'HEAD', path: `v2/${repo}/blobs/${digest}`, scope: pushScope(repo), ...(signal ? { signal } : {}) });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.fail(res, `Looking for blob ${digest} in ${repo}`);
  }

  /** A monolithic upload (POST then PUT with the digest); skipped when the registry has the blob. */
  async uploadBlob(repo: string, digest: string, size: number, body: Buffer | (() => Readable), signal?: AbortSignal): Promise<'uploaded' | 'exists'> {
    checkRepository(repo);
    if (await this.blobExists(repo, digest, signal)) return 'exists';
    const start = await this.http.request({ method: 'POST', path: `v2/${repo}/blobs/uploads/`, scope: pushScope(repo), ...(signal ? { signal } : {}) });
    if (start.status !== 202 || typeof start.headers.location !== 'string') throw this.fail(start, `Starting the upload of ${digest} to ${repo}`);
    const loc = new URL(start.headers.location, this.registry.base);
    loc.searchParams.set('digest', digest);
    const res = await this.http.request({
      method: 'PUT', path: loc.href, headers: { 'content-type': 'application/octet-stream' }, body, bodyLength: size, scope: pushScope(repo),
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 201) {
      if (res.status === 400 && /DIGEST_INVALID/.test(res.body.toString('utf8'))) throw new RegistryError(`${this.host} computed another digest for the blob uploaded as ${digest}.`, 'digest', 400);
      throw this.fail(res, `Uploading ${digest} to ${repo}`);
    }
    return 'uploaded';
  }

  /** A small blob in memory, verified against its digest. */
  async blob(repo: string, digest: string, file: string, maxBytes = 4 << 20, signal?: AbortSignal): Promise<Buffer> {
    const res = await this.http.request({ method: 'GET', path: `v2/${repo}/blobs/${digest}`, scope: pullScope(repo), maxBytes, ...(signal ? { signal } : {}) });
    if (res.status === 404) throw new RegistryError(`${file} (${digest}) is missing from ${repo} in ${this.host}.`, 'not-found', 404);
    if (res.status !== 200) throw this.fail(res, `Downloading ${file}`);
    const got = sha256(res.body);
    if (got !== digest) throw new DigestMismatchError(file, digest, got, `what ${this.host} sent`);
    return res.body;
  }

  /**
   * A blob handed to `sink` chunk by chunk as it arrives (redirects followed, authentication done); the caller
   * verifies what it receives. A sink that throws stops the download.
   */
  async blobInto(repo: string, digest: string, file: string, sink: (chunk: Buffer) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.http.request({ method: 'GET', path: `v2/${repo}/blobs/${digest}`, scope: pullScope(repo), sink, ...(signal ? { signal } : {}) });
    if (res.status === 404) throw new RegistryError(`${file} (${digest}) is missing from ${repo} in ${this.host}.`, 'not-found', 404);
    if (res.status !== 200) throw this.fail(res, `Downloading ${file}`);
  }

  /**
   * The manifests that name `digest` as their subject: the referrers API where the registry has one, else the
   * fallback tag's index (OCI Distribution 1.1, "Referrers tag schema").
   */
  async referrers(repo: string, digest: string, artifactType?: string, signal?: AbortSignal): Promise<{ via: 'api' | 'tag'; descriptors: Descriptor[] }> {
    checkRepository(repo);
    const q = artifactType ? `?${new URLSearchParams({ artifactType })}` : '';
    const res = await this.http.request({ method: 'GET', path: `v2/${repo}/referrers/${digest}${q}`, headers: { accept: MEDIA.ociIndex }, scope: pullScope(repo), ...(signal ? { signal } : {}) });
    const filter = (list: Descriptor[]): Descriptor[] => (artifactType ? list.filter((d) => d.artifactType === artifactType) : list);
    if (res.status === 200 && /application\/vnd\.oci\.image\.index\.v1\+json|application\/json/.test(String(res.headers['content-type'] ?? ''))) {
      const idx = parseManifest(res.body, `The referrers of ${repo}@${digest}`);
      return { via: 'api', descriptors: filter(isIndex(idx) ? idx.manifests : []) };
    }
    if (res.status !== 404 && res.status !== 405 && res.status !== 400) throw this.fail(res, `The referrers of ${repo}@${digest}`);
    const index = await this.fallbackIndex(repo, digest, signal);
    return { via: 'tag', descriptors: filter(index?.index.manifests ?? []) };
  }

  /** Whether the registry has the referrers API (a 200 for any digest; 404 for an unknown route). */
  async hasReferrersApi(repo: string, digest: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.http.request({ method: 'GET', path: `v2/${repo}/referrers/${digest}`, headers: { accept: MEDIA.ociIndex }, scope: pullScope(repo), ...(signal ? { signal } : {}) });
    return res.status === 200;
  }

  /** The fallback tag's index for `digest` (undefined when the tag does not exist). */
  async fallbackIndex(repo: string, digest: string, signal?: AbortSignal): Promise<{ index: ImageIndex; digest: string } | undefined> {
    const tag = fallbackTag(digest);
    let m: FetchedManifest;
    try { m = await this.manifest(repo, tag, signal); } catch (e) {
      if (e instanceof RegistryError && e.code === 'not-found') return undefined;
      throw e;
    }
    if (!isIndex(m.manifest)) throw new RegistryError(`The referrers fallback tag ${repo}:${tag} does not hold an image index.`, 'protocol');
    return { index: m.manifest, digest: m.digest };
  }

  /** Adds (or removes) a descriptor in the fallback tag's index of `subject`. */
  async updateFallbackIndex(repo: string, subject: string, change: { add?: Descriptor; remove?: string }, signal?: AbortSignal): Promise<void> {
    const current = await this.fallbackIndex(repo, subject, signal);
    const manifests = (current?.index.manifests ?? []).filter((d) => d.digest !== change.add?.digest && d.digest !== change.remove);
    if (change.add) manifests.push(change.add);
    if (!current && !change.add) return;
    const index: ImageIndex = { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests };
    await this.putManifest(repo, fallbackTag(subject), jsonBytes(index), MEDIA.ociIndex, signal);
  }

  dispose(): void { this.http.dispose(); }
}

function safeJson(b: Buffer): unknown {
  try { return JSON.parse(b.toString('utf8')); } catch { return undefined; }
}
