/**
 * Shared pieces of the kubernetes tier: the STAND-IN Kubernetes API server (test/kubernetes/standin/, the
 * project's own: no Kubernetes cluster can run on these machines) whose pods run as real containers of the
 * Docker engine test/env/setup-docker.sh starts; a kubeconfig for it (a token, or an exec plugin); the
 * Kubernetes backend pointed at it. The claim `cube` is a folder of this machine, given to the backend as
 * `localPath`, so what the pods write is there to read.
 */
import Dockerode from 'dockerode';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskPlan } from '../../shared/lsp-protocol';
import { makePlan, type PlanOverrides } from '../unit/backends/planFixture';
import { KubernetesBackend } from '../../client/src/backends/kubernetes/kubernetesBackend';
import { StandinApiServer } from './standin/apiServer';

export const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
/** The test image as the cluster pulls it: from the loopback registry setup-docker.sh runs. */
export const IMAGE = '127.0.0.1:5000/cubelab-test/busybox:1';

/** The image in the local engine as pulled from the registry (so the engine knows its registry digest). */
export async function pullTestImage(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.pull(IMAGE, (e: Error | null, stream: NodeJS.ReadableStream) => {
      if (e) { reject(new Error(`cannot pull ${IMAGE} (test/env/setup-docker.sh pushes it): ${e.message}`)); return; }
      docker.modem.followProgress(stream, (e2: Error | null) => (e2 ? reject(e2) : resolve()));
    });
  });
}

const repoRoot = join(__dirname, '..', '..');

/** A test CA and the stand-in's certificate for 127.0.0.1 (openssl, made once under test/out/kubernetes/tls). */
export function testTls(): { ca: string; cert: string; key: string } {
  const dir = join(repoRoot, 'test', 'out', 'kubernetes', 'tls');
  const f = (n: string) => join(dir, n);
  if (!existsSync(f('server.pem'))) {
    mkdirSync(dir, { recursive: true });
    const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '3650', '-subj', '/CN=CubeLab stand-in Kubernetes CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'));
    writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    ossl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '3650', '-extfile', f('ext.cnf'), '-out', f('server.pem'));
  }
  return { ca: readFileSync(f('ca.pem'), 'utf8'), cert: readFileSync(f('server.pem'), 'utf8'), key: readFileSync(f('server.key'), 'utf8') };
}

export interface Standin {
  server: StandinApiServer;
  /** The claim `cube`'s folder. */
  claimDir: string;
  kubeconfig: string;
  token: string;
  stop(): Promise<void>;
}

/** Starts a stand-in API server; `claimDir` defaults to a new temporary folder. */
export async function startStandin(opts: { claimDir?: string; pendingMs?: number; exec?: boolean; nodeLabels?: Record<string, string> } = {}): Promise<Standin> {
  const token = randomBytes(16).toString('hex');
  const claimDir = opts.claimDir ?? mkdtempSync(join(tmpdir(), 'cubelab-k8s-claim-'));
  const tls = testTls();
  const server = new StandinApiServer({ docker, claims: { cube: claimDir }, token, tls: { cert: tls.cert, key: tls.key }, pendingMs: opts.pendingMs ?? 100, ...(opts.nodeLabels ? { nodeLabels: opts.nodeLabels } : {}) });
  const url = await server.start();
  const kubeconfig = writeKubeconfig(url, token, opts.exec ?? false, tls.ca);
  return { server, claimDir, kubeconfig, token, stop: () => server.stop() };
}

/** A kubeconfig naming the stand-in: context `standin`, namespace `ml`, a static token or an exec plugin. */
export function writeKubeconfig(url: string, token: string, exec: boolean, ca: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-kubeconfig-'));
  let user: string;
  if (exec) {
    // An exec credential plugin, as cloud providers ship them (aws eks get-token, gke-gcloud-auth-plugin).
    const plugin = join(dir, 'credential-plugin.js');
    writeFileSync(plugin, `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: ${JSON.stringify(token)} } }));\n`);
    chmodSync(plugin, 0o755);
    user = `    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ${JSON.stringify(process.execPath)}\n      args: [${JSON.stringify(plugin)}]\n      interactiveMode: Never\n`;
  } else user = `    token: ${token}\n`;
  const file = join(dir, 'config');
  writeFileSync(file, `apiVersion: v1
kind: Config
clusters:
- name: standin
  cluster:
    server: ${url}
    certificate-authority-data: ${Buffer.from(ca).toString('base64')}
users:
- name: standin-user
  user:
${user}contexts:
- name: standin
  context:
    cluster: standin
    user: standin-user
    namespace: ml
- name: other
  context:
    cluster: standin
    user: standin-user
current-context: other
`);
  return file;
}

/** The Kubernetes backend for the stand-in (a new window's, each call). */
export function k8sBackend(s: Standin, extra: Record<string, unknown> = {}, env: { stopGraceSeconds?: number; retryMs?: number } = {}): KubernetesBackend {
  return new KubernetesBackend({
    name: 'standin', kind: 'kubernetes', kubeconfig: s.kubeconfig, context: 'standin', persistentVolumeClaim: 'cube', localPath: s.claimDir, ...extra,
  }, { stopGraceSeconds: env.stopGraceSeconds ?? 2, retryMs: env.retryMs ?? 200 }, { docker });
}

/** A plan running a busybox shell script from the registry's copy of the test image. */
export function shellPlan(script: string, over: PlanOverrides = {}): TaskPlan {
  return makePlan({ image: IMAGE, entrypoint: ['/bin/sh', '-c', script], args: ['task'], ...over });
}

/** A folder inside the claim. */
export function claimFolder(s: Standin, name: string): string {
  const d = mkdtempSync(join(s.claimDir, `${name}-`));
  mkdirSync(d, { recursive: true });
  return d;
}

export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
