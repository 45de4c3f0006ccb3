/**
 * The Docker materialisation of a task plan (`plan.platforms.docker`), also for plans stored by CubeLab
 * before plans had platforms (run records of version 1 kept `docker`, `runArgs`, `imageBuild` and `command` at
 * the top of the plan): a re-run of such a record still works.
 */
import type { DockerPlatformPlan, TaskPlan } from '../lsp-protocol';

export function dockerPlatform(plan: TaskPlan): DockerPlatformPlan {
  if (plan.platforms?.docker) return plan.platforms.docker;
  const legacy = plan as unknown as Partial<DockerPlatformPlan> & { docker?: string };
  return {
    tool: typeof legacy.docker === 'string' ? legacy.docker : 'docker',
    runArgs: legacy.runArgs ?? '',
    imageBuild: legacy.imageBuild as DockerPlatformPlan['imageBuild'],
    command: legacy.command ?? '',
  };
}
