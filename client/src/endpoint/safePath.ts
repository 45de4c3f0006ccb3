/**
 * Maps URL path segments and room names onto the event storage, refusing anything that would leave it.
 * MLboard resolves the joined path and checks it starts with the storage (`is_safe_path`) and answers 403;
 * here every segment must also be a plain name (no separator, no NUL, not starting with `.`: neither `.`/`..`
 * nor hidden files such as `.bashrc`, `.git` or the endpoint's own temporary files), and the nearest existing
 * ancestor's real path must stay inside the storage's real path, so a symlink cannot lead out either.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

export class UnsafePathError extends Error {
  constructor(readonly requested: string) {
    super(`unsafe path: ${requested}`);
  }
}

/**
 * A single folder or file name: what a grid search id, experiment id, epoch, config, resource or room name is.
 * Names starting with `.` are refused: `.`, `..`, and hidden files (`.ssh`, `.git`, an upload's temporary file).
 */
export function isPlainName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !name.startsWith('.') && !/[\\/\0]/.test(name) && !isAbsolute(name);
}

function inside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function realpathOfExisting(path: string): string {
  let p = path;
  for (;;) {
    try {
      return join(realpathSync(p), relative(p, path));
    } catch {
      const parent = dirname(p);
      if (parent === p) return path;
      p = parent;
    }
  }
}

/** The storage path of `names` under `root`; throws UnsafePathError for anything outside it. */
export function storagePath(root: string, ...names: string[]): string {
  for (const n of names) if (!isPlainName(n)) throw new UnsafePathError(names.join('/'));
  const base = resolve(root);
  const target = resolve(base, ...names);
  if (!inside(base, target)) throw new UnsafePathError(names.join('/'));
  if (!inside(realpathOfExisting(base), realpathOfExisting(target))) throw new UnsafePathError(names.join('/'));
  return target;
}
