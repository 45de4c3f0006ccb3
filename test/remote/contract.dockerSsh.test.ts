/**
 * The run layer's contract (test/contract/runContract.ts) for Docker over SSH, against the real sshd and the
 * second Docker engine test/env/setup-remote.sh starts: the same cases as for the local engine. "Target lost"
 * ends the account's SSH sessions on the server and refuses logins until it is restored; the container keeps
 * running on the remote engine meanwhile.
 */
import { before } from 'node:test';
import { runContract, type Program } from '../contract/runContract';
import { shellPlan } from '../runner/helpers';
import { allowLogins, dropSessions, remoteDocker, sshBackend, startRemote } from './helpers';

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
function script(p: Program): string {
  const pause = p.lineMs > 0 ? `; sleep ${(p.lineMs / 1000).toFixed(3)}` : '';
  const lines = p.lines.length ? `for l in ${p.lines.map(q).join(' ')}; do echo "$l"${pause}; done` : 'true';
  const out = p.output ? `; printf '%s' ${q(p.output.content)} > /mlcube_io0/${p.output.file}` : '';
  return `${lines}${out}; exit ${p.exitCode}`;
}

before(() => startRemote());

runContract({
  name: 'docker-ssh',
  makeBackend: () => sshBackend(),
  planFor: (p, ws) => shellPlan(script(p), { mounts: [{ host: `${ws}/out`, container: '/mlcube_io0', mode: '', io: 'output' }], root: ws, workspace: ws }),
  loseTarget: async () => { dropSessions(); },
  restoreTarget: async () => { allowLogins(); },
  workExists: async (r) => {
    const id = r.target.kind === 'docker-ssh' ? r.target.containerId : undefined;
    return id ? remoteDocker.getContainer(id).inspect().then(() => true, () => false) : false;
  },
  cleanup: async (r) => {
    const id = r.target.kind === 'docker-ssh' ? r.target.containerId : undefined;
    if (id) await remoteDocker.getContainer(id).remove({ force: true }).catch(() => undefined);
  },
  retryMs: 300,
  stopGraceSeconds: 2,
  timeoutMs: 120_000,
});
