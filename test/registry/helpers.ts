/**
 * Shared pieces of the registry tier. The registries are Debian's docker-registry instances that
 * test/env/setup-registry.sh starts on loopback (no auth on 5010, TLS + htpasswd on 5011, token auth on 5012);
 * images are built and run by the real Docker engine of test/env/setup-docker.sh, through the local Docker
 * backend and the run supervisor (test/runner/helpers.ts).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskPlan, TaskPlanResult } from '../../shared/lsp-protocol';
import { LspClient } from '../helpers/lspClient';
import { docker, reporterOf, CollectingSink, newRunner, type DockerTestRunner } from '../runner/helpers';
import { RunStore } from '../../client/src/runs/runStore';
import { parseRegistrySetting, type RegistryEndpoint, type RegistrySetting } from '../../client/src/registry/names';
import { RegistryClient } from '../../client/src/registry/client';
import type { Credential } from '../../client/src/registry/credentials';
import type { HttpOptions } from '../../client/src/registry/http';
import { BlobCache } from '../../client/src/registry/cache';
import { dockerImageEngine } from '../../client/src/registry/dockerImages';
import { DockerBackend, planBuild } from '../../client/src/backends/docker/dockerBackend';

export const repoRoot = join(__dirname, '..', '..');
export const OUT = join(repoRoot, 'test', 'out', 'registry');
export const CA_FILE = join(OUT, 'ca', 'ca.pem');
export const PORTS = { plain: 5010, tls: 5011, token: 5012, issuer: 5013 } as const;
export const TOKEN_SERVICE = 'cubelab-test-registry';
export const TOKEN_ISSUER = 'cubelab-test-issuer';
export const USER = 'cubelab';

let setUp = false;
/** Starts the registries (idempotent: a no-op when they answer). */
export function setupRegistries(): void {
  if (setUp) return;
  execFileSync('bash', [join(repoRoot, 'test', 'env', 'setup-registry.sh')], { stdio: 'pipe' });
  setUp = true;
}

export const tlsPassword = (): string => readFileSync(join(OUT, 'tls', 'password'), 'utf8').trim();
export const tokenPassword = (): string => readFileSync(join(OUT, 'token', 'password'), 'utf8').trim();

export function endpoint(kind: 'plain' | 'tls' | 'token', extra: Partial<RegistrySetting> = {}): RegistryEndpoint {
  const url = kind === 'tls' ? `https://127.0.0.1:${PORTS.tls}` : `http://127.0.0.1:${PORTS[kind]}`;
  return parseRegistrySetting({ name: kind, url, ...(kind === 'tls' ? { caFile: CA_FILE } : {}), ...extra });
}

export function clientFor(registry: RegistryEndpoint, cred?: Credential, extra: Partial<HttpOptions> = {}): RegistryClient {
  return new RegistryClient({ registry, ...(cred ? { credentials: async () => cred } : {}), retry: { attempts: 3, baseMs: 50 }, ...extra });
}

export const uniqueRepo = (prefix: string): string => `cubelab-test/${prefix}-${randomBytes(4).toString('hex')}`;

export function tempDir(name: string): string {
  const base = join(repoRoot, 'test', 'out', 'registry-tier');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${name}-`));
}

export function cache(dir: string): BlobCache { return new BlobCache(join(dir, 'cache')); }

export const engine = dockerImageEngine(docker);

/** Where docker-registry stores a blob of instance `kind` (to tamper with it). */
export function storedBlob(kind: 'plain' | 'tls' | 'token', digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(OUT, kind, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

export interface TestCube { dir: string; manifest: string; image: string }

/**
 * A cube whose image builds offline from the busybox test image: task `train` reads its parameters file and a
 * file of the additional files, and writes the latter into its model folder.
 */
export function writeCube(dir: string, opts: { name?: string; extraBytes?: number; broken?: boolean } = {}): TestCube {
  const image = `cubelab-test/registry-cube:${randomBytes(4).toString('hex')}`;
  mkdirSync(join(dir, 'workspace', 'additional_files', 'nested'), { recursive: true });
  const manifest = join(dir, 'mlcube.yaml');
  writeFileSync(manifest, [
    `name: ${opts.name ?? 'registry-cube'}`,
    'description: A cube the registry tier publishes, pulls and runs.',
    'docker:',
    `  image: ${image}`,
    '  build_strategy: auto',
    '  cpu_args: --network=none',
    'tasks:',
    '  train:',
    '    parameters:',
    '      inputs:',
    '        config: {type: file, default: params.yaml}',
    '        extra: {type: directory, default: additional_files}',
    '      outputs:',
    '        model: {type: directory, default: model}',
    ...(opts.broken ? ['  bad:', '    parameters:', '      inputs:', '        x: {type: fancy, default: x}'] : []),
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM cubelab-test/busybox:1\nCOPY task.sh /task.sh\nENTRYPOINT ["/bin/sh", "/task.sh"]\n');
  writeFileSync(join(dir, 'task.sh'), [
    'for a in "$@"; do case "$a" in --config=*) c="${a#--config=}";; --extra=*) e="${a#--extra=}";; --model=*) m="${a#--model=}";; esac; done',
    'echo "task $1: $(cat "$c")"',
    'cp "$e/nested/weights.txt" "$m/weights.txt"',
    'echo "done"',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'workspace', 'params.yaml'), 'lr: 0.5\n');
  writeFileSync(join(dir, 'workspace', 'additional_files', 'nested', 'weights.txt'), 'weights v1\n');
  writeFileSync(join(dir, 'workspace', 'additional_files', 'vocab.txt'), opts.extraBytes ? randomBytes(opts.extraBytes).toString('base64') : 'a b c\n');
  writeFileSync(join(dir, 'README.md'), '---\nlicense: MIT\n---\n# Registry cube\n\nUsed by the registry tier.\n');
  return { dir, manifest, image };
}

/** The manifest's errors and the plans of its tasks, from the built language server. */
export async function planCube(manifestPath: string, tasks = ['train']): Promise<{ errors: string[]; plans: TaskPlan[] }> {
  const lsp = await LspClient.start({ rootPath: join(manifestPath, '..') });
  try {
    const uri = lsp.open(manifestPath, readFileSync(manifestPath, 'utf8'));
    const diags = await lsp.diagnosticsFor(uri);
    const errors = diags.filter((d) => d.severity === 1).map((d) => `${d.message} (line ${d.range.start.line + 1})`);
    const plans: TaskPlan[] = [];
    for (const task of tasks) {
      const r = await lsp.request<TaskPlanResult>('cubelab/taskPlan', { uri, task });
      if (r.ok) plans.push(r.plan);
    }
    return { errors, plans };
  } finally {
    await lsp.stop();
  }
}

/** The existing configure step: the local Docker backend builds (or pulls) the plan's image. */
export async function configure(plan: TaskPlan): Promise<void> {
  const backend = new DockerBackend({ name: 'local' });
  await backend.configure(plan.image, planBuild(plan), reporterOf(new CollectingSink()));
}

/** Runs a task of a pulled cube through the run supervisor and the local Docker backend. */
export async function runTask(manifestPath: string, task = 'train'): Promise<{ status: string; exitCode: number | null; lines: string[]; reason?: string }> {
  const { plans } = await planCube(manifestPath, [task]);
  const plan = plans[0];
  if (!plan) throw new Error(`no plan for ${task}`);
  const runner: DockerTestRunner = newRunner(new RunStore(join(manifestPath, '..', '.cubelab', 'runs')));
  try {
    const sink = new CollectingSink();
    const h = await runner.run({ manifest: manifestPath, task, plan }, sink);
    const o = await h.done;
    return { status: o.status, exitCode: o.exitCode, lines: sink.lines, ...(o.reason ? { reason: o.reason } : {}) };
  } finally {
    await runner.dispose();
  }
}

/** Removes an image and every name it has (so a pull must fetch it again). */
export async function removeImageEverywhere(name: string): Promise<void> {
  let id: string;
  try { id = (await docker.getImage(name).inspect()).Id; } catch { return; }
  await docker.getImage(id).remove({ force: true }).catch(() => undefined);
}
