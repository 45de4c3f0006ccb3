/**
 * Pull as cube: the cube's manifest, parameters files, additional files and card are written into a folder,
 * and its image pulled by digest. Every blob is verified against its digest as it arrives (the manifest against
 * the digest asked for); a blob taken from the cache is verified again before it is used; the image digest is
 * checked in the registry and again in the engine. Everything is written into a staging folder beside the
 * destination and moved into place only when all of it verified, so a refusal leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BlobCache, Placement } from './cache';
import type { RegistryClient } from './client';
import type { Credential } from './credentials';
import type { ImageEngine } from './dockerImages';
import { DigestMismatchError, RegistryError, untrusted } from './errors';
import { mapLimit } from './browse';
import { isRepositoryName, isTag } from './names';
import { ANNOTATION, MEDIA, isCube, parseCubeConfig, type CubeConfig, type Descriptor, type ImageManifest } from './oci';
import { entryPath } from './tarExtract';
import { ADDITIONAL_FILES, FILES_PATH_ANNOTATION } from './publish';

export interface PullOptions {
  client: RegistryClient;
  repository: string;
  /** A version, an alias or a digest. */
  reference: string;
  /** The folder to write: it must not exist, or be empty. */
  dest: string;
  cache: BlobCache;
  /** The engine to pull the image into (none: files only). */
  engine?: ImageEngine;
  credentials?: () => Promise<Credential | undefined>;
  progress?: (message: string, current?: number, total?: number) => void;
  signal?: AbortSignal;
}

export interface PullResult {
  dest: string;
  manifest: string;
  digest: string;
  config: CubeConfig;
  files: string[];
  image?: { reference: string; digest: string; name: string; pulled: boolean };
}

interface Planned { layer: Descriptor; file: string; kind: 'file' | 'tar'; rel: string }

/** Where each layer goes (relative POSIX paths, checked: the titles are untrusted). */
function planLayers(layers: Descriptor[]): Planned[] {
  const out: Planned[] = [];
  const seen = new Set<string>();
  let manifests = 0;
  for (const l of layers) {
    const title = l.annotations?.[ANNOTATION.title] ?? '';
    const name = untrusted(title, 120);
    let rel: string;
    let kind: 'file' | 'tar' = 'file';
    if (l.mediaType === MEDIA.cubeManifest) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$/.test(title)) throw new RegistryError(`The cube's manifest layer is named "${name}": not a manifest file name; refused.`, 'refused');
      rel = title;
      manifests++;
    } else if (l.mediaType === MEDIA.cubeParameters) {
      rel = entryPath(title);
      if (!rel.startsWith('workspace/')) throw new RegistryError(`The parameters file "${name}" is not in the cube's workspace folder: refused.`, 'refused');
    } else if (l.mediaType === MEDIA.cubeFiles) {
      rel = entryPath(l.annotations?.[FILES_PATH_ANNOTATION] ?? ADDITIONAL_FILES);
      if (!rel.startsWith('workspace/')) throw new RegistryError(`The additional files' folder "${untrusted(rel, 120)}" is not in the cube's workspace folder: refused.`, 'refused');
      kind = 'tar';
    } else if (l.mediaType === MEDIA.cubeCard) {
      rel = 'README.md';
    } else {
      continue; // a layer of a later format version: not written
    }
    if (!rel || seen.has(rel)) throw new RegistryError(`The cube names "${untrusted(rel, 120)}" twice: refused.`, 'refused');
    seen.add(rel);
    out.push({ layer: l, file: kind === 'tar' ? 'additional_files.tar' : rel, kind, rel });
  }
  if (manifests !== 1) throw new RegistryError(`The cube has ${manifests} manifest layers (one expected): refused.`, 'refused');
  return out;
}

/** Where a cube is pulled to: a new folder or an empty one (refused otherwise). */
export async function emptyOrMissing(dir: string): Promise<'missing' | 'empty'> {
  let st;
  try { st = await stat(dir); } catch { return 'missing'; }
  if (!st.isDirectory()) throw new RegistryError(`${dir} exists and is not a folder.`, 'refused');
  if ((await readdir(dir)).length) throw new RegistryError(`${dir} is not empty: pull a cube into a new or empty folder.`, 'refused');
  return 'empty';
}

export async function pullCube(o: PullOptions): Promise<PullResult> {
  const { client, repository, reference, cache, signal } = o;
  const progress = o.progress ?? (() => undefined);
  if (!isRepositoryName(repository)) throw new RegistryError(`"${repository}" is not a repository name.`, 'refused');
  if (!isTag(reference) && !/^sha256:[a-f0-9]{64}$/.test(reference)) throw new RegistryError(`"${reference}" is neither a tag nor a digest.`, 'refused');
  const state = await emptyOrMissing(o.dest);
  progress(`Reading ${repository}:${reference}`);
  const m = await client.manifest(repository, reference, signal);
  if (!isCube(m.manifest)) {
    const mm = m.manifest as Partial<ImageManifest> & { mediaType: string };
    const kind = mm.artifactType ?? mm.config?.mediaType ?? mm.mediaType;
    throw new RegistryError(`${repository}:${reference} is not a CubeLab cube (${untrusted(kind, 80)}).`, 'refused');
  }
  const manifest = m.manifest;
  const layers = planLayers(manifest.layers);

  /** A verified small blob: from the cache (verified again) or the registry (verified, then cached). */
  const small = async (d: Descriptor, file: string, max: number): Promise<Buffer> => {
    if (d.size > max) throw new RegistryError(`${file} is ${d.size} bytes: more than ${max} allowed.`, 'refused');
    const cached = await cache.verified(d.digest, file);
    if (cached) return readFile(cached);
    const buf = await client.blob(repository, d.digest, file, max, signal);
    const tmp = await cache.temp();
    await writeFile(tmp, buf);
    await cache.adopt(tmp, d.digest);
    return buf;
  };
  const config = parseCubeConfig(await small(manifest.config, 'the cube config', 1 << 20), 'The cube config');
  if (manifest.subject && manifest.subject.digest !== config.image.digest) {
    throw new DigestMismatchError('the image', config.image.digest, manifest.subject.digest, 'the image the cube is linked to');
  }

  const staging = join(dirname(o.dest), `.${basename(o.dest)}.cubelab-pull-${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  const files: string[] = [];
  try {
    const total = layers.reduce((n, p) => n + p.layer.size, 0);
    let done = 0;
    const onBytes = (n: number): void => { done += n; progress(`Downloading ${repository}:${reference}`, done, total); };
    // Layers four at a time; the first failure stops the others, and all have settled before staging goes.
    const stop = new AbortController();
    const onOuterAbort = (): void => stop.abort();
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    const failures: unknown[] = [];
    await mapLimit(layers, 4, (p) => fetchLayer(p).catch((e: unknown) => { failures.push(e); stop.abort(); }));
    signal?.removeEventListener('abort', onOuterAbort);
    if (failures.length) throw failures.find((e) => e instanceof DigestMismatchError) ?? failures[0];
    async function fetchLayer(p: Planned): Promise<void> {
      if (stop.signal.aborted) return;
      const target = join(staging, ...p.rel.split('/'));
      await mkdir(p.kind === 'tar' ? target : dirname(target), { recursive: true });
      const place: Placement = p.kind === 'tar' ? { mode: 'extract', target } : { mode: 'copy', target };
      const cached = await cache.useCached(p.layer.digest, p.file, place);
      if (cached) {
        onBytes(p.layer.size);
        files.push(...(p.kind === 'tar' ? cached.files.map((f) => join(p.rel, f)) : [p.rel]));
        return;
      }
      const got = await cache.ingest((sink) => client.blobInto(repository, p.layer.digest, p.file, sink, stop.signal), p.layer.digest, p.layer.size, p.file, `what ${client.host} sent`, place, onBytes);
      files.push(...(p.kind === 'tar' ? got.files.map((f) => join(p.rel, f)) : [p.rel]));
    }

    // The image, by digest, before anything is moved into place.
    let image: PullResult['image'];
    if (o.engine) image = await pullImage(o, config, progress);

    if (state === 'missing') {
      await mkdir(dirname(o.dest), { recursive: true });
      await rename(staging, o.dest);
    } else {
      for (const name of await readdir(staging)) await rename(join(staging, name), join(o.dest, name));
      await rmdir(staging);
    }
    const manifestRel = layers.find((l) => l.layer.mediaType === MEDIA.cubeManifest)?.rel ?? 'mlcube.yaml';
    return { dest: o.dest, manifest: join(o.dest, manifestRel), digest: m.digest, config, files: files.sort(), ...(image ? { image } : {}) };
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
}

async function pullImage(o: PullOptions, config: CubeConfig, progress: NonNullable<PullOptions['progress']>): Promise<PullResult['image']> {
  const engine = o.engine as ImageEngine;
  const { client } = o;
  const { repository: imageRepo, digest, name } = config.image;
  const prefix = `${client.host}/`;
  if (!imageRepo.startsWith(prefix)) throw new RegistryError(`The cube's image is in another registry (${untrusted(imageRepo, 120)}): CubeLab pulls images from the cube's own registry only.`, 'refused');
  const repoInRegistry = imageRepo.slice(prefix.length);
  if (!isRepositoryName(repoInRegistry)) throw new RegistryError(`The cube's image repository "${untrusted(imageRepo, 120)}" is not a repository name.`, 'refused');
  // The registry holds exactly that manifest (its bytes hash to the digest).
  await client.manifest(repoInRegistry, digest, o.signal);
  const ref = `${imageRepo}@${digest}`;
  const has = (info: { repoDigests: string[] } | undefined): boolean => !!info?.repoDigests.includes(ref);
  let pulled = false;
  if (!has(await engine.inspect(ref).catch(() => undefined))) {
    progress(`Pulling the image ${ref}`);
    await engine.pull(imageRepo, digest, await o.credentials?.(), client.host, (msg, c, t) => progress(msg, c, t));
    pulled = true;
  }
  const info = await engine.inspect(ref);
  if (!info || !has(info)) {
    throw new DigestMismatchError('the image', digest, info?.repoDigests.join(', ') || 'no digest', `the image the engine holds for ${imageRepo}`);
  }
  // The manifest names its image by `docker.image`: that name now means the pinned image.
  if (name && name !== ref && /^[a-z0-9][a-z0-9._/:-]*$/i.test(name) && !name.includes('@')) await engine.tag(ref, name);
  return { reference: ref, digest, name, pulled };
}
