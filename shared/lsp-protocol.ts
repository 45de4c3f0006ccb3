/**
 * The client <-> language server boundary: every custom request and notification, typed once and
 * imported by both sides (client/src and server/src). Standard LSP traffic is not repeated here.
 */
// The message-type classes only, not the whole protocol package: the client's activation bundle imports
// this file, and pulling in vscode-languageserver-protocol there would cost it ~300 KB of parsing.
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc/lib/common/messages';

/** What the server decided a YAML document is. `none` documents get nothing from CubeLab. */
export type DocumentKind =
  | 'mlcube' // a v2 MLCube manifest
  | 'mlcube-settings' // ~/mlcube.yaml system settings (runners/platforms): recognised, left alone
  | 'mlcube-legacy' // a v1 manifest (schema_type: mlcube_root ...): one diagnostic that says so
  | 'mlgym-run' // an MLgym run_config
  | 'mlgym-gs' // an MLgym grid-search / experiment config (component blocks)
  | 'none';

/** Settings the server reads (section `cubelab`). Defaults live in package.json and in `defaultSettings`. */
export interface CubeLabSettings {
  files: { manifestGlobs: string[]; mlgymGlobs: string[]; exclude: string[] };
  validation: { enable: boolean; debounceMs: number };
}

export const defaultSettings: CubeLabSettings = {
  files: { manifestGlobs: [], mlgymGlobs: [], exclude: ['**/node_modules/**', '**/.cubelab/**'] },
  validation: { enable: true, debounceMs: 150 },
};

// ---- cubelab/documentKind: which kind the server assigned to a document (for UI and tests) ----
export interface DocumentKindParams { uri: string }
export interface DocumentKindResult { kind: DocumentKind }
export const DocumentKindRequest = new RequestType<DocumentKindParams, DocumentKindResult, void>('cubelab/documentKind');

// ---- cubelab/serverInfo: version and process id (the client shows it; tests kill the pid) ----
export interface ServerInfoResult { version: string; pid: number; documents: number }
export const ServerInfoRequest = new RequestType0<ServerInfoResult, void>('cubelab/serverInfo');

// ---- cubelab/taskPlan: what the Docker runner must do for a task (filled by the MLCube issue) ----
export interface TaskPlanParams {
  uri: string;
  /** Task to plan. Empty: the only task of the manifest (mlcube's rule when `--task` is omitted). */
  task: string;
  /**
   * Extra `mlcube run` arguments, one shell word each, as typed by the user: `name=value` parameter overrides,
   * `-Pkey.path=value` (or `-P key.path=value`) config overrides, and the flags `--network`, `--security`,
   * `--gpus`, `--memory`, `--cpu`, `--mount`, `--workspace` (`--x=v` or `--x v`).
   */
  overrides?: string[];
  /** Workspace folder for the run (`--workspace`); defaults to `<manifest dir>/workspace`. Relative: to the manifest dir. */
  workspace?: string;
}
export interface TaskPlanMount {
  host: string;
  container: string;
  mode: 'ro' | 'rw' | '';
  /** Whether the folder holds the task's inputs, outputs or both (remote targets sync inputs up, outputs back). */
  io?: 'input' | 'output' | 'both';
}
/** How the image is obtained (docs/mlcube.md §2.2): `docker pull` unless the strategy is auto/always and the recipe exists. */
export interface TaskPlanImageBuild {
  strategy: 'pull' | 'auto' | 'always';
  /** Absolute build context (`<root>/<build_context>`). */
  context: string;
  /** Absolute Dockerfile path (`<context>/<build_file>`). */
  file: string;
  /** Whether the Dockerfile exists (when false, mlcube pulls whatever the strategy). */
  fileExists: boolean;
  /** `build_args`: a dict (each `--build-arg K=V`) or a verbatim string. */
  buildArgs: Record<string, string> | string;
  /** What `mlcube run` does first: `build` (always, or auto when the image is missing), else `pull` when missing. */
  action: 'pull' | 'build';
}
/**
 * How mlcube's docker platform runs the task (`docker_run.py`): the free-form flags, the image build, and the
 * exact command line mlcube hands to the shell.
 */
export interface DockerPlatformPlan {
  /** The container tool (`docker.docker`: docker, podman, `sudo docker` ...). */
  tool: string;
  /** The free-form `cpu_args` or `gpu_args` string plus rendered `--x=y` runner keys, in mlcube's order. */
  runArgs: string;
  imageBuild: TaskPlanImageBuild;
  /** The `docker run ...` line mlcube hands to `os.system`, for display and for a CLI-based backend. */
  command: string;
}

/**
 * How mlcube's singularity platform runs the task (`singularity_run.py`), with its `Config.merge` fallback
 * chain applied (docs/mlcube.md §1.5, §3): clusters run Apptainer/Singularity, not Docker.
 */
export interface SingularityPlatformPlan {
  /** The executable (`singularity.singularity`). */
  executable: string;
  /** Absolute path of the SIF file (`image_dir/image`). */
  image: string;
  /** Where the SIF comes from when it is missing: a recipe path, `docker://IMAGE` or `docker-archive:TAR`. */
  buildFile: string;
  buildArgs: string;
  /** `run_args` plus rendered `--x=v` runner keys (`--nv` bare), in mlcube's order. */
  runArgs: string;
  /** `--bind host:container[:opts]` values, in mount order. */
  binds: string[];
  /** `run` (the image's runscript with the task name) or `exec` (a task `entrypoint`). */
  verb: 'run' | 'exec';
  /** The `singularity build ...` line mlcube runs when the SIF is missing (from the MLCube root). */
  buildCommand: string;
  /** The `singularity run|exec ...` line mlcube runs. */
  command: string;
}

/**
 * A task as MLCube means it (tasks, mounts with host and container paths, arguments, environment, GPUs),
 * separate from its materialisation per platform (`platforms`).
 */
export interface TaskPlan {
  /** The task planned (the requested one, or the only one). */
  taskName: string;
  image: string;
  /** MLCube root (the manifest's folder) and the workspace, both absolute. */
  root: string;
  workspace: string;
  /**
   * Entrypoint override, already split into tokens (shlex); empty when the image's ENTRYPOINT is used. mlcube passes
   * `--entrypoint=<tokens[0]>` and puts `tokens[1..]` right after the image. `['']` for an empty entrypoint string.
   */
  entrypoint: string[];
  /**
   * Arguments after the image and the entrypoint's own tokens: `[task, --p=...]` without an entrypoint,
   * `[--p=...]` with a multi-token entrypoint (task name dropped), `[]` with a single-token one (params dropped).
   */
  args: string[];
  /** The `--name=/mlcube_ioN[/file]` arguments mlcube generated, whether or not they are passed. */
  paramArgs: string[];
  mounts: TaskPlanMount[];
  /** `env_args`: a dict (each `-e K=V`) or a verbatim string of docker flags. */
  env: Record<string, string> | string;
  /** `--gpus` value mlcube appends (`all`, `N`, `device=...`), or null for a CPU run. */
  gpus: string | null;
  /** Host folders mlcube creates before the run (the workspace first), in order; only those missing now. */
  mkdirs: string[];
  /** Files/folders copied from `<root>/workspace` into a custom workspace before the run (docs/mlcube.md §2.3 step 2). */
  workspaceSync: { from: string; to: string; kind: 'file' | 'directory' }[];
  /**
   * Values the plan took from the environment (`${oc.env:NAME}`), so that the client keeps them out of run
   * records and logs (it stores a hash of each).
   */
  envRefs?: { name: string; value: string }[];
  platforms: {
    docker: DockerPlatformPlan;
    /** Null when the manifest's singularity settings cannot be planned (the reason is in `warnings`). */
    singularity: SingularityPlatformPlan | null;
  };
  warnings: string[];
}
export type TaskPlanResult =
  | { ok: true; plan: TaskPlan }
  /** `error` is what mlcube would print; `code` a stable tag (yaml, config, interpolation, task, params, mounts, gpus, entrypoint, overrides). */
  | { ok: false; error: string; code?: string; warnings?: string[] };
export const TaskPlanRequest = new RequestType<TaskPlanParams, TaskPlanResult, void>('cubelab/taskPlan');

// ---- cubelab/cubes: the MLCube manifests of the workspace (found on disk, plus open ones) and their tasks ----
export interface CubeTaskInfo {
  name: string;
  /** The task's key in the manifest (zero-based lines and characters, as LSP ranges). */
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}
export interface CubeInfo {
  uri: string;
  /** The manifest's `name`, or its folder's name when it has none. */
  name: string;
  tasks: CubeTaskInfo[];
}
export interface CubesResult {
  cubes: CubeInfo[];
  /** The walk stopped at its bound (folders or files): some manifests may be missing. */
  truncated: boolean;
}
export const CubesRequest = new RequestType0<CubesResult, void>('cubelab/cubes');

// ---- cubelab/gridExpansion: MLgym grid-search expansion (filled by the MLgym issue) ----
export interface GridExpansionParams { uri: string; offset?: number; limit?: number }
export interface GridExpansionResult {
  /** Total number of experiments, computed without materialising the product. */
  count: number;
  /** Experiments `offset .. offset+limit` of the expansion, in MLgym's order (at most 1000 per request). */
  experiments: { id: number; config: unknown }[];
  /** Key paths of the swept values (the ones that differ between experiments), for previews. */
  varying?: string[][];
  /** Why the grid cannot be expanded (MLgym would raise), or why the document is no grid search. */
  error?: string;
}
export const GridExpansionRequest = new RequestType<GridExpansionParams, GridExpansionResult, void>('cubelab/gridExpansion');

// ---- cubelab/storedConfig: a config stored on disk (a run's grid_search_config.yml, run_config.yml), read as
// the server reads every config, so the model card and its pipeline graph share the server's understanding ----
export interface StoredConfigParams {
  /** File-system path of the file; it need not be open in the editor. */
  path: string;
}
/** One requirement of a component, with MLgym's key names. */
export interface StoredConfigRequirement {
  /** The slot name (`name:`), null when missing. */
  name: string | null;
  component_name: string | null;
  /** PyYAML reading of `subscription` (null when absent), as plain JSON. */
  subscription: unknown;
}
/** One component block of an MLgym grid-search / experiment config, with MLgym's key names. */
export interface StoredConfigComponent {
  name: string;
  component_type_key: string | null;
  variant_key: string | null;
  /** PyYAML reading of `config` (anchors resolved, YAML 1.1 scalars), as plain JSON. */
  config: Record<string, unknown>;
  requirements: StoredConfigRequirement[];
}
/** The server's diagnostics on the file (what the editor would show), counted by severity. */
export interface StoredConfigDiagnostics {
  errors: number;
  warnings: number;
  infos: number;
  hints: number;
  /** The first few errors and warnings, zero-based lines. */
  first: { line: number; severity: 'error' | 'warning'; code: string; message: string }[];
}
export type StoredConfigResult =
  | {
      ok: true;
      kind: DocumentKind;
      /** Component blocks in file order (mlgym-gs only; empty for other kinds). */
      components: StoredConfigComponent[];
      /** `global_config` and `model_info` of a grid-search config, as plain JSON (null when absent). */
      globalConfig: unknown;
      modelInfo: unknown;
      /** The whole document as PyYAML reads it (MLgym's reading), as plain JSON; null for an empty file. */
      value: unknown;
      diagnostics: StoredConfigDiagnostics;
      /** The plain JSON was cut at its size bound (alias-heavy files): some values are null. */
      truncated?: boolean;
    }
  /** The file is missing, unreadable or not YAML. */
  | { ok: false; error: string };
export const StoredConfigRequest = new RequestType<StoredConfigParams, StoredConfigResult, void>('cubelab/storedConfig');

// ---- cubelab/sweepFile: a sweep file of the workspace (override sets for one task), read by the server ----
export interface SweepFileParams { uri: string }
export type SweepFileResult =
  | {
      ok: true;
      /** The task the file names, if it does. */
      task?: string;
      parallelism?: number;
      /** The override words of each element (`name=value`, `-Pkey=value`), in order. */
      elements: string[][];
    }
  | { ok: false; error: string };
export const SweepFileRequest = new RequestType<SweepFileParams, SweepFileResult, void>('cubelab/sweepFile');

// ---- cubelab/serverNotice: the server says something the user should see once ----
export interface ServerNoticeParams { level: 'info' | 'warning' | 'error'; message: string }
export const ServerNoticeNotification = new NotificationType<ServerNoticeParams>('cubelab/serverNotice');

// ---- cubelab/yamlSyntaxOwner: another extension reports YAML syntax errors (Red Hat's YAML) ----
/**
 * Sent by the client at start (initializationOptions.yamlSyntaxOwner) and whenever it changes: the id of an
 * extension that reports YAML syntax errors and duplicate keys in the documents CubeLab validates, or null.
 * While one does, CubeLab leaves those to it (each would show twice in the Problems panel) and keeps its own checks.
 */
export interface YamlSyntaxOwnerParams { extension: string | null }
export const YamlSyntaxOwnerNotification = new NotificationType<YamlSyntaxOwnerParams>('cubelab/yamlSyntaxOwner');
/** What the client passes as the server's initializationOptions. */
export interface CubeLabInitializationOptions { yamlSyntaxOwner?: string | null }

// ---- MLExchange entries and MedPerf records in and out, run forms (the interop issue; docs/interop.md) ----
/** A file of a cube, relative to its folder (POSIX separators), with its text. */
export interface ImportedFile { path: string; text: string }
/** One MLExchange entry as a cube (none for a workflow or an entry without command: then only notes). */
export interface ImportedEntry {
  contentType: 'model' | 'app' | 'workflow' | 'asset';
  name: string;
  version: string;
  /** A folder name for the cube (`<name>-<version>`, made safe). */
  folder: string;
  files: ImportedFile[];
  /** The manifest among `files`, when there is a cube. */
  manifest?: string;
  tasks: { name: string; cmd: string; compGroup?: string; parametersFile?: string }[];
  /** What was not carried over, or how the entry became a cube: shown to the user. */
  notes: string[];
}
export interface MlexchangeImportParams { text: string; source?: string }
export type MlexchangeImportResult = { ok: true; entries: ImportedEntry[] } | { ok: false; error: string };
export const MlexchangeImportRequest = new RequestType<MlexchangeImportParams, MlexchangeImportResult, void>('cubelab/mlexchangeImport');

export interface MlexchangeExportParams { uri: string }
export type MlexchangeExportResult =
  | {
    ok: true;
    /** The entry as JSON text, and the name MLExchange's Download button gives it (`<name>_v<version>.json`). */
    text: string;
    fileName: string;
    contentType: 'model' | 'app';
    /** The schema it was validated against, and what that found (an entry with problems is not written). */
    schema: string;
    problems: string[];
    /** What the entry cannot carry (outputs, other inputs, build settings) and was left out. */
    warnings: string[];
  }
  | { ok: false; error: string };
export const MlexchangeExportRequest = new RequestType<MlexchangeExportParams, MlexchangeExportResult, void>('cubelab/mlexchangeExport');

/** A file of a MedPerf cube record to download, with the hash the record gives (empty: none). */
export interface MedperfDownload { role: 'manifest' | 'parameters' | 'additional-files'; url: string; hash: string; path: string }
export interface MedperfPlan {
  /** `older`: a URL to an mlcube.yaml and hashes of files (SHA-1 until 2023-08, then SHA-256); `newer`: the container config inline, the image pinned by digest. */
  form: 'older' | 'newer';
  name: string;
  id?: number | string;
  downloads: MedperfDownload[];
  /** Files written from the record itself (the converted manifest, the container config, the parameters). */
  files: ImportedFile[];
  manifest: string;
  /** The image: by manifest digest (`sha256:…`, newer records) or by image id (64 hex digits, older records); neither: unverified. */
  image?: { name: string; digest?: string; id?: string };
  warnings: string[];
}
export interface MedperfRecordParams { text: string; /** The downloaded mlcube.yaml of an older record, to learn its image. */ manifest?: string }
export type MedperfRecordResult = { ok: true; plan: MedperfPlan } | { ok: false; error: string };
export const MedperfRecordRequest = new RequestType<MedperfRecordParams, MedperfRecordResult, void>('cubelab/medperfRecord');

/** The run form of a task: its parameters file, the schema next to it, and the fields made of it. */
export interface RunFormSpec {
  manifest: string;
  cubeName: string;
  task: string;
  parametersFile: string;
  schemaFile: string;
  source: 'gui_parameters' | 'json-schema';
  fields: import('./webview-protocol/runForm').FormField[];
  /** The values of the parameters file now (only those of the fields). */
  values: Record<string, import('./webview-protocol/runForm').FormValue>;
  defaults: Record<string, import('./webview-protocol/runForm').FormValue>;
  notes: string[];
}
export interface RunFormParams { uri: string; task: string }
export type RunFormResult = { ok: true; form: RunFormSpec } | { ok: false; error: string };
export const RunFormRequest = new RequestType<RunFormParams, RunFormResult, void>('cubelab/runForm');
/** Checks the values and gives the parameters file's new text (the client writes it). */
export interface RunFormWriteParams { uri: string; task: string; values: Record<string, import('./webview-protocol/runForm').FormValue> }
export type RunFormWriteResult = { ok: true; path: string; text: string } | { ok: false; error: string; errors: Record<string, string> };
export const RunFormWriteRequest = new RequestType<RunFormWriteParams, RunFormWriteResult, void>('cubelab/runFormWrite');
