/** Shared fixtures for the MLgym unit tests: analysed documents with an in-memory or real file system. */
import * as fs from 'node:fs';
import type { Diagnostic } from 'vscode-languageserver-types';
import { defaultSettings } from '../../../shared/lsp-protocol';
import { analyze, type AnalyzedDocument, type FileAccess, type ServiceContext } from '../../../server/src/service/languageService';
import { providers } from '../../../server/src/service/registry';


/** A file system made of the given files on top of the real one (real files are read through). */
export function memFs(files: Record<string, string> = {}): FileAccess {
  return {
    exists: (p) => p in files || fs.existsSync(p),
    isDirectory: (p) => { try { return fs.statSync(p).isDirectory(); } catch { return false; } },
    readDir: (p) => { try { return fs.readdirSync(p); } catch { return []; } },
    readFile: (p) => (p in files ? files[p] : (() => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } })()),
  };
}

export function ctxWith(files: Record<string, string> = {}, workspaceFolders: string[] = []): ServiceContext {
  return { settings: defaultSettings, workspaceFolders, fs: memFs(files), env: {} };
}

export function open(path: string, text: string, ctx: ServiceContext = ctxWith()): AnalyzedDocument {
  return analyze(`file://${path}`, 1, text, ctx);
}

export function validate(path: string, text: string, ctx: ServiceContext = ctxWith()): Diagnostic[] {
  const d = open(path, text, ctx);
  const p = providers[d.kind];
  return p ? p.validate(d, ctx) : [];
}

/** Diagnostics of one code, as [code, the text they cover, line (1-based)]. */
export function found(text: string, ds: Diagnostic[], code?: string): [string, string, number][] {
  const lines = text.split('\n');
  return ds.filter((d) => !code || d.code === code).map((d) => {
    const l = lines[d.range.start.line] ?? '';
    const covered = d.range.end.line === d.range.start.line ? l.slice(d.range.start.character, d.range.end.character) : l.slice(d.range.start.character);
    return [String(d.code), covered, d.range.start.line + 1];
  });
}

export const codes = (ds: Diagnostic[]) => ds.map((d) => d.code);

/** A small complete config the blueprint accepts (MNIST conv net, as in the examples). */
export const GOOD_GS = `global_config:
  target_key: &target target_key
  prediction_key: &pred model_prediction_key
model_info:
  model_description: demo
  model_version: "1.0"
  source_repo: https://example.invalid/repo
dataset_repository:
  component_type_key: DATASET_REPOSITORY
  variant_key: DEFAULT
  config:
    storage_connector_path: ./file_storage/
dataset_iterators:
  component_type_key: DATASET_ITERATORS
  variant_key: DEFAULT
  requirements:
    - name: repository
      component_name: dataset_repository
  config:
    dataset_identifier: mnist
    split_configs:
      - split: train
      - split: test
splitted_dataset_iterators:
  component_type_key: SPLITTED_DATASET_ITERATORS
  variant_key: RANDOM
  requirements:
    - name: iterators
      component_name: dataset_iterators
      subscription: [train, test]
  config:
    split_configs:
      train:
        train: 0.7
        val: 0.3
    seed: 2
data_collator:
  component_type_key: DATA_COLLATOR
  variant_key: DEFAULT
  config:
    collator_type:
      injectable:
        id: id_conv_mnist_standard_collator
    collator_params:
      target_publication_key: *target
data_loaders:
  component_type_key: DATA_LOADER
  variant_key: FUTURE
  requirements:
    - name: iterators
      component_name: splitted_dataset_iterators
      subscription: [train, val, test]
    - name: data_collator
      component_name: data_collator
  config:
    batch_size:
      sweep: absolute
      values: [10, 50, 100]
model_registry:
  component_type_key: MODEL_REGISTRY
  variant_key: DEFAULT
model:
  component_type_key: MODEL
  variant_key: DEFAULT
  requirements:
    - name: model_registry
      component_name: model_registry
      subscription: conv_net
  config:
    prediction_publication_keys:
      prediction_publication_key: *pred
optimizer:
  component_type_key: OPTIMIZER
  variant_key: DEFAULT
  config:
    optimizer_key: ADAM
    params:
      lr:
        sweep: absolute
        values: [1.0, 0.1, 0.01, 0.001, 0.0001]
loss_function_registry:
  component_type_key: LOSS_FUNCTION_REGISTRY
  variant_key: DEFAULT
metric_registry:
  component_type_key: METRIC_REGISTRY
  variant_key: DEFAULT
prediction_postprocessing_registry:
  component_type_key: PREDICTION_POSTPROCESSING_REGISTRY
  variant_key: DEFAULT
train_component:
  component_type_key: TRAIN_COMPONENT
  variant_key: DEFAULT
  requirements:
    - name: loss_function_registry
      component_name: loss_function_registry
    - name: prediction_postprocessing_registry
      component_name: prediction_postprocessing_registry
  config:
    loss_fun_config:
      prediction_subscription_key: *pred
      target_subscription_key: *target
      key: CrossEntropyLoss
      tag: cross_entropy_loss
trainer:
  component_type_key: TRAINER
  variant_key: DEFAULT
  requirements:
    - name: train_component
      component_name: train_component
    - name: data_loaders
      component_name: data_loaders
      subscription: train
eval_component:
  component_type_key: EVAL_COMPONENT
  variant_key: DEFAULT
  requirements:
    - name: data_loaders
      component_name: data_loaders
      subscription: [train, val, test]
    - name: loss_function_registry
      component_name: loss_function_registry
    - name: metric_registry
      component_name: metric_registry
    - name: prediction_postprocessing_registry
      component_name: prediction_postprocessing_registry
  config:
    metrics_config:
      - key: F1_SCORE
        params:
          average: macro
        prediction_subscription_key: *pred
        target_subscription_key: *target
        tag: F1_SCORE_macro
    loss_funs_config:
      - prediction_subscription_key: *pred
        target_subscription_key: *target
        key: CrossEntropyLoss
        tag: cross_entropy_loss
evaluator:
  component_type_key: EVALUATOR
  variant_key: DEFAULT
  requirements:
    - name: eval_component
      component_name: eval_component
early_stopping_strategy_registry:
  component_type_key: EARLY_STOPPING_STRATEGY_REGISTRY
  variant_key: DEFAULT
early_stopping_strategy:
  component_type_key: EARLY_STOPPING_STRATEGY
  variant_key: DEFAULT
  requirements:
    - name: early_stopping_strategy_registry
      component_name: early_stopping_strategy_registry
  config:
    early_stopping_key: LAST_K_EPOCHS_IMPROVEMENT_STRATEGY
    early_stopping_config:
      min_relative_improvement: 0.01
      epochs_window: 5
      split_name: val
      monitoring_key: F1_SCORE_macro
      is_increase_task: true
checkpointing_strategy_registry:
  component_type_key: CHECKPOINTING_STRATEGY_REGISTRY
  variant_key: DEFAULT
checkpointing_strategy:
  component_type_key: CHECKPOINTING_STRATEGY
  variant_key: DEFAULT
  requirements:
    - name: checkpointing_strategy_registry
      component_name: checkpointing_strategy_registry
  config:
    checkpointing_key: SAVE_LAST_EPOCH_ONLY_CHECKPOINTING_STRATEGY
`;

/** GOOD_GS with one substring replaced (fails the test when the substring is absent). */
export function gsWith(from: string, to: string, base = GOOD_GS): string {
  if (!base.includes(from)) throw new Error(`fixture has no ${JSON.stringify(from)}`);
  return base.replace(from, to);
}

export const GOOD_RUN = `run_configuration:
  type: train
  config:
    num_epochs: 50
    num_batches_per_epoch: 100
    gs_config_path: ./gs_config.yml
environment:
  type: multiprocessing
  config:
    process_count: 5
    computation_device_ids: [0, 1]
logging:
  websocket_logging_servers:
    - http://127.0.0.1:5002
  gs_rest_api_endpoint: http://127.0.0.1:5001
`;
