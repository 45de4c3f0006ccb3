/**
 * The JSON Schema of the v2 manifest (schemas/mlcube.schema.json): the one place that lists keys, types,
 * defaults, enums and their documentation. Validation uses it for the runner sections (`docker:`,
 * `singularity:`), which mlcube checks as strictly as a schema does; completion and hover read the
 * descriptions through `schemaAt`. Compiled once, on first use.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schemaJson from '../../../schemas/mlcube.schema.json';

/** The subset of JSON Schema the manifest schema uses. */
export interface JsonSchema {
  $ref?: string;
  title?: string;
  description?: string;
  markdownDescription?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  examples?: unknown[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  definitions?: Record<string, JsonSchema>;
  pattern?: string;
  minimum?: number;
}

export const mlcubeSchema = schemaJson as unknown as JsonSchema;
const definitions = mlcubeSchema.definitions ?? {};

export type SchemaDefinition = 'docker' | 'singularity' | 'platform' | 'task' | 'parameters' | 'paramDict' | 'author';

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function compiler(): Ajv {
  if (!ajv) {
    // strict: false because of the editor-only keyword `markdownDescription`.
    ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addSchema(mlcubeSchema as object, 'mlcube');
  }
  return ajv;
}

/** The compiled validator for the whole manifest, or for one definition (e.g. `docker`). */
export function validator(definition?: SchemaDefinition): ValidateFunction {
  const key = definition ?? '';
  let fn = compiled.get(key);
  if (!fn) {
    const ref = definition ? `mlcube#/definitions/${definition}` : 'mlcube';
    fn = compiler().getSchema(ref);
    if (!fn) throw new Error(`no schema ${ref}`);
    compiled.set(key, fn);
  }
  return fn;
}

/** Schema errors of a value against the whole manifest schema or one definition. */
export function schemaErrors(value: unknown, definition?: SchemaDefinition): ErrorObject[] {
  const fn = validator(definition);
  return fn(value) ? [] : [...(fn.errors ?? [])];
}

function deref(s: JsonSchema | undefined): JsonSchema | undefined {
  let cur = s;
  for (let i = 0; cur?.$ref && i < 10; i++) {
    const m = /^#\/definitions\/(.+)$/.exec(cur.$ref);
    const target = m?.[1] !== undefined ? definitions[m[1]] : undefined;
    // Keep the referring schema's own title/description, which are more specific than the target's.
    cur = target ? { ...target, ...withoutRef(cur) } : undefined;
  }
  return cur;
}

function withoutRef(s: JsonSchema): JsonSchema {
  const { $ref: _ref, ...rest } = s;
  return rest;
}

export function definition(name: SchemaDefinition): JsonSchema {
  return definitions[name] ?? {};
}

/** Property names a definition documents, in schema order. */
export function knownKeys(name: SchemaDefinition): string[] {
  return Object.keys(definition(name).properties ?? {});
}

/** The enum of a definition's property, as strings. */
export function enumOf(name: SchemaDefinition, prop: string): string[] {
  return (definition(name).properties?.[prop]?.enum ?? []).map(String);
}

/**
 * The schema that describes the value at a key path of a manifest, e.g. `['docker', 'image']` or
 * `['tasks', 'train', 'parameters', 'inputs', 'data_dir', 'type']`. Follows `$ref`, `additionalProperties`
 * (task and parameter names) and the object branch of `oneOf`. Undefined for paths the schema does not know.
 */
export function schemaAt(path: readonly (string | number)[]): JsonSchema | undefined {
  let cur = deref(mlcubeSchema);
  for (const seg of path) {
    if (!cur) return undefined;
    if (typeof seg === 'number') { cur = deref(cur.items); continue; }
    const obj: JsonSchema | undefined = cur.oneOf ? deref(cur.oneOf.find((o) => o.$ref || o.properties)) : cur;
    if (!obj) return undefined;
    const prop = obj.properties?.[seg];
    if (prop) cur = deref(prop);
    else if (obj.additionalProperties && typeof obj.additionalProperties === 'object') cur = deref(obj.additionalProperties);
    else return undefined;
  }
  return cur;
}
