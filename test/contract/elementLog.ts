/** The output lines of one sweep element as stored in `elements/<i>/run.log` (CubeLab's own `sys` lines left out). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStore } from '../../client/src/runs/runStore';

export function elementLogText(store: RunStore, runId: string, index: number): string[] {
  const log = join(store.elementDir(runId, index), 'run.log');
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').split('\n').map((l) => /^\S+ (out|err) ([^\n]*)$/.exec(l)).filter((m): m is RegExpExecArray => !!m).map((m) => m[2] ?? '');
}
