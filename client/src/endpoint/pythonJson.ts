/**
 * `json.dumps(obj)` as Python writes it with its defaults (separators `", "` and `": "`, `ensure_ascii`),
 * so a log written by the endpoint looks like one written by MLboard's `DiscEventStorage.add_event`.
 * Numbers keep JavaScript's shortest form (a Python float `1.0` arrives over the wire as `1` already).
 */
function dumpString(s: string): string {
  // JSON.stringify escapes quotes and control characters; ensure_ascii also escapes everything non-ASCII.
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return dumpString(value);
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
      return `{${Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${dumpString(k)}: ${pythonJsonDumps(v)}`)
        .join(', ')}}`;
    default:
      return 'null';
  }
}
