/**
 * What a plan grants the container on the host (privileged mode, the host's namespaces, binds of system folders or
 * credentials, the engine's socket...): `cubelab run` refuses such a plan unless --allow-host-access is given.
 *
 * The computation belongs to shared/docker/hostGrants.ts, which the editor uses too; until that module is part of
 * the repository, no plan grants anything here (and --allow-host-access changes nothing).
 */
import type { TaskPlan } from '../../../shared/lsp-protocol';

export interface PlanGrants {
  /** What each grant is, for a person. */
  texts: string[];
  /** The set as run records store it (stable ids and their hash). */
  set: { items: string[]; sha256: string };
}

export function grantsOfPlan(_plan: TaskPlan): PlanGrants {
  return { texts: [], set: { items: [], sha256: '' } };
}
