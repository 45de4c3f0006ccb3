/**
 * Every diagnostic code the MLgym checks emit, with its severity, in one table. Errors are what makes
 * MLgym raise; warnings are what it silently does differently from what the file suggests (skips, ignores,
 * iterates differently), or what only the user's blueprint decides; info is advice. Two warnings name a raise
 * that is a defect of MLgym HEAD itself rather than of the file (`main-process-broken`,
 * `validation-config-path`). Each check, the upstream line it rests on and its severity: docs/mlgym.md §7.1.
 */
import type { Diagnostic, DiagnosticRelatedInformation } from 'vscode-languageserver-types';
import { diag, type CodeDoc } from '../service/diagnostic';
import type { LineIndex } from '../yaml/parsedDocument';

export const MLGYM_CODES = {
  // run_config
  'missing-block': { severity: 'error', doc: 'A required top-level block of run_config is missing (KeyError).' },
  'missing-key': { severity: 'error', doc: 'A required key is missing (KeyError / TypeError).' },
  'unknown-key': { severity: 'error', doc: 'A key the dataclass does not accept (TypeError: unexpected keyword argument).' },
  'ignored-key': { severity: 'warning', doc: 'A key MLgym never reads (next to run_configuration/environment type and config, in a requirement, a validation block or a post-processor entry): silently ignored.' },
  'wrong-type': { severity: 'error', doc: 'A value of a type MLgym cannot use.' },
  'warm-start-type': { severity: 'warning', doc: 'A run type other than `train` is a warm start.' },
  'environment-type': { severity: 'warning', doc: 'An environment type other than multiprocessing/accelerate runs as main_process.' },
  'main-process-broken': { severity: 'warning', doc: 'The main_process environment raises TypeError at MLgym HEAD.' },
  'validation-config-path': { severity: 'warning', doc: '`validation_config_path` is rejected by TrainRunConfiguration at HEAD; CV cannot start from run_config.' },
  'accelerate-config-ignored': { severity: 'info', doc: 'The accelerate environment ignores `config`.' },
  'accelerate-warm-start': { severity: 'warning', doc: 'Warm start is not implemented for accelerate (issue #241).' },
  'no-devices': { severity: 'info', doc: 'No computation devices: MLgym falls back to the CPU.' },
  'logging-url': { severity: 'error', doc: 'A websocket logging server that is not `scheme://host:port`.' },
  'rest-endpoint': { severity: 'warning', doc: 'A REST endpoint MLgym will build wrong URLs from.' },
  'gridsearch-id': { severity: 'warning', doc: 'A `gridsearch_id` that is not a run id (`YYYY-MM-DD--HH-MM-SS`).' },
  'gs-config-not-found': { severity: 'warning', doc: '`gs_config_path` does not exist where the run will look for it.' },
  'warm-start-regex': { severity: 'info', doc: 'Warm start only sees single-digit experiment ids and epochs.' },
  // gs_config
  'not-a-component': { severity: 'error', doc: 'A top-level key whose value is not a component block.' },
  'missing-component-key': { severity: 'error', doc: 'A component block without component_type_key or variant_key.' },
  'unknown-block-key': { severity: 'error', doc: 'A key inside a component block MLgym does not accept (ComponentConstructionError).' },
  'undeclared-component': { severity: 'warning', doc: 'A component_type_key/variant_key pair neither MLgym nor the workspace declarations register.' },
  'deprecated-variant': { severity: 'info', doc: 'A deprecated variant.' },
  'unknown-config-key': { severity: 'error', doc: 'A config key the constructable does not accept (TypeError).' },
  'stale-config-key': { severity: 'error', doc: 'A config key older MLgym versions accepted and HEAD rejects (TypeError).' },
  'config-not-mapping': { severity: 'error', doc: '`config` is not a mapping (it is splatted as keyword arguments).' },
  'requirements-not-list': { severity: 'error', doc: '`requirements` is not a list of requirements.' },
  'requirement-key': { severity: 'error', doc: 'A requirement without `name`/`component_name`, or with other keys.' },
  'unknown-slot': { severity: 'warning', doc: 'A requirement slot the constructable never reads.' },
  'missing-requirement': { severity: 'error', doc: 'A requirement slot the constructable reads is not given (KeyError).' },
  'unknown-component-name': { severity: 'error', doc: 'A `component_name` that names no component (raw KeyError).' },
  'requirement-cycle': { severity: 'error', doc: 'Components that require each other (MLgym recurses without end).' },
  'unknown-split': { severity: 'error', doc: 'A subscribed split, or ITERATOR_VIEW\'s applicable_split, that the component does not produce or receive (KeyError).' },
  'split-not-evaluated': { severity: 'error', doc: 'Early stopping monitors a split that is not evaluated (BatchStateError).' },
  'applicable-split-not-evaluated': { severity: 'warning', doc: 'An applicable split that is not evaluated: the entry never applies.' },
  'unused-split-key': { severity: 'warning', doc: 'A per-split entry (split_configs source, applicable_splits, seeds, sampling_strategies, weigthed_sampling_split_name) for a split the component does not receive: MLgym skips it.' },
  'unknown-monitoring-key': { severity: 'error', doc: 'A `monitoring_key` that is no metric or loss tag (BatchStateError).' },
  'unknown-registry-key': { severity: 'error', doc: 'A loss, metric, post-processor, early-stopping or checkpointing key (ClassRegistryKeyNotFoundError), or an optimizer, scheduler or sampling-strategy key (KeyError), the registry does not know.' },
  'dev-only-key': { severity: 'error', doc: 'A key only the dev branch of MLgym knows (ClassRegistryKeyNotFoundError at HEAD).' },
  'unknown-param': { severity: 'error', doc: 'A parameter the loss, metric or post-processor does not take (TypeError).' },
  'missing-param': { severity: 'error', doc: 'A parameter the loss, metric, post-processor or strategy requires.' },
  'model-card-param': { severity: 'info', doc: 'A field the model card needs.' },
  'unknown-injectable': { severity: 'warning', doc: 'An injectable id no blueprint is known to map.' },
  'missing-blueprint-component': { severity: 'warning', doc: 'A component the blueprint constructs is missing.' },
  'model-info': { severity: 'warning', doc: '`model_info` fields the model card needs.' },
  'seeds-list-ignored': { severity: 'warning', doc: 'A value MLgym silently ignores.' },
  'hf-warmup': { severity: 'warning', doc: '`num_warmup_steps > 0` with the hugging_face_scheduler.' },
  // sweeps
  'sweep-type': { severity: 'error', doc: 'A sweep other than `absolute` (NotImplementedError).' },
  'sweep-values': { severity: 'error', doc: 'A sweep without `values` (KeyError), or with values MLgym cannot iterate (TypeError).' },
  'sweep-values-not-list': { severity: 'warning', doc: '`values` is a string or a mapping: MLgym sweeps over its characters or its keys.' },
  'sweep-empty': { severity: 'warning', doc: 'A sweep with no values: the grid has no experiment.' },
  'sweep-extra-key': { severity: 'warning', doc: 'Keys of a sweep node other than `sweep`/`values` are dropped.' },
  'sweep-in-list': { severity: 'warning', doc: 'A sweep inside a list is not expanded.' },
  // YAML 1.1
  'yaml11-string': { severity: 'warning', doc: 'PyYAML reads `1e-4` as a string.' },
  'yaml11-boolean': { severity: 'warning', doc: 'PyYAML reads yes/no/on/off as booleans.' },
  'yaml11-octal': { severity: 'warning', doc: 'PyYAML reads a leading-zero integer as octal.' },
  'yaml11-date': { severity: 'info', doc: 'PyYAML reads YYYY-MM-DD as a date.' },
  // CV / nested CV validation-strategy configs
  'cv-mode': { severity: 'error', doc: 'The first key of a validation config is no ValidationMode name.' },
  'cv-broken': { severity: 'warning', doc: 'CV / nested CV cannot start end-to-end from run_config at HEAD.' },
  'cv-key': { severity: 'error', doc: 'A CV `config` key that is missing or unknown (TypeError), or an `iterator_key` that is no name.' },
} as const satisfies Record<string, CodeDoc>;

export type MlgymCode = keyof typeof MLGYM_CODES;

export const codeOf = (c: MlgymCode): string => `mlgym/${c}`;

export function mlgymDiag(
  lines: LineIndex,
  span: [number, number],
  code: MlgymCode,
  message: string,
  extra?: { related?: DiagnosticRelatedInformation[]; data?: unknown },
): Diagnostic {
  return diag(lines, span, MLGYM_CODES[code].severity, codeOf(code), message, extra);
}
