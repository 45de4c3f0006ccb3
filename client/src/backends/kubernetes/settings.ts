/**
 * A `kubernetes` target as `cubelab.targets` describes it, read defensively (a setting comes from the user's own
 * settings file, never from a restricted workspace, but may still be malformed): each field is kept only when it
 * has the right shape; what is wrong is said once, when the target is first used. Pure.
 */

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface KubernetesSettings {
  name: string;
  /** A context of the kubeconfig (default: its current context). */
  context?: string;
  /** The kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`). */
  kubeconfig?: string;
  /** Default: the context's namespace, else `default`. */
  namespace?: string;
  /** The PersistentVolumeClaim holding the workspace (MLCube's runner: `pvc: ${name}`). */
  persistentVolumeClaim?: string;
  /**
   * A folder of this machine holding the same files as the claim (the claim's share mounted here). Unset: the
   * claim's root is the cube's `workspace/` folder, as MLCube's runner lays it out, and CubeLab cannot see into it.
   */
  localPath?: string;
  /** Requests and limits of every pod (the task's own `--memory`, `--cpus`, `--gpus` win). */
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  imagePullSecrets?: string[];
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  /** How long a finished Job CubeLab keeps (a failed one, for its logs) stays on the cluster. */
  ttlSecondsAfterFinished?: number;
}

export const DEFAULT_TTL_SECONDS = 86_400;

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** A resource quantity (`500m`, `2Gi`, `1`), as the API server parses it. */
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+)?$/;

function stringMap(v: unknown, what: string, problems: string[], check?: (k: string, val: string) => string | undefined): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!v || typeof v !== 'object' || Array.isArray(v)) { problems.push(`${what} must be an object of strings`); return undefined; }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') { problems.push(`${what}.${k} must be a string`); continue; }
    const bad = check?.(k, val);
    if (bad) { problems.push(bad); continue; }
    out[k] = val;
  }
  return out;
}

/** The target's settings and what is wrong with them (each problem a sentence fragment naming the field). */
export function readKubernetesSettings(s: Record<string, unknown> & { name: string }): { settings: KubernetesSettings; problems: string[] } {
  const problems: string[] = [];
  const out: KubernetesSettings = { name: s.name };
  const str = (k: 'context' | 'kubeconfig' | 'namespace' | 'persistentVolumeClaim' | 'localPath'): void => {
    const v = s[k];
    if (v === undefined || v === '') return;
    if (typeof v !== 'string') { problems.push(`${k} must be a string`); return; }
    out[k] = v;
  };
  str('context'); str('kubeconfig'); str('namespace'); str('persistentVolumeClaim'); str('localPath');
  if (out.namespace && !DNS_LABEL.test(out.namespace)) { problems.push(`namespace "${out.namespace}" is not a valid namespace name`); delete out.namespace; }
  if (out.persistentVolumeClaim && !DNS_SUBDOMAIN.test(out.persistentVolumeClaim)) { problems.push(`persistentVolumeClaim "${out.persistentVolumeClaim}" is not a valid claim name`); delete out.persistentVolumeClaim; }
  if (out.localPath && !out.localPath.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(out.localPath)) { problems.push(`localPath "${out.localPath}" must be an absolute path`); delete out.localPath; }
  const quantity = (what: string) => (k: string, v: string) => (QUANTITY.test(v) ? undefined : `${what}.${k} "${v}" is not a quantity (such as 500m, 2Gi, 1)`);
  if (s.resources !== undefined) {
    if (!s.resources || typeof s.resources !== 'object' || Array.isArray(s.resources)) problems.push('resources must be an object with requests and limits');
    else {
      const r = s.resources as Record<string, unknown>;
      const requests = stringMap(r.requests, 'resources.requests', problems, quantity('resources.requests'));
      const limits = stringMap(r.limits, 'resources.limits', problems, quantity('resources.limits'));
      out.resources = { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
    }
  }
  if (s.imagePullSecrets !== undefined) {
    if (!Array.isArray(s.imagePullSecrets)) problems.push('imagePullSecrets must be a list of Secret names');
    else out.imagePullSecrets = s.imagePullSecrets.filter((x): x is string => {
      const ok = typeof x === 'string' && DNS_SUBDOMAIN.test(x);
      if (!ok) problems.push(`imagePullSecrets: "${String(x)}" is not a Secret name`);
      return ok;
    });
  }
  const ns = stringMap(s.nodeSelector, 'nodeSelector', problems, (k, v) => (!LABEL_KEY.test(k) ? `nodeSelector key "${k}" is not a label key` : !LABEL_VALUE.test(v) ? `nodeSelector.${k} "${v}" is not a label value` : undefined));
  if (ns) out.nodeSelector = ns;
  if (s.tolerations !== undefined) {
    if (!Array.isArray(s.tolerations)) problems.push('tolerations must be a list');
    else {
      out.tolerations = [];
      for (const [i, t] of s.tolerations.entries()) {
        if (!t || typeof t !== 'object') { problems.push(`tolerations[${i}] must be an object`); continue; }
        const o = t as Record<string, unknown>;
        const tol: Toleration = {};
        if (typeof o.key === 'string') tol.key = o.key;
        if (o.operator === 'Exists' || o.operator === 'Equal') tol.operator = o.operator; else if (o.operator !== undefined) problems.push(`tolerations[${i}].operator must be Exists or Equal`);
        if (typeof o.value === 'string') tol.value = o.value;
        if (o.effect === 'NoSchedule' || o.effect === 'PreferNoSchedule' || o.effect === 'NoExecute') tol.effect = o.effect; else if (o.effect !== undefined) problems.push(`tolerations[${i}].effect must be NoSchedule, PreferNoSchedule or NoExecute`);
        if (typeof o.tolerationSeconds === 'number' && Number.isInteger(o.tolerationSeconds)) tol.tolerationSeconds = o.tolerationSeconds;
        const unknown = Object.keys(o).filter((k) => !['key', 'operator', 'value', 'effect', 'tolerationSeconds'].includes(k));
        if (unknown.length) problems.push(`tolerations[${i}] has unknown field(s) ${unknown.join(', ')}`);
        out.tolerations.push(tol);
      }
    }
  }
  if (s.ttlSecondsAfterFinished !== undefined) {
    const v = s.ttlSecondsAfterFinished;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push('ttlSecondsAfterFinished must be a whole number of seconds (0 or more)');
    else out.ttlSecondsAfterFinished = v;
  }
  return { settings: out, problems };
}
