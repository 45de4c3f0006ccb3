/**
 * MedPerf cube records pulled as cubes (docs/interop.md §2). The records and every URL they name are served by
 * this test's own HTTP server on 127.0.0.1 (a stand-in for MedPerf's server and the hosts its records point
 * to: GitHub raw files, cloud storage); the images are in Debian's docker-registry of setup-registry.sh
 * (127.0.0.1:5010) and pulled by the real Docker engine. An older record (an mlcube.yaml by URL, SHA-1 hashes,
 * the image by id) and a newer one (the container config inline, SHA-256, the image by manifest digest) are
 * pulled, every hash checked, and their tasks run through the run supervisor; a tampered tarball is refused
 * naming the file and both hashes, with nothing left behind; an empty hash is reported as unverified and goes
 * through only when accepted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setupRegistries, tempDir, engine, runTask, planCube, PORTS } from './helpers';
import { docker } from '../runner/helpers';
import { pullMedperf, fetchRecord, medperfImageEngine, splitImage } from '../../client/src/registry/medperf/pull';
import { HashMismatchError, hashAlgorithm } from '../../client/src/registry/medperf/hashes';
import { RegistryError } from '../../client/src/registry/errors';
import { medperfPlan } from '../../server/src/interop/medperf/record';

const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex');
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const mp = medperfImageEngine(engine, docker);
/** The language server's reading of a record (the same pure function `cubelab/medperfRecord` calls). */
const describe = async (text: string, manifest?: string) => {
  const r = medperfPlan(text, manifest);
  if (!r.ok) throw new RegistryError(r.error, 'refused');
  return r.plan;
};

const routes = new Map<string, Buffer>();
let server: Server;
let origin = '';
let work = '';
const images: string[] = [];

const TASK_SH = [
  'for a in "$@"; do case "$a" in --parameters_file=*) p="${a#--parameters_file=}";; --additional_files=*) x="${a#--additional_files=}";; --output_path=*) o="${a#--output_path=}";; esac; done',
  'echo "infer: $(cat "$p")"',
  'cat "$x/weights/w.txt" > "$o/prediction.txt"',
  'echo done',
  '',
].join('\n');

/** Builds a tiny image from the offline busybox test image, pushes it to 127.0.0.1:5010, and removes it locally. */
function pushImage(name: string): { id: string; digest: string } {
  const ctx = join(work, `image-${randomBytes(3).toString('hex')}`);
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'task.sh'), TASK_SH);
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM cubelab-test/busybox:1\nCOPY task.sh /task.sh\nENTRYPOINT ["/bin/sh", "/task.sh"]\n');
  execFileSync('docker', ['build', '-q', '-t', name, ctx], { stdio: 'pipe' });
  execFileSync('docker', ['push', '-q', name], { stdio: 'pipe' });
  const id = execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', name], { encoding: 'utf8' }).trim();
  const repo = splitImage(name).repository;
  const digests = JSON.parse(execFileSync('docker', ['image', 'inspect', '-f', '{{json .RepoDigests}}', name], { encoding: 'utf8' })) as string[];
  const digest = (digests.find((d) => d.startsWith(`${repo}@`)) ?? '').split('@')[1] ?? '';
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  execFileSync('docker', ['rmi', '-f', name], { stdio: 'pipe' });
  images.push(name);
  return { id, digest };
}

function serve(path: string, body: Buffer | string): string {
  routes.set(path, Buffer.isBuffer(body) ? body : Buffer.from(body));
  return `${origin}${path}`;
}

/** The additional files as MedPerf ships them: a .tar.gz with a weights file. */
function tarball(content: string): Buffer {
  const dir = join(work, `files-${randomBytes(3).toString('hex')}`);
  mkdirSync(join(dir, 'weights'), { recursive: true });
  writeFileSync(join(dir, 'weights', 'w.txt'), content);
  writeFileSync(join(dir, 'labels.txt'), 'cat dog\n');
  const out = `${dir}.tar.gz`;
  execFileSync('tar', ['-czf', out, '-C', dir, '.']);
  return readFileSync(out);
}

const olderManifest = (image: string): string => [
  'name: chestxray-older', 'docker:', `  image: ${image}`, '  cpu_args: --network=none', 'tasks:', '  infer:', '    parameters:', '      inputs:',
  '        parameters_file: {type: file, default: parameters.yaml}', '        additional_files: {type: directory, default: additional_files}',
  '      outputs:', '        output_path: {type: directory, default: predictions}', '',
].join('\n');

before(async () => {
  setupRegistries();
  work = tempDir('medperf');
  server = createServer((req, res) => {
    const body = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!body) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const i of images) await docker.getImage(i).remove({ force: true }).catch(() => undefined);
  await new Promise<void>((r) => server.close(() => r()));
});

test('the hash algorithm is read off the hash: 40 hex digits SHA-1, 64 (or sha256:) SHA-256, empty none, else refused', () => {
  assert.equal(hashAlgorithm('425d1d64c2247e8270ec7159b858ae1cc34d2281'), 'sha1');
  assert.equal(hashAlgorithm('a12a2d4e4290ffac38846c81d6300a24090605410eb603f02e8905f9674f1abc'), 'sha256');
  assert.equal(hashAlgorithm('sha256:a12a2d4e4290ffac38846c81d6300a24090605410eb603f02e8905f9674f1abc'), 'sha256');
  assert.equal(hashAlgorithm(''), 'none');
  assert.throws(() => hashAlgorithm('md5:abc'), /not a hash CubeLab knows/);
});

test('an older record (mlcube.yaml by URL, SHA-1 hashes, image by id) is pulled, verified and its task runs', { timeout: 240_000 }, async () => {
  const image = `127.0.0.1:${PORTS.plain}/cubelab-test/medperf-older-${randomBytes(4).toString('hex')}:1`;
  const { id } = pushImage(image);
  const manifest = olderManifest(image);
  const params = 'threshold: 0.5\n';
  const tar = tarball('older weights\n');
  // Shaped as MedPerf's seed of 2023-08-03 (79650db3 server/seed_utils.py): SHA-1 hashes, image_hash an image id.
  const record = {
    id: 3, name: 'chestxray-older', state: 'OPERATION', is_valid: true,
    git_mlcube_url: serve('/older/mlcube.yaml', manifest), mlcube_hash: sha1(manifest),
    git_parameters_url: serve('/older/parameters.yaml', params), parameters_hash: sha1(params),
    image_tarball_url: '', image_tarball_hash: '', image_hash: id.replace(/^sha256:/, ''),
    additional_files_tarball_url: serve('/older/additional_files.tar.gz', tar), additional_files_tarball_hash: sha1(tar),
    metadata: {}, user_metadata: {},
  };
  const recordUrl = serve('/mlcubes/3/', JSON.stringify(record));
  const recordText = await fetchRecord(recordUrl);
  const dest = join(work, 'older', 'chestxray');
  let asked = false;
  const r = await pullMedperf({ recordText, source: recordUrl, describe, dest, engine: mp, confirmUnverified: async () => { asked = true; return false; } });
  assert.equal(asked, false, 'every file had a hash');
  assert.equal(r.form, 'older');
  assert.deepEqual(r.files.map((f) => [f.path, f.field, f.algorithm, f.status]), [
    ['mlcube.yaml', 'mlcube_hash', 'sha1', 'verified'],
    ['workspace/parameters.yaml', 'parameters_hash', 'sha1', 'verified'],
    ['workspace/additional_files', 'additional_files_tarball_hash', 'sha1', 'verified'],
  ]);
  assert.deepEqual(r.extracted, ['workspace/additional_files/labels.txt', 'workspace/additional_files/weights/w.txt']);
  assert.deepEqual(r.image, { name: image, status: 'verified', by: 'id', reference: image, pulled: true });
  assert.equal(readFileSync(join(dest, 'mlcube.yaml'), 'utf8'), manifest);
  assert.equal(readFileSync(join(dest, 'workspace', 'parameters.yaml'), 'utf8'), params);
  assert.equal(JSON.parse(readFileSync(join(dest, 'medperf-record.json'), 'utf8')).mlcube_hash, record.mlcube_hash);
  assert.equal((await docker.getImage(image).inspect()).Id, id);
  const run = await runTask(r.manifest, 'infer');
  assert.equal(run.status, 'succeeded', run.lines.join('\n'));
  assert.ok(run.lines.includes('infer: threshold: 0.5'), run.lines.join('\n'));
  assert.equal(readFileSync(join(dest, 'workspace', 'predictions', 'prediction.txt'), 'utf8'), 'older weights\n');
});

test('a newer record (container config inline, SHA-256, image by digest) is pulled by digest and its task runs', { timeout: 240_000 }, async () => {
  const image = `127.0.0.1:${PORTS.plain}/cubelab-test/medperf-newer-${randomBytes(4).toString('hex')}:0.0.1`;
  const { digest } = pushImage(image);
  const tar = tarball('newer weights\n');
  // Shaped as MedPerf's seed at 5f3c4c4 (server/seed_utils.py): container_config and parameters_config inline.
  const record = {
    id: 7, name: 'chestxray-newer', is_valid: true,
    container_config: {
      container_type: 'DockerImage', image,
      tasks: {
        infer: {
          run_args: { command: '/bin/sh /task.sh' },
          input_volumes: {
            parameters_file: { mount_path: '/mlcommons/volumes/parameters/parameters_file.yaml', type: 'file' },
            additional_files: { mount_path: '/mlcommons/volumes/additional_files', type: 'directory' },
          },
          output_volumes: { output_path: { mount_path: '/mlcommons/volumes/predictions', type: 'directory' } },
        },
      },
    },
    parameters_config: { threshold: 0.25, classes: ['cat', 'dog'] },
    image_hash: digest,
    additional_files_tarball_url: serve('/newer/additional_files.tar.gz', tar), additional_files_tarball_hash: sha256(tar),
  };
  const dest = join(work, 'newer', 'chestxray');
  const r = await pullMedperf({ recordText: JSON.stringify(record), source: 'record 7', describe, dest, engine: mp });
  assert.equal(r.form, 'newer');
  assert.deepEqual(r.files.map((f) => [f.path, f.algorithm, f.status]), [['workspace/additional_files', 'sha256', 'verified']]);
  assert.equal(r.image?.by, 'digest');
  assert.equal(r.image?.pulled, true);
  assert.equal(r.image?.reference, `${splitImage(image).repository}@${digest}`);
  const info = await docker.getImage(image).inspect();
  assert.ok((info.RepoDigests ?? []).some((d) => d.endsWith(`@${digest}`)), 'the name now means the pinned image');
  assert.deepEqual(readdirSync(dest).sort(), ['container_config.yaml', 'medperf-record.json', 'mlcube.yaml', 'workspace']);
  assert.equal(readFileSync(join(dest, 'workspace', 'parameters.yaml'), 'utf8'), 'threshold: 0.25\nclasses:\n  - cat\n  - dog\n');
  assert.ok(r.warnings.some((w) => /fixed path/.test(w)), 'the mount paths that differ are said');
  const { errors } = await planCube(r.manifest, ['infer']);
  assert.deepEqual(errors, [], 'the converted manifest is clean');
  const run = await runTask(r.manifest, 'infer');
  assert.equal(run.status, 'succeeded', run.lines.join('\n'));
  assert.ok(run.lines.some((l) => l.startsWith('infer: threshold: 0.25')), run.lines.join('\n'));
  assert.equal(readFileSync(join(dest, 'workspace', 'infer', 'output_path', 'prediction.txt'), 'utf8'), 'newer weights\n');
});

test('a tampered tarball is refused naming the file and both hashes; nothing is left behind', { timeout: 60_000 }, async () => {
  const tar = tarball('original weights\n');
  const tampered = tarball('tampered weights\n');
  const manifest = olderManifest('127.0.0.1:1/none/never-pulled:1');
  const record = {
    name: 'tampered', git_mlcube_url: serve('/t/mlcube.yaml', manifest), mlcube_hash: sha256(manifest),
    git_parameters_url: '', parameters_hash: '', image_tarball_url: '', image_hash: 'a'.repeat(64),
    additional_files_tarball_url: serve('/t/additional_files.tar.gz', tampered), additional_files_tarball_hash: sha256(tar),
  };
  const parent = join(work, 'tampered');
  mkdirSync(parent, { recursive: true });
  const dest = join(parent, 'cube');
  await assert.rejects(pullMedperf({ recordText: JSON.stringify(record), source: 'tampered', describe, dest, engine: mp, confirmUnverified: async () => true }), (e: unknown) => {
    assert.ok(e instanceof HashMismatchError, String(e));
    assert.equal(e.file, 'workspace/additional_files');
    assert.equal(e.expected, sha256(tar));
    assert.equal(e.actual, sha256(tampered));
    assert.match(e.message, new RegExp(`^workspace/additional_files: what 127\\.0\\.0\\.1:\\d+ sent has SHA-256 ${sha256(tampered)}, but the record's additional_files_tarball_hash is ${sha256(tar)}\\. Refused: nothing was written\\.$`));
    return true;
  });
  assert.equal(existsSync(dest), false);
  assert.deepEqual(readdirSync(parent), [], 'no staging folder left');
  // A SHA-1 hash is checked as SHA-1: the same refusal with the older form's hash.
  const sha1Record = { ...record, mlcube_hash: sha1(`${manifest}# changed\n`) };
  await assert.rejects(pullMedperf({ recordText: JSON.stringify(sha1Record), source: 'tampered', describe, dest, engine: mp, confirmUnverified: async () => true }),
    /^HashMismatchError: mlcube\.yaml: what 127\.0\.0\.1:\d+ sent has SHA-1 [0-9a-f]{40}, but the record's mlcube_hash is [0-9a-f]{40}\. Refused/);
  assert.deepEqual(readdirSync(parent), []);
});

test('an older record whose image id does not match the pulled image is refused, nothing written', { timeout: 120_000 }, async () => {
  const image = `127.0.0.1:${PORTS.plain}/cubelab-test/medperf-wrongid-${randomBytes(4).toString('hex')}:1`;
  const { id } = pushImage(image);
  const manifest = olderManifest(image);
  const wrong = createHash('sha256').update('another image').digest('hex');
  const record = { name: 'wrong-id', git_mlcube_url: serve('/wrongid/mlcube.yaml', manifest), mlcube_hash: sha256(manifest), image_hash: wrong };
  const parent = join(work, 'wrongid');
  mkdirSync(parent, { recursive: true });
  await assert.rejects(pullMedperf({ recordText: JSON.stringify(record), source: 'wrong-id', describe, dest: join(parent, 'cube'), engine: mp }),
    new RegExp(`^RegistryError: The image ${image.replace(/[.]/g, '\\.')}: the engine's image id is ${id}, but the record's image_hash is ${wrong}\\. Refused: nothing was written\\.$`));
  assert.deepEqual(readdirSync(parent), []);
});

test('an empty hash is reported as unverified: refused unless accepted, and the report says so', { timeout: 60_000 }, async () => {
  const tar = tarball('w\n');
  const record = {
    name: 'no-hash', container_config: { container_type: 'DockerImage', image: 'example.invalid/none:1', tasks: { infer: { input_volumes: { additional_files: { mount_path: '/x', type: 'directory' } } } } },
    parameters_config: null, image_hash: '',
    additional_files_tarball_url: serve('/nohash/additional_files.tar.gz', tar), additional_files_tarball_hash: '',
  };
  const parent = join(work, 'nohash');
  mkdirSync(parent, { recursive: true });
  let asked: string[] = [];
  await assert.rejects(pullMedperf({ recordText: JSON.stringify(record), source: 'no-hash', describe, dest: join(parent, 'a'), confirmUnverified: async (w) => { asked = w; return false; } }),
    /no hash for workspace\/additional_files \(the record's additional_files_tarball_hash is empty\), the image example\.invalid\/none:1 \(the record's image_hash is empty\): unverified, and not accepted\. Nothing was written\./);
  assert.equal(asked.length, 2);
  assert.deepEqual(readdirSync(parent), []);
  // Without a question to ask, nothing unverified goes through either.
  await assert.rejects(pullMedperf({ recordText: JSON.stringify(record), source: 'no-hash', describe, dest: join(parent, 'a') }), /not accepted/);
  const r = await pullMedperf({ recordText: JSON.stringify(record), source: 'no-hash', describe, dest: join(parent, 'a'), confirmUnverified: async () => true });
  assert.deepEqual(r.files.map((f) => [f.path, f.algorithm, f.status, f.sha256]), [['workspace/additional_files', 'none', 'unverified', sha256(tar)]]);
  assert.deepEqual(readdirSync(parent), ['a']);
});

test('records CubeLab cannot pull are refused with the reason', () => {
  const refuse = (rec: unknown, re: RegExp) => { const r = medperfPlan(JSON.stringify(rec)); assert.equal(r.ok, false); if (!r.ok) assert.match(r.error, re); };
  refuse({ name: 'x', git_mlcube_url: 'https://h/m.yaml', image_tarball_url: 'https://h/i.tar' }, /image is a tarball/);
  refuse({ name: 'x', container_config: { container_type: 'SingularityFile', image: 'https://h/i.sif', tasks: {} } }, /DockerImage containers only/);
  refuse({ name: 'x', container_config: { container_type: 'DockerImage', image: 'a/b:1', tasks: { t: {} } }, image_hash: 'sha1:abc' }, /neither an image id .* nor a manifest digest/);
  refuse({ name: 'x' }, /neither a "container_config".*nor a "git_mlcube_url"/);
  refuse({ name: 'x', git_mlcube_url: 'file:///etc/passwd' }, /only http\(s\) URLs/);
  refuse({ name: 'x', is_valid: false, git_mlcube_url: 'https://h/m.yaml' }, /invalid/);
});
