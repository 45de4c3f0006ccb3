/**
 * Which files `cubelab check` looks at, as the editor would: every `.yaml`/`.yml` file, and every file that
 * `cubelab.files.manifestGlobs` or `cubelab.files.mlgymGlobs` names, under the folders given; the language service
 * then decides by name and content what each is (server/src/service/documentKind.ts), and `cubelab.files.exclude`
 * leaves files out there. Folders that an exclude pattern covers whole (`**\/node_modules/**`) are not entered, and
 * `.git` never is. Symbolic links to folders are not followed (no cycles). Order: sorted by name, depth first.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import * as path from 'node:path';
import type { CubeLabSettings } from '../../../shared/lsp-protocol';
import { globMatcher } from '../../../shared/glob';

/** A folder that could not be read, and the system's error code (EACCES...). */
export interface WalkProblem { path: string; code: string }

const YAML = /\.ya?ml$/i;

/** Whether a glob of the list matches the path, absolute or relative to the folder (as documentKind.ts matches). */
export function matchesAny(globs: readonly string[], absPath: string, folder: string): boolean {
  if (!globs.length) return false;
  const p = absPath.replace(/\\/g, '/');
  const f = folder.replace(/\\/g, '/').replace(/\/$/, '');
  const candidates = p.startsWith(`${f}/`) ? [p, p.slice(f.length + 1)] : [p];
  return globs.some((g) => {
    const m = globMatcher(g, { nocase: true });
    return m.ok && candidates.some((c) => m.match(c));
  });
}

/** Whether a file may be a manifest or config by its path alone (the content decides the rest). */
export function isCandidate(absPath: string, folder: string, settings: CubeLabSettings): boolean {
  if (YAML.test(path.basename(absPath))) return true;
  return matchesAny([...settings.files.manifestGlobs, ...settings.files.mlgymGlobs], absPath, folder);
}

/** Whether an exclude pattern covers everything under the folder (`a/**`, `**\/node_modules/**`). */
function excludedFolder(dir: string, folder: string, settings: CubeLabSettings): boolean {
  return matchesAny(settings.files.exclude, `${dir.replace(/\\/g, '/')}/`, folder);
}

/**
 * Candidate files under `dir` (a folder), with `folder` the workspace folder that globs are relative to. Unreadable
 * folders are reported through `problems` and skipped; `progress` hears of each folder entered.
 */
export function findCandidates(dir: string, folder: string, settings: CubeLabSettings, problems: WalkProblem[], progress?: (dir: string, found: number) => void): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    progress?.(d, out.length);
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      problems.push({ path: d, code: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(d, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        // A link to a file is read as the file; a link to a folder is not followed.
        try { const st = statSync(p); isFile = st.isFile(); isDir = false; } catch { continue; }
      }
      if (isDir) {
        if (e.name === '.git' || excludedFolder(p, folder, settings)) continue;
        visit(p);
      } else if (isFile && isCandidate(p, folder, settings)) {
        out.push(p);
      }
    }
  };
  visit(dir);
  return out;
}
