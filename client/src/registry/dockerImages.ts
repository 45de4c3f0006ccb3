/**
 * The container image's side of publish and pull, through a Docker engine (dockerode, the same client the
 * local Docker backend uses): push the cube's image into the cube's repository and learn its digest; pull an
 * image by digest and check that the engine holds exactly that digest; tag it with the name the manifest uses.
 * Registry credentials go to the engine as its `X-Registry-Auth` for that one call.
 */
import type Dockerode from 'dockerode';
import type { Readable } from 'node:stream';
import type { Credential } from './credentials';
import { RegistryError } from './errors';

export interface ImageProgress { (message: string, current?: number, total?: number): void }

export interface ImageEngine {
  /** The local image (id and repo digests), or undefined when the engine does not have it. */
  inspect(ref: string): Promise<{ id: string; repoDigests: string[] } | undefined>;
  /** Pushes local image `local` as `<target>:<tag>`; returns the manifest digest the registry stored. */
  push(local: string, target: string, tag: string, auth: Credential | undefined, serverAddress: string, progress?: ImageProgress): Promise<string>;
  /** Pulls `<repository>@<digest>`. */
  pull(repository: string, digest: string, auth: Credential | undefined, serverAddress: string, progress?: ImageProgress): Promise<void>;
  /** Gives image `source` the name `name` (`repo:tag`). */
  tag(source: string, name: string): Promise<void>;
}

function authConfig(c: Credential | undefined, serveraddress: string): Record<string, string> {
  // The engine wants the header even without credentials (a push refuses to start without it).
  if (!c) return { serveraddress };
  if (c.identityToken) return { identitytoken: c.identityToken, serveraddress };
  return { username: c.username, password: c.password ?? '', serveraddress };
}

interface ProgressEvent { status?: string; id?: string; error?: string; errorDetail?: { message?: string }; progressDetail?: { current?: number; total?: number }; aux?: { Digest?: string } }

function follow(docker: Dockerode, stream: Readable, what: string, progress?: ImageProgress): Promise<ProgressEvent[]> {
  const layers = new Map<string, { current: number; total: number }>();
  const events: ProgressEvent[] = [];
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null) => {
      const failed = events.find((e) => e.error);
      if (err || failed) reject(new RegistryError(`${what} failed: ${failed?.errorDetail?.message ?? failed?.error ?? err?.message}`, 'http'));
      else resolve(events);
    }, (ev: ProgressEvent) => {
      events.push(ev);
      if (ev.id && ev.progressDetail?.total) layers.set(ev.id, { current: ev.progressDetail.current ?? 0, total: ev.progressDetail.total });
      let c = 0, t = 0;
      for (const l of layers.values()) { c += l.current; t += l.total; }
      progress?.(`${what}: ${ev.status ?? ''}`.trim(), c, t || undefined);
    });
  });
}

/** Splits `name[:tag]` (a registry port is not a tag). */
function splitTag(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf('@');
  const base = at >= 0 ? ref.slice(0, at) : ref;
  const colon = base.lastIndexOf(':');
  if (colon > base.lastIndexOf('/')) return { repo: base.slice(0, colon), tag: base.slice(colon + 1) };
  return { repo: base, tag: 'latest' };
}

export function dockerImageEngine(docker: Dockerode): ImageEngine {
  return {
    async inspect(ref) {
      try {
        const info = await docker.getImage(ref).inspect();
        return { id: info.Id, repoDigests: info.RepoDigests ?? [] };
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return undefined;
        throw e;
      }
    },
    async push(local, target, tag, auth, serverAddress, progress) {
      await docker.getImage(local).tag({ repo: target, tag });
      const name = `${target}:${tag}`;
      try {
        const stream = await docker.getImage(name).push({ authconfig: authConfig(auth, serverAddress) } as object) as unknown as Readable;
        const events = await follow(docker, stream, `Pushing ${local} as ${name}`, progress);
        const digest = events.map((e) => e.aux?.Digest).find((d): d is string => typeof d === 'string');
        if (digest) return digest;
        const info = await docker.getImage(name).inspect();
        const pinned = (info.RepoDigests ?? []).find((d) => d.startsWith(`${target}@`));
        if (!pinned) throw new RegistryError(`The engine pushed ${name} but did not say its digest.`, 'protocol');
        return pinned.slice(target.length + 1);
      } finally {
        // The extra name was only a vehicle for the push: the image itself stays.
        await docker.getImage(name).remove({ noprune: true }).catch(() => undefined);
      }
    },
    async pull(repository, digest, auth, serverAddress, progress) {
      const ref = `${repository}@${digest}`;
      const a = authConfig(auth, serverAddress);
      const stream = await docker.createImage(a, { fromImage: ref }) as unknown as Readable;
      await follow(docker, stream, `Pulling ${ref}`, progress);
    },
    async tag(source, name) {
      const { repo, tag } = splitTag(name);
      await docker.getImage(source).tag({ repo, tag });
    },
  };
}
