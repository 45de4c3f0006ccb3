// `npm test`: installs and starts what the tests need, builds and packages CubeLab, then runs every tier.
// Each tier prints its duration and a plain "N passed, N failed" line; the last line is the total.
// Usage: node test/run-all.mjs [tier ...]   (tiers: unit lsp runner model cli remote slurm kubernetes registry endpoint webviews e2e integration; default: all)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies } from '../scripts/ensure-deps.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const all = ['unit', 'lsp', 'runner', 'model', 'cli', 'remote', 'slurm', 'kubernetes', 'registry', 'endpoint', 'webviews', 'e2e', 'integration'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : all;
for (const t of wanted) if (!all.includes(t)) { console.error(`unknown tier "${t}" (tiers: ${all.join(', ')})`); process.exit(2); }

function findTests(dir, suffix) {
  const out = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p); else if (name.endsWith(suffix)) out.push(relative(root, p));
    }
  };
  walk(join(root, dir));
  return out;
}

/** Runs a command, streaming its output, and returns its exit code and everything it printed. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (b) => { text += b; process.stdout.write(b); });
    child.stderr.on('data', (b) => { text += b; process.stderr.write(b); });
    child.on('error', (err) => { text += String(err); resolve({ code: 1, text }); });
    child.on('close', (code) => resolve({ code: code ?? 1, text }));
  });
}

/** Reads the node test runner's summary ("ℹ pass N" / "ℹ fail N" / "ℹ skipped N" / "ℹ todo N"). */
function nodeSummary(text) {
  const sum = (re) => [...text.matchAll(re)].map((m) => +m[1]).reduce((a, b) => a + b, 0);
  return { passed: sum(/^[ℹ#] pass (\d+)/gm), failed: sum(/^[ℹ#] fail (\d+)/gm), skipped: sum(/^[ℹ#] skipped (\d+)/gm) + sum(/^[ℹ#] todo (\d+)/gm) };
}

/** Tiers in which no test may ever be skipped: a skip there counts as a failure. */
const NO_SKIP = new Set(['unit', 'lsp']);

async function step(name, cmd, args, env) {
  console.log(`\n=== ${name}`);
  const { code } = await run(cmd, args, { env });
  if (code !== 0) { console.error(`\n${name} failed (exit ${code}).`); }
  return code === 0;
}

const node = process.execPath;
const nodeTest = (files, extra = []) => [...extra, '--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files];

// The unit and lsp tiers run in a mount namespace where the clone's parent folder holds nothing but the
// clone (test/env/isolated.sh): a test that reads a file beside the repository fails here, as on any clone.
const isolated = (args) => run('bash', ['test/env/isolated.sh', node, ...args]);
const tiers = {
  unit: async () => ({ ...(await isolated(nodeTest(findTests('test/unit', '.test.ts')))) }),
  lsp: async () => ({ ...(await isolated(nodeTest(findTests('test/lsp', '.test.ts')))) }),
  // Against the real Docker engine that setup-docker.sh starts.
  // Then the same runs inside code-server's extension host (its own "N passed, N failed", folded into the node summary).
  runner: async () => {
    const tests = await run(node, nodeTest(findTests('test/runner', '.test.ts')));
    const inVscode = await run(node, ['test/runner/vscode/run.mjs']);
    const m = [...inVscode.text.matchAll(/^(\d+) passed, (\d+) failed/gm)].pop();
    return { code: tests.code || inVscode.code, text: `${tests.text}\nℹ pass ${m ? m[1] : 0}\nℹ fail ${m ? m[2] : 1}\n` };
  },
  // The real model cubes (examples/digits-cube, examples/digits-detect-cube) on the model image setup-model-image.sh makes once per machine.
  model: async () => ({ ...(await run(node, nodeTest(findTests('test/model', '.test.ts')))) }),
  // The `cubelab` command line (dist/cli.js) run as a process; `cubelab run` against the engine setup-docker.sh starts.
  cli: async () => ({ ...(await run(node, nodeTest(findTests('test/cli', '.test.ts')))) }),
  // Docker over SSH against the real sshd and second Docker engine setup-remote.sh starts in a namespace of their own.
  remote: async () => ({ ...(await run(node, nodeTest(findTests('test/remote', '.test.ts')))) }),
  // Slurm against the real single-node cluster setup-slurm.sh starts (sbatch here, and on the remote host's login node over SSH).
  slurm: async () => ({ ...(await run(node, nodeTest(findTests('test/slurm', '.test.ts')))) }),
  // Kubernetes against the project's own stand-in API server (no cluster can run here); its pods are containers of the engine setup-docker.sh starts.
  kubernetes: async () => ({ ...(await run(node, nodeTest(findTests('test/kubernetes', '.test.ts')))) }),
  // OCI registries: Debian's docker-registry instances setup-registry.sh starts (no auth, TLS + htpasswd, token), stand-ins named as such.
  registry: async () => ({ ...(await run(node, nodeTest(findTests('test/registry', '.test.ts')))) }),
  // The MLboard-compatible endpoint, with Debian's python-socketio client that setup-python-socketio.sh installs.
  endpoint: async () => ({ ...(await run(node, nodeTest(findTests('test/endpoint', '.test.ts')))) }),
  // Each webview bundle in Debian's headless Chromium, driven through its message contract.
  webviews: async () => ({ ...(await run(node, nodeTest(findTests('test/webviews', '.test.ts')))) }),
  e2e: async () => ({ ...(await run(node, nodeTest(findTests('test/e2e', '.test.ts')))) }),
  integration: async () => ({ ...(await run(node, ['test/integration/run-in-code-server.mjs'])) }),
};

const started = Date.now();
let ok = true;
ensureDependencies();
// Every tsconfig: one per runtime (client, server, webviews, shared) and the whole tree with the tests.
ok = (await step('typecheck', node, ['scripts/typecheck.mjs'])) && ok;
// Preparation: what every tier needs. The e2e and integration tiers also need a real VS Code and Chromium.
const needsVscode = wanted.some((t) => t === 'e2e' || t === 'integration' || t === 'runner');
if (needsVscode) ok = (await step('setup: Debian packages, Chromium and code-server', 'bash', ['test/env/setup-vscode.sh'])) && ok;
// The webviews tier and the endpoint tier's browser tests drive Debian's Chromium.
else if (wanted.includes('webviews') || wanted.includes('endpoint')) ok = (await step('setup: Debian packages and Chromium', 'bash', ['test/env/setup-vscode.sh'])) && ok;
if (wanted.includes('runner') || wanted.includes('model') || wanted.includes('cli') || wanted.includes('e2e') || wanted.includes('remote') || wanted.includes('registry') || wanted.includes('kubernetes')) ok = (await step('setup: Docker engine and test images', 'bash', ['test/env/setup-docker.sh'])) && ok;
if (wanted.includes('kubernetes')) ok = (await step('setup: openssl for the stand-in Kubernetes API server\'s test CA', 'bash', ['test/env/setup-kubernetes.sh'])) && ok;
// debootstrap of Debian's python3-sklearn and python3-pil (about 2 minutes, about 900 MB), once per machine.
if (wanted.includes('model') || wanted.includes('e2e')) ok = (await step('setup: the model image (Debian packages, debootstrap, once per machine)', 'bash', ['test/env/setup-model-image.sh'])) && ok;
if (wanted.includes('remote') || wanted.includes('e2e') || wanted.includes('slurm')) ok = (await step('setup: the remote host (sshd and a second Docker engine in a namespace)', 'bash', ['test/env/setup-remote.sh'])) && ok;
// After the remote host: the controller then listens where the remote host's namespace reaches it too.
if (wanted.includes('slurm') || wanted.includes('e2e')) ok = (await step('setup: Slurm (munge, MariaDB, slurmdbd, slurmctld, slurmd)', 'bash', ['test/env/setup-slurm.sh'])) && ok;
// The unit tier checks the generated batch scripts with shellcheck (Debian's package).
else if (wanted.includes('unit')) ok = (await step('setup: shellcheck', 'bash', ['test/env/setup-shellcheck.sh'])) && ok;
if (wanted.includes('registry') || wanted.includes('e2e')) ok = (await step('setup: OCI registries (docker-registry: no auth, TLS + htpasswd, token)', 'bash', ['test/env/setup-registry.sh'])) && ok;
if (wanted.includes('endpoint')) ok = (await step('setup: python3-socketio client', 'bash', ['test/env/setup-python-socketio.sh'])) && ok;
ok = (await step('build', node, ['scripts/build.mjs'])) && ok;
if (needsVscode) ok = (await step('package', node, ['scripts/package.mjs', join(root, 'test/out/cubelab.vsix')])) && ok;

let passed = 0, failed = 0, skipped = 0;
const lines = [];
for (const tier of wanted) {
  const t0 = Date.now();
  console.log(`\n=== tier ${tier}`);
  const { code, text } = await tiers[tier]();
  let s = nodeSummary(text);
  const plain = [...text.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/gm)].pop();
  if (plain && s.passed === 0 && s.failed === 0) s = { passed: +plain[1], failed: +plain[2], skipped: +(plain[3] ?? 0) };
  if (NO_SKIP.has(tier) && s.skipped > 0) {
    console.error(`${tier}: ${s.skipped} test(s) skipped; no test of this tier may be skipped (each counts as a failure).`);
    s.failed += s.skipped;
  }
  // A tier that could not start its component, or found no tests, fails: it never counts as skipped.
  if (code !== 0 && s.failed === 0) s.failed = 1;
  if (s.passed + s.failed === 0) s.failed = 1;
  passed += s.passed; failed += s.failed; skipped += s.skipped;
  const took = `tier ${tier} took ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  const line = `${tier}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
  lines.push(took, line);
  console.log(took);
  console.log(line);
}
if (!ok) failed += 1;
console.log(`\n=== summary (${((Date.now() - started) / 1000).toFixed(1)} s)`);
for (const l of lines) console.log(l);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && ok ? 0 : 1);
