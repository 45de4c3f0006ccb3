/** The git commit and dirty flag of the folder a run came from, for its record (read-only git calls). */
import { execFile } from 'node:child_process';

function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 5000, maxBuffer: 4 << 20 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

export async function gitState(cwd: string): Promise<{ commit: string; dirty: boolean } | null> {
  const commit = (await git(cwd, ['rev-parse', 'HEAD']))?.trim();
  if (!commit) return null;
  const status = await git(cwd, ['status', '--porcelain', '--untracked-files=no']);
  return { commit, dirty: status === undefined ? true : status.trim() !== '' };
}
