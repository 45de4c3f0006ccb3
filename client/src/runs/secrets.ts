/**
 * Secret values of a run: every environment value handed to the container (`env_args`, `-e K=V` flags) and
 * every value the plan resolved from the user's environment (`${oc.env:NAME}`). They reach the container, and
 * nothing else: the record keeps the plan with each replaced by a placeholder and a SHA-256 of each value (so a
 * later reproduction can tell a changed value), and log lines and messages have them masked. Pure.
 */
import { createHash } from 'node:crypto';
import type { TaskPlan } from '../../../shared/lsp-protocol';
import type { SecretDigest } from './record';

export interface Secret { name: string; value: string }

/** Values shorter than this are masked where they stand (an env entry) but not searched for in free text. */
const MIN_SEARCHED = 6;

const ENV_FLAG = /(^|\s)(-e|--env)(=|\s+)(["']?)([A-Za-z_][A-Za-z0-9_.]*)=([^\s"']*|(?<=")[^"]*|(?<=')[^']*)\4(?=\s|$)/g;

/** `-e K=V` / `--env K=V` / `--env=K=V` values in a string of docker flags. */
export function envFlagValues(flags: string): Secret[] {
  const out: Secret[] = [];
  for (const m of flags.matchAll(ENV_FLAG)) out.push({ name: `env:${m[5]}`, value: m[6] ?? '' });
  return out;
}

/** Every secret of a plan, each once. */
export function planSecrets(plan: TaskPlan): Secret[] {
  const found: Secret[] = [];
  if (typeof plan.env === 'object' && plan.env) for (const [k, v] of Object.entries(plan.env)) found.push({ name: `env:${k}`, value: String(v) });
  else if (typeof plan.env === 'string') found.push(...envFlagValues(plan.env));
  const runArgs = plan.platforms?.docker?.runArgs ?? (plan as unknown as { runArgs?: string }).runArgs;
  if (typeof runArgs === 'string') found.push(...envFlagValues(runArgs));
  for (const r of plan.envRefs ?? []) found.push({ name: `oc.env:${r.name}`, value: r.value });
  const seen = new Set<string>();
  return found.filter((s) => s.value !== '' && !seen.has(`${s.name}\0${s.value}`) && (seen.add(`${s.name}\0${s.value}`), true));
}

export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function digests(secrets: readonly Secret[]): SecretDigest[] {
  return secrets.map((s) => ({ name: s.name, sha256: sha256(s.value) }));
}

const placeholder = (s: Secret): string => `<secret ${s.name}>`;

/** Masks each secret value of at least MIN_SEARCHED characters wherever it appears in `text`. */
export function maskText(text: string, secrets: readonly Secret[]): string {
  let out = text;
  for (const s of secrets) if (s.value.length >= MIN_SEARCHED && out.includes(s.value)) out = out.split(s.value).join(placeholder(s));
  return out;
}

/** The plan as it may be stored: env values replaced where they stand, other occurrences masked. */
export function redactPlan(plan: TaskPlan, secrets: readonly Secret[]): TaskPlan {
  if (!secrets.length) return plan;
  const maskFlags = (flags: string): string => flags.replace(ENV_FLAG, (_all, pre: string, flag: string, sep: string, q: string, name: string) => `${pre}${flag}${sep}${q}${name}=${placeholder({ name: `env:${name}`, value: '' })}${q}`);
  const walk = (v: unknown, key?: string, parentKey?: string): unknown => {
    if (typeof v === 'string') {
      const flagsLike = key === 'runArgs' || (key === 'env' && parentKey === undefined) || key === 'command';
      return maskText(flagsLike ? maskFlags(v) : v, secrets);
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, undefined, key));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) out[k] = walk(x, k, key);
      return out;
    }
    return v;
  };
  const out = walk(plan) as TaskPlan;
  if (typeof plan.env === 'object' && plan.env) out.env = Object.fromEntries(Object.keys(plan.env).map((k) => [k, placeholder({ name: `env:${k}`, value: '' })]));
  if (plan.envRefs) out.envRefs = plan.envRefs.map((r) => ({ name: r.name, value: placeholder({ name: `oc.env:${r.name}`, value: '' }) }));
  return out;
}

/** Names whose value differs between two digest lists (a changed token, a new variable). */
export function changedSecrets(before: readonly SecretDigest[], now: readonly SecretDigest[]): string[] {
  const old = new Map(before.map((d) => [d.name, d.sha256]));
  return now.filter((d) => old.has(d.name) && old.get(d.name) !== d.sha256).map((d) => d.name);
}
