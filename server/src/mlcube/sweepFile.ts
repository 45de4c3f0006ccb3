/**
 * Sweep files (`*.sweep.yaml`): one task over a list of override sets, written by hand.
 *
 *   task: train            # optional: the manifest task the sweep runs
 *   parallelism: 4         # optional
 *   elements:              # explicit sets: a list of override words, or a mapping name -> value
 *     - [lr=0.1, batch=32]
 *     - {lr: 0.01, batch: 64}
 *   product:               # and/or a cartesian product: name -> list of values (first key varies slowest)
 *     lr: [0.1, 0.01]
 *     -Pdocker.env_args.SEED: [1, 2]
 *
 * Each override is what `mlcube run` takes after the task: `name=value` for a parameter, `-Pkey.path=value` for
 * the configuration. Pure: the text is the file's (read by the server, which owns every config's reading).
 */
import { parse } from 'yaml';
import type { SweepFileResult } from '../../../shared/lsp-protocol';

/** Beyond this, a product is refused (a typo of a list can ask for millions). */
export const MAX_ELEMENTS = 10_000;

const scalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const word = (name: string, v: string | number | boolean): string => (name.startsWith('-P') ? `${name}=${String(v)}` : `${name}=${String(v)}`);

export function readSweepFile(text: string): SweepFileResult {
  let v: unknown;
  try { v = parse(text, { maxAliasCount: 100, uniqueKeys: true }); } catch (e) { return { ok: false, error: `The sweep file is not valid YAML: ${(e as Error).message.split('\n')[0]}` }; }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, error: 'A sweep file is a mapping with `elements:` and/or `product:` (and optionally `task:` and `parallelism:`).' };
  const doc = v as Record<string, unknown>;
  const unknown = Object.keys(doc).filter((k) => !['task', 'parallelism', 'elements', 'product'].includes(k));
  if (unknown.length) return { ok: false, error: `Unknown key(s) in the sweep file: ${unknown.join(', ')} (expected task, parallelism, elements, product).` };
  if (doc.task !== undefined && typeof doc.task !== 'string') return { ok: false, error: '`task` must be the name of a task of the manifest.' };
  if (doc.parallelism !== undefined && (!Number.isInteger(doc.parallelism) || (doc.parallelism as number) < 1)) return { ok: false, error: '`parallelism` must be a whole number of at least 1.' };
  const elements: string[][] = [];
  if (doc.elements !== undefined) {
    if (!Array.isArray(doc.elements)) return { ok: false, error: '`elements` must be a list.' };
    for (const [i, e] of doc.elements.entries()) {
      if (Array.isArray(e) && e.every((x) => typeof x === 'string')) elements.push(e as string[]);
      else if (e && typeof e === 'object' && !Array.isArray(e) && Object.values(e).every(scalar)) elements.push(Object.entries(e as Record<string, string | number | boolean>).map(([k, x]) => word(k, x)));
      else return { ok: false, error: `Element ${i + 1} must be a list of override words or a mapping of names to values.` };
    }
  }
  if (doc.product !== undefined) {
    if (!doc.product || typeof doc.product !== 'object' || Array.isArray(doc.product)) return { ok: false, error: '`product` must map each name to a list of values.' };
    const axes = Object.entries(doc.product as Record<string, unknown>);
    for (const [k, vals] of axes) if (!Array.isArray(vals) || !vals.length || !vals.every(scalar)) return { ok: false, error: `\`product.${k}\` must be a non-empty list of values.` };
    const total = axes.reduce((n, [, vals]) => n * (vals as unknown[]).length, 1);
    if (total + elements.length > MAX_ELEMENTS) return { ok: false, error: `The product has ${total} combinations; a sweep is limited to ${MAX_ELEMENTS} elements.` };
    let combos: string[][] = [[]];
    for (const [k, vals] of axes) combos = combos.flatMap((c) => (vals as (string | number | boolean)[]).map((x) => [...c, word(k, x)]));
    if (axes.length) elements.push(...combos);
  }
  if (!elements.length) return { ok: false, error: 'The sweep file names no element (`elements:` or `product:`).' };
  return { ok: true, elements, ...(typeof doc.task === 'string' ? { task: doc.task } : {}), ...(typeof doc.parallelism === 'number' ? { parallelism: doc.parallelism } : {}) };
}
