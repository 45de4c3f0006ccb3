/**
 * Entry point of dist/cli.js, the `cubelab` command: the editor's language service and run layer without an
 * editor. `cubelab check | plan | run | card`, `--help` for each, `--version`. Exit codes: 0 fine, 1 problems found
 * (or the task's own code for `run`), 2 a usage or I/O error.
 */
import * as path from 'node:path';
import { IoError, optionsHelp, UsageError, type OptionSpec } from './args';
import { CARD_HELP, CARD_OPTIONS, runCard } from './cardCommand';
import { CHECK_HELP, CHECK_OPTIONS, runCheck } from './check';
import { displayPath, processStreams, type Streams } from './output';
import { PLAN_HELP, PLAN_OPTIONS, runPlan } from './planCommand';
import { RUN_HELP, RUN_OPTIONS, runRun } from './runCommand';
import { settingsFor, workspaceFolderFor } from './settings';

declare const CUBELAB_VERSION: string | undefined; // injected by esbuild

export const VERSION = typeof CUBELAB_VERSION === 'string' ? CUBELAB_VERSION : '0.0.0-dev';

interface Command { summary: string; help: string; options: readonly OptionSpec[]; run(argv: string[], io: Streams): Promise<number> }

const COMMANDS: Record<string, Command> = {
  check: { summary: 'check MLCube manifests and MLgym configs (text, json, sarif, github)', help: CHECK_HELP, options: CHECK_OPTIONS, run: runCheck },
  plan: {
    summary: 'print the plan of a task, or the docker run line mlcube would use', help: PLAN_HELP, options: PLAN_OPTIONS,
    run: (argv, io) => runPlan(argv, io, (manifest, config) => {
      const folder = workspaceFolderFor(path.dirname(manifest));
      return { folder, settings: settingsFor(folder, config, (p) => displayPath(p, io.cwd, io.platform)) };
    }),
  },
  run: { summary: 'run a task with the editor\'s run layer, recorded in the workspace\'s run store', help: RUN_HELP, options: RUN_OPTIONS, run: runRun },
  card: { summary: 'write the model card of an MLgym experiment (HTML or JSON)', help: CARD_HELP, options: CARD_OPTIONS, run: runCard },
};

export const MAIN_HELP = `Usage: cubelab <command> [options] [arguments]

CubeLab's checks and runs for MLCube manifests and MLgym configs, without an editor.

Commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(7)}${c.summary}`).join('\n')}

Options:
  -h, --help     show this help (cubelab <command> --help: the command's)
  -v, --version  print the version

Exit codes: 0 fine; 1 problems found (run: the task's exit code); 2 a usage or I/O error.`;

export function commandHelp(name: string): string {
  const c = COMMANDS[name];
  if (!c) throw new Error(`no help for the unknown command ${JSON.stringify(name)}`);
  return `${c.help}\n\nOptions:\n${optionsHelp(c.options)}\n`;
}

/** Runs the CLI with its arguments (without `node cli.js`); resolves to the exit code. */
export async function main(argv: string[], io: Streams = processStreams): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) { io.err(`${MAIN_HELP}\n`); return 2; }
  if (first === '--help' || first === '-h' || first === 'help') {
    if (rest[0] && COMMANDS[rest[0]]) { io.out(commandHelp(rest[0])); return 0; }
    if (rest[0]) { io.err(`cubelab: unknown command "${rest[0]}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`); return 2; }
    io.out(`${MAIN_HELP}\n`);
    return 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') { io.out(`cubelab ${VERSION}\n`); return 0; }
  const command = COMMANDS[first];
  if (!command) {
    io.err(`cubelab: ${first.startsWith('-') ? `unknown option ${first}` : `unknown command "${first}"`} (commands: ${Object.keys(COMMANDS).join(', ')}; see cubelab --help)\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const end = rest.indexOf('--');
    const at = Math.max(rest.indexOf('--help'), rest.indexOf('-h'));
    if (end < 0 || at < end) { io.out(commandHelp(first)); return 0; }
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) { io.err(`${e.message}\n`); return 2; }
    if (e instanceof IoError) { io.err(`cubelab ${first}: error: ${e.message}\n`); return 2; }
    io.err(`cubelab ${first}: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return 2;
  }
}

/** Exits once stdout and stderr have taken everything written (pipes on Windows are asynchronous). */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

if (require.main === module) {
  // `cubelab check | head`: a reader that goes away is no error of ours.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); });
  main(process.argv.slice(2)).then(exit, (e: unknown) => {
    process.stderr.write(`cubelab: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    exit(2);
  });
}
