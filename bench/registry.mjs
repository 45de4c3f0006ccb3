// `npm run bench:registry`: the registry code (dist/registry.js) against Debian's docker-registry on loopback.
//
// 1. Pull as cube: a cube whose additional files are a 100 MB tarball (plus its manifest, parameters file,
//    card and config), pulled into a new folder with a cold cache: every blob streamed to the cache while it is
//    hashed and (the tarball) extracted, verified, then moved into place. Against `curl -sS -o` of the same
//    blobs (the manifest and the config included), one curl process for all of them, in the same run.
//    Median of N runs each; ratio pull / curl (target <= 1.2). Also: the same pull again with a warm cache
//    (each cached blob hashed again before use).
// 2. The Registries view's first page with 1,000 repositories: from a new client (no connection, no auth
//    state) to the first page of repositories the view shows (RegistryBrowser.page, the data layer that feeds
//    the view), median of N fresh clients (target < 300 ms); and all 1,000 repositories, page by page.
// Its own docker-registry instance on 127.0.0.1:5014 (storage under bench/out/registry-data, kept between
// runs so the 1,000 repositories are made once), stopped at the end. The image step of a publish is a
// stand-in here (a small image manifest pushed directly): the Docker engine is not part of what is measured.
// Writes bench/out/registry.json. Environment: CUBELAB_BENCH_REGISTRY_RUNS (5), CUBELAB_BENCH_REGISTRY_MB (100).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const RUNS = Number(process.env.CUBELAB_BENCH_REGISTRY_RUNS ?? 5);
const MB = Number(process.env.CUBELAB_BENCH_REGISTRY_MB ?? 100);
const REPOS = 1000;
const PORT = 5014;
const HOST = `127.0.0.1:${PORT}`;

// docker-registry, openssl and curl from Debian (the registry tier's setup installs them).
execFileSync('bash', [join(root, 'test/env/setup-registry.sh')], { stdio: 'inherit' });
const reg = require(join(root, 'dist/registry.js'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const ms = (x) => `${x.toFixed(1)} ms`;

mkdirSync(join(root, 'bench/out'), { recursive: true });
const data = join(root, 'bench/out/registry-data');
mkdirSync(data, { recursive: true });
writeFileSync(join(root, 'bench/out/registry-config.yml'), `version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: ${data}}, delete: {enabled: true}}
http: {addr: ${HOST}}
`);
const server = spawn('/usr/bin/docker-registry', ['serve', join(root, 'bench/out/registry-config.yml')], { stdio: 'ignore' });
const stop = () => { try { server.kill(); } catch { /* gone */ } };
process.on('exit', stop);
for (let i = 0; ; i++) {
  try { if ((await fetch(`http://${HOST}/v2/`)).ok) break; } catch { /* not yet */ }
  if (i > 80) throw new Error(`docker-registry did not answer on ${HOST}`);
  await new Promise((r) => setTimeout(r, 100));
}

const endpoint = reg.parseRegistrySetting({ name: 'bench', url: `http://${HOST}` });
const newClient = () => new reg.RegistryClient({ registry: endpoint });
const work = mkdtempSync(join(root, 'bench/out/registry-'));

// ---------------------------------------------------------------- a cube with a 100 MB tarball

const client = newClient();
const repo = 'bench/big-cube';
// The image step's stand-in: a small OCI image manifest pushed directly into the cube's repository.
const emptyConfig = Buffer.from('{}');
const emptyDigest = reg.sha256 ? reg.sha256(emptyConfig) : undefined;
async function pushStandInImage(repository) {
  const { createHash } = await import('node:crypto');
  const digest = `sha256:${createHash('sha256').update(emptyConfig).digest('hex')}`;
  await client.uploadBlob(repository, digest, emptyConfig.length, emptyConfig);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: 2 }, layers: [] }));
  return (await client.putManifest(repository, `stand-in-${randomBytes(3).toString('hex')}`, manifest, 'application/vnd.oci.image.manifest.v1+json')).digest;
}
void emptyDigest;

const cubeDir = join(work, 'cube');
mkdirSync(join(cubeDir, 'workspace', 'additional_files', 'weights'), { recursive: true });
writeFileSync(join(cubeDir, 'mlcube.yaml'), 'name: big-cube\ndocker:\n  image: bench/big-cube:1\ntasks:\n  train:\n    parameters:\n      inputs:\n        config: {type: file, default: params.yaml}\n');
writeFileSync(join(cubeDir, 'workspace', 'params.yaml'), 'lr: 0.1\n');
const files = 10;
for (let i = 0; i < files; i++) writeFileSync(join(cubeDir, 'workspace', 'additional_files', 'weights', `part-${i}.bin`), randomBytes(Math.round((MB * 1024 * 1024) / files)));
const plan = {
  taskName: 'train', image: 'bench/big-cube:1', root: cubeDir, workspace: join(cubeDir, 'workspace'),
  paramArgs: ['--config=/mlcube_io0/params.yaml'], mounts: [{ host: join(cubeDir, 'workspace'), container: '/mlcube_io0', mode: 'ro', io: 'input' }],
};
const contents = await reg.cubeContents(join(cubeDir, 'mlcube.yaml'), 'name: big-cube\ntasks:\n  train: {}\n', [plan]);
const version = `v${Date.now()}`;
const engine = {
  inspect: async () => ({ id: 'stand-in', repoDigests: [] }),
  push: async (_local, _target, _tag) => pushStandInImage(repo),
  pull: async () => undefined, tag: async () => undefined,
};
const published = await reg.publishCube({ client, repository: repo, version, contents, engine, cache: new reg.BlobCache(join(work, 'publish-cache')) });
const tar = published.layers.find((l) => l.file === 'additional_files.tar');
console.log(`published ${repo}:${version}: ${published.layers.length} layers, the tarball ${(tar.size / 1048576).toFixed(1)} MiB`);

// The blobs curl fetches: the manifest (with the right Accept), the config and every layer.
const manifest = await client.manifest(repo, version);
const blobUrls = [manifest.manifest.config.digest, ...manifest.manifest.layers.map((l) => l.digest)].map((d) => `http://${HOST}/v2/${repo}/blobs/${d}`);

function curlOnce(dir) {
  const args = ['-sS', '-H', 'Accept: application/vnd.oci.image.manifest.v1+json', '-o', join(dir, 'manifest.json'), `http://${HOST}/v2/${repo}/manifests/${version}`];
  blobUrls.forEach((u, i) => args.push('-o', join(dir, `blob-${i}`), u));
  const t0 = performance.now();
  execFileSync('curl', args, { stdio: 'inherit' });
  return performance.now() - t0;
}

async function pullOnce(dir, cacheDir) {
  const c = newClient();
  const t0 = performance.now();
  await reg.pullCube({ client: c, repository: repo, reference: version, dest: join(dir, 'cube'), cache: new reg.BlobCache(cacheDir) });
  const t = performance.now() - t0;
  c.dispose();
  return t;
}

const pulls = [], curls = [], warm = [];
// One warm-up of each (the registry's files in the page cache for both).
{ const d = mkdtempSync(join(work, 'w-')); curlOnce(d); await pullOnce(d, join(d, 'cache')); rmSync(d, { recursive: true, force: true }); }
for (let i = 0; i < RUNS; i++) {
  // Alternate which goes first, so that neither always meets a quieter machine.
  const d1 = mkdtempSync(join(work, 'curl-'));
  const d2 = mkdtempSync(join(work, 'pull-'));
  if (i % 2 === 0) { curls.push(curlOnce(d1)); pulls.push(await pullOnce(d2, join(d2, 'cache'))); }
  else { pulls.push(await pullOnce(d2, join(d2, 'cache'))); curls.push(curlOnce(d1)); }
  // The same pull with the cache warm: every cached blob is hashed again before it is used.
  warm.push(await pullOnce(mkdtempSync(join(work, 'warm-')), join(d2, 'cache')));
  rmSync(d1, { recursive: true, force: true });
}
const pull = median(pulls), curl = median(curls), warmPull = median(warm);
console.log(`pull as cube (${MB} MB tarball, cold cache, verified, extracted): median ${ms(pull)} (runs: ${pulls.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`curl -sS -o of the same blobs:                         median ${ms(curl)} (runs: ${curls.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`ratio pull / curl: ${(pull / curl).toFixed(2)} (target <= 1.2)`);
console.log(`pull as cube with a warm cache (each blob hashed again before use): median ${ms(warmPull)}`);

// ---------------------------------------------------------------- 1,000 repositories

const existing = { repositories: [] };
for (let last, c = newClient(); ;) {
  const page = await c.catalog(1000, last);
  existing.repositories.push(...page.repositories);
  if (!page.next) break;
  last = page.next;
}
const have = existing.repositories.filter((r) => r.startsWith('bench/repo-')).length;
if (have < REPOS) {
  console.log(`making ${REPOS - have} repositories…`);
  const { createHash } = await import('node:crypto');
  const digest = `sha256:${createHash('sha256').update(emptyConfig).digest('hex')}`;
  const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: 2 }, layers: [] }));
  const todo = Array.from({ length: REPOS }, (_, i) => `bench/repo-${String(i).padStart(4, '0')}`).filter((r) => !existing.repositories.includes(r));
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let i = next++; i < todo.length; i = next++) {
      await client.uploadBlob(todo[i], digest, 2, emptyConfig);
      await client.putManifest(todo[i], '1', m, 'application/vnd.oci.image.manifest.v1+json');
    }
  }));
}
const firstPages = [];
let total = 0, pages = 0, allMs = 0;
for (let i = 0; i < Math.max(RUNS, 10); i++) {
  const c = newClient();
  const browser = new reg.RegistryBrowser(c, 100);
  const t0 = performance.now();
  let page = await browser.page();
  firstPages.push(performance.now() - t0);
  if (i === 0) {
    total = page.repositories.length; pages = 1;
    while (page.next) { page = await browser.page(page.next); total += page.repositories.length; pages++; }
    allMs = performance.now() - t0;
  }
  c.dispose();
}
const firstPage = median(firstPages);
console.log(`Registries view, first page (100 of ${total} repositories, new client): median ${ms(firstPage)} (target < 300 ms); all ${total} in ${pages} pages: ${ms(allMs)}`);

client.dispose();
writeFileSync(join(root, 'bench/out/registry.json'), JSON.stringify({
  date: new Date().toISOString(), tarballMiB: tar.size / 1048576, runs: RUNS,
  pullMs: pull, curlMs: curl, ratio: pull / curl, warmPullMs: warmPull, pulls, curls,
  repositories: total, firstPageMs: firstPage, allPagesMs: allMs, pages,
}, null, 2));
rmSync(work, { recursive: true, force: true });
stop();
process.exit(0);
