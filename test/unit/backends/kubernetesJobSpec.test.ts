/**
 * The Kubernetes backend's pure parts: a plan as a Job (mounts as subPaths of the claim, limits, what is refused
 * or said), a sweep as one Indexed Job (subPathExpr, the per-index launcher), the target's settings, and the
 * pod log's timestamps and resume rule. The behaviour against an API server is in the kubernetes tier.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { makePlan } from './planFixture';
import { indexedJob, indexTemplate, jobName, literal, podParts, runLabel, singleJob, type JobOptions, type PodParts } from '../../../client/src/backends/kubernetes/jobSpec';
import { readKubernetesSettings } from '../../../client/src/backends/kubernetes/settings';
import { advance, normalizeTs, PodLogParser, ResumeSkip, sinceTimeOf } from '../../../client/src/backends/kubernetes/podLog';

const host = { env: { HOME: '/home/u' }, home: '/home/u', uid: 1000, gid: 1000 };
const settings = { name: 'k', persistentVolumeClaim: 'cube', localPath: '/data/claim' };
const job = { runId: '20260101-000000-train-abc123', manifest: '/data/claim/cube/mlcube.yaml', task: 'train' };
const opts: JobOptions = { ...job, namespace: 'ml', settings, graceSeconds: 5 };

function parts(over: Parameters<typeof makePlan>[0], s: Record<string, unknown> = settings): PodParts {
  const r = podParts(makePlan({ image: 'reg.example/cube:1', root: '/data/claim/cube', workspace: '/data/claim/cube/workspace', ...over }), job, { ...settings, ...s } as typeof settings, host);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.parts;
}

test('a plan becomes a Job: mounts are subPaths of the claim at mlcube\'s container paths; docker flags become limits and pod settings', () => {
  const p = parts({
    args: ['train', '--data=/mlcube_io0/d.csv'], env: { LR: '0.1' }, gpus: '2',
    mounts: [{ host: '/data/claim/cube/workspace/data', container: '/mlcube_io0', mode: 'ro', io: 'input' }, { host: '/data/claim/cube/workspace/out', container: '/mlcube_io1', mode: '', io: 'output' }],
    runArgs: '--memory=2g --cpus=0.5 --shm-size=64m --network=host --user=1000:1000',
  });
  const j = singleJob(p, opts);
  assert.equal(j.metadata?.name, jobName(job.runId, 'train'));
  assert.deepEqual(j.metadata?.labels, { 'app.kubernetes.io/managed-by': 'cubelab', 'cubelab.io/run': job.runId, app: 'mlcube' });
  const spec = j.spec!;
  assert.deepEqual([spec.backoffLimit, spec.ttlSecondsAfterFinished, spec.template.spec?.restartPolicy, spec.template.spec?.terminationGracePeriodSeconds, spec.template.spec?.hostNetwork], [0, 86400, 'Never', 5, true]);
  const c = spec.template.spec!.containers[0]!;
  assert.deepEqual(c.args, ['train', '--data=/mlcube_io0/d.csv']);
  assert.deepEqual(c.env, [{ name: 'LR', value: '0.1' }]);
  assert.deepEqual(c.volumeMounts, [
    { name: 'workspace', mountPath: '/mlcube_io0', subPath: 'cube/workspace/data', readOnly: true },
    { name: 'workspace', mountPath: '/mlcube_io1', subPath: 'cube/workspace/out' },
    { name: 'dshm', mountPath: '/dev/shm' },
  ]);
  assert.deepEqual(c.resources, { limits: { memory: String(2 * 1024 ** 3), cpu: '500m', 'nvidia.com/gpu': '2' } });
  assert.deepEqual(c.securityContext, { runAsUser: 1000, runAsGroup: 1000 });
  assert.deepEqual(spec.template.spec?.volumes, [{ name: 'workspace', persistentVolumeClaim: { claimName: 'cube' } }, { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: String(64 * 1024 ** 2) } }]);
});

test('without localPath the claim\'s root is the cube\'s workspace (MLCube\'s layout); a folder outside it is refused with the reason', () => {
  const noLocal = { localPath: undefined };
  const p = parts({ mounts: [{ host: '/data/claim/cube/workspace/data', container: '/mlcube_io0', mode: '', io: 'input' }] }, noLocal);
  assert.equal(p.mounts[0]?.subPath, 'data');
  const r = podParts(makePlan({ root: '/x/cube', workspace: '/x/cube/workspace', mounts: [{ host: '/home/u/data', container: '/mlcube_io0', mode: '', io: 'input' }] }), job, { name: 'k', persistentVolumeClaim: 'cube' }, host);
  assert.ok(!r.ok);
  assert.match(r.error, /\/home\/u\/data \(mounted at \/mlcube_io0\) is outside the cube's workspace folder \(\/x\/cube\/workspace\).*exists only on this machine, and CubeLab does not upload to the claim cube/);
  const none = podParts(makePlan({}), job, { name: 'k' }, host);
  assert.ok(!none.ok && /names no persistentVolumeClaim/.test(none.error));
});

test('--gpus=all needs a number on Kubernetes (or the target\'s limit); GPUs of the target apply to every pod', () => {
  const r = podParts(makePlan({ root: '/data/claim/cube', gpus: 'all' }), job, settings, host);
  assert.ok(!r.ok && r.code === 'gpu' && /Kubernetes schedules a number of GPUs: pass --gpus=N, or set resources.limits\["nvidia.com\/gpu"\]/.test(r.error));
  const withTarget = podParts(makePlan({ root: '/data/claim/cube', gpus: 'all' }), job, { ...settings, resources: { limits: { 'nvidia.com/gpu': '4' }, requests: { cpu: '2' } } }, host);
  assert.ok(withTarget.ok);
  assert.deepEqual(withTarget.parts.shared.resources, { requests: { cpu: '2' }, limits: { 'nvidia.com/gpu': '4' } });
  assert.ok(withTarget.warnings.some((w) => /the target's 4 nvidia.com\/gpu/.test(w)));
});

test('Kubernetes\' $(NAME) expansion is escaped: every $ of a literal is doubled', () => {
  assert.equal(literal('echo $(HOME) $$ $x'), 'echo $$(HOME) $$$$ $$x');
  const p = parts({ entrypoint: ['/bin/sh', '-c', 'echo $(id -u)'], args: [], env: { P: 'a$b' } });
  const c = singleJob(p, opts).spec!.template.spec!.containers[0]!;
  assert.deepEqual([c.command, c.args, c.env], [['/bin/sh'], ['-c', 'echo $$(id -u)'], [{ name: 'P', value: 'a$$b' }]]);
});

test('a sweep is one Indexed Job: per-index folders by subPathExpr, per-index command lines through a /bin/sh launcher that runs them', () => {
  const els = [0, 1, 2].map((i) => parts({
    entrypoint: ['python', 'train.py'], args: [`--lr=0.${i}`, `--out=/mlcube_io0`], env: { SEED: '1', TAG: `t${i}` },
    mounts: [{ host: `/data/claim/run-0/elements/${i}/workspace/out`, container: '/mlcube_io0', mode: '', io: 'output' }, { host: '/data/claim/shared', container: '/mlcube_io1', mode: 'ro', io: 'input' }],
  }));
  const r = indexedJob(els, 2, opts, undefined);
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.launcher, true);
  const spec = r.job.spec!;
  assert.deepEqual([spec.completionMode, spec.completions, spec.parallelism, spec.backoffLimitPerIndex, spec.backoffLimit], ['Indexed', 3, 2, 0, undefined]);
  const c = spec.template.spec!.containers[0]!;
  assert.deepEqual(c.volumeMounts, [
    { name: 'workspace', mountPath: '/mlcube_io0', subPathExpr: 'run-0/elements/$(CUBELAB_ELEMENT_INDEX)/workspace/out' },
    { name: 'workspace', mountPath: '/mlcube_io1', subPath: 'shared', readOnly: true },
  ]);
  assert.deepEqual(c.env, [{ name: 'CUBELAB_ELEMENT_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }, { name: 'SEED', value: '1' }]);
  assert.equal(c.command?.[0], '/bin/sh');
  // The launcher, as the pod's shell runs it (after Kubernetes turns $$ back into $), for index 1:
  const script = (c.command?.[2] ?? '').replace(/\$\$/g, '$');
  const ran = execFileSync('/bin/sh', ['-c', script.replace('exec "$@"', 'printf "[%s]" "$@"; echo " TAG=$TAG"')], { env: { CUBELAB_ELEMENT_INDEX: '1', PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
  assert.equal(ran, '[python][train.py][--lr=0.1][--out=/mlcube_io0] TAG=t1\n');
});

test('a sweep whose elements differ in ways one pod template cannot say is refused with the reason', () => {
  const a = parts({ mounts: [{ host: '/data/claim/a/out', container: '/mlcube_io0', mode: '', io: 'output' }] });
  const b = parts({ mounts: [{ host: '/data/claim/b/out', container: '/mlcube_io0', mode: '', io: 'output' }] });
  const r = indexedJob([a, b], 2, opts, undefined);
  assert.ok(!r.ok && /mount different folders at \/mlcube_io0 \(\/data\/claim\/a\/out, \/data\/claim\/b\/out\) in a way one Indexed Job cannot express/.test(r.error));
  const img = parts({ image: 'other:2' });
  const r2 = indexedJob([parts({}), img], 1, opts, undefined);
  assert.ok(!r2.ok && /runs image other:2/.test(r2.error));
  // The image's ENTRYPOINT is needed when command lines differ and the task has none.
  const r3 = indexedJob([parts({ args: ['a'] }), parts({ args: ['b'] })], 1, opts, undefined);
  assert.ok(!r3.ok && /cannot read for reg.example\/cube:1/.test(r3.error));
  assert.ok(indexedJob([parts({ args: ['a'] }), parts({ args: ['b'] })], 1, opts, ['python', 'mlcube.py']).ok);
});

test('index templates: the index where it stands, other zeros left alone', () => {
  assert.equal(indexTemplate(['x0/el0/out', 'x0/el1/out', 'x0/el2/out']), 'x0/el$(CUBELAB_ELEMENT_INDEX)/out');
  assert.equal(indexTemplate(['a/b', 'c/d']), undefined);
  assert.equal(indexTemplate(['r$0/0', 'r$0/1']), 'r$$0/$(CUBELAB_ELEMENT_INDEX)');
});

test('names and labels fit Kubernetes\' rules', () => {
  assert.match(jobName(job.runId, 'Train_Model With Spaces!!'), /^cubelab-train-model-with-spa-[0-9a-f]{8}$/);
  assert.equal(runLabel(job.runId), job.runId);
  const odd = runLabel('x'.repeat(80) + '#3');
  assert.ok(odd.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(odd), odd);
});

test('target settings: malformed fields are named, the rest kept', () => {
  const r = readKubernetesSettings({
    name: 'k', namespace: 'ML!', persistentVolumeClaim: 'cube', localPath: 'rel/path', resources: { limits: { memory: 'lots', cpu: '2' } },
    nodeSelector: { 'gpu.example/type': 'a100' }, tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'Never', extra: 1 }], ttlSecondsAfterFinished: -1, imagePullSecrets: ['regcred', 'Bad Name'],
  });
  assert.deepEqual(r.problems, [
    'namespace "ML!" is not a valid namespace name', 'localPath "rel/path" must be an absolute path', 'resources.limits.memory "lots" is not a quantity (such as 500m, 2Gi, 1)',
    'imagePullSecrets: "Bad Name" is not a Secret name', 'tolerations[0].effect must be NoSchedule, PreferNoSchedule or NoExecute', 'tolerations[0] has unknown field(s) extra',
    'ttlSecondsAfterFinished must be a whole number of seconds (0 or more)',
  ]);
  assert.deepEqual([r.settings.persistentVolumeClaim, r.settings.resources, r.settings.imagePullSecrets, r.settings.nodeSelector], ['cube', { limits: { cpu: '2' } }, ['regcred'], { 'gpu.example/type': 'a100' }]);
});

test('pod log lines: the kubelet\'s trimmed timestamps compare as times; a resume skips what was stored, to the line', () => {
  assert.equal(normalizeTs('2026-01-01T10:00:00.12Z'), '2026-01-01T10:00:00.120000000Z');
  assert.equal(normalizeTs('2026-01-01T12:00:00+02:00'), '2026-01-01T10:00:00.000000000Z');
  assert.equal(normalizeTs('not a time'), undefined);
  assert.equal(sinceTimeOf('2026-01-01T10:00:05.120000000Z'), '2026-01-01T10:00:05Z');
  const p = new PodLogParser();
  const lines = [...p.push(Buffer.from('2026-01-01T10:00:05.1Z a\n2026-01-01T10:00:05.1Z b\r\n2026-01-01T10:00:05.2Z c')), ...p.end()];
  assert.deepEqual(lines.map((l) => l.text), ['a', 'b\r', 'c']);
  let cur = advance(undefined, 'pod', lines[0]!);
  cur = advance(cur, 'pod', lines[1]!);
  assert.deepEqual(cur, { pod: 'pod', ts: '2026-01-01T10:00:05.100000000Z', countAtTs: 2 });
  // Resuming from the second of the cursor: a and b come again and are skipped, c is new.
  const skip = new ResumeSkip(cur);
  assert.deepEqual(lines.filter((l) => skip.keep(l)).map((l) => l.text), ['c']);
});
