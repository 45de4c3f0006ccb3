/**
 * The run layer's contract (test/contract/runContract.ts) against the real local Docker engine this tier's
 * setup starts (test/env/setup-docker.sh): the same cases the unit tier runs against the in-memory backend.
 * "Target lost" stops that engine (dockerd with --live-restore, so the container keeps running) and starts it again.
 */
import Dockerode from 'dockerode';
import { runContract, type Program } from '../contract/runContract';
import { DockerBackend } from '../../client/src/backends/docker/dockerBackend';
import { dockerdPid, shellPlan, startEngine, waitFor } from './helpers';

const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** The program as a busybox shell script; the output mount is the container's /mlcube_io0. */
function script(p: Program): string {
  const pause = p.lineMs > 0 ? `; sleep ${(p.lineMs / 1000).toFixed(3)}` : '';
  const lines = p.lines.length ? `for l in ${p.lines.map(q).join(' ')}; do echo "$l"${pause}; done` : 'true';
  const out = p.output ? `; printf '%s' ${q(p.output.content)} > /mlcube_io0/${p.output.file}` : '';
  return `${lines}${out}; exit ${p.exitCode}`;
}

runContract({
  name: 'docker (local engine)',
  makeBackend: () => new DockerBackend({ name: 'local' }, { stopGraceSeconds: 2 }),
  planFor: (p, ws) => shellPlan(script(p), { mounts: [{ host: `${ws}/out`, container: '/mlcube_io0', mode: '' }], root: ws, workspace: ws }),
  loseTarget: async () => {
    const pid = dockerdPid();
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !alive(pid), 30_000, 'dockerd to exit');
  },
  restoreTarget: async () => { startEngine(); },
  workExists: async (r) => {
    const id = r.target.kind === 'docker' ? r.target.containerId : undefined;
    if (!id) return false;
    return docker.getContainer(id).inspect().then(() => true, () => false);
  },
  cleanup: async (r) => {
    const id = r.target.kind === 'docker' ? r.target.containerId : undefined;
    if (id) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  },
  retryMs: 250,
  stopGraceSeconds: 2,
  timeoutMs: 120_000,
  // Output a container writes while dockerd is down is lost if the container exits before the engine is back:
  // Docker's own log then ends where the engine went down (checked with a separate dockerd --live-restore, 150
  // lines over 3 s, engine down 0.5 s in: 72 and 71 lines in `docker logs` when it came back after the exit, 150
  // when it came back before). The program runs 15 s, so the engine is back before it ends.
  lostLineMs: 100,
});
