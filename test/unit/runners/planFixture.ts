/** A complete TaskPlan with neutral values; tests override what they exercise. */
import type { TaskPlan } from '../../../shared/lsp-protocol';

export function makePlan(over: Partial<TaskPlan> = {}): TaskPlan {
  return {
    taskName: 'task', image: 'cube:1', docker: 'docker', root: '/nonexistent', workspace: '/nonexistent/workspace',
    entrypoint: [], args: ['task'], paramArgs: [], mounts: [], env: {},
    runArgs: '', gpus: null, mkdirs: [], workspaceSync: [],
    imageBuild: { strategy: 'pull', context: '/nonexistent', file: '/nonexistent/Dockerfile', fileExists: false, buildArgs: {}, action: 'pull' },
    command: '', warnings: [], ...over,
  };
}
