/**
 * Where a task's parameters file is, and the schema beside it. The parameters file is an input file of the
 * task's plan (the `--name=/mlcube_ioN/<file>` argument mlcube generates, mapped back to the host through the
 * plan's mounts) ending in `.yaml`/`.yml`; the schema is, in the same folder, `gui_parameters.json` (the
 * descriptors of an imported MLExchange entry) or `<stem>.schema.json` / `parameters.schema.json` (a JSON
 * Schema). A task with several such inputs takes the first one that has a schema, else the one named like a
 * parameters file (`parameters_file`, `parameters`, `params`), else the first.
 */
import type { TaskPlan } from '../../../shared/lsp-protocol';
import type { FileAccess } from '../service/languageService';
import { joinPosix, splitPosix } from '../mlcube/mounts';

export const GUI_SCHEMA = 'gui_parameters.json';
export const JSON_SCHEMA = 'parameters.schema.json';

export interface ParamsInput { name: string; file: string }
export interface LocatedParameters extends ParamsInput { schema?: { path: string; kind: 'gui_parameters' | 'json-schema' } }

/** The task's input files (name and host path), in argument order. */
export function inputFiles(plan: TaskPlan): ParamsInput[] {
  const out: ParamsInput[] = [];
  for (const arg of plan.paramArgs) {
    const m = /^--([^=]+)=(\/mlcube_io\d+)\/(.+)$/.exec(arg);
    if (!m) continue;
    const mount = plan.mounts.find((x: TaskPlan['mounts'][number]) => x.container === m[2]);
    if (!mount || mount.io === 'output') continue;
    out.push({ name: m[1] as string, file: joinPosix(mount.host, m[3] as string) });
  }
  return out;
}

/** The schema files that may sit beside a parameters file, most specific first. */
export function schemaCandidates(file: string): { path: string; kind: 'gui_parameters' | 'json-schema' }[] {
  const [dir, base] = splitPosix(file);
  const stem = base.replace(/\.ya?ml$/i, '');
  const out = [{ path: joinPosix(dir, GUI_SCHEMA), kind: 'gui_parameters' as const }, { path: joinPosix(dir, `${stem}.schema.json`), kind: 'json-schema' as const }];
  if (stem !== 'parameters') out.push({ path: joinPosix(dir, JSON_SCHEMA), kind: 'json-schema' as const });
  return out;
}

export function schemaOf(file: string, fs: FileAccess): LocatedParameters['schema'] {
  return schemaCandidates(file).find((c) => fs.exists(c.path) && !fs.isDirectory(c.path));
}

export function locateParameters(plan: TaskPlan, fs: FileAccess): LocatedParameters | undefined {
  const yamls = inputFiles(plan).filter((i) => /\.ya?ml$/i.test(i.file));
  for (const i of yamls) {
    const schema = schemaOf(i.file, fs);
    if (schema) return { ...i, schema };
  }
  return yamls.find((i) => /^(parameters?(_file)?|params?(_file)?|config)$/i.test(i.name)) ?? yamls[0];
}
