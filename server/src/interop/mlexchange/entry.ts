/**
 * MLExchange content entries (docs/interop.md §1): the JSON documents of the content registry's `models`,
 * `apps` and `workflows` collections, as its GUI's Download button saves them, its REST API returns them, or
 * its MongoDB dump holds them. Read leniently, as the registry itself stores them: the format drifted
 * (`model_name`/`name`, `user`/`owner`, dropdown `options` or `data`, a bool's `value` or `checked`) and values
 * are loosely typed (`"value": "100"` for an int). Floats are kept as floats (pyValues.ts).
 */
import { parseJsonLossless, JsonSyntaxError } from '../pyValues';

export type ContentType = 'model' | 'app' | 'workflow' | 'asset';

export interface GuiParameter {
  /** The descriptor as written (key order and float-ness kept): what export writes back. */
  readonly raw: Record<string, unknown>;
  readonly type: string;
  /** The Dash component id. */
  readonly name: string;
  readonly title: string;
  /** The key of the value in the parameters MLExchange hands the job (`param_key`, else `name`). */
  readonly paramKey: string;
  readonly value: unknown;
  readonly compGroup: string | undefined;
}

export interface Entry {
  readonly raw: Record<string, unknown>;
  readonly contentType: ContentType;
  readonly name: string;
  readonly version: string;
  readonly contentId: string | undefined;
  readonly uri: string | undefined;
  readonly cmd: string[];
  readonly gui: GuiParameter[];
  readonly description: string | undefined;
  readonly owner: string | undefined;
  readonly computeResources: { numProcessors?: number; numGpus?: number } | undefined;
  /** `container_kwargs` (docker-py keyword arguments of the job's container). */
  readonly containerKwargs: Record<string, unknown> | undefined;
  /** Apps: ports to publish (`{"8052/tcp": ""}`). */
  readonly ports: string[];
  readonly workflowType: string | undefined;
  readonly workflowList: string[];
}

export class EntryError extends Error {}

const isDict = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'value' in v && typeof (v as { value: unknown }).value === 'number') return (v as { value: number }).value;
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return Number(v);
  return undefined;
};

function readGui(list: unknown, where: string): GuiParameter[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new EntryError(`${where}: "gui_parameters" is not a list.`);
  return list.map((p, i) => {
    if (!isDict(p)) throw new EntryError(`${where}: gui_parameters[${i}] is not an object.`);
    const type = str(p.type) ?? '';
    const name = str(p.name) ?? str(p.param_key) ?? `param${i}`;
    const paramKey = str(p.param_key) || name;
    // A bool switch of the newer definitions keeps its state in `checked` (docs/interop.md §1.2).
    const value = 'value' in p ? p.value : 'checked' in p ? p.checked : null;
    const compGroup = str(p.comp_group) || undefined;
    return { raw: p, type, name, title: str(p.title) ?? name, paramKey, value, compGroup };
  });
}

/** One entry from a parsed JSON value. */
export function readEntry(v: unknown, where = 'the entry'): Entry {
  if (!isDict(v)) throw new EntryError(`${where} is not a JSON object.`);
  const name = str(v.name) || str(v.model_name);
  if (!name) throw new EntryError(`${where} has no "name" (nor the older "model_name").`);
  const declared = str(v.content_type);
  let contentType: ContentType;
  if (declared === 'model' || declared === 'app' || declared === 'workflow' || declared === 'asset') contentType = declared;
  else if (declared) throw new EntryError(`${where} ("${name}") has content_type "${declared}": model, app or workflow expected.`);
  else contentType = Array.isArray(v.workflow_list) ? 'workflow' : isDict(v.map) ? 'app' : 'model';
  const cmdRaw = v.cmd;
  let cmd: string[] = [];
  if (typeof cmdRaw === 'string') cmd = [cmdRaw];
  else if (Array.isArray(cmdRaw)) {
    cmd = cmdRaw.map((c, i) => {
      if (typeof c !== 'string') throw new EntryError(`${where} ("${name}"): cmd[${i}] is not a string.`);
      return c;
    });
  } else if (cmdRaw !== undefined && cmdRaw !== null) throw new EntryError(`${where} ("${name}"): "cmd" is neither a list nor a string.`);
  const cr = isDict(v.compute_resources) ? v.compute_resources : undefined;
  const numProcessors = num(cr?.num_processors);
  const numGpus = num(cr?.num_gpus);
  return {
    raw: v,
    contentType,
    name,
    version: str(v.version) ?? (typeof v.version === 'number' ? String(v.version) : ''),
    contentId: str(v.content_id),
    uri: str(v.uri),
    cmd,
    gui: readGui(v.gui_parameters, `${where} ("${name}")`),
    description: str(v.description),
    owner: str(v.owner) ?? str(v.user),
    computeResources: cr ? { ...(numProcessors !== undefined ? { numProcessors } : {}), ...(numGpus !== undefined ? { numGpus } : {}) } : undefined,
    containerKwargs: isDict(v.container_kwargs) ? v.container_kwargs : undefined,
    ports: isDict(v.map) ? Object.keys(v.map) : [],
    workflowType: str(v.workflow_type),
    workflowList: Array.isArray(v.workflow_list) ? v.workflow_list.filter((x): x is string => typeof x === 'string') : [],
  };
}

/**
 * The entries of a JSON text: one entry, a list of entries (the API's `GET /models`, a decoded dump), or an
 * object of such lists (`{"models": [...], "apps": [...]}`).
 */
export function readEntries(text: string, source = 'the file'): Entry[] {
  let v: unknown;
  try { v = parseJsonLossless(text); } catch (e) {
    if (e instanceof JsonSyntaxError) throw new EntryError(`${source} is not JSON: ${e.message}.`);
    throw e;
  }
  if (Array.isArray(v)) return v.map((x, i) => readEntry(x, `${source}, entry ${i + 1}`));
  if (isDict(v) && !('name' in v) && !('model_name' in v) && Object.values(v).length && Object.values(v).every(Array.isArray)) {
    return Object.entries(v).flatMap(([k, list]) => (list as unknown[]).map((x, i) => readEntry(x, `${source}, ${k}[${i}]`)));
  }
  return [readEntry(v, source)];
}
