/**
 * A task plan as a Kubernetes `batch/v1` Job, the way MLCube's Kubernetes runner runs a cube (docs/mlcube.md §3):
 * one container, the workspace on a PersistentVolumeClaim, `restartPolicy: Never`. The container comes from the
 * same translation the Docker backends use (shared/docker/containerSpec.ts: the docker flags of the manifest
 * read once), then each Docker notion is said in Kubernetes terms: a mount becomes a `subPath` of the claim at
 * the same container path (`/mlcube_ioN`), `--memory`/`--cpus`/`--gpus` become limits, `--shm-size` a memory
 * `emptyDir` at /dev/shm, `--user` a security context. What has no Kubernetes equivalent is refused or said.
 *
 * A sweep is one Indexed Job: one pod template for every element, each pod told its completion index. What
 * differs between elements must be expressible through that index: folders by `subPathExpr`, and a command
 * line or environment of its own through a small `/bin/sh` launcher that picks the element's by index. Pure.
 */
import type { V1Container, V1EnvVar, V1Job, V1PodSpec, V1ResourceRequirements, V1SecurityContext, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { TaskPlan } from '../../../../shared/lsp-protocol';
import { buildContainerSpec } from '../../../../shared/docker/containerSpec';
import type { HostFacts } from '../../../../shared/docker/runArgs';
import type { KubernetesSettings } from './settings';
import { DEFAULT_TTL_SECONDS } from './settings';

export const CONTAINER_NAME = 'mlcube-container';
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const RUN_LABEL = 'cubelab.io/run';
export const RUN_ID_ANNOTATION = 'cubelab.io/run-id';
export const INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** The element's completion index inside its pod (set from the pod's annotation by the downward API). */
export const INDEX_ENV = 'CUBELAB_ELEMENT_INDEX';
const VOLUME = 'workspace';

/** Where the claim's files are on this machine, and whether they really are (a shared folder). */
export interface ClaimLayout {
  claim: string;
  /** The local folder the claim's root stands for. */
  localRoot: string;
  /** Whether `localRoot` holds the claim's own files (`localPath` set), or only stands for them. */
  shared: boolean;
}

export function claimLayout(settings: KubernetesSettings, plan: TaskPlan): ClaimLayout {
  return {
    claim: settings.persistentVolumeClaim ?? '',
    localRoot: settings.localPath ?? join(plan.root, 'workspace'),
    shared: !!settings.localPath,
  };
}

/** The path inside the claim of a local path, or undefined when it is not under the claim's local root. */
export function subPathOf(hostPath: string, layout: ClaimLayout): string | undefined {
  const rel = relative(layout.localRoot, hostPath);
  if (rel === '') return '';
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/** One element's container and pod settings, before they become a pod template. */
export interface PodParts {
  image: string;
  /** The container's command (Docker's entrypoint); undefined: the image's ENTRYPOINT. */
  command?: string[];
  args: string[];
  env: [string, string][];
  mounts: { mountPath: string; subPath: string; readOnly: boolean; io: 'input' | 'output' | 'both'; host: string }[];
  /** Everything else, equal for every element of a sweep. */
  shared: {
    resources: V1ResourceRequirements;
    securityContext?: V1SecurityContext;
    workingDir?: string;
    hostname?: string;
    hostNetwork?: boolean;
    hostIPC?: boolean;
    hostPID?: boolean;
    shmBytes?: number;
  };
}

export type PartsResult = { ok: true; parts: PodParts; warnings: string[] } | { ok: false; error: string; code: 'bad-flag' | 'gpu' | 'staging' };

/** The GPU resource name of NVIDIA's device plugin, the one `--gpus` stands for. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** Translates one task plan into the container and pod settings of a Job (nothing contacted). */
export function podParts(plan: TaskPlan, opts: { runId: string; manifest: string; task: string; asHostUser?: boolean }, settings: KubernetesSettings, host: HostFacts): PartsResult {
  if (!settings.persistentVolumeClaim) return { ok: false, code: 'staging', error: 'This Kubernetes target names no persistentVolumeClaim: set the claim that holds the cube\'s workspace in cubelab.targets (MLCube\'s runner uses the cube\'s name).' };
  // No default network here: a pod always has the cluster's, so only a network the plan itself asks for is said.
  const t = buildContainerSpec(plan, { runId: opts.runId, manifest: opts.manifest, task: opts.task, asHostUser: opts.asHostUser }, host);
  if (!t.ok) return { ok: false, code: 'bad-flag', error: t.error };
  const spec = t.spec;
  const hc = spec.HostConfig;
  const warnings = [...t.warnings];
  const layout = claimLayout(settings, plan);
  const where = layout.shared ? `localPath (${layout.localRoot})` : `the cube's workspace folder (${layout.localRoot}), which the claim's root stands for`;

  const mounts: PodParts['mounts'] = [];
  const ioOf = new Map(plan.mounts.map((m) => [m.container, m.io ?? 'both'] as const));
  for (const bind of hc.Binds) {
    const parts = bind.split(':');
    const [hostPath = '', mountPath = ''] = parts;
    const mode = parts[2] ?? '';
    if (!hostPath.startsWith('/')) return { ok: false, code: 'bad-flag', error: `The Docker volume "${hostPath}" (${bind}) has no Kubernetes equivalent here: CubeLab mounts folders of the claim ${layout.claim} only.` };
    const subPath = subPathOf(hostPath, layout);
    if (subPath === undefined) {
      return {
        ok: false, code: 'staging',
        error: `${hostPath} (mounted at ${mountPath}) is outside ${where}: on this target it exists only on this machine, and CubeLab does not upload to the claim ${layout.claim}. `
          + (layout.shared ? 'Move it under localPath, or pass a path there.' : 'Copy it into the claim and pass a path inside the workspace, or set localPath to a folder holding the claim\'s files (its share mounted here).'),
      };
    }
    mounts.push({ mountPath, subPath, readOnly: mode.split(',').includes('ro'), io: ioOf.get(mountPath) ?? 'both', host: hostPath });
  }

  const resources: V1ResourceRequirements = {
    ...(settings.resources?.requests ? { requests: { ...settings.resources.requests } } : {}),
    ...(settings.resources?.limits ? { limits: { ...settings.resources.limits } } : {}),
  };
  const limits = (resources.limits ??= {});
  if (hc.Memory) limits.memory = String(hc.Memory);
  if (hc.NanoCpus) limits.cpu = `${Math.max(1, Math.round(hc.NanoCpus / 1e6))}m`;
  for (const r of hc.DeviceRequests ?? []) {
    if (!r.Capabilities.some((c) => c.includes('gpu'))) continue;
    if (r.Count > 0 && !r.DeviceIDs?.length) limits[GPU_RESOURCE] = String(r.Count);
    else if (settings.resources?.limits?.[GPU_RESOURCE]) warnings.push(`--gpus asks for ${r.DeviceIDs?.length ? `devices ${r.DeviceIDs.join(',')}` : 'all GPUs'}; Kubernetes gives a number of GPUs: the target's ${settings.resources.limits[GPU_RESOURCE]} ${GPU_RESOURCE}.`);
    else return { ok: false, code: 'gpu', error: `The task asks for ${r.DeviceIDs?.length ? `GPU devices ${r.DeviceIDs.join(',')}` : 'all GPUs'} (--gpus); Kubernetes schedules a number of GPUs: pass --gpus=N, or set resources.limits["${GPU_RESOURCE}"] in the target.` };
  }
  if (!Object.keys(limits).length) delete resources.limits;

  const sc: V1SecurityContext = {};
  if (spec.User) {
    const m = /^(\d+)(?::(\d+))?$/.exec(spec.User);
    if (m) { sc.runAsUser = Number(m[1]); if (m[2] !== undefined) sc.runAsGroup = Number(m[2]); } else warnings.push(`--user ${spec.User}: Kubernetes runs a container as a numeric user only; the image's user is used.`);
  }
  if (hc.Privileged) sc.privileged = true;
  const cap = (c: string) => c.replace(/^CAP_/i, '').toUpperCase();
  if (hc.CapAdd?.length || hc.CapDrop?.length) sc.capabilities = { ...(hc.CapAdd?.length ? { add: hc.CapAdd.map(cap) } : {}), ...(hc.CapDrop?.length ? { drop: hc.CapDrop.map(cap) } : {}) };

  const shared: PodParts['shared'] = { resources };
  if (Object.keys(sc).length) shared.securityContext = sc;
  if (spec.WorkingDir) shared.workingDir = spec.WorkingDir;
  if (spec.Hostname) { if (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(spec.Hostname)) shared.hostname = spec.Hostname; else warnings.push(`--hostname ${spec.Hostname} is not a valid pod host name: not applied.`); }
  const net = hc.NetworkMode;
  if (net === 'host') shared.hostNetwork = true;
  else if (net === 'none') warnings.push('--network=none: a pod always has the cluster\'s network; use a NetworkPolicy to cut it.');
  else if (net && net !== 'bridge' && net !== 'default') warnings.push(`--network=${net}: a pod always has the cluster's network; not applied.`);
  if (hc.IpcMode === 'host') shared.hostIPC = true; else if (hc.IpcMode && hc.IpcMode !== 'private' && hc.IpcMode !== 'shareable') warnings.push(`--ipc=${hc.IpcMode}: not applied on Kubernetes.`);
  if (hc.PidMode === 'host') shared.hostPID = true; else if (hc.PidMode) warnings.push(`--pid=${hc.PidMode}: not applied on Kubernetes.`);
  if (hc.UTSMode) warnings.push(`--uts=${hc.UTSMode}: not applied on Kubernetes.`);
  if (hc.ShmSize) shared.shmBytes = hc.ShmSize;
  if (hc.Runtime && hc.Runtime !== 'runc') warnings.push(`--runtime=${hc.Runtime}: not applied; on Kubernetes GPUs come from ${GPU_RESOURCE} (the cluster's device plugin).`);
  if (hc.CpusetCpus) warnings.push(`--cpuset-cpus=${hc.CpusetCpus}: not applied on Kubernetes (limits.cpu bounds the CPU time).`);
  if (hc.SecurityOpt?.length) warnings.push(`--security-opt ${hc.SecurityOpt.join(', ')}: not applied on Kubernetes (the cluster's pod security settings apply).`);
  if (hc.Ulimits?.length) warnings.push('--ulimit: not applied on Kubernetes.');
  if (hc.Devices?.length) warnings.push(`--device ${hc.Devices.map((d) => d.PathOnHost).join(', ')}: not applied; Kubernetes gives devices through device plugins.`);

  const env: [string, string][] = spec.Env.map((e) => { const i = e.indexOf('='); return i < 0 ? [e, ''] as [string, string] : [e.slice(0, i), e.slice(i + 1)] as [string, string]; });
  return {
    ok: true, warnings,
    parts: { image: spec.Image, ...(spec.Entrypoint ? { command: spec.Entrypoint } : {}), args: spec.Cmd, env, mounts, shared },
  };
}

/**
 * Kubernetes expands `$(NAME)` in a container's command, arguments and environment values, and turns `$$` into
 * `$`: every `$` of a literal is doubled so the task sees its own text.
 */
export function literal(text: string): string { return text.replace(/\$/g, '$$$$'); }

/** A label value for a run id (63 characters of `[A-Za-z0-9._-]`, alphanumeric at both ends), stable. */
export function runLabel(runId: string): string {
  if (/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(runId)) return runId;
  const h = createHash('sha256').update(runId).digest('hex').slice(0, 10);
  const safe = runId.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 50).replace(/[^A-Za-z0-9]+$/, '');
  return safe ? `${safe}-${h}` : h;
}

/** The Job's name for a run: `cubelab-<task>-<hash of the run id>`, short enough for its pods' names. */
export function jobName(runId: string, task: string): string {
  const t = task.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 20).replace(/-+$/, '');
  return `cubelab-${t ? `${t}-` : ''}${createHash('sha256').update(runId).digest('hex').slice(0, 8)}`;
}

export interface JobOptions {
  runId: string;
  task: string;
  manifest: string;
  namespace: string;
  settings: KubernetesSettings;
  /** SIGTERM to SIGKILL on stop (the pods' terminationGracePeriodSeconds). */
  graceSeconds: number;
}

function metadata(o: JobOptions) {
  return {
    name: jobName(o.runId, o.task), namespace: o.namespace,
    labels: { [MANAGED_BY]: 'cubelab', [RUN_LABEL]: runLabel(o.runId), app: 'mlcube' },
    annotations: { [RUN_ID_ANNOTATION]: o.runId, 'cubelab.io/task': o.task, 'cubelab.io/manifest': o.manifest },
  };
}

function podSpec(o: JobOptions, parts: PodParts, container: V1Container, extraVolumes: V1Volume[] = []): V1PodSpec {
  const s = parts.shared;
  const volumes: V1Volume[] = [{ name: VOLUME, persistentVolumeClaim: { claimName: o.settings.persistentVolumeClaim ?? '' } }, ...extraVolumes];
  if (s.shmBytes) {
    volumes.push({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: String(s.shmBytes) } });
    container.volumeMounts = [...(container.volumeMounts ?? []), { name: 'dshm', mountPath: '/dev/shm' }];
  }
  return {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: o.graceSeconds,
    containers: [container],
    volumes,
    ...(s.hostname ? { hostname: s.hostname } : {}),
    ...(s.hostNetwork ? { hostNetwork: true } : {}),
    ...(s.hostIPC ? { hostIPC: true } : {}),
    ...(s.hostPID ? { hostPID: true } : {}),
    ...(o.settings.imagePullSecrets?.length ? { imagePullSecrets: o.settings.imagePullSecrets.map((name) => ({ name })) } : {}),
    ...(o.settings.nodeSelector && Object.keys(o.settings.nodeSelector).length ? { nodeSelector: { ...o.settings.nodeSelector } } : {}),
    ...(o.settings.tolerations?.length ? { tolerations: o.settings.tolerations.map((t) => ({ ...t })) } : {}),
  };
}

function baseContainer(parts: PodParts): V1Container {
  const s = parts.shared;
  return {
    name: CONTAINER_NAME,
    image: parts.image,
    ...(s.workingDir ? { workingDir: s.workingDir } : {}),
    ...(Object.keys(s.resources).length ? { resources: s.resources } : {}),
    ...(s.securityContext ? { securityContext: s.securityContext } : {}),
  };
}

const mountOf = (m: PodParts['mounts'][number]): V1VolumeMount => ({ name: VOLUME, mountPath: m.mountPath, ...(m.subPath ? { subPath: m.subPath } : {}), ...(m.readOnly ? { readOnly: true } : {}) });

/**
 * A pod evicted or preempted (the `DisruptionTarget` condition) is replaced without counting as the task's
 * failure; any other failure is final (no retry: a task that fails would fail again, and its exit code is the run's).
 */
const failurePolicy = { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] };

/** One task as one Job. */
export function singleJob(parts: PodParts, o: JobOptions): V1Job {
  const meta = metadata(o);
  const container: V1Container = {
    ...baseContainer(parts),
    ...(parts.command ? { command: parts.command.map(literal) } : {}),
    ...(parts.args.length ? { args: parts.args.map(literal) } : {}),
    ...(parts.env.length ? { env: parts.env.map(([name, value]) => ({ name, value: literal(value) })) } : {}),
    volumeMounts: parts.mounts.map(mountOf),
  };
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: meta,
    spec: {
      backoffLimit: 0,
      podFailurePolicy: failurePolicy,
      ttlSecondsAfterFinished: o.settings.ttlSecondsAfterFinished ?? DEFAULT_TTL_SECONDS,
      template: { metadata: { labels: { ...meta.labels } }, spec: podSpec(o, parts, container) },
    },
  };
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A template of a folder that differs between elements by their completion index only (`el0/out`, `el1/out`
 * → `el$(INDEX)/out`), or undefined. Every occurrence of the first value's index is tried in turn.
 */
export function indexTemplate(values: string[]): string | undefined {
  const first = values[0] ?? '';
  const mark = '\u0000';
  for (let p = first.indexOf('0'); p >= 0; p = first.indexOf('0', p + 1)) {
    const t = `${first.slice(0, p)}${mark}${first.slice(p + 1)}`;
    if (values.every((v, k) => t.replace(mark, String(k)) === v)) return `${literal(first.slice(0, p))}$(${INDEX_ENV})${literal(first.slice(p + 1))}`;
  }
  return undefined;
}

export type IndexedResult = { ok: true; job: V1Job; launcher: boolean } | { ok: false; error: string };

/**
 * A sweep as one Indexed Job: element k (completion index k) of `elements`, `parallelism` pods at a time, each
 * index on its own (one failing does not stop the others: `backoffLimitPerIndex: 0`). `imageEntrypoint` is the
 * image's ENTRYPOINT when known, needed only when elements that use it differ in their command lines.
 */
export function indexedJob(elements: PodParts[], parallelism: number, o: JobOptions, imageEntrypoint: string[] | undefined): IndexedResult {
  const first = elements[0];
  if (!first) return { ok: false, error: 'A sweep needs at least one element.' };
  const meta = metadata(o);
  for (const [k, e] of elements.entries()) {
    if (e.image !== first.image) return { ok: false, error: `Element ${k} runs image ${e.image} and element 0 ${first.image}: one Indexed Job runs one image.` };
    if (JSON.stringify(e.shared) !== JSON.stringify(first.shared)) return { ok: false, error: `Element ${k} asks for other resources or container settings than element 0: one Indexed Job has one pod template.` };
    const paths = (p: PodParts) => p.mounts.map((m) => `${m.mountPath}${m.readOnly ? ':ro' : ''}`).join(',');
    if (paths(e) !== paths(first)) return { ok: false, error: `Element ${k} mounts other folders (${paths(e)}) than element 0 (${paths(first)}): one Indexed Job has one pod template.` };
  }
  const mounts: V1VolumeMount[] = [];
  for (const [i, m] of first.mounts.entries()) {
    const subs = elements.map((e) => e.mounts[i]!.subPath);
    if (subs.every((s) => s === subs[0])) { mounts.push(mountOf(m)); continue; }
    const expr = indexTemplate(subs);
    if (!expr) return { ok: false, error: `The elements mount different folders at ${m.mountPath} (${elements.slice(0, 3).map((e) => e.mounts[i]!.host).join(', ')}${elements.length > 3 ? ', …' : ''}) in a way one Indexed Job cannot express: a pod's folders can differ only by its completion index.` };
    mounts.push({ name: VOLUME, mountPath: m.mountPath, subPathExpr: expr, ...(m.readOnly ? { readOnly: true } : {}) });
  }
  const indexEnv: V1EnvVar = { name: INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${INDEX_ANNOTATION}']` } } };
  const argv = (e: PodParts) => JSON.stringify([e.command ?? null, e.args]);
  const sameLine = elements.every((e) => argv(e) === argv(first));
  const envKey = (e: PodParts) => JSON.stringify(e.env);
  const sameEnv = elements.every((e) => envKey(e) === envKey(first));
  let container: V1Container;
  if (sameLine && sameEnv) {
    container = {
      ...baseContainer(first),
      ...(first.command ? { command: first.command.map(literal) } : {}),
      ...(first.args.length ? { args: first.args.map(literal) } : {}),
      env: [indexEnv, ...first.env.map(([name, value]) => ({ name, value: literal(value) }))],
      volumeMounts: mounts,
    };
  } else {
    // Each pod picks its element's command line and environment by its index, in a shell the image must have.
    if (elements.some((e) => !e.command) && !imageEntrypoint) {
      return { ok: false, error: `The elements differ in their arguments, so each pod starts its own through /bin/sh; that replaces the image's ENTRYPOINT, which CubeLab cannot read for ${first.image} (the image is not in the local Docker engine). Pull the image here first, or give the task an entrypoint.` };
    }
    const common = first.env.filter(([k, v]) => elements.every((e) => e.env.some(([k2, v2]) => k2 === k && v2 === v)));
    const branches = elements.map((e, k) => {
      const own = e.env.filter(([name]) => !common.some(([c]) => c === name));
      const words = [...(e.command ?? imageEntrypoint ?? []), ...e.args];
      return `${k}) ${own.map(([name, value]) => `export ${name}=${shq(value)}; `).join('')}set -- ${words.map(shq).join(' ')} ;;`;
    });
    const script = [
      `case "$${INDEX_ENV}" in`,
      ...branches.map((b) => `  ${b}`),
      `  *) echo "cubelab: no element has completion index $${INDEX_ENV}" >&2; exit 127 ;;`,
      'esac',
      'exec "$@"',
    ].join('\n');
    container = {
      ...baseContainer(first),
      command: ['/bin/sh', '-c', literal(script)],
      env: [indexEnv, ...common.map(([name, value]) => ({ name, value: literal(value) }))],
      volumeMounts: mounts,
    };
  }
  return {
    ok: true, launcher: !(sameLine && sameEnv),
    job: {
      apiVersion: 'batch/v1', kind: 'Job', metadata: meta,
      spec: {
        completionMode: 'Indexed',
        completions: elements.length,
        parallelism: Math.max(1, Math.min(parallelism, elements.length)),
        backoffLimitPerIndex: 0,
        podFailurePolicy: failurePolicy,
        ttlSecondsAfterFinished: o.settings.ttlSecondsAfterFinished ?? DEFAULT_TTL_SECONDS,
        template: { metadata: { labels: { ...meta.labels } }, spec: podSpec(o, first, container) },
      },
    },
  };
}
