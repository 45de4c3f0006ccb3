/**
 * Publishing a cube: what goes into it (the manifest, the task inputs that are files in the workspace, the
 * additional files, the card), the image pushed into the cube's repository and pinned by digest, the artifact
 * pushed under its version tag and linked to the image (referrers API, else the fallback tag's index), aliases
 * moved with their history, and versions deleted.
 */
import { createReadStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import YAML from 'yaml';
import type { TaskPlan } from '../../../shared/lsp-protocol';
import { BlobCache } from './cache';
import { buildCard, type CardMetric } from './card';
import type { RegistryClient } from './client';
import type { Credential } from './credentials';
import type { ImageEngine } from './dockerImages';
import { RegistryError } from './errors';
import { listCubes } from './browse';
import { IMAGE_TAG_PREFIX, checkRepository, checkVersionTag, isTag } from './names';
import { ANNOTATION, MEDIA, isCube, jsonBytes, parseAliasHistory, sha256, type AliasMove, type CubeConfig, type Descriptor, type ImageManifest } from './oci';
import { packFolder } from './tarball';

/** Where the additional files live in a cube (MedPerf's convention): extracted back to the same place. */
export const ADDITIONAL_FILES = 'workspace/additional_files';
export const FILES_PATH_ANNOTATION = 'org.cubelab.cube.files.path';

export interface CubeContents {
  root: string;
  manifest: { path: string; rel: string };
  name: string;
  description?: string;
  image: string;
  tasks: string[];
  /** Task inputs that are files inside the cube's folder (parameters files), relative POSIX paths. */
  parameters: { path: string; rel: string }[];
  /** `<root>/workspace/additional_files`, when it exists. */
  additionalFiles?: string;
  /** `<root>/README.md`, when it exists. */
  readme?: string;
  workspace: string;
  /** Inputs left out (outside the cube's folder, missing), for the report. */
  skipped: string[];
}

const isInside = (p: string, root: string): boolean => { const r = relative(root, p); return !!r && !r.startsWith('..') && !r.startsWith(sep) && r !== '..'; };
const posixRel = (p: string, root: string): string => relative(root, p).split(sep).join('/');

async function isFile(p: string): Promise<boolean> { try { return (await stat(p)).isFile(); } catch { return false; } }
async function isDir(p: string): Promise<boolean> { try { return (await stat(p)).isDirectory(); } catch { return false; } }

/** What a cube publishes, from its manifest and the task plans the language server made for it. */
export async function cubeContents(manifestPath: string, manifestText: string, plans: TaskPlan[]): Promise<CubeContents> {
  const root = dirname(manifestPath);
  let doc: Record<string, unknown> = {};
  try {
    const v = YAML.parse(manifestText, { maxAliasCount: 100 }) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) doc = v as Record<string, unknown>;
  } catch { /* the caller refuses manifests with errors */ }
  const first = plans[0];
  if (!first) throw new RegistryError('The manifest has no task to plan: nothing to publish.', 'refused');
  const workspace = first.workspace;
  const parameters = new Map<string, { path: string; rel: string }>();
  const skipped: string[] = [];
  for (const plan of plans) {
    for (const arg of plan.paramArgs) {
      const m = /^--[^=]+=(\/mlcube_io\d+)\/(.+)$/.exec(arg);
      if (!m) continue;
      const mount = plan.mounts.find((x) => x.container === m[1]);
      if (!mount || mount.io === 'output') continue;
      const file = join(mount.host, m[2] ?? '');
      if (parameters.has(file)) continue;
      if (!isInside(file, root)) { skipped.push(`${file} (input of ${plan.taskName}, outside the cube's folder)`); continue; }
      if (!(await isFile(file))) { skipped.push(`${posixRel(file, root)} (input of ${plan.taskName}, missing)`); continue; }
      parameters.set(file, { path: file, rel: posixRel(file, root) });
    }
  }
  const extra = join(root, ...ADDITIONAL_FILES.split('/'));
  const readme = join(root, 'README.md');
  const tasks = doc.tasks && typeof doc.tasks === 'object' && !Array.isArray(doc.tasks) ? Object.keys(doc.tasks) : plans.map((p) => p.taskName);
  return {
    root, manifest: { path: manifestPath, rel: basename(manifestPath) },
    name: typeof doc.name === 'string' && doc.name ? doc.name : basename(root),
    ...(typeof doc.description === 'string' ? { description: doc.description } : {}),
    image: first.image, tasks, parameters: [...parameters.values()].sort((a, b) => a.rel.localeCompare(b.rel)),
    ...((await isDir(extra)) ? { additionalFiles: extra } : {}),
    ...((await isFile(readme)) ? { readme } : {}),
    workspace, skipped,
  };
}

export interface PublishMeta { source?: string; revision?: string; authors?: string; license?: string; metrics?: CardMetric[] }

export interface PublishOptions {
  client: RegistryClient;
  repository: string;
  version: string;
  aliases?: string[];
  contents: CubeContents;
  /** The manifest's errors (from the language server): publishing refuses while there are any. */
  problems?: string[];
  engine: ImageEngine;
  /** The credentials the engine pushes the image with. */
  credentials?: () => Promise<Credential | undefined>;
  cache: BlobCache;
  meta?: PublishMeta;
  now?: () => Date;
  progress?: (message: string, current?: number, total?: number) => void;
  signal?: AbortSignal;
}

export interface PublishResult {
  repository: string;
  version: string;
  digest: string;
  image: { name: string; reference: string; digest: string };
  aliases: string[];
  referrers: 'api' | 'tag';
  layers: { file: string; digest: string; size: number }[];
  skipped: string[];
}

interface Blob { file: string; mediaType: string; digest: string; size: number; body: Buffer | (() => NodeJS.ReadableStream); annotations?: Record<string, string> }

function checkAliases(version: string, aliases: string[]): void {
  for (const a of aliases) {
    checkVersionTag(a, 'alias');
    if (a === version) throw new RegistryError(`The alias "${a}" is the version itself.`, 'refused');
  }
}

export async function publishCube(o: PublishOptions): Promise<PublishResult> {
  const { client, repository, version, contents: c } = o;
  const aliases = [...new Set(o.aliases ?? [])];
  const signal = o.signal;
  if (o.problems?.length) {
    throw new RegistryError(`Not published: ${c.manifest.rel} has ${o.problems.length} error(s). Fix ${o.problems.length === 1 ? 'it' : 'them'} first: ${o.problems.slice(0, 3).join('; ')}${o.problems.length > 3 ? '; …' : ''}`, 'refused');
  }
  checkRepository(repository);
  checkVersionTag(version);
  checkAliases(version, aliases);
  const progress = o.progress ?? (() => undefined);
  progress(`Checking ${client.host}/${repository}`);
  await client.ping(signal);
  if (await client.resolve(repository, version, signal)) {
    throw new RegistryError(`${repository}:${version} exists already in ${client.host}: versions are never overwritten. Choose another version, or delete that one first.`, 'refused');
  }
  for (const a of aliases) await aliasState(client, repository, a, signal); // refuses an alias that is a version or something else

  // The image: it must exist in the engine (the configure step builds or pulls it first).
  const local = await o.engine.inspect(c.image);
  if (!local) throw new RegistryError(`Not published: the image ${c.image} cannot be found in the Docker engine. Configure the cube first (it builds or pulls the image).`, 'refused');
  const target = `${client.host}/${repository}`;
  const creds = await o.credentials?.();
  const imageDigest = await o.engine.push(c.image, target, `${IMAGE_TAG_PREFIX}${version}`, creds, client.host, (m, cur, tot) => progress(m, cur, tot));
  const image = await client.manifest(repository, imageDigest, signal); // the registry holds exactly that digest
  const subject: Descriptor = { mediaType: image.mediaType, digest: image.digest, size: image.bytes.length };
  const pinned = `${target}@${image.digest}`;

  // The files.
  const created = (o.now?.() ?? new Date()).toISOString();
  const blobs: Blob[] = [];
  const small = (file: string, mediaType: string, bytes: Buffer, annotations?: Record<string, string>): void => {
    blobs.push({ file, mediaType, digest: sha256(bytes), size: bytes.length, body: bytes, annotations: { [ANNOTATION.title]: file, ...annotations } });
  };
  small(c.manifest.rel, MEDIA.cubeManifest, await readFile(c.manifest.path));
  for (const p of c.parameters) small(p.rel, MEDIA.cubeParameters, await readFile(p.path));
  let tarTemp: string | undefined;
  if (c.additionalFiles) {
    progress(`Packing ${ADDITIONAL_FILES}`);
    tarTemp = await o.cache.temp();
    try {
      const packed = await packFolder(c.additionalFiles, tarTemp);
      const path = await o.cache.adopt(tarTemp, packed.digest);
      tarTemp = undefined;
      for (const s of packed.skipped) c.skipped.push(`${ADDITIONAL_FILES}/${s} (not a regular file or folder)`);
      blobs.push({
        file: 'additional_files.tar', mediaType: MEDIA.cubeFiles, digest: packed.digest, size: packed.size, body: () => createReadStream(path, { highWaterMark: 1 << 20 }),
        annotations: { [ANNOTATION.title]: 'additional_files.tar', [FILES_PATH_ANNOTATION]: ADDITIONAL_FILES },
      });
    } finally {
      if (tarTemp) await rm(tarTemp, { force: true });
    }
  }
  const card = buildCard({
    name: c.name, version, tasks: c.tasks, image: pinned, created,
    ...(c.description ? { description: c.description } : {}),
    ...(o.meta?.license ? { license: o.meta.license } : {}), ...(o.meta?.source ? { source: o.meta.source } : {}),
    ...(o.meta?.revision ? { revision: o.meta.revision } : {}), ...(o.meta?.authors ? { authors: o.meta.authors } : {}),
    ...(o.meta?.metrics?.length ? { metrics: o.meta.metrics } : {}),
  }, c.readme ? await readFile(c.readme, 'utf8') : undefined);
  small('README.md', MEDIA.cubeCard, Buffer.from(card, 'utf8'));
  const config: CubeConfig = {
    cubelab: 1, name: c.name, version, ...(c.description ? { description: c.description } : {}), tasks: c.tasks,
    image: { name: c.image, repository: target, digest: image.digest, mediaType: image.mediaType, size: image.bytes.length }, created,
  };
  const configBytes = jsonBytes(config);

  // Blobs, then the manifest.
  const total = blobs.reduce((n, b) => n + b.size, 0);
  let sent = 0;
  for (const b of blobs) {
    progress(`Uploading ${b.file}`, sent, total);
    await client.uploadBlob(repository, b.digest, b.size, Buffer.isBuffer(b.body) ? b.body : b.body as () => import('node:stream').Readable, signal);
    sent += b.size;
  }
  await client.uploadBlob(repository, sha256(configBytes), configBytes.length, configBytes, signal);
  const annotations: Record<string, string> = {
    [ANNOTATION.title]: c.name,
    [ANNOTATION.version]: version,
    ...(c.description ? { [ANNOTATION.description]: c.description.slice(0, 1000) } : {}),
    ...(o.meta?.source ? { [ANNOTATION.source]: o.meta.source } : {}),
    ...(o.meta?.revision ? { [ANNOTATION.revision]: o.meta.revision } : {}),
    [ANNOTATION.created]: created,
    ...(o.meta?.authors ? { [ANNOTATION.authors]: o.meta.authors } : {}),
    ...(o.meta?.license ? { [ANNOTATION.licenses]: o.meta.license } : {}),
    [ANNOTATION.image]: pinned,
    [ANNOTATION.imageName]: c.image,
    [ANNOTATION.tasks]: c.tasks.join(','),
  };
  const manifest: ImageManifest = {
    schemaVersion: 2, mediaType: MEDIA.ociManifest, artifactType: MEDIA.cube,
    config: { mediaType: MEDIA.cubeConfig, digest: sha256(configBytes), size: configBytes.length },
    layers: blobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size, ...(b.annotations ? { annotations: b.annotations } : {}) })),
    subject,
    annotations,
  };
  progress(`Pushing ${repository}:${version}`, total, total);
  const bytes = jsonBytes(manifest);
  const put = await client.putManifest(repository, version, bytes, MEDIA.ociManifest, signal);
  let referrers: 'api' | 'tag' = 'api';
  if (!put.subjectProcessed) {
    // No referrers API (no OCI-Subject header): the fallback tag sha256-<image digest> lists the cube.
    referrers = 'tag';
    await client.updateFallbackIndex(repository, image.digest, {
      add: { mediaType: MEDIA.ociManifest, digest: put.digest, size: bytes.length, artifactType: MEDIA.cube, annotations: { [ANNOTATION.version]: version, [ANNOTATION.created]: created } },
    }, signal);
  }
  for (const a of aliases) {
    progress(`Moving ${a} to ${version}`);
    await moveAlias(client, repository, a, version, { ...(o.now ? { now: o.now } : {}), ...(signal ? { signal } : {}) });
  }
  return {
    repository, version, digest: put.digest, image: { name: c.image, reference: pinned, digest: image.digest }, aliases, referrers,
    layers: blobs.map((b) => ({ file: b.file, digest: b.digest, size: b.size })), skipped: c.skipped,
  };
}

/** What a tag holds now: nothing, an alias (with its history), or a refusal (a version, or not a cube). */
async function aliasState(client: RegistryClient, repository: string, alias: string, signal?: AbortSignal): Promise<{ history: AliasMove[]; digest?: string; target?: string }> {
  if (!(await client.resolve(repository, alias, signal))) return { history: [] };
  const m = await client.manifest(repository, alias, signal);
  if (!isCube(m.manifest)) throw new RegistryError(`The tag ${repository}:${alias} holds something that is not a cube: CubeLab does not move it.`, 'refused');
  const a = m.manifest.annotations ?? {};
  if (!a[ANNOTATION.alias]) throw new RegistryError(`${repository}:${alias} is a version, not an alias: versions are never moved.`, 'refused');
  return { history: parseAliasHistory(a[ANNOTATION.aliasHistory]), digest: m.digest, ...(a[ANNOTATION.aliasTarget] ? { target: a[ANNOTATION.aliasTarget] } : {}) };
}

/**
 * Points alias `alias` at version `version`: a manifest with the version's config and layers (no subject, so
 * it is not listed as a second referrer of the image), and the alias's history with this move appended.
 */
export async function moveAlias(client: RegistryClient, repository: string, alias: string, version: string, o: { now?: () => Date; signal?: AbortSignal } = {}): Promise<{ digest: string; history: AliasMove[]; moved: boolean }> {
  checkRepository(repository);
  checkVersionTag(alias, 'alias');
  if (!isTag(version)) throw new RegistryError(`"${version}" is not a version.`, 'refused');
  const v = await client.manifest(repository, version, o.signal);
  if (!isCube(v.manifest) || v.manifest.annotations?.[ANNOTATION.alias]) throw new RegistryError(`${repository}:${version} is not a cube version.`, 'refused');
  const state = await aliasState(client, repository, alias, o.signal);
  if (state.target === v.digest && state.digest) return { digest: state.digest, history: state.history, moved: false };
  const history = [...state.history, { version, digest: v.digest, at: (o.now?.() ?? new Date()).toISOString() }].slice(-100);
  const { subject: _subject, ...rest } = v.manifest;
  const m: ImageManifest = { ...rest, annotations: { ...(v.manifest.annotations ?? {}), [ANNOTATION.alias]: alias, [ANNOTATION.aliasTarget]: v.digest, [ANNOTATION.aliasHistory]: JSON.stringify(history) } };
  const put = await client.putManifest(repository, alias, jsonBytes(m), MEDIA.ociManifest, o.signal);
  return { digest: put.digest, history, moved: true };
}

export async function deleteAlias(client: RegistryClient, repository: string, alias: string, signal?: AbortSignal): Promise<void> {
  const state = await aliasState(client, repository, alias, signal);
  if (!state.digest) throw new RegistryError(`${repository}:${alias} does not exist.`, 'not-found');
  await client.deleteManifest(repository, state.digest, signal);
}

/**
 * Deletes a version: its manifest (and so its tag), and its entry in the referrers fallback index. Aliases that
 * point to it are named and the delete refused, unless `withAliases` (then they are deleted too). The image stays.
 */
export async function deleteVersion(client: RegistryClient, repository: string, version: string, o: { withAliases?: boolean; signal?: AbortSignal } = {}): Promise<{ digest: string; aliasesDeleted: string[] }> {
  checkRepository(repository);
  const v = await client.manifest(repository, version, o.signal);
  if (!isCube(v.manifest)) throw new RegistryError(`${repository}:${version} is not a cube.`, 'refused');
  if (v.manifest.annotations?.[ANNOTATION.alias]) throw new RegistryError(`${repository}:${version} is an alias; delete the alias instead.`, 'refused');
  const { aliases } = await listCubes(client, repository, o.signal);
  const pointing = aliases.filter((a) => a.target === v.digest);
  if (pointing.length && !o.withAliases) {
    throw new RegistryError(`${repository}:${version} is what ${pointing.map((a) => `"${a.tag}"`).join(', ')} point${pointing.length === 1 ? 's' : ''} to: move ${pointing.length === 1 ? 'that alias' : 'those aliases'} first, or delete ${pointing.length === 1 ? 'it' : 'them'} with the version.`, 'refused');
  }
  for (const a of pointing) await client.deleteManifest(repository, a.digest, o.signal);
  await client.deleteManifest(repository, v.digest, o.signal);
  const subject = v.manifest.subject?.digest;
  if (subject) {
    const idx = await client.fallbackIndex(repository, subject, o.signal);
    if (idx?.index.manifests.some((d) => d.digest === v.digest)) await client.updateFallbackIndex(repository, subject, { remove: v.digest }, o.signal);
  }
  return { digest: v.digest, aliasesDeleted: pointing.map((a) => a.tag) };
}

export { BlobCache };
