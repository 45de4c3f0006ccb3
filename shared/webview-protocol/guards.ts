/**
 * Small hand-written type guards the webview contracts are validated with. No library: the webview bundles
 * stay small and no validator compiles code at run time (which a CSP without 'unsafe-eval' would refuse).
 */
export type Guard<T> = (v: unknown) => v is T;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isString = (v: unknown): v is string => typeof v === 'string';
export const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
/** Finite numbers only: NaN and Infinity do not survive postMessage's JSON-like trip as data anyway. */
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isOptional = <T>(g: Guard<T>) => (v: unknown): v is T | undefined => v === undefined || g(v);
export const isNullable = <T>(g: Guard<T>) => (v: unknown): v is T | null => v === null || g(v);
export const isArrayOf = <T>(g: Guard<T>) => (v: unknown): v is T[] => Array.isArray(v) && v.every((x) => g(x));
export const isStringArray = isArrayOf(isString);
export const isNumberArray = isArrayOf(isNumber);
export const isRecordOf = <T>(g: Guard<T>) => (v: unknown): v is Record<string, T> => isObject(v) && Object.values(v).every((x) => g(x));

/** Checks an object's fields against guards; extra fields are allowed (a newer peer may add some). */
export function hasFields(v: unknown, fields: Record<string, (x: unknown) => boolean>): v is Record<string, unknown> {
  if (!isObject(v)) return false;
  for (const [k, g] of Object.entries(fields)) if (!g(v[k])) return false;
  return true;
}

/**
 * Builds a validator from one field-guard table per message type: the `type` picks the table, every field
 * of that table must pass. Unknown types are invalid.
 */
export function messageValidator<M extends { type: string }>(
  tables: { [K in M['type']]: Record<string, (x: unknown) => boolean> },
): (v: unknown) => v is M {
  const byType = tables as Record<string, Record<string, (x: unknown) => boolean>>;
  return (v: unknown): v is M => {
    if (!isObject(v) || typeof v.type !== 'string' || !Object.prototype.hasOwnProperty.call(byType, v.type)) return false;
    const table = byType[v.type];
    return table !== undefined && hasFields(v, table);
  };
}

/** Counts what a receiver dropped, so a broken peer shows up in tests and logs instead of silently. */
export class DroppedMessages {
  count = 0;
  last?: string;
  note(v: unknown): void {
    this.count++;
    const type = isObject(v) && typeof v.type === 'string' ? v.type : typeof v;
    this.last = type;
  }
}
