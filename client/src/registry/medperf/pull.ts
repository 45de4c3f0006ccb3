/**
 * Pull a MedPerf cube record as a cube (docs/interop.md §2.3). The language server reads the record and says
 * what to download and write (`cubelab/medperfRecord`, given here as `describe`); this downloads every file
 * over HTTP(S) (the registry code's client: TLS against the system store, a proxy, retries, plain HTTP only to
 * loopback), checks each against the record's hash (SHA-1 or SHA-256 by the hash's form, hashes.ts), extracts
 * the additional files (a tar, gzipped or not, with the registry's defensive reader: no links, no absolute or
 * `..` paths), and pulls the image: by its manifest digest (newer records) or by name, checked against the
 * image id (older records). Files without a hash and an image without one are unverified: the caller must
 * accept them (`confirmUnverified`), never by default. Everything is written into a staging folder beside the
 * destination and moved into place only when all of it checked: a refusal leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, writeSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { MedperfPlan } from '../../../../shared/lsp-protocol';
import type { ImageEngine } from '../dockerImages';
import { RegistryError, untrusted } from '../errors';
import { RegistryHttp, type ProxySettings } from '../http';
import { parseRegistrySetting } from '../names';
import { emptyOrMissing } from '../pull';
import { TarExtractor, UnsafeTarError, entryPath } from '../tarExtract';
import { DualHash, checkHash, type HashAlgorithm } from './hashes';

/** The image side: the registry code's engine plus a pull by name (older records pin no digest). */
export interface MedperfImageEngine extends Pick<ImageEngine, 'inspect' | 'pull' | 'tag'> {
  pullRef(ref: string, progress?: (message: string, current?: number, total?: number) => void): Promise<void>;
}

export interface MedperfPullOptions {
  /** The record as JSON text (fetched by `fetchRecord`, or read from a file). */
  recordText: string;
  /** Where the record came from, for messages. */
  source: string;
  /** The language server's reading of the record (and, for an older record, of its downloaded mlcube.yaml). */
  describe: (recordText: string, manifestText?: string) => Promise<MedperfPlan>;
  /** The folder to write: it must not exist, or be empty. */
  dest: string;
  proxy?: ProxySettings;
  /** Extra CA files for the download hosts (tests: a CA of their own). */
  caFile?: string;
  engine?: MedperfImageEngine;
  /** Asked when something has no hash; the pull goes on only on `true`. Missing: refused. */
  confirmUnverified?: (what: string[]) => Promise<boolean>;
  progress?: (message: string, current?: number, total?: number) => void;
  signal?: AbortSignal;
  /** The largest mlcube.yaml or parameters file (default 1 MiB) and additional-files tarball (default 64 GiB). */
  maxSmallBytes?: number;
  maxTarballBytes?: number;
}

export interface MedperfFileReport { path: string; field: string; url: string; algorithm: HashAlgorithm | 'none'; status: 'verified' | 'unverified'; sha256: string }
export interface MedperfPullResult {
  dest: string;
  manifest: string;
  form: MedperfPlan['form'];
  name: string;
  files: MedperfFileReport[];
  extracted: string[];
  image?: { name: string; status: 'verified' | 'unverified'; by: 'digest' | 'id' | 'none'; reference: string; pulled: boolean };
  warnings: string[];
}

const FIELD: Record<string, string> = { manifest: 'mlcube_hash', parameters: 'parameters_hash', 'additional-files': 'additional_files_tarball_hash' };

/** One HTTP client per origin, made on demand (the record's files may live on several hosts). */
class Downloader {
  private readonly clients = new Map<string, RegistryHttp>();
  constructor(private readonly o: Pick<MedperfPullOptions, 'proxy' | 'caFile' | 'signal'>) {}
  private client(u: URL): RegistryHttp {
    let c = this.clients.get(u.origin);
    if (!c) {
      const registry = parseRegistrySetting({ url: u.origin, name: u.host, credentials: 'none', ...(this.o.caFile ? { caFile: this.o.caFile } : {}) });
      c = new RegistryHttp({ registry, ...(this.o.proxy ? { proxy: this.o.proxy } : {}), userAgent: 'CubeLab', retry: { attempts: 3 } });
      this.clients.set(u.origin, c);
    }
    return c;
  }
  /** Streams the body of `url` to `sink`; fails on a non-2xx answer or past `max` bytes. */
  async get(url: string, what: string, max: number, sink: (chunk: Buffer) => void): Promise<void> {
    let u: URL;
    try { u = new URL(url); } catch { throw new RegistryError(`${what}: "${untrusted(url, 120)}" is not a URL.`, 'refused'); }
    let n = 0;
    const res = await this.client(u).request({
      method: 'GET', path: u.toString(), ...(this.o.signal ? { signal: this.o.signal } : {}),
      sink: (chunk) => {
        n += chunk.length;
        if (n > max) throw new RegistryError(`${what}: ${u.host} sent more than ${max} bytes: refused.`, 'refused');
        sink(chunk);
      },
    });
    if (res.status < 200 || res.status >= 300) throw new RegistryError(`${what}: ${u.host} answered HTTP ${res.status} for ${untrusted(u.pathname, 120)}.`, res.status === 404 ? 'not-found' : 'http', res.status);
  }
  dispose(): void { for (const c of this.clients.values()) c.dispose(); }
}

/** Fetches a record's JSON from a URL (MedPerf's `GET /mlcubes/<id>/`, or a file served anywhere). */
export async function fetchRecord(url: string, o: Pick<MedperfPullOptions, 'proxy' | 'caFile' | 'signal'> = {}): Promise<string> {
  const d = new Downloader(o);
  const parts: Buffer[] = [];
  try { await d.get(url, 'The record', 16 << 20, (c) => parts.push(Buffer.from(c))); } finally { d.dispose(); }
  return Buffer.concat(parts).toString('utf8');
}

/** Extracts a tar (gzipped when it starts with gzip's magic) into `target` with the registry's defensive reader. */
async function extractTarball(file: string, target: string): Promise<string[]> {
  const head = Buffer.alloc(2);
  const fd = openSync(file, 'r');
  try { readSync(fd, head, 0, 2, 0); } finally { closeSync(fd); }
  const gz = head[0] === 0x1f && head[1] === 0x8b;
  const x = new TarExtractor(target);
  try {
    const input = createReadStream(file, { highWaterMark: 1 << 20 });
    const stream = gz ? input.pipe(createGunzip()) : input;
    for await (const chunk of stream) x.push(chunk as Buffer);
    x.end();
    return x.files;
  } catch (e) {
    x.abort();
    if (e instanceof UnsafeTarError) throw new RegistryError(e.message, 'refused');
    if ((e as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new RegistryError(`The additional files are not a valid gzip archive (${(e as Error).message}).`, 'refused');
    throw e;
  }
}

/** `repo` and `tag` of an image name (a registry port is not a tag; a digest is dropped). */
export function splitImage(name: string): { repository: string; tag: string; registry: string } {
  const base = name.split('@')[0] ?? name;
  const colon = base.lastIndexOf(':');
  const hasTag = colon > base.lastIndexOf('/');
  const repository = hasTag ? base.slice(0, colon) : base;
  const first = repository.split('/')[0] ?? '';
  const registry = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
  return { repository, tag: hasTag ? base.slice(colon + 1) : 'latest', registry };
}

export async function pullMedperf(o: MedperfPullOptions): Promise<MedperfPullResult> {
  const progress = o.progress ?? (() => undefined);
  const state = await emptyOrMissing(o.dest);
  progress(`Reading the MedPerf record ${o.source}`);
  let plan = await o.describe(o.recordText, undefined);
  const staging = join(dirname(o.dest), `.${basename(o.dest)}.cubelab-medperf-${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  const downloader = new Downloader(o);
  const files: MedperfFileReport[] = [];
  const extracted: string[] = [];
  const unverified: string[] = [];
  try {
    const small = o.maxSmallBytes ?? 1 << 20;
    const large = o.maxTarballBytes ?? 64 * 2 ** 30;
    for (const d of plan.downloads) {
      const rel = entryPath(d.path);
      if (!rel || rel.startsWith('.')) throw new RegistryError(`The record's ${d.role} goes to "${untrusted(d.path, 80)}": refused.`, 'refused');
      const field = FIELD[d.role] ?? d.role;
      const tar = d.role === 'additional-files';
      const file = tar ? join(staging, '.additional_files.tar') : join(staging, ...rel.split('/'));
      await mkdir(dirname(file), { recursive: true });
      const host = new URL(d.url).host;
      progress(`Downloading ${rel} from ${host}`);
      const h = new DualHash();
      const fd = openSync(file, 'wx');
      try {
        await downloader.get(d.url, rel, tar ? large : small, (chunk) => {
          h.update(chunk);
          let w = 0;
          while (w < chunk.length) w += writeSync(fd, chunk, w, chunk.length - w);
          progress(`Downloading ${rel} from ${host}`, h.size);
        });
      } finally { closeSync(fd); }
      const got = h.digest();
      const check = checkHash(rel, field, d.hash, got, `what ${host} sent`);
      files.push({ path: rel, field, url: d.url, algorithm: check.algorithm, status: check.status, sha256: got.sha256 });
      if (check.status === 'unverified') unverified.push(`${rel} (the record's ${field} is empty)`);
      if (tar) {
        progress(`Extracting ${rel}`);
        const target = join(staging, ...rel.split('/'));
        extracted.push(...(await extractTarball(file, target)).map((f) => `${rel}/${f.split('\\').join('/')}`));
        await rm(file, { force: true });
      }
      if (d.role === 'manifest') plan = await o.describe(o.recordText, await readFile(file, 'utf8'));
    }
    for (const f of plan.files) {
      const rel = entryPath(f.path);
      const target = join(staging, ...rel.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, f.text, { flag: 'wx' });
    }

    // The image, before anything is moved into place.
    let image: MedperfPullResult['image'];
    if (plan.image && o.engine) {
      const { name, digest, id } = plan.image;
      const engine = o.engine;
      if (digest) {
        const { repository, registry } = splitImage(name);
        const ref = `${repository}@${digest}`;
        const has = (info: { repoDigests: string[] } | undefined): boolean => !!info?.repoDigests.some((r) => r.endsWith(`@${digest}`));
        let pulled = false;
        if (!has(await engine.inspect(ref).catch(() => undefined))) {
          progress(`Pulling the image ${ref}`);
          await engine.pull(repository, digest, undefined, registry, progress);
          pulled = true;
        }
        const info = await engine.inspect(ref);
        if (!has(info)) throw new RegistryError(`The image ${name}: the engine holds ${info?.repoDigests.join(', ') || 'no digest'}, but the record's image_hash is ${digest}. Refused: nothing was written.`, 'digest');
        if (!name.includes('@')) await engine.tag(ref, name);
        image = { name, status: 'verified', by: 'digest', reference: ref, pulled };
      } else {
        let info = await engine.inspect(name).catch(() => undefined);
        let pulled = false;
        if (!info || (id && info.id !== id)) {
          progress(`Pulling the image ${name}`);
          await engine.pullRef(name, progress);
          pulled = true;
          info = await engine.inspect(name);
        }
        if (id && info?.id !== id) throw new RegistryError(`The image ${name}: the engine's image id is ${info?.id ?? 'none'}, but the record's image_hash is ${id.replace(/^sha256:/, '')}. Refused: nothing was written.`, 'digest');
        if (!id) unverified.push(`the image ${name} (the record's image_hash is empty)`);
        image = { name, status: id ? 'verified' : 'unverified', by: id ? 'id' : 'none', reference: name, pulled };
      }
    } else if (plan.image && !plan.image.digest && !plan.image.id) {
      unverified.push(`the image ${plan.image.name} (the record's image_hash is empty)`);
    }

    if (unverified.length) {
      const ok = o.confirmUnverified ? await o.confirmUnverified(unverified) : false;
      if (!ok) throw new RegistryError(`The record gives no hash for ${unverified.join(', ')}: unverified, and not accepted. Nothing was written.`, 'refused');
    }
    if (state === 'missing') {
      await mkdir(dirname(o.dest), { recursive: true });
      await rename(staging, o.dest);
    } else {
      for (const name of await readdir(staging)) await rename(join(staging, name), join(o.dest, name));
      await rmdir(staging);
    }
    return { dest: o.dest, manifest: join(o.dest, plan.manifest), form: plan.form, name: plan.name, files, extracted: extracted.sort(), ...(image ? { image } : {}), warnings: plan.warnings };
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  } finally {
    downloader.dispose();
  }
}

/** The engine side, through dockerode: the registry code's engine plus a pull by name. */
export function medperfImageEngine(base: ImageEngine, docker: import('dockerode')): MedperfImageEngine {
  return {
    inspect: (ref) => base.inspect(ref),
    pull: (repository, digest, auth, server, progress) => base.pull(repository, digest, auth, server, progress),
    tag: (source, name) => base.tag(source, name),
    async pullRef(ref, progress) {
      const stream = await docker.createImage({}, { fromImage: ref }) as unknown as NodeJS.ReadableStream;
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
          const failed = events?.find((ev) => ev.error);
          if (err || failed) reject(new RegistryError(`Pulling ${ref} failed: ${failed?.error ?? err?.message}`, 'http'));
          else resolve();
        }, (ev: { status?: string }) => progress?.(`Pulling ${ref}: ${ev.status ?? ''}`.trim()));
      });
    },
  };
}
