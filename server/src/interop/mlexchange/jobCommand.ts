/**
 * The command line MLExchange gives a job for one operation of a model entry (docs/interop.md §1.5): the
 * operation's command (`cmd[i]`), then the values of its parameters keyed by `param_key`, as the apps build
 * it for the job manager's `job_kwargs.cmd`: `json.dumps` of `{param_key: value}` in single quotes after the
 * command (seg-demo's `napp.py` L666–671 at d8ae049; mlcoach puts `-p` before the same text). The parameters of
 * an operation are those of its `comp_group` (assigned as import does, importEntry.ts) and those without one.
 * The job manager runs that string as the container's command; the dataset and output folders the apps insert
 * between command and parameters are the app's, not the entry's, and are left out.
 */
import { pyJsonDumps, setOwn } from '../pyValues';
import type { Entry } from './entry';
import { assignGroups, taskNames } from './importEntry';

/** The parameters of operation `op`, in the entry's order (a repeated key keeps its first place, its last value). */
export function operationParameters(e: Pick<Entry, 'cmd' | 'gui'>, op: number, values?: Record<string, unknown>): Record<string, unknown> {
  const { byTask } = assignGroups(taskNames(e.cmd), e.gui);
  const group = byTask[op];
  const out: Record<string, unknown> = {};
  for (const p of e.gui) {
    if (p.compGroup !== undefined && p.compGroup !== group) continue;
    if (p.type === 'graph') continue;
    setOwn(out, p.paramKey, values && Object.prototype.hasOwnProperty.call(values, p.paramKey) ? values[p.paramKey] : p.value);
  }
  return out;
}

/** `cmd[op] '<json.dumps(params)>'`, or the bare command when the operation has no parameters. */
export function jobCommand(e: Pick<Entry, 'cmd' | 'gui'>, op: number, values?: Record<string, unknown>): string {
  const cmd = e.cmd[op];
  if (cmd === undefined) throw new RangeError(`the entry has ${e.cmd.length} command(s), not ${op + 1}`);
  const params = operationParameters(e, op, values);
  return Object.keys(params).length ? `${cmd} '${pyJsonDumps(params)}'` : cmd;
}
