/**
 * Image builders: commands that make an image on this machine when no registry can provide it (an image made
 * from a distribution's packages offline, like CubeLab's model image, scripts/build-model-image.sh). The setting
 * `cubelab.docker.imageBuilders` maps an image repository (or a full `repository:tag`) to a command (argv, no
 * shell); the local Docker backend runs it when that image is missing: the cube's image itself, or a base
 * image the cube's Dockerfile names in a FROM line. The image's name is appended as the last argument. Lines
 * `progress: N/M text` the command prints become progress; every other line goes to the log.
 * Pure Node: no `vscode`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { TargetError, type CancelToken, type Reporter } from '../../runs/backend';

/** Repository (`cubelab/python-sklearn`) or full reference (`cubelab/python-sklearn:1`) → argv. */
export type ImageBuilders = Record<string, string[]>;

/** The repository of an image reference: without its tag or digest (a registry port's colon stays). */
export function imageRepository(ref: string): string {
  const at = ref.indexOf('@');
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** The builder for an image: one named by its full reference first, else by its repository. */
export function builderFor(image: string, builders: ImageBuilders | undefined): string[] | undefined {
  if (!builders) return undefined;
  const exact = builders[image];
  if (Array.isArray(exact) && exact.length) return exact;
  const repo = builders[imageRepository(image)];
  return Array.isArray(repo) && repo.length ? repo : undefined;
}

/** Only well-formed entries: a non-empty list of strings per key. */
export function sanitizeBuilders(value: unknown): ImageBuilders {
  const out: ImageBuilders = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string' && x.length)) out[k] = v as string[];
  }
  return out;
}

/**
 * The images a Dockerfile's FROM lines name (stage names, `scratch` and references with build arguments left
 * out: those cannot be built ahead of the build). Line continuations are joined; comments skipped.
 */
export function dockerfileBaseImages(text: string): string[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const stages = new Set<string>();
  const out: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!/^from\s/i.test(line)) continue;
    const words = line.split(/\s+/).slice(1).filter((w) => !w.startsWith('--'));
    const ref = words[0];
    if (!ref) continue;
    if (words.length >= 3 && words[1]?.toLowerCase() === 'as' && words[2]) stages.add(words[2].toLowerCase());
    if (ref === 'scratch' || ref.includes('$') || stages.has(ref.toLowerCase())) continue;
    if (!out.includes(ref)) out.push(ref);
  }
  return out;
}

export function dockerfileBaseImagesOf(file: string): string[] {
  try { return dockerfileBaseImages(readFileSync(file, 'utf8')); } catch { return []; }
}

const PROGRESS = /^progress:\s*(\d+)\s*\/\s*(\d+)\s*(.*)$/;

/**
 * Runs a builder for `image` and reports its lines; resolves when it exits 0. A failure says which command
 * failed, with the last lines it printed; cancelling stops its whole process group.
 */
export function runImageBuilder(argv: string[], image: string, reporter: Reporter, opts: { cancel?: CancelToken; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<void> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new TargetError(`The image builder for ${image} is empty (cubelab.docker.imageBuilders).`, 'build'));
  const shown = [cmd, ...args, image].join(' ');
  reporter.info(`Making ${image} with its image builder: ${shown}`);
  const started = Date.now();
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, [...args, image], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const tail: string[] = [];
    let cancelled = false;
    const take = (stream: NodeJS.ReadableStream) => {
      let rest = '';
      stream.setEncoding?.('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        for (const p of parts) line(p.replace(/\r$/, ''));
      });
      stream.on('end', () => { if (rest) line(rest); rest = ''; });
    };
    const line = (text: string) => {
      const m = PROGRESS.exec(text);
      if (m) { reporter.progress(m[3] || `Making ${image}`, Number(m[1]), Number(m[2])); return; }
      if (!text.trim()) return;
      tail.push(text);
      if (tail.length > 8) tail.shift();
      reporter.detail(text);
    };
    take(child.stdout);
    take(child.stderr);
    opts.cancel?.onCancel(() => {
      cancelled = true;
      try { if (child.pid) process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    });
    child.on('error', (e) => reject(new TargetError(`Cannot run the image builder for ${image} (${shown}): ${e.message}`, 'build')));
    child.on('close', (code, signal) => {
      if (cancelled) { reject(new TargetError(`Making ${image} was cancelled.`, 'cancelled')); return; }
      if (code === 0) {
        reporter.info(`Made ${image} in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
        resolve();
        return;
      }
      reject(new TargetError(`The image builder for ${image} failed (${code !== null ? `exit code ${code}` : `signal ${signal}`}): ${shown}\n${tail.slice(-5).join('\n')}`, 'build'));
    });
  });
}
