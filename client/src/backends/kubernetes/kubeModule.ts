/**
 * Loads the Kubernetes API code (kubeApi.ts with `@kubernetes/client-node`) on first use. Built, it is its own
 * bundle, dist/kubernetes.js, beside the runner (dist/runner.js) and the command line (dist/cli.js): neither
 * activation nor a Docker run pays for it. From sources (the tests, through tsx) it is required directly.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import type * as KubeApiModule from './kubeApi';

export type KubeModule = typeof KubeApiModule;

let loaded: KubeModule | undefined;

export function loadKubeModule(): KubeModule {
  if (loaded) return loaded;
  const bundled = join(__dirname, 'kubernetes.js');
  // createRequire keeps esbuild from inlining the module into the bundle that loads it.
  const req = createRequire(__filename);
  loaded = (basename(__dirname) === 'dist' && existsSync(bundled) ? req(bundled) : req('./kubeApi')) as KubeModule;
  return loaded;
}
