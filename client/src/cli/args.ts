/**
 * Command-line arguments of `cubelab <command>`: options declared per command (`--name value`, `--name=value`,
 * flags), positionals, `--` ending the options, `-` as a positional (stdin). An option no command declares is a
 * usage error (exit 2), except where a command lets it through (the `mlcube run` flags of `plan` and `run`).
 */

/** A usage error: a bad option, a missing argument. The CLI prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {}

/** An I/O error (a missing file, an unreadable folder): printed as is, exit 2. */
export class IoError extends Error {}

export interface OptionSpec {
  /** Long name without dashes (`format`). */
  name: string;
  /** One-letter alias without the dash (`o`). */
  short?: string;
  /** Placeholder of the value (`FILE`); absent for a flag. */
  value?: string;
  /** Allowed values (checked). */
  choices?: readonly string[];
  help: string;
}

export interface ParsedArgs {
  /** Flags as `true`, valued options as their last value. */
  options: Map<string, string | true>;
  positionals: string[];
  /** Words after `--`, verbatim (also in `positionals` when the command does not ask for them separately). */
  afterDashDash: string[];
}

export interface ParseOptions {
  /**
   * An option the command does not declare: whether it passes through as a positional word, and whether it takes
   * the next word as its value (`--network none`). Undefined: a usage error.
   */
  passThrough?: (name: string, hasInlineValue: boolean) => { takesValue: boolean } | undefined;
}

export function parseArgs(command: string, argv: readonly string[], specs: readonly OptionSpec[], opts: ParseOptions = {}): ParsedArgs {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  const afterDashDash: string[] = [];
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const hint = `(see cubelab ${command} --help)`;

  const set = (spec: OptionSpec, value: string | true, written: string): void => {
    if (spec.value === undefined && value !== true) throw new UsageError(`cubelab ${command}: the option ${written} takes no value ${hint}`);
    if (spec.value !== undefined && value === true) throw new UsageError(`cubelab ${command}: the option ${written} needs a value (${written} ${spec.value}) ${hint}`);
    if (spec.choices && typeof value === 'string' && !spec.choices.includes(value)) {
      throw new UsageError(`cubelab ${command}: ${written} must be one of ${spec.choices.join(', ')}, not "${value}" ${hint}`);
    }
    options.set(spec.name, value);
  };

  // Every argv index read below is checked against argv.length first.
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { afterDashDash.push(...argv.slice(i + 1)); break; }
    if (arg === '-' || !arg.startsWith('-')) { positionals.push(arg); continue; }
    const long = /^--([^=]+)(?:=([\s\S]*))?$/.exec(arg);
    const short = long ? null : /^-([^-])([\s\S]*)$/.exec(arg);
    const name = (long ? long[1] : short ? short[1] : arg) ?? arg; // group 1 is not optional in either pattern
    const inline = long ? long[2] : short && short[2] !== '' ? short[2] : undefined;
    const spec = long ? byLong.get(name) : byShort.get(name);
    if (!spec) {
      const through = opts.passThrough?.(long ? `--${name}` : `-${name}`, inline !== undefined);
      if (!through) {
        const known = specs.find((s) => long && s.name.startsWith(name));
        throw new UsageError(`cubelab ${command}: unknown option ${long ? `--${name}` : `-${name}`}${known ? ` (did you mean --${known.name}?)` : ''} ${hint}`);
      }
      positionals.push(arg);
      if (through.takesValue && inline === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`cubelab ${command}: the option ${arg} needs a value ${hint}`);
        positionals.push(argv[++i]!);
      }
      continue;
    }
    const written = long ? `--${name}` : `-${name}`;
    if (spec.value === undefined) { set(spec, inline === undefined ? true : inline, written); continue; }
    if (inline !== undefined) { set(spec, inline, written); continue; }
    if (i + 1 >= argv.length) throw new UsageError(`cubelab ${command}: the option ${written} needs a value (${written} ${spec.value}) ${hint}`);
    set(spec, argv[++i]!, written);
  }
  return { options, positionals, afterDashDash };
}

export function optString(p: ParsedArgs, name: string): string | undefined {
  const v = p.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function optFlag(p: ParsedArgs, name: string): boolean {
  return p.options.get(name) === true;
}

/** A non-negative integer option (`--max-warnings 0`). */
export function optCount(command: string, p: ParsedArgs, name: string): number | undefined {
  const v = optString(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`cubelab ${command}: --${name} expects a whole number of 0 or more, not "${v}" (see cubelab ${command} --help)`);
  return Number(v);
}

/** The options table of a command's help. */
export function optionsHelp(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s): [string, string] => [`${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.value ? ` ${s.value}` : ''}`, s.help]);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return rows.map(([a, b]) => `  ${a.padEnd(width)}${b}`).join('\n');
}
