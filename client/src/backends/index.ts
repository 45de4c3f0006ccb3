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
import type { PathMapping } from './docker-ssh/remotePlan';
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
};

export { Supervisor, type RunHandle, type RunOutcome, type StartRequest } from '../runs/supervisor';
export { RunStore, type StoreProblem } from '../runs/runStore';
export { TargetError, type Backend, type RunSink, type ImageBuild, type CancelToken, type Reporter } from '../runs/backend';
export { DockerBackend } from './docker/dockerBackend';
export { DockerSshBackend } from './docker-ssh/dockerSshBackend';
export { selectEngine, type EngineEndpoint } from './docker/engine';
export { translateRunArgs } from '../../../shared/docker/runArgs';
