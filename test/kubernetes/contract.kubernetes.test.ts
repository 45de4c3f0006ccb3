/**
 * The run layer's contract (test/contract/runContract.ts) for the Kubernetes backend, against the STAND-IN
 * Kubernetes API server of test/kubernetes/standin/ (no cluster can run here): every case, none unsupported.
 * Each pod is a real container of the test's Docker engine; the claim is the system's temporary folder (where
 * the contract makes its workspaces), given to the backend as localPath. "Target lost" takes the API server
 * away (connections cut and refused) while the pods run on, and brings it back on the same port.
 */
import { after, before } from 'node:test';
import { tmpdir } from 'node:os';
import { runContract, type Program } from '../contract/runContract';
import { k8sBackend, pullTestImage, shellPlan, startStandin, type Standin } from './helpers';

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
function script(p: Program): string {
  const pause = p.lineMs > 0 ? `; sleep ${(p.lineMs / 1000).toFixed(3)}` : '';
  const lines = p.lines.length ? `for l in ${p.lines.map(q).join(' ')}; do echo "$l"${pause}; done` : 'true';
  const out = p.output ? `; printf '%s' ${q(p.output.content)} > /mlcube_io0/${p.output.file}` : '';
  return `${lines}${out}; exit ${p.exitCode}`;
}

let s: Standin;
before(async () => {
  await pullTestImage();
  s = await startStandin({ claimDir: tmpdir() });
});
after(async () => { await s?.stop(); });

runContract({
  name: 'kubernetes (stand-in API server)',
  makeBackend: () => k8sBackend(s),
  planFor: (p, ws) => shellPlan(script(p), { mounts: [{ host: `${ws}/out`, container: '/mlcube_io0', mode: '', io: 'output' }], root: ws, workspace: ws }),
  loseTarget: async () => { await s.server.takeAway(); },
  restoreTarget: async () => { await s.server.bringBack(); },
  workExists: async (r) => {
    const t = r.target.kind === 'kubernetes' ? r.target : undefined;
    if (!t?.job) return false;
    return [...s.server.cluster.pods.values()].some((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === t.job
      && (t.index === undefined || Number(p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']) === t.index)
      && !['Succeeded', 'Failed'].includes(p.status.phase));
  },
  retryMs: 200,
  stopGraceSeconds: 2,
  timeoutMs: 60_000,
});
