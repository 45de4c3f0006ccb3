/**
 * CubeLab's cube artifact in OCI terms (README "Cube registries"): an OCI 1.1 image manifest whose
 * `artifactType` is `application/vnd.cubelab.cube.v1`, a JSON config blob of CubeLab's own, one layer per file
 * (the manifest, each parameters file, the additional files as one tar, the model card), the standard
 * `org.opencontainers.image.*` annotations, and the container image pinned by digest as its `subject`.
 * Everything read from a registry is untrusted: the parsers below check every field they use.
 */
import { createHash } from 'node:crypto';
import { RegistryError } from './errors';
import { isDigest } from './names';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** The artifact type of a published cube. */
  cube: 'application/vnd.cubelab.cube.v1',
  cubeConfig: 'application/vnd.cubelab.cube.config.v1+json',
  cubeManifest: 'application/vnd.cubelab.cube.manifest.v1+yaml',
  cubeParameters: 'application/vnd.cubelab.cube.parameters.v1',
  cubeFiles: 'application/vnd.cubelab.cube.files.v1.tar',
  cubeCard: 'application/vnd.cubelab.cube.card.v1+markdown',
} as const;

/** Every manifest type CubeLab asks for (cubes, indexes, images). */
export const MANIFEST_ACCEPT = [MEDIA.ociManifest, MEDIA.ociIndex, MEDIA.dockerManifest, MEDIA.dockerList].join(', ');

export const ANNOTATION = {
  title: 'org.opencontainers.image.title',
  version: 'org.opencontainers.image.version',
  description: 'org.opencontainers.image.description',
  source: 'org.opencontainers.image.source',
  revision: 'org.opencontainers.image.revision',
  created: 'org.opencontainers.image.created',
  authors: 'org.opencontainers.image.authors',
  licenses: 'org.opencontainers.image.licenses',
  /** `<registry>/<repository>@sha256:...`: the container image, pinned. */
  image: 'org.cubelab.cube.image',
  /** The manifest's own `docker.image` name, which the pulled cube's image is tagged as. */
  imageName: 'org.cubelab.cube.image.name',
  tasks: 'org.cubelab.cube.tasks',
  /** On an alias: its name, the version manifest it points to, and the JSON history of its moves. */
  alias: 'org.cubelab.cube.alias',
  aliasTarget: 'org.cubelab.cube.alias.target',
  aliasHistory: 'org.cubelab.cube.alias.history',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The cube's config blob. */
export interface CubeConfig {
  cubelab: 1;
  name: string;
  version: string;
  description?: string;
  tasks: string[];
  /** The image: the manifest's name for it, and where it is pinned. */
  image: { name: string; repository: string; digest: string; mediaType: string; size: number };
  created: string;
}

/** One move of an alias (annotation history, oldest first). */
export interface AliasMove { version: string; digest: string; at: string }

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Canonical JSON bytes (keys in insertion order, no spaces): what is pushed and hashed. */
export function jsonBytes(v: unknown): Buffer { return Buffer.from(JSON.stringify(v), 'utf8'); }

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function annotations(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) throw new RegistryError(`${where}: "annotations" is not an object.`, 'protocol');
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, val] of Object.entries(v)) {
    if (++n > 256) throw new RegistryError(`${where}: more than 256 annotations.`, 'protocol');
    if (typeof val === 'string') out[k] = val;
  }
  return out;
}

export function parseDescriptor(v: unknown, where: string): Descriptor {
  if (!isObj(v)) throw new RegistryError(`${where} is not a descriptor.`, 'protocol');
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType.length > 255) throw new RegistryError(`${where}: no "mediaType".`, 'protocol');
  if (typeof digest !== 'string' || !isDigest(digest)) throw new RegistryError(`${where}: "digest" is not a sha256 digest.`, 'protocol');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new RegistryError(`${where}: "size" is not a size.`, 'protocol');
  const d: Descriptor = { mediaType, digest, size };
  if (typeof v.artifactType === 'string') d.artifactType = v.artifactType;
  const a = annotations(v.annotations, where);
  if (a) d.annotations = a;
  return d;
}

export function parseManifest(body: Buffer, where: string): ImageManifest | ImageIndex {
  let v: unknown;
  try { v = JSON.parse(body.toString('utf8')); } catch { throw new RegistryError(`${where} is not JSON.`, 'protocol'); }
  if (!isObj(v) || v.schemaVersion !== 2) throw new RegistryError(`${where} is not a schema 2 manifest.`, 'protocol');
  const mediaType = typeof v.mediaType === 'string' ? v.mediaType : Array.isArray(v.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest;
  if (Array.isArray(v.manifests)) {
    if (v.manifests.length > 10_000) throw new RegistryError(`${where}: more than 10,000 entries.`, 'protocol');
    const idx: ImageIndex = { schemaVersion: 2, mediaType, manifests: v.manifests.map((m, i) => parseDescriptor(m, `${where} entry ${i + 1}`)) };
    const a = annotations(v.annotations, where);
    if (a) idx.annotations = a;
    return idx;
  }
  if (!Array.isArray(v.layers)) throw new RegistryError(`${where} has no layers.`, 'protocol');
  if (v.layers.length > 1000) throw new RegistryError(`${where}: more than 1,000 layers.`, 'protocol');
  const m: ImageManifest = {
    schemaVersion: 2, mediaType,
    config: parseDescriptor(v.config, `${where}: config`),
    layers: v.layers.map((l, i) => parseDescriptor(l, `${where}: layer ${i + 1}`)),
  };
  if (typeof v.artifactType === 'string') m.artifactType = v.artifactType;
  if (v.subject !== undefined) m.subject = parseDescriptor(v.subject, `${where}: subject`);
  const a = annotations(v.annotations, where);
  if (a) m.annotations = a;
  return m;
}

export function isIndex(m: ImageManifest | ImageIndex): m is ImageIndex { return 'manifests' in m; }

/** Whether a manifest is a published cube (a version or an alias). */
export function isCube(m: ImageManifest | ImageIndex): m is ImageManifest {
  return !isIndex(m) && (m.artifactType === MEDIA.cube || m.config.mediaType === MEDIA.cubeConfig);
}

export function parseCubeConfig(body: Buffer, where: string): CubeConfig {
  let v: unknown;
  try { v = JSON.parse(body.toString('utf8')); } catch { throw new RegistryError(`${where} is not JSON.`, 'protocol'); }
  if (!isObj(v) || v.cubelab !== 1) throw new RegistryError(`${where} is not a CubeLab cube config (version 1).`, 'protocol');
  const img = v.image;
  if (!isObj(img) || typeof img.digest !== 'string' || !isDigest(img.digest) || typeof img.repository !== 'string' || typeof img.name !== 'string') {
    throw new RegistryError(`${where}: "image" does not pin an image by digest.`, 'protocol');
  }
  const str = (x: unknown, max = 1000): string => (typeof x === 'string' ? x.slice(0, max) : '');
  return {
    cubelab: 1,
    name: str(v.name, 200),
    version: str(v.version, 128),
    ...(typeof v.description === 'string' ? { description: str(v.description, 2000) } : {}),
    tasks: Array.isArray(v.tasks) ? v.tasks.filter((t): t is string => typeof t === 'string').slice(0, 1000).map((t) => t.slice(0, 200)) : [],
    image: {
      name: str(img.name, 500), repository: str(img.repository, 500), digest: img.digest,
      mediaType: str(img.mediaType, 255) || MEDIA.dockerManifest, size: typeof img.size === 'number' ? img.size : 0,
    },
    created: str(v.created, 64),
  };
}

export function parseAliasHistory(v: string | undefined): AliasMove[] {
  if (!v) return [];
  try {
    const list = JSON.parse(v) as unknown;
    if (!Array.isArray(list)) return [];
    return list.filter((e): e is AliasMove => isObj(e) && typeof e.version === 'string' && typeof e.digest === 'string' && typeof e.at === 'string').slice(-100);
  } catch { return []; }
}
