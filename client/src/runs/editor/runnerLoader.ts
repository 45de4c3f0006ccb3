/**
 * Loads dist/runner.js (the supervisor, the run store and the backends with dockerode) on first use.
 * Activation never pays for it: the module is required from its own bundle, at run time, only when a command
 * needs it.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as RunnerBundle from '../../backends/index';

export type RunnerModule = typeof RunnerBundle;

let loaded: RunnerModule | undefined;

export function loadRunnerModule(extensionPath: string): RunnerModule {
  // createRequire keeps esbuild from inlining the runner bundle into dist/client.js.
  loaded ??= createRequire(__filename)(path.join(extensionPath, 'dist', 'runner.js')) as RunnerModule;
  return loaded;
}

