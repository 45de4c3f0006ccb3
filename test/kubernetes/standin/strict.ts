/**
 * The stand-in API server's validation of what a client sends: the object against its OpenAPI schema (the npm
 * package kubernetes-models, whose validators are generated from Kubernetes' own OpenAPI document), plus what
 * the real API server's strict field validation (`fieldValidation=Strict`) adds and the schema does not say:
 * a field the schema does not know is an error (`unknown field "spec.foo"`), never silently dropped.
 *
 * Unknown fields are found by watching what the generated validator reads: it reads every property its schema
 * defines by name, and iterates the keys of maps (labels, limits). A property of an object it neither read nor
 * iterated is not in the schema. A test stand-in, not product code.
 */
import { Job } from 'kubernetes-models/batch/v1/Job';
import { DeleteOptions } from '@kubernetes-models/apimachinery/apis/meta/v1/DeleteOptions';

interface Seen { path: string; obj: Record<string, unknown>; read: Set<string>; iterated: () => boolean }

function watched(value: unknown, path: string, seen: Seen[]): unknown {
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const read = new Set<string>();
  let iterated = false;
  const children = new Map<string, unknown>();
  seen.push({ path, obj, read, iterated: () => iterated });
  return new Proxy(obj, {
    get(t, k, r) {
      const x = Reflect.get(t, k, r);
      if (typeof k !== 'string') return x;
      read.add(k);
      if (!x || typeof x !== 'object') return x;
      if (!children.has(k)) children.set(k, watched(x, Array.isArray(t) ? `${path}[${k}]` : path ? `${path}.${k}` : k, seen));
      return children.get(k);
    },
    ownKeys(t) { iterated = true; return Reflect.ownKeys(t); },
  });
}

export interface StrictResult { errors: string[]; unknown: string[] }

function check(validate: (this: unknown) => void, value: unknown): StrictResult {
  const seen: Seen[] = [];
  const errors: string[] = [];
  try { validate.call(watched(value, '', seen)); } catch (e) { errors.push((e as Error).message); }
  const unknown: string[] = [];
  for (const s of seen) {
    if (Array.isArray(s.obj) || s.iterated()) continue;
    for (const k of Object.keys(s.obj)) if (!s.read.has(k)) unknown.push(s.path ? `${s.path}.${k}` : k);
  }
  return { errors, unknown };
}

/** A `batch/v1` Job as the API server's strict validation sees it. */
export function strictJob(value: unknown): StrictResult {
  return check(Job.prototype.validate as (this: unknown) => void, value);
}

/** `meta/v1` DeleteOptions (the body of a DELETE). */
export function strictDeleteOptions(value: unknown): StrictResult {
  return check(DeleteOptions.prototype.validate as (this: unknown) => void, value);
}
