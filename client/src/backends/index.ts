/**
 * Entry point of dist/runner.js: the run supervisor, the run store and the backends, loaded only when a command
 * needs them (never at activation: dockerode and its dependencies cost more than the whole activation budget).
 *
 * The registration of backends: one line per target kind. Adding a target is a folder beside docker/ that
 * implements `Backend` (client/src/runs/backend.ts) and a line here; nothing else changes.
 */
import type { Backend, BackendEnvironment } from '../runs/backend';
import type { TargetKind } from '../runs/record';
import { DockerBackend } from './docker/dockerBackend';
import { DockerSshBackend } from './docker-ssh/dockerSshBackend';
import { KubernetesBackend } from './kubernetes/kubernetesBackend';
import type { PathMapping } from './docker-ssh/remotePlan';
import { SlurmBackend, type SlurmSettings } from './slurm/slurmBackend';
import { sanitizeBuilders } from './docker/imageBuilders';

/** A target as `cubelab.targets` describes it (each kind reads its own fields). */
export interface TargetSettings { name: string; kind: TargetKind; [field: string]: unknown }

export const backendFactories: Partial<Record<TargetKind, (settings: TargetSettings, env: BackendEnvironment) => Backend>> = {
  docker: (s, env) => new DockerBackend({ name: s.name, host: typeof s.host === 'string' ? s.host : undefined, imageBuilders: sanitizeBuilders(s.imageBuilders) }, env),
  'docker-ssh': (s, env) => new DockerSshBackend({
    name: s.name, host: String(s.host ?? ''), ...(typeof s.workDir === 'string' ? { workDir: s.workDir } : {}),
    ...(typeof s.socket === 'string' ? { socket: s.socket } : {}), ...(Array.isArray(s.pathMappings) ? { pathMappings: s.pathMappings as PathMapping[] } : {}),
    ...(s.sync === 'rsync' || s.sync === 'builtin' || s.sync === 'auto' ? { sync: s.sync } : {}),
  }, env, {
    ...(env.prompts ? { ask: env.prompts.ask, ...(env.prompts.confirmOverwrite ? { confirmOverwrite: env.prompts.confirmOverwrite } : {}) } : {}),
    ...(env.askpassMain ? { askpassMain: env.askpassMain } : {}), ...(typeof s.sshConfig === 'string' && s.sshConfig ? { configFile: s.sshConfig } : {}),
  }),
  slurm: (s, env) => new SlurmBackend(slurmSettings(s), env, {
    ...(env.prompts ? { ask: env.prompts.ask, ...(env.prompts.confirmOverwrite ? { confirmOverwrite: env.prompts.confirmOverwrite } : {}) } : {}),
    ...(env.askpassMain ? { askpassMain: env.askpassMain } : {}),
  }),
  kubernetes: (s, env) => new KubernetesBackend(s, env),
};

/** The fields of a `slurm` target, each kept only when it has the right type (the batch script checks values). */
function slurmSettings(s: TargetSettings): SlurmSettings {
  const str = (k: string): string | undefined => (typeof s[k] === 'string' && s[k] !== '' ? s[k] as string : undefined);
  const words = (k: string): string[] | undefined => (Array.isArray(s[k]) ? (s[k] as unknown[]).map(String) : undefined);
  const out: SlurmSettings = { name: s.name };
  for (const k of ['host', 'workDir', 'partition', 'timeLimit', 'memory', 'account', 'qos', 'sifCache', 'sshConfig'] as const) { const v = str(k); if (v !== undefined) out[k] = v; }
  if (typeof s.cpus === 'number') out.cpus = s.cpus;
  if (typeof s.gpus === 'number' || typeof s.gpus === 'string') out.gpus = s.gpus;
  if (typeof s.pollSeconds === 'number') out.pollSeconds = s.pollSeconds;
  if (typeof s.sharedFilesystem === 'boolean') out.sharedFilesystem = s.sharedFilesystem;
  const rt = str('runtime');
  if (rt) out.runtime = rt as NonNullable<SlurmSettings['runtime']>;
  const pre = words('preamble'); if (pre) out.preamble = pre;
  const extra = words('extraArgs'); if (extra) out.extraArgs = extra;
  if (Array.isArray(s.pathMappings)) out.pathMappings = s.pathMappings as PathMapping[];
  if (s.sync === 'rsync' || s.sync === 'builtin' || s.sync === 'auto') out.sync = s.sync;
  return out;
}

export { Supervisor, type RunHandle, type RunOutcome, type StartRequest } from '../runs/supervisor';
export { RunStore, type StoreProblem } from '../runs/runStore';
export { TargetError, type Backend, type RunSink, type ImageBuild, type CancelToken, type Reporter } from '../runs/backend';
export { DockerBackend } from './docker/dockerBackend';
export { DockerSshBackend } from './docker-ssh/dockerSshBackend';
export { KubernetesBackend } from './kubernetes/kubernetesBackend';
export { SlurmBackend } from './slurm/slurmBackend';
export { selectEngine, type EngineEndpoint } from './docker/engine';
export { translateRunArgs } from '../../../shared/docker/runArgs';
