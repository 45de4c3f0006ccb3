/**
 * Reading MLgym runs (docs/mlgym.md §3–4), pure Node: no `vscode` import anywhere in this folder, so
 * the unit tests, the benchmark and a worker thread can use it as is.
 * - `EventLogReader` (reader.ts): incremental, bounded-memory reading and tailing of `event_storage.log`.
 * - `RunAggregator` (aggregate.ts): per-experiment `<split>_<tag>` series aligned by epoch, job state, progress.
 * - storage.ts: the `event_storage/<grid_search_id>/` folder layout (configs, system info, model cards, checkpoints).
 * - generate.ts: synthetic event storages for tests, the benchmark and the demo workspace.
 */
export { EventLogReader, LogTail, type ReaderCheckpoint, type ReaderOptions, type ReaderStats, type ReadResult, type RestartReason } from './reader';
export { RunAggregator, ExperimentAggregate, EpochSeries, compareIds, type EventSink, type ExperimentState, type JobInfo, type Progress } from './aggregate';
export { listGridSearches, readGridSearchFolder, readExperimentFolder, readExperiments, listCheckpoints, LOG_FILE, type GridSearchFolder, type ExperimentFolder, type CheckpointFolder, type FileProblem } from './storage';
export { normalize, type NormalizeResult } from './normalize';
export type * from './types';
export { EventIndexStore, openFromIndex, saveToIndex, encodeIndex, decodeIndex, INDEX_FORMAT, type IndexOpen, type IndexOutcome } from './eventIndex';
