/**
 * A task plan's paths as they are on the remote host: the cube folder becomes `<work folder>/<cube>-<hash>`,
 * folders outside it that the task mounts go under `.cubelab-external/` there, and paths the target's
 * `pathMappings` name (data that already lives on the remote host) are used where they are, never copied.
 * Says what to send up (the cube folder, inputs outside it) and what comes back (outputs). Pure.
 */
import { createHash } from 'node:crypto';
import type { TaskPlan } from '../../../../shared/lsp-protocol';

export interface PathMapping { local: string; remote: string }

export interface RemoteLayout {
  plan: TaskPlan;
  /** The remote copy of the cube folder. */
  remoteRoot: string;
  /** Local folders to send up, and where they go (the cube folder first). */
  uploads: { local: string; remote: string; kind: 'cube' | 'input' }[];
  /** Output folders: where they are on the remote host and where they come back to. */
  outputs: { local: string; remote: string }[];
  /** Folders the plan names on the remote side that must exist before the run. */
  mkdirs: string[];
}

const under = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
const short = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 10);
const base = (p: string): string => p.replace(/\/+$/, '').split('/').pop() || 'root';

export function remoteLayout(plan: TaskPlan, workDir: string, mappings: PathMapping[] = []): RemoteLayout {
  const root = plan.root.replace(/\/+$/, '');
  const remoteRoot = `${workDir.replace(/\/+$/, '')}/${base(root).replace(/[^A-Za-z0-9_.-]/g, '_')}-${short(root)}`;
  // CubeLab's own folder is never part of the cube's sync (ignoreRules): what a run keeps there (a sweep
  // element's workspace and config) travels as a folder of its own, like any input outside the cube.
  const inCube = (p: string): boolean => under(p, root) && !under(p, `${root}/.cubelab`);
  const external = new Map<string, string>();
  const map = (p: string): { path: string; mapped: boolean } => {
    for (const m of mappings) if (under(p, m.local)) return { path: m.remote.replace(/\/+$/, '') + p.slice(m.local.replace(/\/+$/, '').length), mapped: true };
    if (inCube(p)) return { path: remoteRoot + p.slice(root.length), mapped: false };
    // Outside the cube folder: a folder of its own under .cubelab-external, one per local folder.
    let dir = external.get(p);
    if (!dir) { dir = `${remoteRoot}/.cubelab-external/${base(p)}-${short(p)}`; external.set(p, dir); }
    return { path: dir, mapped: false };
  };
  const uploads: RemoteLayout['uploads'] = [{ local: root, remote: remoteRoot, kind: 'cube' }];
  const outputs: RemoteLayout['outputs'] = [];
  const mounts = plan.mounts.map((m) => {
    const r = map(m.host);
    if (!r.mapped) {
      const io = m.io ?? 'both';
      if ((io === 'input' || io === 'both') && !inCube(m.host)) uploads.push({ local: m.host, remote: r.path, kind: 'input' });
      if (io === 'output' || io === 'both') outputs.push({ local: m.host, remote: r.path });
    }
    return { ...m, host: r.path };
  });
  const docker = plan.platforms.docker;
  const ib = docker.imageBuild;
  // The build context is synced by the build itself (only when a build happens); here only its path moves.
  const context = map(ib.context).path;
  const file = under(ib.file, ib.context) ? context + ib.file.slice(ib.context.replace(/\/+$/, '').length) : map(ib.file).path;
  const remotePlan: TaskPlan = {
    ...plan,
    root: remoteRoot,
    workspace: map(plan.workspace).path,
    mounts,
    mkdirs: plan.mkdirs.map((d) => map(d).path),
    workspaceSync: plan.workspaceSync.map((w) => ({ ...w, from: map(w.from).path, to: map(w.to).path })),
    platforms: { ...plan.platforms, docker: { ...docker, imageBuild: { ...ib, context, file } } },
  };
  const mkdirs = [...new Set([...remotePlan.mkdirs, ...mounts.map((m) => m.host)])];
  return { plan: remotePlan, remoteRoot, uploads, outputs, mkdirs };
}
