/**
 * MLgym's built-in component registry as data (docs/mlgym.md §2.4, [M] component_factory.py and
 * constructables.py): every component_type_key, its variants, the config keys each constructable dataclass
 * accepts (with defaults), the requirement slots it reads and which split names it produces.
 * Blueprints add their own pairs; those come from the workspace declarations (userComponents.ts).
 */

/** How a component's output splits are derived (for subscription / split_name / applicable_splits checks). */
export type SplitRule =
  | 'none' // output is not a dict of splits (registries, optimizers, ...)
  | 'split-configs' // DATASET_ITERATORS: split_configs[].split
  | 'splitted' // SPLITTED_DATASET_ITERATORS: input splits ∪ keys of split_configs.<src>
  | 'combined' // COMBINED_DATASET_ITERATORS: combine_configs[].new_split
  | 'passthrough' // the `iterators` requirement's splits, unchanged
  | 'applicable' // only config.applicable_splits
  | 'view' // ITERATOR_VIEW: keys of split_indices
  | 'subscribed' // DATA_LOADER: the splits of its `iterators` requirement
  | 'unknown';

export interface ConfigKeySpec {
  name: string;
  /** The dataclass default, as MLgym would use it when the key is absent (undefined: none documented). */
  default?: unknown;
  doc: string;
  /** Values the key takes (enumerations), for completion and checks. */
  values?: readonly string[];
  /** The key's value names splits (completion and checks against produced / evaluated splits). */
  splits?: 'one' | 'many' | 'map-keys';
  /** The key's value is read but gives a broken or surprising result; said as a warning. */
  caveat?: string;
}

export interface SlotSpec {
  name: string;
  doc: string;
  /** What a subscription on this slot selects. */
  subscription?: 'splits' | 'model-name' | 'any';
  /** Listed in the examples but never read by the constructable. */
  unused?: boolean;
}

export interface VariantSpec {
  type: string;
  variant: string;
  doc: string;
  configKeys: readonly ConfigKeySpec[];
  /** Any config key is accepted (user components declared without keys). */
  openConfig?: boolean;
  slots: readonly SlotSpec[];
  /** Any slot name is accepted (COMBINED_DATASET_ITERATORS takes all its requirements). */
  anySlots?: boolean;
  produces: SplitRule;
  /** Split names a user component declares it produces. */
  producesSplits?: readonly string[];
  deprecated?: string;
  origin: 'builtin' | 'example' | 'user';
}

const iteratorsSlot: SlotSpec = { name: 'iterators', doc: 'The dataset iterators to transform (a dict split → iterator).', subscription: 'splits' };
const applicable: ConfigKeySpec = { name: 'applicable_splits', default: [], doc: 'Splits this transformation applies to.', splits: 'many' };
const lossRegistrySlot: SlotSpec = { name: 'loss_function_registry', doc: 'The LOSS_FUNCTION_REGISTRY component whose keys `loss_fun_config.key` names.' };
const postRegistrySlot: SlotSpec = { name: 'prediction_postprocessing_registry', doc: 'The PREDICTION_POSTPROCESSING_REGISTRY component whose keys `post_processors_config[].key` names.' };
const metricRegistrySlot: SlotSpec = { name: 'metric_registry', doc: 'The METRIC_REGISTRY component whose keys `metrics_config[].key` names.' };
const unusedModelSlot: SlotSpec = { name: 'model', doc: 'Listed in the examples but never read by the constructable.', unused: true, subscription: 'any' };

const registryVariant = (type: string, doc: string): VariantSpec => ({ type, variant: 'DEFAULT', doc, configKeys: [], slots: [], produces: 'none', origin: 'builtin' });

const trainComponentKeys = (withProgress: boolean): ConfigKeySpec[] => [
  { name: 'loss_fun_config', default: {}, doc: 'The training loss: `{key, tag, target_subscription_key, prediction_subscription_key, ...}`, passed to `loss_function_registry.get_instance(**loss_fun_config)`.' },
  { name: 'post_processors_config', default: [], doc: 'Prediction post-processors: a list of `{key, params}` (both required).' },
  ...(withProgress ? [{ name: 'show_progress', default: false, doc: 'Show a progress bar while training.' }] : []),
];

const evalComponentKeys = (withProgress: boolean): ConfigKeySpec[] => [
  { name: 'metrics_config', default: [], doc: 'Metrics: a list of `{key, tag, target_subscription_key, prediction_subscription_key, params?}`. The `tag` names the metric in events, charts and early stopping.' },
  { name: 'loss_funs_config', default: [], doc: 'Evaluation losses: a list of `{key, tag, target_subscription_key, prediction_subscription_key, ...}`.' },
  { name: 'post_processors_config', default: [], doc: 'Prediction post-processors: `{key, params, applicable_splits?}` or the legacy flat `{key, prediction_subscription_key, prediction_publication_key}`.' },
  ...(withProgress ? [{ name: 'show_progress', default: false, doc: 'Show a progress bar while evaluating.' }] : []),
  { name: 'cpu_target_subscription_keys', default: [], doc: 'Target keys moved to the CPU before metrics are computed.' },
  { name: 'cpu_prediction_subscription_keys', default: [], doc: 'Prediction keys moved to the CPU before metrics are computed.' },
  { name: 'metrics_computation_config', default: null, doc: 'Restricts metrics to splits: a list of `{metric_tag, applicable_splits}`.' },
  { name: 'loss_computation_config', default: null, doc: 'Restricts losses to splits: a list of `{loss_tag, applicable_splits}`.' },
];

const evalSlots: SlotSpec[] = [
  { name: 'data_loaders', doc: 'The DATA_LOADER component; a list subscription selects the evaluated splits.', subscription: 'splits' },
  lossRegistrySlot, metricRegistrySlot, postRegistrySlot, unusedModelSlot,
];

const trainSlots: SlotSpec[] = [lossRegistrySlot, postRegistrySlot];
const trainerSlots: SlotSpec[] = [
  { name: 'train_component', doc: 'The TRAIN_COMPONENT component.' },
  { name: 'data_loaders', doc: 'The DATA_LOADER component; a scalar subscription selects the train split.', subscription: 'splits' },
  unusedModelSlot,
];

export const BUILTIN_VARIANTS: readonly VariantSpec[] = [
  { type: 'DATASET_REPOSITORY', variant: 'DEFAULT', doc: 'A datastack `DatasetRepository` with only `mnist` registered.', origin: 'builtin', produces: 'none', slots: [],
    configKeys: [{ name: 'storage_connector_path', default: '', doc: 'Folder where datastack stores downloaded datasets.' }] },
  { type: 'DATASET_ITERATORS', variant: 'DEFAULT', doc: 'Dataset iterators from the repository, one per `split_configs` item (`{split: <name>, ...}`).', origin: 'builtin', produces: 'split-configs',
    slots: [{ name: 'repository', doc: 'The DATASET_REPOSITORY component.' }],
    configKeys: [
      { name: 'dataset_identifier', default: '', doc: 'Dataset name in the repository (built in: `mnist`).', values: ['mnist'] },
      { name: 'split_configs', default: {}, doc: 'A list of `{split: <name>, ...}`; each item is passed to `repository.get` and names one output split.' },
    ] },
  { type: 'SPLITTED_DATASET_ITERATORS', variant: 'RANDOM', doc: 'Splits existing splits randomly into new ones; outputs the input splits plus the new ones.', origin: 'builtin', produces: 'splitted',
    slots: [iteratorsSlot],
    configKeys: [
      { name: 'split_configs', default: null, doc: '`{<source_split>: {<new_split>: ratio, ...}}`.', splits: 'map-keys' },
      { name: 'seed', default: 1, doc: 'Seed of the random split.' },
      { name: 'stratified', default: false, doc: 'Stratify the split by label.' },
    ] },
  { type: 'COMBINED_DATASET_ITERATORS', variant: 'DEFAULT', doc: 'Combines splits of several iterator components into new splits; takes all its requirements by name.', origin: 'builtin', produces: 'combined',
    slots: [], anySlots: true,
    configKeys: [{ name: 'combine_configs', default: null, doc: '`[{new_split, old_splits: [{iterators_name: <requirement name>, splits: [...]}]}]`.' }] },
  { type: 'IN_MEMORY_DATASET_ITERATORS', variant: 'DEFAULT', doc: 'Loads every split into memory.', origin: 'builtin', produces: 'passthrough', slots: [iteratorsSlot], configKeys: [] },
  { type: 'SHUFFLED_DATASET_ITERATORS', variant: 'DEFAULT', doc: 'Shuffles the applicable splits.', origin: 'builtin', produces: 'passthrough', slots: [iteratorsSlot],
    configKeys: [{ name: 'seeds', default: {}, doc: 'Seed per split: `{split: int}`.', splits: 'map-keys' }, applicable] },
  { type: 'FILTERED_LABELS_ITERATOR', variant: 'DEFAULT', doc: 'Keeps only samples with the given labels in the applicable splits.', origin: 'builtin', produces: 'passthrough', slots: [iteratorsSlot],
    configKeys: [{ name: 'filtered_labels', default: [], doc: 'Labels to keep.' }, applicable] },
  { type: 'ONE_HOT_ENCODED_TARGETS_ITERATOR', variant: 'DEFAULT', doc: 'One-hot encodes the targets; outputs only the applicable splits.', origin: 'builtin', produces: 'applicable', slots: [iteratorsSlot],
    configKeys: [applicable, { name: 'target_vector_size', default: 0, doc: 'Length of the one-hot vector.' }] },
  { type: 'ITERATOR_VIEW', variant: 'DEFAULT', doc: 'Views of one split by indices; outputs one split per `split_indices` key (injected `train,val` for CV, `train,test` for nested CV).', origin: 'builtin', produces: 'view', slots: [iteratorsSlot],
    configKeys: [
      { name: 'split_indices', default: {}, doc: '`{name: [int]}`, usually `{injectable: {id: id_split_indices}}`.' },
      { name: 'view_tags', default: {}, doc: 'Tags attached to the views.' },
      { name: 'applicable_split', default: '', doc: 'The split of `iterators` the views are taken from.', splits: 'one' },
    ] },
  { type: 'MAPPED_LABELS_ITERATOR', variant: 'DEFAULT', doc: 'Maps labels in the applicable splits.', origin: 'builtin', produces: 'passthrough', slots: [iteratorsSlot],
    configKeys: [{ name: 'mappings', default: {}, doc: '`[{previous_labels: [...], new_label: x}]`.' }, applicable] },
  { type: 'FEATURE_ENCODED_ITERATORS', variant: 'DEFAULT', doc: 'Encodes features; outputs only the applicable splits.', origin: 'builtin', produces: 'applicable', slots: [iteratorsSlot],
    configKeys: [applicable, { name: 'feature_encoding_configs', doc: '`[{feature_type: categorical|continuous, feature_names: [idx...], train_split: <split>}]`. Required in practice: the default (`default_factory=Dict`) cannot be built.' }] },
  { type: 'DATA_COLLATOR', variant: 'DEFAULT', doc: 'Instantiates `collator_type(**collator_params)`.', origin: 'builtin', produces: 'none', slots: [],
    configKeys: [
      { name: 'collator_type', default: null, doc: 'The collator class, normally `{injectable: {id: ...}}`.' },
      { name: 'collator_params', doc: 'Keyword arguments of the collator. Required in practice: the default (`default_factory=Dict`) cannot be built.' },
    ] },
  { type: 'DATA_LOADER', variant: 'DEFAULT', doc: 'One `DatasetLoader` per subscribed split. Deprecated: MLgym emits a FutureWarning; use `FUTURE`.', origin: 'builtin', produces: 'subscribed', deprecated: 'DATA_LOADER/DEFAULT is deprecated (MLgym emits a FutureWarning); the FUTURE variant takes `sampling_strategies` instead of `weigthed_sampling_split_name`, `label_pos` and `seeds`.',
    slots: [iteratorsSlot, { name: 'data_collator', doc: 'The DATA_COLLATOR component.' }],
    configKeys: [
      { name: 'batch_size', default: 1, doc: 'Batch size.' },
      { name: 'weigthed_sampling_split_name', default: null, doc: 'Split sampled with label weights (MLgym spells it `weigthed`).', splits: 'one' },
      { name: 'label_pos', default: 2, doc: 'Position of the label in a sample.' },
      { name: 'seeds', default: {}, doc: 'Seed per split: `{split: int}`.', splits: 'map-keys', caveat: 'A list of seeds is silently ignored: `seeds` is read as `{split: int}`.' },
      { name: 'drop_last', default: false, doc: 'Drop the last incomplete batch.' },
    ] },
  { type: 'DATA_LOADER', variant: 'FUTURE', doc: 'One `DatasetLoader` per subscribed split, with a sampling strategy per split.', origin: 'builtin', produces: 'subscribed',
    slots: [iteratorsSlot, { name: 'data_collator', doc: 'The DATA_COLLATOR component.' }],
    configKeys: [
      { name: 'batch_size', default: 1, doc: 'Batch size.' },
      { name: 'sampling_strategies', default: {}, doc: '`{split: {strategy: RANDOM|WEIGHTED_RANDOM|IN_ORDER, seed?, label_pos?}}` (enum names); unlisted splits are read in order.', splits: 'map-keys' },
      { name: 'drop_last', default: false, doc: 'Drop the last incomplete batch.' },
    ] },
  { type: 'OPTIMIZER', variant: 'DEFAULT', doc: 'A torch optimizer.', origin: 'builtin', produces: 'none', slots: [],
    configKeys: [
      { name: 'optimizer_key', default: '', doc: 'The torch optimizer.', values: ['SGD', 'ADAM', 'ADADELTA', 'ADAMW'] },
      { name: 'params', default: {}, doc: 'Keyword arguments of the torch optimizer (`lr`, `weight_decay`, ...).' },
    ] },
  { type: 'OPTIMIZER', variant: 'BUNDLE', doc: 'Several optimizers, each over the parameters whose names contain given substrings.', origin: 'builtin', produces: 'none', slots: [],
    configKeys: [
      { name: 'optimizers_config', default: {}, doc: '`{id: {optimizer_key, params}}`.' },
      { name: 'optimizer_key_to_param_key_filters', default: {}, doc: '`{id: [substring...]}`.' },
    ] },
  { type: 'LR_SCHEDULER', variant: 'DEFAULT', doc: 'A learning-rate scheduler, stepped once per epoch.', origin: 'builtin', produces: 'none', slots: [],
    configKeys: [
      { name: 'lr_scheduler_key', default: 'dummy', doc: 'The scheduler. `hugging_face_scheduler` takes `transformers.get_scheduler(name, num_warmup_steps, num_training_steps)` params.', values: ['LinearLR', 'ConstantLR', 'LambdaLR', 'hugging_face_scheduler', 'dummy'] },
      { name: 'params', default: {}, doc: 'Keyword arguments of the scheduler.' },
    ] },
  { ...registryVariant('MODEL_REGISTRY', 'The model classes; the blueprint subclass registers names such as `conv_net`, `lm_bert`, `llm_gpt2`.') },
  { type: 'MODEL', variant: 'DEFAULT', doc: 'The model: `model_registry[subscription](seed=seed, **model_definition, **prediction_publication_keys)`.', origin: 'builtin', produces: 'none',
    slots: [{ name: 'model_registry', doc: 'The MODEL_REGISTRY component; the subscription is the registered model name.', subscription: 'model-name' }],
    configKeys: [
      { name: 'model_definition', default: {}, doc: 'Keyword arguments of the model class.' },
      { name: 'prediction_publication_keys', default: {}, doc: 'Keyword arguments naming the prediction keys, e.g. `{prediction_publication_key: ...}`.' },
      { name: 'seed', default: 0, doc: 'Model seed.' },
      { name: 'model_type', default: '', doc: 'Unused.' },
    ] },
  registryVariant('LOSS_FUNCTION_REGISTRY', 'The loss functions `loss_fun_config.key` / `loss_funs_config[].key` names.'),
  registryVariant('METRIC_REGISTRY', 'The metrics `metrics_config[].key` names.'),
  registryVariant('PREDICTION_POSTPROCESSING_REGISTRY', 'The prediction post-processors `post_processors_config[].key` names.'),
  { type: 'TRAIN_COMPONENT', variant: 'DEFAULT', doc: 'Forward pass, post-processing and training loss.', origin: 'builtin', produces: 'none', slots: trainSlots, configKeys: trainComponentKeys(true) },
  { type: 'TRAIN_COMPONENT', variant: 'ACCELERATE', doc: 'The TRAIN_COMPONENT for HF Accelerate jobs (no `show_progress`).', origin: 'builtin', produces: 'none', slots: trainSlots, configKeys: trainComponentKeys(false) },
  { type: 'TRAINER', variant: 'DEFAULT', doc: 'Runs the training epochs. `config: {}` is fine.', origin: 'builtin', produces: 'none', slots: trainerSlots, configKeys: [] },
  { type: 'TRAINER', variant: 'ACCELERATE', doc: 'The TRAINER for HF Accelerate jobs.', origin: 'builtin', produces: 'none', slots: trainerSlots, configKeys: [] },
  { type: 'EVAL_COMPONENT', variant: 'DEFAULT', doc: 'Evaluates losses and metrics on the subscribed data-loader splits.', origin: 'builtin', produces: 'none', slots: evalSlots, configKeys: evalComponentKeys(true) },
  { type: 'EVAL_COMPONENT', variant: 'ACCELERATE', doc: 'The EVAL_COMPONENT for HF Accelerate jobs (no `show_progress`).', origin: 'builtin', produces: 'none', slots: evalSlots, configKeys: evalComponentKeys(false) },
  { type: 'EVALUATOR', variant: 'DEFAULT', doc: 'Runs the evaluation after each epoch.', origin: 'builtin', produces: 'none', slots: [{ name: 'eval_component', doc: 'The EVAL_COMPONENT component.' }], configKeys: [] },
  { type: 'EVALUATOR', variant: 'ACCELERATE', doc: 'The EVALUATOR for HF Accelerate jobs.', origin: 'builtin', produces: 'none', slots: [{ name: 'eval_component', doc: 'The EVAL_COMPONENT component.' }], configKeys: [] },
  registryVariant('EARLY_STOPPING_STRATEGY_REGISTRY', 'The early-stopping strategies `early_stopping_key` names.'),
  { type: 'EARLY_STOPPING_STRATEGY', variant: 'DEFAULT', doc: 'Stops a job when the monitored score stops improving.', origin: 'builtin', produces: 'none',
    slots: [{ name: 'early_stopping_strategy_registry', doc: 'The EARLY_STOPPING_STRATEGY_REGISTRY component.' }],
    configKeys: [
      { name: 'early_stopping_key', doc: 'The strategy.', values: ['LAST_K_EPOCHS_IMPROVEMENT_STRATEGY'] },
      { name: 'early_stopping_config', doc: '`{min_relative_improvement, epochs_window, split_name, monitoring_key, is_increase_task}`, all required.' },
    ] },
  registryVariant('CHECKPOINTING_STRATEGY_REGISTRY', 'The checkpointing strategies `checkpointing_key` names.'),
  { type: 'CHECKPOINTING_STRATEGY', variant: 'DEFAULT', doc: 'Decides which epochs keep a checkpoint.', origin: 'builtin', produces: 'none',
    slots: [{ name: 'checkpointing_strategy_registry', doc: 'The CHECKPOINTING_STRATEGY_REGISTRY component.' }],
    configKeys: [
      { name: 'checkpointing_key', doc: 'The strategy.', values: ['SAVE_LAST_EPOCH_ONLY_CHECKPOINTING_STRATEGY', 'SAVE_ALL_CHECKPOINTING_STRATEGY'] },
      { name: 'checkpointing_config', default: {}, doc: 'Parameters of the strategy (no strategy takes any).' },
    ] },
];

/** Pairs the MLgym examples register in their blueprints: known, but only valid with such a blueprint. */
export const EXAMPLE_VARIANTS: readonly VariantSpec[] = [
  { type: 'DATASET_ITERATORS', variant: 'LMWikiBookCorpusDataset', doc: 'Registered by the BERT example blueprint (`example/bert/bert_lm_blueprint.py`).', origin: 'example', produces: 'split-configs',
    slots: [{ name: 'repository', doc: 'The DATASET_REPOSITORY component.' }],
    configKeys: [
      { name: 'dataset_identifier', doc: 'Dataset name.' },
      { name: 'dataset_folder_path', doc: 'Folder of the tokenised dataset.' },
      { name: 'split_configs', doc: 'A list of `{split: <name>, ...}`.' },
    ] },
  { type: 'LOSS_FUNCTION_REGISTRY', variant: 'LM', doc: 'Registered by the BERT / GPT-2 examples; adds `MLMCrossEntropyLoss` and `CLMCrossEntropyLoss`.', origin: 'example', produces: 'none', slots: [], configKeys: [] },
  { type: 'METRIC_REGISTRY', variant: 'LM', doc: 'Registered by the GPT-2 example; adds `PerplexityMetric`.', origin: 'example', produces: 'none', slots: [], configKeys: [] },
  { type: 'PREDICTION_POSTPROCESSING_REGISTRY', variant: 'LM', doc: 'Registered by the GPT-2 example; adds `PerplexityPostProcessing`.', origin: 'example', produces: 'none', slots: [], configKeys: [] },
];

export interface KeyedParams { key: string; doc: string; params: readonly string[] }

/** Loss keys (`LossFunctionRegistryConstructable`); every loss also takes the common params. */
export const LOSS_COMMON_PARAMS = ['key', 'tag', 'target_subscription_key', 'prediction_subscription_key'] as const;
export const LOSS_KEYS: readonly KeyedParams[] = [
  { key: 'CrossEntropyLoss', doc: 'Cross entropy.', params: [] },
  { key: 'NLLLoss', doc: 'Negative log likelihood.', params: [] },
  { key: 'LPLoss', doc: 'Lp loss.', params: ['root', 'exponent', 'class_selection_fun_params', 'average_batch_loss'] },
  { key: 'LPPredictionLoss', doc: 'Lp loss (legacy name).', params: ['root', 'exponent', 'class_selection_fun_params', 'average_batch_loss'] },
  { key: 'BCEWithLogitsLoss', doc: 'Binary cross entropy on logits.', params: ['average_batch_loss', 'flatten_predictions'] },
  { key: 'BCELoss', doc: 'Binary cross entropy.', params: ['average_batch_loss'] },
];
/** Keys only the example `LM` loss registry knows. */
export const LM_LOSS_KEYS: readonly KeyedParams[] = [
  { key: 'MLMCrossEntropyLoss', doc: 'Masked-LM cross entropy (BERT example).', params: ['vocab_size'] },
  { key: 'CLMCrossEntropyLoss', doc: 'Causal-LM cross entropy (GPT-2 example).', params: ['vocab_size'] },
];

export const METRIC_COMMON_PARAMS = ['key', 'tag', 'target_subscription_key', 'prediction_subscription_key'] as const;
export const METRIC_KEYS: readonly KeyedParams[] = [
  ...['F1_SCORE', 'ACCURACY', 'BALANCED_ACCURACY', 'RECALL', 'PRECISION', 'AUROC', 'AUPR'].map((key) => ({ key, doc: 'sklearn-backed; `params` are sklearn keyword arguments (e.g. `{average: macro}`) and are needed by the model card.', params: ['params'] })),
  { key: 'RECALL_AT_K', doc: 'Recall at k; the score is a list.', params: ['class_label', 'k_vals', 'sort_descending'] },
  { key: 'AREA_UNDER_RECALL_AT_K', doc: 'Area under recall at k.', params: ['class_label', 'k_vals', 'sort_descending', 'normalize'] },
  { key: 'BRIER_SCORE', doc: 'Brier score.', params: [] },
  { key: 'EXPECTED_CALIBRATION_ERROR', doc: 'Expected calibration error.', params: ['num_bins', 'class_label', 'sum_up_bins'] },
  { key: 'BINARY_CLASSWISE_EXPECTED_CALIBRATION_ERROR', doc: 'Class-wise ECE for binary tasks.', params: ['prediction_subscription_key_0', 'prediction_subscription_key_1', 'num_bins', 'class_labels'] },
];
export const LM_METRIC_KEYS: readonly KeyedParams[] = [{ key: 'PerplexityMetric', doc: 'Perplexity (GPT-2 example).', params: ['identifier', 'params'] }];

export const POSTPROCESSOR_COMMON_PARAMS = ['prediction_subscription_key', 'prediction_publication_key'] as const;
export const POSTPROCESSOR_KEYS: readonly KeyedParams[] = [
  { key: 'SOFT_MAX', doc: 'Softmax.', params: [] },
  { key: 'ARG_MAX', doc: 'Argmax.', params: [] },
  { key: 'DUMMY', doc: 'Identity.', params: [] },
  { key: 'MIN_OR_MAX', doc: 'Min or max over the predictions.', params: ['agg_fun'] },
  { key: 'SIGMOIDAL', doc: 'Sigmoid and threshold.', params: ['threshold'] },
  { key: 'BINARIZATION', doc: 'Binarises at a threshold (0.5).', params: ['threshold'] },
];
export const LM_POSTPROCESSOR_KEYS: readonly KeyedParams[] = [{ key: 'PerplexityPostProcessing', doc: 'Perplexity post-processing (GPT-2 example).', params: [] }];

export const EARLY_STOPPING_CONFIG_KEYS = ['min_relative_improvement', 'epochs_window', 'split_name', 'monitoring_key', 'is_increase_task'] as const;
/** `checkpointing_key` at HEAD ([M]) and the extra strategy of the dev branch ([D]); docs/mlgym.md §2.4. */
export const CHECKPOINTING_KEYS_DEV_ONLY = ['SAVE_MOST_RECENT_EPOCH_ONLY_CHECKPOINTING_STRATEGY'] as const;

/** Injectable ids the MLgym blueprints and validators map (docs/mlgym.md §2.1). */
export const BUILTIN_INJECTABLE_IDS: readonly string[] = [
  'id_computation_device', 'id_conv_mnist_standard_collator', 'id_bert_lm_collator', 'id_gpt2_llm_collator',
  'id_experiment_id', 'id_hyper_paramater_combination_id', 'id_val_fold_id', 'id_outer_test_fold_id', 'id_inner_test_fold_id', 'id_split_indices',
];

/** Component names the example blueprints construct and pass to the gym job (docs/mlgym.md §2.1); `lr_scheduler` is optional. */
export const DEFAULT_REQUIRED_COMPONENTS: readonly string[] = ['model', 'optimizer', 'trainer', 'evaluator', 'checkpointing_strategy', 'early_stopping_strategy'];
export const OPTIONAL_BLUEPRINT_COMPONENTS: readonly string[] = ['lr_scheduler'];

/** The registry a document is checked against: built-ins plus the example and user-declared pairs. */
export class ComponentRegistry {
  private readonly byType = new Map<string, Map<string, VariantSpec>>();

  constructor(readonly variants: readonly VariantSpec[]) {
    for (const v of variants) {
      let m = this.byType.get(v.type);
      if (!m) this.byType.set(v.type, (m = new Map()));
      m.set(v.variant, v); // later entries (user declarations) override earlier ones, as register_component_type does
    }
  }

  types(): string[] { return [...this.byType.keys()]; }
  hasType(type: string): boolean { return this.byType.has(type); }
  variantsOf(type: string): VariantSpec[] { return [...(this.byType.get(type)?.values() ?? [])]; }
  get(type: string, variant: string): VariantSpec | undefined { return this.byType.get(type)?.get(variant); }
}

export function builtinRegistry(extra: readonly VariantSpec[] = []): ComponentRegistry {
  return new ComponentRegistry([...BUILTIN_VARIANTS, ...EXAMPLE_VARIANTS, ...extra]);
}
