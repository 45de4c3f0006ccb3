/**
 * The extra arguments of `mlcube run`, as mlcube's CLI reads them (docs/mlcube.md §1.6, §2.1):
 * `-Pkey.path=value` / `-p key.path=value` are OmegaConf dotlist overrides of the configuration, and every other
 * `name=value` replaces the `default` of each task parameter called `name`.
 */

export const RUN_OPTIONS = ['network', 'security', 'gpus', 'memory', 'cpu', 'mount', 'workspace'] as const;
export type RunOptionName = (typeof RUN_OPTIONS)[number];

export interface ParsedOverrides {
  /** `name=value` parameter overrides (later ones win, as in a Python dict). */
  params: Record<string, string>;
  /** `-Pkey.path=value` configuration overrides, key → raw value text (read as YAML later). */
  config: Record<string, string>;
  /** `mlcube run` flags given among the arguments: network, security, gpus, memory, cpu, mount, workspace. */
  options: Partial<Record<RunOptionName, string>>;
  /** Arguments mlcube would choke on, with what it would say. */
  errors: string[];
}

/**
 * Parses override arguments as typed by the user, one argument per element (a shell word).
 * - `-Pk=v`, `-pk=v`, and `-P`/`-p` followed by `k=v` as the next argument: configuration overrides.
 *   A `-P` value without `=` sets the key to null (OmegaConf's dotlist rule).
 * - `name=value`: parameter override. The value is the text between the first and the second `=`
 *   (mlcube splits on every `=` and keeps element 1, so `a=b=c` gives `b`).
 * - `--network`, `--security`, `--gpus`, `--memory`, `--cpu`, `--mount`, `--workspace` (`--x=v` or `--x v`):
 *   the `mlcube run` flags of the same name.
 * - Anything else has no `=`, and mlcube fails on it with an IndexError.
 */
export function parseOverrides(args: readonly string[]): ParsedOverrides {
  const out: ParsedOverrides = { params: {}, config: {}, options: {}, errors: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!; // i < args.length
    const flag = /^--([a-z]+)(?:=(.*))?$/s.exec(arg);
    if (flag?.[1] !== undefined && (RUN_OPTIONS as readonly string[]).includes(flag[1])) {
      const name = flag[1] as RunOptionName;
      if (flag[2] !== undefined) { out.options[name] = flag[2]; continue; }
      const next = args[i + 1];
      if (next === undefined) { out.errors.push(`Option '--${name}' requires an argument.`); continue; }
      out.options[name] = next;
      i++;
      continue;
    }
    if (arg === '-P' || arg === '-p') {
      const next = args[i + 1];
      if (next === undefined) { out.errors.push(`Option '${arg}' requires an argument.`); continue; }
      addConfig(out, next);
      i++;
      continue;
    }
    if (arg.startsWith('-P') || arg.startsWith('-p')) { addConfig(out, arg.slice(2)); continue; }
    const [name, value] = arg.split('=');
    if (name === undefined || value === undefined) {
      out.errors.push(`Argument '${arg}' is neither -Pkey=value nor name=value (mlcube fails with "IndexError: list index out of range").`);
      continue;
    }
    out.params[name] = value; // as mlcube: the text after a second `=` is dropped
  }
  return out;
}

function addConfig(out: ParsedOverrides, text: string): void {
  const eq = text.indexOf('=');
  if (eq < 0) { out.config[text] = ''; return; }
  const key = text.slice(0, eq);
  if (!key) { out.errors.push(`Configuration override '-P${text}' has no key.`); return; }
  out.config[key] = text.slice(eq + 1);
}
