/** A complete TaskPlan with neutral values; tests override what they exercise (docker fields by their names). */
import type { DockerPlatformPlan, TaskPlan } from '../../../shared/lsp-protocol';

export type PlanOverrides = Partial<TaskPlan> & Partial<Pick<DockerPlatformPlan, 'runArgs' | 'imageBuild' | 'command'>> & { tool?: string };

export function makePlan(over: PlanOverrides = {}): TaskPlan {
  const { runArgs, imageBuild, command, tool, ...rest } = over;
  return {
    taskName: 'task', image: 'cube:1', root: '/nonexistent', workspace: '/nonexistent/workspace',
    entrypoint: [], args: ['task'], paramArgs: [], mounts: [], env: {},
    gpus: null, mkdirs: [], workspaceSync: [], warnings: [],
    platforms: {
      docker: {
        tool: tool ?? 'docker', runArgs: runArgs ?? '', command: command ?? '',
        imageBuild: imageBuild ?? { strategy: 'pull', context: '/nonexistent', file: '/nonexistent/Dockerfile', fileExists: false, buildArgs: {}, action: 'pull' },
      },
      singularity: null,
    },
    ...rest,
  };
}
