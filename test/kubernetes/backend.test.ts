/**
 * The Kubernetes backend's own behaviour against the STAND-IN API server (test/kubernetes/standin/): what it
 * sends passes the API server's strict validation (and the stand-in refuses what would not), an image that only
 * the local engine has is refused, kubeconfig auth (a token, an exec plugin, a wrong token), a claim or context
 * that does not exist, a pod the scheduler cannot place (a GPU), an evicted pod replaced with its log kept,
 * a failed Job kept for its logs, `$(…)` and `$$` passed literally, and a sweep re-attached after a reload.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as https from 'node:https';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../../client/src/runs/runStore';
import { Supervisor } from '../../client/src/runs/supervisor';
import { TargetError, type RunSink } from '../../client/src/runs/backend';
import type { TaskPlan } from '../../shared/lsp-protocol';
import { storedText } from '../contract/runContract';
import { elementLogText } from '../contract/elementLog';
import { strictJob } from './standin/strict';
import { claimFolder, k8sBackend, pullTestImage, shellPlan, startStandin, testTls, until, writeKubeconfig, type Standin } from './helpers';
import type { KubernetesBackend } from '../../client/src/backends/kubernetes/kubernetesBackend';

let s: Standin;
before(async () => { await pullTestImage(); s = await startStandin(); });
after(async () => { await s?.stop(); });

class Sink implements RunSink {
  lines: string[] = [];
  infos: string[] = [];
  line(t: string): void { this.lines.push(t); }
  info(t: string): void { this.infos.push(t); }
}

function setup(name: string, backend: KubernetesBackend = k8sBackend(s)) {
  const dir = claimFolder(s, name);
  mkdirSync(join(dir, 'out'), { recursive: true });
  const store = new RunStore(join(dir, '.cubelab', 'runs'));
  const sup = new Supervisor({ store, backendFor: (t) => (backend.owns(t) ? backend : undefined), retryMs: 200, stopGraceSeconds: 2 });
  const plan = (script: string, over: Partial<TaskPlan> = {}) => shellPlan(script, { root: dir, workspace: dir, mounts: [{ host: join(dir, 'out'), container: '/mlcube_io0', mode: '', io: 'output' }], ...over });
  const start = (p: TaskPlan, sink: RunSink = new Sink()) => sup.start({ backend, manifest: join(dir, 'mlcube.yaml'), task: name, plan: p }, sink);
  return { dir, store, sup, backend, plan, start, close: async () => { await sup.dispose(); await backend.dispose(); } };
}

const numbered = (n: number, p = 'line'): string[] => Array.from({ length: n }, (_, i) => `${p} ${i + 1}`);

/** A POST the backend's client would never send (it drops unknown fields): straight to the stand-in. */
function postJob(body: unknown): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = https.request(`${s.server.url}/apis/batch/v1/namespaces/ml/jobs?fieldValidation=Strict`, { method: 'POST', ca: testTls().ca, headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' } }, (res) => {
      let t = '';
      res.on('data', (c) => { t += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, message: (JSON.parse(t) as { message: string }).message }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

test('the Job CubeLab builds passes batch/v1 strict validation; the stand-in refuses an unknown field and an invalid Job as the API server does', async () => {
  const { backend, plan, dir, close } = setup('strict');
  try {
    const prepared = await backend.prepare({ runId: 'r-strict', manifest: join(dir, 'mlcube.yaml'), task: 'strict', plan: plan('echo hi', { gpus: '1', platforms: shellPlan('', { runArgs: '--shm-size=1g --memory=512m --cpus=1.5' }).platforms }) },
      { info: () => undefined, detail: () => undefined, warn: () => undefined, progress: () => undefined });
    const job = prepared.data as { spec: { template: { spec: { containers: { resources: unknown }[]; volumes: unknown[] } } } };
    assert.deepEqual(strictJob(job), { errors: [], unknown: [] });
    assert.deepEqual(job.spec.template.spec.containers[0]?.resources, { limits: { memory: String(512 * 1024 * 1024), cpu: '1500m', 'nvidia.com/gpu': '1' } });
    assert.ok(JSON.stringify(job.spec.template.spec.volumes).includes('"medium":"Memory"'), '--shm-size is a memory emptyDir');
    const bad = JSON.parse(JSON.stringify(job)) as { metadata: { name: string }; spec: { template: { spec: { containers: Record<string, unknown>[]; restartPolicy: string } } } };
    bad.metadata.name = 'bad-field';
    bad.spec.template.spec.containers[0]!.gpus = 1;
    assert.deepEqual(await postJob(bad), { status: 400, message: 'strict decoding error: unknown field "spec.template.spec.containers[0].gpus"' });
    delete bad.spec.template.spec.containers[0]!.gpus;
    bad.spec.template.spec.restartPolicy = 'Always';
    const r = await postJob(bad);
    assert.equal(r.status, 422);
    assert.match(r.message, /restartPolicy: Unsupported value: "Always"/);
  } finally { await close(); }
});

test('an image that exists only in the local Docker engine is refused before anything is created', async () => {
  const { plan, start, close } = setup('localonly');
  const posts = s.server.count('POST', /\/jobs$/);
  try {
    await assert.rejects(start(plan('echo hi', { image: 'cubelab-test/busybox:1' })), (e: Error) => {
      assert.ok(e instanceof TargetError && e.code === 'image', String(e));
      assert.match(e.message, /cubelab-test\/busybox:1 exists only in the local Docker engine .* the cluster cannot pull it\. Push it to a registry/);
      return true;
    });
    assert.equal(s.server.count('POST', /\/jobs$/), posts, 'no Job was created');
  } finally { await close(); }
});

test('kubeconfig auth: an exec credential plugin works; a wrong token, an unknown context and a missing claim are sentences', async () => {
  const ex = await startStandin({ exec: true, claimDir: s.claimDir });
  try {
    const { plan, start, dir, close } = setup('exec', k8sBackend(ex));
    try {
      const h = await start(plan('echo from-exec-auth; echo ok > /mlcube_io0/auth.txt'));
      assert.equal((await h.done).status, 'succeeded');
      assert.equal(readFileSync(join(dir, 'out', 'auth.txt'), 'utf8'), 'ok\n');
    } finally { await close(); }
  } finally { await ex.stop(); }
  const wrong = k8sBackend({ ...s, kubeconfig: writeKubeconfig(s.server.url, 'not-the-token', false, testTls().ca) });
  await assert.rejects(wrong.probe(), (e: Error) => e instanceof TargetError && e.code === 'denied' && /did not accept the credentials of the kubeconfig \(401 Unauthorized\)/.test(e.message));
  await assert.rejects(k8sBackend(s, { context: 'nope' }).probe(), (e: Error) => e instanceof TargetError && e.code === 'missing' && /has no context "nope" \(it has: standin, other\)/.test(e.message));
  const { plan, start, close } = setup('noclaim', k8sBackend(s, { persistentVolumeClaim: 'nope' }));
  try {
    await assert.rejects(start(plan('echo hi')), /The PersistentVolumeClaim nope does not exist in namespace ml \(context standin\)/);
  } finally { await close(); }
  assert.equal(k8sBackend(s).target().kind === 'kubernetes' && (k8sBackend(s).target() as { namespace: string }).namespace, 'ml', 'the context\'s namespace');
});

test('a task the scheduler cannot place waits with its reason; Stop deletes the Job with its pods (foreground)', async () => {
  const { plan, start, store, sup, close } = setup('gpu');
  try {
    const h = await start(plan('echo never', { gpus: '1' }));
    await until(async () => /Insufficient nvidia\.com\/gpu/.test((await store.read(h.runId)).reason ?? ''), 20_000, 'the scheduler\'s reason in the record');
    assert.equal((await store.read(h.runId)).status, 'queued');
    await sup.stop(h.runId);
    const o = await h.done;
    assert.equal(o.status, 'stopped');
    const del = s.server.requests.filter((q) => q.method === 'DELETE' && /\/jobs\//.test(q.path));
    assert.equal(del[0]?.query.propagationPolicy, 'Foreground');
    await until(() => ![...s.server.cluster.jobs.values()].some((j) => j.metadata.annotations?.['cubelab.io/run-id'] === h.runId), 10_000, 'the Job to go');
  } finally { await close(); }
});

test('an evicted pod is replaced by the Job; the run log keeps the evicted pod\'s lines, then the new pod\'s', async () => {
  const { plan, start, store, close } = setup('evict');
  const sink = new Sink();
  try {
    const h = await start(plan('for i in $(seq 1 30); do echo "line $i"; sleep 0.1; done'), sink);
    await until(() => sink.lines.length >= 5, 30_000, 'the first lines');
    const pod = [...s.server.cluster.pods.values()].find((p) => p.metadata.annotations === undefined || p.metadata.labels?.['cubelab.io/run'] === h.runId);
    assert.ok(pod, 'the run\'s pod');
    await s.server.cluster.evict(pod);
    const o = await h.done;
    assert.equal(o.status, 'succeeded', o.reason);
    const stored = storedText(store, h.runId);
    const first = stored.length - 30;
    assert.ok(first >= 5 && first < 30, `the evicted pod's ${first} lines are kept`);
    assert.deepEqual(stored, [...numbered(first), ...numbered(30)]);
  } finally { await close(); }
});

test('a failed Job stays on the cluster for its log (until ttlSecondsAfterFinished); a Job that succeeded goes; $(NAME) and $$ reach the task as written', async () => {
  const { plan, start, store, close } = setup('keep');
  try {
    const sink = new Sink();
    const h = await start(plan(`echo '$(GREETING) costs $$5'; exit 3`, { env: { GREETING: 'hello' } }), sink);
    const o = await h.done;
    assert.deepEqual([o.status, o.exitCode], ['failed', 3]);
    assert.deepEqual(storedText(store, h.runId), ['$(GREETING) costs $$5']);
    assert.ok(sink.infos.some((i) => /stays on the cluster with its failed pod, so its log can be read \(kubectl logs -n ml job\/cubelab-keep-/.test(i)), sink.infos.join('\n'));
    const job = [...s.server.cluster.jobs.values()].find((j) => j.metadata.annotations?.['cubelab.io/run-id'] === h.runId);
    assert.ok(job, 'the failed Job is kept');
    assert.equal(job.spec.ttlSecondsAfterFinished, 86400);
    const h2 = await start(plan('echo fine'));
    assert.equal((await h2.done).status, 'succeeded');
    await until(() => ![...s.server.cluster.jobs.values()].some((j) => j.metadata.annotations?.['cubelab.io/run-id'] === h2.runId), 10_000, 'the succeeded Job to go');
  } finally { await close(); }
});

test('a sweep is re-attached after a reload: its elements are found on the cluster and finish with whole logs', { timeout: 90_000 }, async () => {
  const dir = claimFolder(s, 'sweep-reload');
  const store = new RunStore(join(dir, '.cubelab', 'runs'));
  const first = k8sBackend(s);
  const supA = new Supervisor({ store, backendFor: (t) => (first.owns(t) ? first : undefined), retryMs: 200, stopGraceSeconds: 2 });
  const elements = [0, 1, 2, 3].map((i) => {
    const ws = join(dir, 'elements', String(i), 'workspace');
    mkdirSync(join(ws, 'out'), { recursive: true });
    return { overrides: [`i=${i}`], plan: shellPlan(`for n in $(seq 1 40); do echo "e${i} $n"; sleep 0.05; done; echo ${i} > /mlcube_io0/done.txt`, { root: dir, workspace: ws, mounts: [{ host: join(ws, 'out'), container: '/mlcube_io0', mode: '', io: 'output' }] }) };
  });
  const h = await supA.startSweep({ backend: first, manifest: join(dir, 'mlcube.yaml'), task: 'reload', elements, parallelism: 2 }, new Sink());
  await until(() => elementLogText(store, h.runId, 0).length >= 5, 30_000, 'element 0 to print');
  await supA.dispose();
  await first.dispose();
  const second = k8sBackend(s);
  const supB = new Supervisor({ store: new RunStore(store.root), backendFor: (t) => (second.owns(t) ? second : undefined), retryMs: 200, stopGraceSeconds: 2 });
  try {
    const handles = await supB.attach();
    assert.deepEqual(handles.map((x) => x.runId), [h.runId]);
    const o = await handles[0]!.done;
    assert.equal(o.status, 'succeeded', o.reason);
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(elementLogText(store, h.runId, i), numbered(40, `e${i}`), `element ${i}'s log`);
      assert.equal(readFileSync(join(dir, 'elements', String(i), 'workspace', 'out', 'done.txt'), 'utf8'), `${i}\n`);
    }
  } finally { await supB.dispose(); await second.dispose(); }
});
