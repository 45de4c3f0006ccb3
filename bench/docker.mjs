// `npm run bench:docker`: the Docker runner against the docker CLI, on the real local engine.
//
// 1. Start latency: from invoking the run to the container's first log line, median of N runs:
//    - CubeLab's run supervisor with the Docker backend (dist/runner.js) with a ready plan;
//    - the same with the plan requested from the built language server (dist/server.js over LSP) first;
//    - `docker run --rm --network none IMAGE ...` spawned from a shell, until its first stdout line.
//    Ratio runner / CLI (target <= 1.0: the API avoids starting a CLI).
// 2. Log throughput: a container printing L lines; time from invoking the run until every line is on disk,
//    CubeLab's run.log against `docker run -d` + `docker logs -f > file`.
// Needs the engine and image of test/env/setup-docker.sh (run first). Writes bench/out/docker.json.
// Environment: CUBELAB_BENCH_DOCKER_RUNS (7), CUBELAB_BENCH_DOCKER_LINES (200000).
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const RUNS = Number(process.env.CUBELAB_BENCH_DOCKER_RUNS ?? 7);
const LINES = Number(process.env.CUBELAB_BENCH_DOCKER_LINES ?? 200000);
const IMAGE = 'cubelab-test/busybox:1';
const DOCKER = '/usr/bin/docker';

execFileSync('bash', [join(root, 'test/env/setup-docker.sh')], { stdio: 'inherit' });
execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'ignore' });
const { Supervisor, DockerBackend, RunStore } = require(join(root, 'dist/runner.js'));
const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = require('vscode-jsonrpc/node');

mkdirSync(join(root, 'bench/out'), { recursive: true });
const work = mkdtempSync(join(root, 'bench/out/docker-'));
const store = new RunStore(join(work, '.cubelab/runs'));
// The run supervisor with the local Docker backend: what a window uses for a run.
const backend = new DockerBackend({ name: 'local' });
const supervisor = new Supervisor({ store, backendFor: (t) => (backend.owns(t) ? backend : undefined) });
const runner = { run: (req, sink) => supervisor.start({ ...req, backend }, sink) };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function plan(script) {
  return {
    taskName: 'bench', image: IMAGE, root: work, workspace: join(work, 'workspace'),
    entrypoint: ['/bin/sh', '-c', script], args: ['bench'], paramArgs: [], mounts: [], env: {},
    gpus: null, mkdirs: [], workspaceSync: [], warnings: [],
    platforms: {
      docker: { tool: 'docker', runArgs: '--network=none', command: '', imageBuild: { strategy: 'pull', context: work, file: join(work, 'Dockerfile'), fileExists: false, buildArgs: {}, action: 'pull' } },
      singularity: null,
    },
  };
}

/** Runner entry point to first line; `before` runs inside the timed span (the plan request). */
async function runnerFirstLine(before) {
  const t0 = performance.now();
  const p = before ? await before() : plan('echo first');
  let first;
  const seen = new Promise((resolve) => { first = resolve; });
  const h = await runner.run({ manifest: join(work, 'mlcube.yaml'), task: 'bench', plan: p },
    { line: () => first(performance.now() - t0), info: () => undefined });
  const ms = await seen;
  await h.done;
  return ms;
}

function cliFirstLine() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(DOCKER, ['run', '--rm', '--network', 'none', '--entrypoint', '/bin/sh', IMAGE, '-c', 'echo first'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let ms;
    child.stdout.once('data', () => { ms = performance.now() - t0; });
    child.on('error', reject);
    child.on('close', () => resolve(ms));
  });
}

/** A language server session that plans one manifest's task. */
async function planSession() {
  const cube = join(work, 'cube');
  mkdirSync(cube, { recursive: true });
  const text = `name: bench\ndocker:\n  image: ${IMAGE}\n  cpu_args: --network=none\ntasks:\n  bench:\n    entrypoint: /bin/sh -c 'echo first'\n`;
  writeFileSync(join(cube, 'mlcube.yaml'), text);
  const proc = spawn(process.execPath, [join(root, 'dist/server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  conn.onRequest('workspace/configuration', (p) => p.items.map(() => ({})));
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(cube).href, capabilities: { workspace: { configuration: true } } });
  conn.sendNotification('initialized', {});
  const uri = pathToFileURL(join(cube, 'mlcube.yaml')).href;
  conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  return {
    plan: async () => {
      const r = await conn.sendRequest('cubelab/taskPlan', { uri, task: 'bench' });
      if (!r.ok) throw new Error(`the server could not plan: ${r.error}`);
      return r.plan;
    },
    close: async () => { await conn.sendRequest('shutdown'); conn.sendNotification('exit'); setTimeout(() => proc.kill(), 500); },
  };
}

async function runnerThroughput() {
  const t0 = performance.now();
  const h = await runner.run({ manifest: join(work, 'mlcube.yaml'), task: 'bench', plan: plan(`seq 1 ${LINES}`) }, { line: () => undefined, info: () => undefined });
  const o = await h.done;
  const ms = performance.now() - t0;
  const lines = readFileSync(store.logPath(h.runId), 'utf8').split('\n').filter((l) => / out /.test(l)).length;
  if (o.status !== 'succeeded' || lines !== LINES) throw new Error(`runner throughput run: ${o.status}, ${lines} lines`);
  return ms;
}

function cliThroughput() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const id = execFileSync(DOCKER, ['run', '-d', '--network', 'none', '--entrypoint', '/bin/sh', IMAGE, '-c', `seq 1 ${LINES}`], { encoding: 'utf8' }).trim();
    const file = join(work, `cli-${id.slice(0, 12)}.log`);
    const out = createWriteStream(file);
    const child = spawn(DOCKER, ['logs', '-f', id], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.pipe(out);
    child.on('error', reject);
    out.on('finish', () => {
      const ms = performance.now() - t0;
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
      execFileSync(DOCKER, ['rm', '-f', id], { stdio: 'ignore' });
      if (lines !== LINES) reject(new Error(`docker logs -f wrote ${lines} lines`)); else resolve(ms);
    });
  });
}

// Warm-up: page cache, engine caches, first-use costs on both sides.
await runnerFirstLine();
await cliFirstLine();

const runnerMs = [], cliMs = [], plannedMs = [];
const session = await planSession();
await session.plan();
for (let i = 0; i < RUNS; i++) {
  // Interleaved so that drift in the machine's load hits both sides alike.
  runnerMs.push(await runnerFirstLine());
  cliMs.push(await cliFirstLine());
  plannedMs.push(await runnerFirstLine(session.plan));
}
await session.close();
const runnerTp = [], cliTp = [];
for (let i = 0; i < 3; i++) { runnerTp.push(await runnerThroughput()); cliTp.push(await cliThroughput()); }

const result = {
  runs: RUNS,
  firstLineMs: { runner: median(runnerMs), runnerWithPlanRequest: median(plannedMs), dockerCli: median(cliMs) },
  ratioRunnerToCli: median(runnerMs) / median(cliMs),
  ratioPlannedToCli: median(plannedMs) / median(cliMs),
  throughput: { lines: LINES, runnerMs: median(runnerTp), dockerLogsMs: median(cliTp), runnerLinesPerSecond: Math.round(LINES / (median(runnerTp) / 1000)), dockerLogsLinesPerSecond: Math.round(LINES / (median(cliTp) / 1000)) },
};
writeFileSync(join(root, 'bench/out/docker.json'), JSON.stringify(result, null, 2) + '\n');
const f = (x) => x.toFixed(0);
console.log(`\n| measure | CubeLab | docker CLI | ratio |\n|---|---|---|---|`);
console.log(`| run to first log line (median of ${RUNS}) | ${f(result.firstLineMs.runner)} ms | ${f(result.firstLineMs.dockerCli)} ms | ${result.ratioRunnerToCli.toFixed(2)} |`);
console.log(`| same, with the plan requested from the language server | ${f(result.firstLineMs.runnerWithPlanRequest)} ms | ${f(result.firstLineMs.dockerCli)} ms | ${result.ratioPlannedToCli.toFixed(2)} |`);
console.log(`| ${LINES} lines to disk (run.log vs docker logs -f > file) | ${f(result.throughput.runnerMs)} ms | ${f(result.throughput.dockerLogsMs)} ms | ${(result.throughput.runnerMs / result.throughput.dockerLogsMs).toFixed(2)} |`);
process.exit(0);
