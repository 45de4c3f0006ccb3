/**
 * `cubelab card <event-storage> <experiment>`: the model card of an experiment, as the Model card panel builds it
 * (client/src/modelcard/load.ts), written as self-contained HTML (default) or JSON, to stdout or --output. The
 * stored configs are read by the language service's own reading (server/src/mlgym/storedConfig.ts), as the panel
 * reads them through the server.
 */
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { storedConfig } from '../../../server/src/mlgym/storedConfig';
import { LOG_FILE, listGridSearches, readGridSearchFolder } from '../events/index';
import { isSafeExperimentId } from '../events/storage';
import { modelCardHtml, modelCardJson } from '../modelcard/exportHtml';
import { loadModelCard } from '../modelcard/load';
import { IoError, optFlag, optString, parseArgs, UsageError, type OptionSpec } from './args';
import { serviceContext } from './checkCore';
import { displayPath, Progress, type Streams } from './output';
import { settingsFor, workspaceFolderFor } from './settings';

export const CARD_OPTIONS: readonly OptionSpec[] = [
  { name: 'html', help: 'write the card as one self-contained HTML file (default)' },
  { name: 'json', help: 'write the card data as JSON' },
  { name: 'output', short: 'o', value: 'FILE', help: 'write to FILE instead of stdout' },
  { name: 'workspace', value: 'DIR', help: 'the workspace folder (settings, where stored configs are resolved); default: the git root, else the folder named' },
  { name: 'config', value: 'FILE', help: 'read CubeLab settings from FILE instead of the workspace folder\'s .vscode/settings.json' },
  { name: 'help', short: 'h', help: 'show this help' },
];

export const CARD_HELP = `Usage: cubelab card [options] <event-storage> <experiment>

Writes the model card of an MLgym experiment, as the editor's Model card panel shows it: HTML (default) or JSON.
<event-storage> is a grid search folder (<storage>/<grid_search_id>, holding event_storage.log), its
event_storage.log, or an event storage folder holding a single grid search. <experiment> is the experiment id
(its folder name, e.g. 0).

Exit code: 0 when the card was written, 2 on a usage or I/O error.`;

const isDir = (p: string): boolean => { try { return statSync(p).isDirectory(); } catch { return false; } };

/** The grid search folder meant by the argument (a grid search folder, its log, or a storage with one grid search). */
export async function gridSearchFolderOf(given: string, cwd: string): Promise<string> {
  const abs = path.resolve(cwd, given);
  if (!existsSync(abs)) throw new IoError(`${given}: no such file or folder`);
  if (!isDir(abs)) {
    if (path.basename(abs) === LOG_FILE) return path.dirname(abs);
    throw new IoError(`${given} is neither an event storage folder nor an ${LOG_FILE}`);
  }
  const gs = await readGridSearchFolder(abs);
  if (gs.logPath || gs.experimentIds.length || gs.gridSearchConfigPath) return abs;
  const inside = await listGridSearches(abs);
  if (inside.length === 1 && inside[0]) return inside[0].dir;
  if (inside.length === 0) throw new IoError(`${given} holds no grid search (no ${LOG_FILE}, no experiment folders), or cannot be read`);
  throw new UsageError(`cubelab card: ${given} holds ${inside.length} grid searches; name one: ${inside.map((g) => path.join(given, g.id)).join(', ')}`);
}

export async function runCard(argv: readonly string[], io: Streams): Promise<number> {
  const args = parseArgs('card', argv, CARD_OPTIONS);
  if (optFlag(args, 'html') && optFlag(args, 'json')) throw new UsageError('cubelab card: --html and --json exclude each other (see cubelab card --help)');
  const [storage, experiment, ...extra] = [...args.positionals, ...args.afterDashDash];
  if (!storage) throw new UsageError('cubelab card: which event storage? (cubelab card <event-storage> <experiment>, see cubelab card --help)');
  if (extra.length) throw new UsageError(`cubelab card: unexpected argument ${extra[0]} (see cubelab card --help)`);
  const gridSearchDir = await gridSearchFolderOf(storage, io.cwd);
  const gs = await readGridSearchFolder(gridSearchDir);
  if (!experiment) {
    throw new UsageError(`cubelab card: which experiment? ${gs.experimentIds.length ? `${displayPath(gridSearchDir, io.cwd, io.platform)} has ${gs.experimentIds.join(', ')}` : 'the grid search has no experiment folders'} (see cubelab card --help)`);
  }
  if (!isSafeExperimentId(experiment)) throw new UsageError(`cubelab card: the experiment id ${JSON.stringify(experiment)} is not a folder name`);
  if (!gs.experimentIds.includes(experiment) && !gs.logPath) {
    throw new IoError(`${displayPath(gridSearchDir, io.cwd, io.platform)} has no experiment ${experiment} (experiments: ${gs.experimentIds.join(', ') || 'none'})`);
  }
  const folder = workspaceFolderFor(path.resolve(io.cwd, storage), optString(args, 'workspace'));
  const settings = settingsFor(folder, optString(args, 'config'), (p) => displayPath(p, io.cwd, io.platform));
  for (const w of settings.warnings) io.err(`cubelab: warning: ${w}\n`);
  const ctx = serviceContext(settings.service, folder);

  const progress = new Progress(io);
  const timer = setInterval(() => progress.update(`cubelab card: reading ${displayPath(gs.logPath ?? gridSearchDir, io.cwd, io.platform)}`), 100);
  let card: Awaited<ReturnType<typeof loadModelCard>>;
  try {
    card = await loadModelCard(gridSearchDir, experiment, { readStoredConfig: async (p) => storedConfig(p, ctx) });
  } finally {
    clearInterval(timer);
    progress.done();
  }
  const text = optFlag(args, 'json') ? modelCardJson(card) : modelCardHtml(card);
  const output = optString(args, 'output');
  if (output) {
    const target = path.resolve(io.cwd, output);
    try { await writeFile(target, text); } catch (e) {
      throw new IoError(`cannot write ${output} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    io.err(`cubelab: wrote ${displayPath(target, io.cwd, io.platform)}\n`);
  } else {
    io.out(text.endsWith('\n') ? text : `${text}\n`);
  }
  return 0;
}
