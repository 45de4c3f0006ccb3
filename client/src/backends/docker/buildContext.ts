/**
 * The files of a Docker build context, as relative paths with `/` separators (dockerode applies .dockerignore to
 * this list). Walked with asynchronous calls, so a large context never blocks the extension host; CubeLab's own
 * `.cubelab/` folder (run records, logs) is never sent, and a symbolic link is sent as a link, never followed
 * out of the context. Bounded: a context of more than `maxFiles` files is refused with a message.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TargetError } from '../../runs/backend';

export const MAX_CONTEXT_FILES = 200_000;

export async function buildContextFiles(root: string, maxFiles = MAX_CONTEXT_FILES): Promise<string[]> {
  const out: string[] = [];
  const pending: { abs: string; rel: string }[] = [{ abs: root, rel: '' }];
  while (pending.length) {
    const { abs, rel } = pending.pop() as { abs: string; rel: string };
    let entries;
    try { entries = await readdir(abs, { withFileTypes: true }); } catch (e) {
      throw new TargetError(`Cannot read the build context folder ${abs} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, 'build');
    }
    for (const d of entries) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (r === '.cubelab') continue; // run records and logs: never part of an image
      // A link is listed as itself (tar stores the link, not its target), so nothing outside the context is read.
      if (d.isDirectory()) pending.push({ abs: join(abs, d.name), rel: r });
      else out.push(r);
      if (out.length > maxFiles) throw new TargetError(`The build context ${root} holds more than ${maxFiles} files; narrow docker.build_context or add a .dockerignore.`, 'build');
    }
  }
  return out.sort();
}
