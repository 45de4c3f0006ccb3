/**
 * Parameters whose path is a folder of the host that holds the system or credentials (`default: /`,
 * `default: /etc/passwd`, `~/.ssh/`): mlcube mounts that folder (a file's parent folder) into the container as it
 * is. Reported at the path, with what it reaches; the run asks before it starts (shared/docker/hostGrants.ts).
 */
import { q, type CheckContext } from './checkContext';
import type { ParamModel } from './model';
import { sensitiveHostPath } from '../../../shared/docker/hostGrants';
import { expandUser } from './mounts';

export function checkHostMounts(c: CheckContext, resolvedPath: (p: ParamModel) => string | undefined): void {
  const home = c.ctx.env.HOME;
  for (const task of c.model.tasks) {
    for (const p of task.params) {
      const raw = resolvedPath(p);
      if (!raw) continue;
      const path = expandUser(raw, c.ctx.env);
      if (!path.startsWith('/')) continue; // inside the workspace
      // A directory is mounted itself; anything else through its parent folder.
      const directory = p.declaredType === 'directory' || path.endsWith('/');
      const mounted = directory ? path.replace(/\/+$/, '') || '/' : path.slice(0, path.lastIndexOf('/')) || '/';
      const why = sensitiveHostPath(mounted, home) ?? sensitiveHostPath(path, home);
      if (!why) continue;
      const at = p.pathEntry?.valueSpan ?? p.entry.keySpan;
      c.report('mlcube/host-access-mount', at,
        `The ${p.io} ${q(p.name)} of task ${q(task.name)} mounts ${q(mounted)} of the host into the container (${why}). CubeLab asks before the first run that grants it.`,
        { task: task.name, param: p.name, path: mounted });
    }
  }
}
