/**
 * Turns a task plan into the Engine API's container-create body, as `mlcube run --platform=docker` would
 * build its `docker run` line (docs/mlcube.md §2.3). Pure; the flag translation is in runArgs.ts.
 */
import type { TaskPlan } from '../lsp-protocol';
import { dockerPlatform } from './platform';
import { translateRunArgs, type HostFacts, type RunArgsResult, type TranslatedHostConfig } from './runArgs';

export const RUN_ID_LABEL = 'org.cubelab.run-id';
export const TASK_LABEL = 'org.cubelab.task';
export const MANIFEST_LABEL = 'org.cubelab.manifest';

export interface ContainerSpec {
  Image: string;
  Entrypoint?: string[];
  Cmd: string[];
  Env: string[];
  User?: string;
  WorkingDir?: string;
  Hostname?: string;
  Labels: Record<string, string>;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: false;
  HostConfig: TranslatedHostConfig & { Binds: string[] };
}

export interface SpecOptions {
  runId: string;
  manifest: string;
  task: string;
  asHostUser?: boolean;
  defaultNetwork?: string;
}

export type SpecResult = { ok: true; spec: ContainerSpec; warnings: string[] } | { ok: false; flag: string; error: string };

export function buildContainerSpec(plan: TaskPlan, opts: SpecOptions, host: HostFacts): SpecResult {
  const sources = [dockerPlatform(plan).runArgs];
  if (typeof plan.env === 'string') sources.push(plan.env);
  const t: RunArgsResult = translateRunArgs(sources.filter((s) => s.trim() !== ''), plan.gpus, host);
  if (!t.ok) return t;
  const v = t.value;
  const env = typeof plan.env === 'string' ? [] : Object.entries(plan.env).map(([k, val]) => `${k}=${val}`);
  // Plan mounts come first (mlcube's --volume order), then -v flags from the free-form args.
  const binds = plan.mounts.map((m) => `${m.host}:${m.container}${m.mode ? `:${m.mode}` : ''}`);
  const hostConfig = { ...v.hostConfig, Binds: [...binds, ...(v.hostConfig.Binds ?? [])] };
  if (!hostConfig.NetworkMode && opts.defaultNetwork) hostConfig.NetworkMode = opts.defaultNetwork;
  let user = v.user;
  if (opts.asHostUser && host.uid !== undefined) user = `${host.uid}:${host.gid ?? host.uid}`;
  const [entrypoint, ...entrypointArgs] = plan.entrypoint;
  const spec: ContainerSpec = {
    Image: plan.image,
    // `--entrypoint=tok0 IMAGE tok1 ... args`: the entrypoint's other tokens lead the command.
    ...(entrypoint !== undefined ? { Entrypoint: [entrypoint] } : {}),
    Cmd: [...entrypointArgs, ...plan.args],
    Env: [...env, ...v.env],
    ...(user ? { User: user } : {}),
    ...(v.workingDir ? { WorkingDir: v.workingDir } : {}),
    ...(v.hostname ? { Hostname: v.hostname } : {}),
    Labels: { [RUN_ID_LABEL]: opts.runId, [TASK_LABEL]: opts.task, [MANIFEST_LABEL]: opts.manifest },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: hostConfig,
  };
  return { ok: true, spec, warnings: [...plan.warnings, ...v.warnings] };
}
