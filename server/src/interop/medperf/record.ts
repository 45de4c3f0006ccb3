/**
 * MedPerf cube records (docs/interop.md §2), as MedPerf's server returns them (`GET /mlcubes/<id>/`) and its
 * seeds post them, in their two forms:
 *
 * - older (mlcommons/medperf until 2025-11): `git_mlcube_url` (an mlcube.yaml), `git_parameters_url`,
 *   `additional_files_tarball_url` and `image_tarball_url`, each with a hash (`mlcube_hash`, …: SHA-1 hex
 *   until 4c42201 of 2023-08-25, SHA-256 hex since), and `image_hash`, the image id (`docker inspect`'s Id
 *   without `sha256:`);
 * - newer (migration 0004 of 2025-11-23): `container_config` inline (MedPerf's container format, not MLCube),
 *   `parameters_config` inline, the additional files by URL and SHA-256, and `image_hash` the image's manifest
 *   digest (`sha256:…`, 4b3ab91 of 2025-12-01).
 *
 * This reads a record and says what to download and verify and what to write; the client downloads, checks
 * every hash (client/src/registry/medperf/) and pulls the image. A newer record's container config becomes an
 * mlcube.yaml here (the server owns reading configs); the config itself is kept beside it.
 */
import YAML from 'yaml';
import type { ImportedFile, MedperfDownload, MedperfPlan, MedperfRecordResult } from '../../../../shared/lsp-protocol';
import { loadManifest } from '../../mlcube/planning/manifest';
import { effectiveConfig, resolveConfig } from '../../mlcube/interpolation';
import { parseYaml } from '../../yaml/parsedDocument';
import { parseJsonLossless, pyJsonDumps } from '../pyValues';
import { writeParameters } from '../paramsFile';

export const RECORD_FILE = 'medperf-record.json';
export const CONTAINER_CONFIG_FILE = 'container_config.yaml';
export const PARAMS_PATH = 'workspace/parameters.yaml';
export const ADDITIONAL_PATH = 'workspace/additional_files';

const isDict = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

class RecordError extends Error {}

/** The image of an mlcube.yaml (`docker.image`, interpolations resolved as mlcube resolves them). */
export function manifestImage(text: string): string | undefined {
  const loaded = loadManifest(parseYaml(text));
  if (!loaded.ok) return undefined;
  const cfg = effectiveConfig(loaded.value, { root: '/mlcube' });
  const r = resolveConfig(cfg, {});
  const docker = r.ok ? r.value.docker : undefined;
  return isDict(docker) && typeof docker.image === 'string' && docker.image.trim() ? docker.image.trim() : undefined;
}

/** The image hash's meaning by its form: a manifest digest (`sha256:…`), an image id (64 hex digits), or none. */
export function imageHashOf(hash: string): { digest?: string; id?: string } {
  const h = hash.trim().toLowerCase();
  if (/^sha256:[0-9a-f]{64}$/.test(h)) return { digest: h };
  if (/^[0-9a-f]{64}$/.test(h)) return { id: `sha256:${h}` };
  if (h) throw new RecordError(`image_hash "${hash.slice(0, 80)}" is neither an image id (64 hex digits) nor a manifest digest (sha256:<64 hex digits>).`);
  return {};
}

function url(v: unknown, field: string): string {
  const u = str(v);
  if (!u) return '';
  let parsed: URL;
  try { parsed = new URL(u); } catch { throw new RecordError(`${field} "${u.slice(0, 120)}" is not a URL.`); }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new RecordError(`${field} "${u.slice(0, 120)}": only http(s) URLs are downloaded.`);
  return parsed.toString();
}

/** A newer record's container config as an MLCube manifest, with what differs said in warnings. */
export function containerConfigToManifest(name: string, config: Record<string, unknown>, warnings: string[]): string {
  const type = str(config.container_type);
  if (type !== 'DockerImage') throw new RecordError(`The container is a ${type || 'container of no container_type'}: CubeLab pulls DockerImage containers only (archives, encrypted and Singularity containers are MedPerf's own).`);
  const image = str(config.image);
  if (!image) throw new RecordError('The container config has no "image".');
  if (!isDict(config.tasks) || !Object.keys(config.tasks).length) throw new RecordError('The container config has no "tasks".');
  const tasks: Record<string, unknown> = {};
  const envs: string[] = [];
  let env: Record<string, string> | undefined;
  let gpus: number | undefined;
  let shm: string | undefined;
  const mounted: string[] = [];
  for (const [task, t] of Object.entries(config.tasks)) {
    if (!isDict(t)) throw new RecordError(`Task "${task}" of the container config is not a mapping.`);
    const params: Record<string, Record<string, unknown>> = {};
    for (const [io, key] of [['inputs', 'input_volumes'], ['outputs', 'output_volumes']] as const) {
      const vols = t[key];
      if (vols === undefined) continue;
      if (!isDict(vols)) throw new RecordError(`${task}.${key} is not a mapping.`);
      const out: Record<string, unknown> = {};
      for (const [label, v] of Object.entries(vols)) {
        if (!isDict(v) || (v.type !== 'file' && v.type !== 'directory') || typeof v.mount_path !== 'string') {
          throw new RecordError(`${task}.${key}.${label} needs a "type" (file or directory) and a "mount_path", as MedPerf checks.`);
        }
        // Inputs are shared by name (a task reads what another wrote: MedPerf wires them the same way);
        // outputs go into a folder per task, since tasks reuse output names for different things.
        const path = label === 'parameters_file' ? 'parameters.yaml' : label === 'additional_files' ? 'additional_files' : io === 'outputs' ? `${task}/${label}` : label;
        out[label] = { type: v.type, default: path };
        mounted.push(`${task}: ${label} at ${v.mount_path}`);
      }
      params[io] = out;
    }
    const ra = isDict(t.run_args) ? t.run_args : {};
    const command = Array.isArray(ra.command) ? ra.command.map(String).join(' ') : str(ra.command);
    const entry = str(ra.entrypoint);
    const spec: Record<string, unknown> = {};
    if (entry || command) spec.entrypoint = [entry, command].filter(Boolean).join(' ');
    if (!entry && command) warnings.push(`Task ${task}: MedPerf hands "${command}" to the image's ENTRYPOINT as its command; the cube's entrypoint replaces the ENTRYPOINT (the same when the image has none).`);
    if (!entry && !command) warnings.push(`Task ${task}: MedPerf runs the image's own command without arguments; an MLCube run passes the task's name and --<name>=<path> arguments to it.`);
    if (Object.keys(params).length) spec.parameters = params;
    tasks[task] = spec;
    if (isDict(ra.environment)) {
      const e = Object.fromEntries(Object.entries(ra.environment).map(([k, v]) => [k, String(v)]));
      if (env && JSON.stringify(env) !== JSON.stringify(e)) warnings.push(`Task ${task} sets other environment variables than the tasks before it: an MLCube manifest has one env_args for every task; the first task's are kept.`);
      env ??= e;
      envs.push(task);
    }
    if (ra.gpus !== undefined) {
      const n = typeof ra.gpus === 'number' ? ra.gpus : undefined;
      if (n === undefined) warnings.push(`Task ${task} asks for GPUs "${String(ra.gpus)}": only a count becomes platform.accelerator_count.`);
      else gpus = Math.max(gpus ?? 0, n);
    }
    if (ra.shm_size !== undefined) shm = String(ra.shm_size);
    const other = Object.keys(ra).filter((k) => !['command', 'entrypoint', 'environment', 'gpus', 'shm_size'].includes(k));
    if (other.length) warnings.push(`Task ${task}: run_args ${other.join(', ')} are not allowed by MedPerf either: left out.`);
  }
  if (mounted.length) warnings.push(`MedPerf mounts each volume at a fixed path (${mounted.slice(0, 6).join('; ')}${mounted.length > 6 ? '; …' : ''}); an MLCube run mounts it under /mlcube_io<N> and passes --<name>=<path>: images that read the fixed paths need their entrypoint adapted.`);
  const docker: Record<string, unknown> = { image };
  if (env && Object.keys(env).length) docker.env_args = env;
  if (shm) { docker.cpu_args = `--shm-size=${shm}`; docker.gpu_args = `--shm-size=${shm}`; }
  const manifest: Record<string, unknown> = { name, ...(gpus ? { platform: { accelerator_count: gpus } } : {}), docker, tasks };
  const doc = new YAML.Document(manifest, { version: '1.1' });
  doc.commentBefore = ` Pulled by CubeLab from the MedPerf cube record "${name}" (the newer form: container config inline).\n MedPerf's own container config is ${CONTAINER_CONFIG_FILE}, the record itself ${RECORD_FILE}.`;
  return doc.toString({ lineWidth: 0 });
}

export function medperfPlan(text: string, manifestText?: string): MedperfRecordResult {
  try {
    let record: unknown;
    try { record = parseJsonLossless(text); } catch (e) { throw new RecordError(`The record is not JSON: ${(e as Error).message}.`); }
    if (!isDict(record)) throw new RecordError('The record is not a JSON object.');
    const name = str(record.name);
    if (!name) throw new RecordError('The record has no "name".');
    const id = typeof record.id === 'number' || typeof record.id === 'string' ? record.id : undefined;
    if (record.is_valid === false) throw new RecordError(`MedPerf marks the cube "${name}" as invalid (is_valid: false): refused.`);
    const warnings: string[] = [];
    const downloads: MedperfDownload[] = [];
    const files: ImportedFile[] = [{ path: RECORD_FILE, text: `${pyJsonDumps(record, 2)}\n` }];
    const additional = url(record.additional_files_tarball_url, 'additional_files_tarball_url');
    if (additional) downloads.push({ role: 'additional-files', url: additional, hash: str(record.additional_files_tarball_hash), path: ADDITIONAL_PATH });
    const image = imageHashOf(str(record.image_hash));
    let plan: MedperfPlan;
    if (isDict(record.container_config)) {
      const manifest = containerConfigToManifest(name, record.container_config, warnings);
      files.push({ path: 'mlcube.yaml', text: manifest }, { path: CONTAINER_CONFIG_FILE, text: new YAML.Document(record.container_config, { version: '1.1' }).toString({ lineWidth: 0 }) });
      const pc = record.parameters_config;
      if (isDict(pc)) files.push({ path: PARAMS_PATH, text: writeParameters(pc) });
      else if (pc !== undefined && pc !== null) throw new RecordError('parameters_config is not a mapping.');
      plan = { form: 'newer', name, ...(id !== undefined ? { id } : {}), downloads, files, manifest: 'mlcube.yaml', image: { name: str(record.container_config.image), ...image }, warnings };
    } else if (str(record.git_mlcube_url)) {
      if (str(record.image_tarball_url)) throw new RecordError(`The record's image is a tarball (${str(record.image_tarball_url).slice(0, 120)}): CubeLab pulls images from registries only; refused.`);
      downloads.unshift({ role: 'manifest', url: url(record.git_mlcube_url, 'git_mlcube_url'), hash: str(record.mlcube_hash), path: 'mlcube.yaml' });
      const params = url(record.git_parameters_url, 'git_parameters_url');
      if (params) downloads.splice(1, 0, { role: 'parameters', url: params, hash: str(record.parameters_hash), path: PARAMS_PATH });
      plan = { form: 'older', name, ...(id !== undefined ? { id } : {}), downloads, files, manifest: 'mlcube.yaml', warnings };
      if (manifestText !== undefined) {
        const img = manifestImage(manifestText);
        if (!img) throw new RecordError('The record\'s mlcube.yaml names no image (docker.image).');
        plan.image = { name: img, ...image };
      }
    } else {
      throw new RecordError('The record has neither a "container_config" (newer records) nor a "git_mlcube_url" (older records): not a MedPerf cube record.');
    }
    return { ok: true, plan };
  } catch (e) {
    if (e instanceof RecordError) return { ok: false, error: e.message };
    throw e;
  }
}
