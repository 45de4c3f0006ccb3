/**
 * Loads dist/runner.js (dockerode and the runners) on first use. Activation never pays for it: the
 * module is required from its own bundle, at run time, only when a command needs a runner.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as RunnerModule from '../runners/index';

let loaded: typeof RunnerModule | undefined;

export function loadRunnerModule(extensionPath: string): typeof RunnerModule {
  // createRequire keeps esbuild from inlining the runner bundle into dist/client.js.
  loaded ??= createRequire(__filename)(path.join(extensionPath, 'dist', 'runner.js')) as typeof RunnerModule;
  return loaded;
}

export type { RunnerModule };
