/**
 * Entry point of dist/runner.js: the runners and the run store, loaded only when a command needs them
 * (never at activation: dockerode and its dependencies cost more than the whole activation budget).
 */
export { DockerRunner, type DockerRunnerOptions } from './docker/dockerRunner';
export { selectEngine, type EngineEndpoint } from './docker/engine';
export { translateRunArgs } from './docker/runArgs';
export { RunStore, type RunRecord, type StoreProblem } from '../runs/runStore';
export { RunnerError, type Runner, type RunRequest, type RunSink, type RunHandle, type RunOutcome, type ImageBuild, type CancelToken } from './runner';
