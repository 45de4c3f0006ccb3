/**
 * The data layer of the Registries view (pure Node): a registry's repositories a page at a time (its catalog,
 * or the repositories the user listed when it serves none), a repository's cube versions and aliases (its
 * tags, each manifest classified), a cube's config and card (verified blobs), and the filter on names, tasks
 * and card text. Everything it returns came from the registry: untrusted text for the view to show as text.
 */
import { RegistryError } from './errors';
import type { RegistryClient } from './client';
import { IMAGE_TAG_PREFIX, isFallbackTag } from './names';
import { ANNOTATION, MEDIA, isCube, parseAliasHistory, parseCubeConfig, type AliasMove, type CubeConfig, type ImageManifest } from './oci';
import { cardSummary } from './card';

export interface RepositoryPage {
  repositories: string[];
  /** The cursor of the next page, when there is one. */
  next?: string;
  source: 'catalog' | 'listed';
  /** Why the listed repositories are shown (the catalog's refusal), for the view's message. */
  note?: string;
}

export interface CubeVersion {
  tag: string;
  digest: string;
  name: string;
  version: string;
  created: string;
  tasks: string[];
  description?: string;
  image?: string;
  manifest: ImageManifest;
}

export interface CubeAlias {
  tag: string;
  digest: string;
  /** The version manifest it points to, and that version's tag when it still exists. */
  target: string;
  targetVersion?: string;
  history: AliasMove[];
  manifest: ImageManifest;
}

export interface RepositoryCubes { repository: string; versions: CubeVersion[]; aliases: CubeAlias[]; otherTags: string[] }

export interface CubeDetails { config: CubeConfig; card: string; cardSummary: ReturnType<typeof cardSummary> }

/** Runs `f` over `items` with at most `n` at a time, results in order. */
export async function mapLimit<T, R>(items: T[], n: number, f: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => { for (let i = next++; i < items.length; i = next++) out[i] = await f(items[i] as T, i); };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** Every cube version and alias of a repository (CubeLab's own tags, images and fallback indexes left out). */
export async function listCubes(client: RegistryClient, repository: string, signal?: AbortSignal): Promise<RepositoryCubes> {
  const tags = await client.allTags(repository, 10_000, signal);
  const candidates = tags.filter((t) => !isFallbackTag(t) && !t.startsWith(IMAGE_TAG_PREFIX));
  const versions: CubeVersion[] = [];
  const aliases: CubeAlias[] = [];
  const otherTags: string[] = [];
  await mapLimit(candidates, 8, async (tag) => {
    let m;
    try { m = await client.manifest(repository, tag, signal); } catch (e) {
      if (e instanceof RegistryError && e.code === 'not-found') return; // deleted meanwhile
      throw e;
    }
    if (!isCube(m.manifest)) { otherTags.push(tag); return; }
    const a = m.manifest.annotations ?? {};
    if (a[ANNOTATION.alias]) {
      aliases.push({ tag, digest: m.digest, target: a[ANNOTATION.aliasTarget] ?? '', history: parseAliasHistory(a[ANNOTATION.aliasHistory]), manifest: m.manifest });
      return;
    }
    versions.push({
      tag, digest: m.digest, name: a[ANNOTATION.title] ?? repository, version: a[ANNOTATION.version] ?? tag, created: a[ANNOTATION.created] ?? '',
      tasks: (a[ANNOTATION.tasks] ?? '').split(',').map((t) => t.trim()).filter(Boolean),
      ...(a[ANNOTATION.description] ? { description: a[ANNOTATION.description] } : {}),
      ...(a[ANNOTATION.image] ? { image: a[ANNOTATION.image] } : {}),
      manifest: m.manifest,
    });
  });
  versions.sort((x, y) => (y.created.localeCompare(x.created)) || x.tag.localeCompare(y.tag));
  for (const al of aliases) {
    const v = versions.find((x) => x.digest === al.target);
    if (v) al.targetVersion = v.tag;
  }
  aliases.sort((x, y) => x.tag.localeCompare(y.tag));
  otherTags.sort();
  return { repository, versions, aliases, otherTags };
}

/** The config and card of a cube (version or alias), both verified against their digests. */
export async function cubeDetails(client: RegistryClient, repository: string, manifest: ImageManifest, signal?: AbortSignal): Promise<CubeDetails> {
  const config = parseCubeConfig(await client.blob(repository, manifest.config.digest, 'the cube config', 1 << 20, signal), 'The cube config');
  const cardLayer = manifest.layers.find((l) => l.mediaType === MEDIA.cubeCard);
  const card = cardLayer ? (await client.blob(repository, cardLayer.digest, 'README.md (the model card)', 1 << 20, signal)).toString('utf8') : '';
  return { config, card, cardSummary: cardSummary(card) };
}

/** Whether every word of `filter` is found (case-insensitively) in one of `fields`. */
export function matchesFilter(filter: string, fields: (string | undefined)[]): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const hay = fields.filter(Boolean).join('\n').toLowerCase();
  return words.every((w) => hay.includes(w));
}

export class RegistryBrowser {
  private catalogRefused: string | undefined;
  private readonly cubes = new Map<string, RepositoryCubes>();
  private readonly details = new Map<string, CubeDetails>();

  constructor(readonly client: RegistryClient, readonly pageSize = 100) {}

  get registry() { return this.client.registry; }

  /** One page of repositories; `cursor` is the previous page's `next`. */
  async page(cursor?: string, signal?: AbortSignal): Promise<RepositoryPage> {
    const reg = this.client.registry;
    if (reg.catalog && !this.catalogRefused) {
      try {
        const p = await this.client.catalog(this.pageSize, cursor, signal);
        return { repositories: p.repositories, ...(p.next ? { next: p.next } : {}), source: 'catalog' };
      } catch (e) {
        if (!(e instanceof RegistryError) || !['unsupported', 'denied', 'not-found'].includes(e.code)) throw e;
        this.catalogRefused = e.message;
        cursor = undefined;
      }
    }
    const all = [...reg.repositories].sort();
    const after = cursor;
    const start = after ? all.findIndex((r) => r > after) : 0;
    const slice = start < 0 ? [] : all.slice(start, start + this.pageSize);
    const more = start + this.pageSize < all.length;
    const note = reg.catalog
      ? `${reg.host} does not serve its catalog to CubeLab (${this.catalogRefused}); showing the repositories listed for it in cubelab.registries.`
      : `Showing the repositories listed for ${reg.host} in cubelab.registries (catalog: false).`;
    return { repositories: slice, ...(more && slice.length ? { next: slice[slice.length - 1] } : {}), source: 'listed', note };
  }

  /** A repository's cubes (cached until `refresh`). */
  async repository(repo: string, signal?: AbortSignal): Promise<RepositoryCubes> {
    const hit = this.cubes.get(repo);
    if (hit) return hit;
    const got = await listCubes(this.client, repo, signal);
    this.cubes.set(repo, got);
    return got;
  }

  known(repo: string): RepositoryCubes | undefined { return this.cubes.get(repo); }

  async cube(repo: string, manifest: ImageManifest, digest: string, signal?: AbortSignal): Promise<CubeDetails> {
    const hit = this.details.get(digest);
    if (hit) return hit;
    const d = await cubeDetails(this.client, repo, manifest, signal);
    this.details.set(digest, d);
    return d;
  }

  /** The text a filter is matched against: the name, tags, tasks and (when fetched) card text of its cubes. */
  filterFields(repo: string): string[] {
    const c = this.cubes.get(repo);
    const fields = [repo];
    if (!c) return fields;
    for (const v of c.versions) {
      fields.push(v.tag, v.name, v.description ?? '', ...v.tasks);
      const d = this.details.get(v.digest);
      if (d) fields.push(d.card);
    }
    for (const a of c.aliases) fields.push(a.tag);
    return fields;
  }

  /** Loads cubes and the newest version's card of `repos` (at most 8 at a time), so a filter sees their text. */
  async loadForFilter(repos: string[], signal?: AbortSignal): Promise<void> {
    await mapLimit(repos, 8, async (r) => {
      try {
        const c = await this.repository(r, signal);
        const newest = c.versions[0];
        if (newest) await this.cube(r, newest.manifest, newest.digest, signal);
      } catch { /* a repository that cannot be read is matched by name only */ }
    });
  }

  matches(repo: string, filter: string): boolean { return matchesFilter(filter, this.filterFields(repo)); }

  refresh(repo?: string): void {
    if (repo) this.cubes.delete(repo); else { this.cubes.clear(); this.catalogRefused = undefined; }
  }
}
