/**
 * Every diagnostic code the MLCube manifest validator emits, with its severity and a short doc.
 * The quick-fix provider and the docs key off this table; a code not listed here is a bug
 * (validate.test.ts checks that every emitted code is in it).
 *
 * Severity policy (docs/mlcube.md §1.8): `error` exactly where mlcube itself fails (at load,
 * configure or run), `warning` where mlcube accepts the file but silently does something else than the
 * author meant, `info`/`hint` for legitimate but noteworthy constructs.
 */
import type { CodeDoc, Severity } from '../service/diagnostic';

export const MLCUBE_CODES = {
  // ---- the file as a whole ----
  'mlcube/empty': { severity: 'error', doc: 'The manifest is empty; mlcube fails with "Missing key tasks".' },
  'mlcube/root-not-mapping': { severity: 'error', doc: 'The top level is not a mapping (a list or a scalar); OmegaConf cannot load it as a manifest.' },
  'mlcube/missing-tasks': { severity: 'error', doc: 'No `tasks:` section; mlcube fails with "ConfigAttributeError: Missing key tasks".' },
  'mlcube/tasks-not-mapping': { severity: 'error', doc: '`tasks` is a list (the legacy v1 form) or a scalar; mlcube fails ("ListConfig does not support attribute access").' },
  'mlcube/not-a-mapping': { severity: 'error', doc: 'A section that must be a mapping (a task, `parameters`, `inputs`, `outputs`, `platform`, `docker`, `singularity`) is a list or a scalar; mlcube crashes while loading. data: {section, task?}' },
  'mlcube/reserved-key': { severity: 'warning', doc: 'A top-level `runtime`, `runner` or `workspace` key: reserved for mlcube\'s own values (it warns, or overwrites it). data: {key}' },
  'mlcube/no-container': { severity: 'error', doc: 'Neither a `docker:` nor a `singularity:` section; the default docker platform fails with "InterpolationKeyError \'docker.image\'".' },
  'mlcube/singularity-only': { severity: 'info', doc: 'Only a `singularity:` section: valid for `--platform=singularity`, but the docker platform (the default) cannot run it.' },

  // ---- runner sections (docker:, singularity:): mlcube checks these strictly ----
  'mlcube/unknown-runner-key': { severity: 'error', doc: 'A key mlcube\'s runner does not know in `docker:` or `singularity:`; the runner fails with "ConfigurationError: Unknown keys". data: {key, section, suggestion?}' },
  'mlcube/missing-docker-image': { severity: 'error', doc: 'A `docker:` section without `image`; the docker platform fails with "InterpolationKeyError \'docker.image\'". data: {section: "docker"}' },
  'mlcube/runner-value-type': { severity: 'error', doc: '`image`, `docker` (or `singularity`) must be non-blank strings; mlcube fails with "IllegalParameterTypeError/ValueError". data: {key, section}' },
  'mlcube/bad-build-strategy': { severity: 'error', doc: '`build_strategy` is not one of pull, auto, always; mlcube fails with "IllegalParameterValueError". data: {value, suggestion?}' },
  'mlcube/missing-dockerfile': { severity: 'warning', doc: '`build_strategy` is auto/always but the recipe (`build_context`/`build_file`) does not exist; mlcube silently falls back to `docker pull`. data: {recipe}' },
  'mlcube/host-access-flag': { severity: 'warning', doc: '`cpu_args`, `gpu_args` or a string `env_args` hand the container the host (`--privileged`, `-v /:/...` or `/etc`, the Docker socket, `--network/--pid/--ipc/--uts=host`, `--cap-add`, `--security-opt seccomp=unconfined`, `--device`), read off the translated container spec. data: {flag, key, grant}' },
  'mlcube/host-access-mount': { severity: 'warning', doc: 'A parameter whose path is a host folder holding the system or credentials (`/`, `/etc/...`, `~/.ssh`): mlcube mounts it (a file\'s parent folder) into the container. data: {task, param, path}' },

  // ---- platform ----
  'mlcube/accelerator-count-type': { severity: 'error', doc: '`platform.accelerator_count` is not an integer (e.g. the string "1"); mlcube loads it but `run` crashes with "TypeError: \'>\' not supported". data: {replacement?} (the unquoted integer)' },
  'mlcube/duplicate-gpus-flag': { severity: 'warning', doc: '`accelerator_count > 0` and `gpu_args` already has `--gpus`: current mlcube appends a second `--gpus=N`. data: {flag, count}' },
  'mlcube/gpu-args-missing': { severity: 'warning', doc: '`accelerator_count > 0` but no `gpu_args`: mlcube 0.0.9 (the PyPI release) passes no GPU flag at all; newer mlcube adds `--gpus=N`. data: {count}' },

  // ---- tasks and parameters ----
  'mlcube/unknown-key': { severity: 'warning', doc: 'A key mlcube ignores in a task, in `parameters` or in a parameter (e.g. `outpus:`); whatever it holds is silently dropped. data: {key, section, suggestion?}' },
  'mlcube/task-named-parameters': { severity: 'warning', doc: 'A task literally named `parameters` (or `entrypoint`): almost always a mis-indented block. data: {task}' },
  'mlcube/entrypoint-drops-args': { severity: 'warning', doc: 'A one-word `entrypoint` on a task with parameters: the docker runner drops every `--param=...` argument (the volumes are still mounted). data: {task, entrypoint}' },
  'mlcube/entrypoint-type': { severity: 'error', doc: '`entrypoint` is not a string; mlcube fails when it splits it.' },
  'mlcube/param-value-type': { severity: 'error', doc: 'A parameter value (or its `default`) that is neither a string, null nor a mapping (a number, a boolean, a list); mlcube fails at load with "AttributeError". data: {param, task}' },
  'mlcube/untyped-output': { severity: 'error', doc: 'An output without `type` whose path does not end with `/`: `mlcube run` fails with "Type cannot be unknown for output parameters". data: {param, task, default, suggestedType}' },
  'mlcube/untyped-input': { severity: 'hint', doc: 'An input without `type`: mlcube decides file vs directory at run time by looking at the host path, and fails if it does not exist. data: {param, task, default, suggestedType?, exists?}' },
  'mlcube/bad-param-type': { severity: 'error', doc: '`type` is not `file` or `directory`; `mlcube run` fails with a ConfigurationError. data: {value, suggestion?}' },
  'mlcube/bad-param-opts': { severity: 'error', doc: '`opts` is not `ro` or `rw`; `mlcube run` fails with a ConfigurationError. data: {value, suggestion?}' },
  'mlcube/legacy-workspace-token': { severity: 'warning', doc: 'The v1 `$WORKSPACE` token is not special in v2: it goes through `expandvars`, so unless the environment sets WORKSPACE the path contains a literal "$WORKSPACE" folder. data: {token}' },

  // ---- ${...} interpolation (OmegaConf) ----
  'mlcube/unresolved-interpolation': { severity: 'error', doc: 'A `${...}` OmegaConf cannot resolve; mlcube fails at load (OmegaConf.resolve runs on the whole file, whatever the platform). data: {expression, suggestion?} (suggestion: a resolvable `${...}` close to it)' },
  'mlcube/env-var-as-key': { severity: 'error', doc: '`${HOME}`-style interpolation of an environment variable: OmegaConf reads it as a config key and fails with "InterpolationKeyError". Write `$HOME` or `${oc.env:HOME}`. data: {expression, variable, replacement}' },
  'mlcube/env-unset': { severity: 'warning', doc: '`${oc.env:VAR}` without a default while VAR is not set in this environment: mlcube would fail here unless VAR is set where it runs. data: {expression, variable}' },
  'mlcube/interpolation-cycle': { severity: 'error', doc: 'A `${...}` that refers back to itself; OmegaConf fails with a recursion error. data: {expression}' },
  'mlcube/unknown-resolver': { severity: 'error', doc: 'A `${name:...}` resolver OmegaConf does not register under mlcube (only oc.env, oc.select, oc.decode, oc.create, oc.dict.*, env); mlcube fails with "UnsupportedInterpolationType". data: {expression}' },
  'mlcube/interpolation-syntax': { severity: 'error', doc: 'A malformed `${...}` (unclosed brace, bad resolver syntax); OmegaConf fails with a GrammarParseError. data: {expression}' },

  // ---- other file kinds (legacy.ts) ----
  'mlcube/legacy-v1': { severity: 'info', doc: 'A legacy v1 MLCube file (schema_type: mlcube_*), rejected by current mlcube.' },
} as const satisfies Record<string, CodeDoc>;

export type MlcubeCode = keyof typeof MLCUBE_CODES;

export function severityOf(code: MlcubeCode): Severity {
  return MLCUBE_CODES[code].severity;
}

export function isMlcubeCode(code: unknown): code is MlcubeCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(MLCUBE_CODES, code);
}
