/**
 * What a plan grants the container on the host (privileged mode, the host's namespaces, binds of system folders or
 * credentials, the engine's socket...), read off the container spec the Docker backends would create
 * (shared/docker/hostGrants.ts, as the editor and the supervisor read it). `cubelab run` refuses such a plan unless
 * --allow-host-access is given; with it, the granted set is what the supervisor is told was confirmed.
 */
import type { TaskPlan } from '../../../shared/lsp-protocol';
import { planGrants, type GrantSet } from '../../../shared/docker/hostGrants';
import { currentHostFacts } from '../../../shared/docker/runArgs';

export interface PlanGrants {
  /** What each grant is, for a person. */
  texts: string[];
  /** The set as run records store it (stable ids and their hash). */
  set: GrantSet;
}

export function grantsOfPlan(plan: TaskPlan): PlanGrants {
  const { grants, set } = planGrants(plan, currentHostFacts());
  return { texts: grants.map((g) => g.text), set };
}
