/**
 * The model tier: CubeLab's real model cubes (examples/digits-cube, examples/digits-detect-cube) built and run
 * in the real Docker engine (test/env/setup-docker.sh) on the model image test/env/setup-model-image.sh makes
 * once per machine from Debian's packages. Plans come from the built language server, runs go through the run
 * supervisor and the local Docker backend, exactly as the editor runs them.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerBackend } from '../../client/src/backends/docker/dockerBackend';
import { Supervisor } from '../../client/src/runs/supervisor';
import type { RunStore } from '../../client/src/runs/runStore';
import type { TaskPlan, TaskPlanResult } from '../../shared/lsp-protocol';
import { LspClient } from '../helpers/lspClient';
import { CollectingSink, repoRoot, tempWorkspace } from '../runner/helpers';

export { repoRoot };

/** The builder the demo workspace names (examples/.vscode/settings.json), with the script's real path. */
export const MODEL_IMAGE_BUILDERS = { 'cubelab/python-sklearn': ['bash', join(repoRoot, 'scripts', 'build-model-image.sh')] };

/** A copy of a demo cube in a temporary workspace, without anything a run wrote. */
export function copyCube(name: 'digits-cube' | 'digits-detect-cube'): { dir: string; cube: string; store: RunStore } {
  const { dir, store } = tempWorkspace(`model-${name}`);
  const cube = join(dir, name);
  cpSync(join(repoRoot, 'examples', name), cube, { recursive: true, filter: (p) => !/\/workspace\/(model|event_storage|images|predictions|canvases|data)$/.test(p) });
  return { dir, cube, store };
}

/** Plans for some tasks of a manifest, from the built language server. */
export async function planTasks(cube: string, tasks: { task: string; overrides?: string[] }[]): Promise<TaskPlan[]> {
  const manifest = join(cube, 'mlcube.yaml');
  const lsp = await LspClient.start({ rootPath: cube });
  try {
    const uri = lsp.open(manifest, readFileSync(manifest, 'utf8'));
    const diags = await lsp.diagnosticsFor(uri);
    if (diags.some((d) => d.severity === 1)) throw new Error(`the manifest has errors: ${JSON.stringify(diags)}`);
    const out: TaskPlan[] = [];
    for (const t of tasks) {
      const r = await lsp.request<TaskPlanResult>('cubelab/taskPlan', { uri, task: t.task, overrides: t.overrides ?? [] });
      if (!r.ok) throw new Error(`cannot plan ${t.task}: ${r.error}`);
      out.push(r.plan);
    }
    return out;
  } finally {
    await lsp.stop();
  }
}

export class ModelRunner {
  readonly backend = new DockerBackend({ name: 'local', imageBuilders: MODEL_IMAGE_BUILDERS }, { stopGraceSeconds: 2 });
  readonly supervisor: Supervisor;
  constructor(readonly store: RunStore) {
    this.supervisor = new Supervisor({ store, backendFor: (t) => (this.backend.owns(t) ? this.backend : undefined), stopGraceSeconds: 2, retryMs: 250 });
  }
  /** Runs a task to its end; throws with the output when it did not succeed. */
  async run(manifest: string, plan: TaskPlan): Promise<{ runId: string; sink: CollectingSink; log: string }> {
    const sink = new CollectingSink();
    const h = await this.supervisor.start({ backend: this.backend, manifest, task: plan.taskName, plan, defaultNetwork: 'none' }, sink);
    const o = await h.done;
    const log = readFileSync(this.store.logPath(h.runId), 'utf8');
    if (o.status !== 'succeeded') throw new Error(`${plan.taskName} ${o.status} (exit ${o.exitCode}): ${o.reason ?? ''}\n${log.split('\n').slice(-30).join('\n')}`);
    return { runId: h.runId, sink, log };
  }
  async dispose(): Promise<void> { await this.supervisor.dispose(); await this.backend.dispose(); }
}
