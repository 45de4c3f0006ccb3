// `npm run bench`: CubeLab's activation time inside a real VS Code (code-server 4.100.3 = VS Code 1.100.3),
// as the extension itself measures it (`activation.totalMs` of its API: from the first statement of
// dist/client.js, set by an esbuild banner, to the end of activate()), over several fresh starts; and the
// size of every bundle in dist/. For comparison, the same runs with the client built unminified.
// It reuses the integration harness: the companion extension's "bench" mode writes the timing.
// Usage: node bench/activation.mjs [--runs N]     (default 5 runs per variant)
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSuite, prepareExtensions, runWindow } from '../test/integration/harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const fixture = join(root, 'test/integration/fixtures/workspace');

execFileSync('bash', [join(root, 'test/env/setup-vscode.sh')], { stdio: 'inherit' });
const scratch = mkdtempSync(join(tmpdir(), 'cubelab-bench-'));
const vsix = join(scratch, 'cubelab.vsix');
console.log('packaging the production build...');
try {
  execFileSync(process.execPath, [join(root, 'scripts/package.mjs'), vsix], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
} catch {
  rmSync(scratch, { recursive: true, force: true });
  console.error('bench: packaging CubeLab failed (see above).');
  process.exit(1);
}
buildSuite();

// The unminified variant: the same entry point and banner as scripts/build.mjs, minify off.
const devClient = join(scratch, 'client.dev.js');
await esbuild.build({
  entryPoints: [join(root, 'client/src/extension.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs',
  mainFields: ['module', 'main'], external: ['vscode'], outfile: devClient, minify: false, logLevel: 'warning',
  define: { CUBELAB_VERSION: JSON.stringify('bench') },
  banner: { js: 'globalThis.__cubelabBundleStart = performance.now();' },
});

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

// Appended to the installed client.js of both variants: when the bundle has finished evaluating. Between that
// and activate() VS Code itself works (it prepares the ExtensionContext: storage, paths) while the API's
// totalMs, which starts at the bundle's first statement, keeps counting.
const footer = '\n;globalThis.__cubelabBundleEnd = performance.now();\n';

async function measure(label, patch) {
  let clientSize = 0;
  let bundles = [];
  const extensionsDir = await prepareExtensions(vsix, (dir) => {
    patch?.(dir);
    const client = join(dir, 'dist', 'client.js');
    clientSize = statSync(client).size;
    const walk = (d) => readdirSync(d).flatMap((n) => { const p = join(d, n); return statSync(p).isDirectory() ? walk(p) : [p]; });
    bundles = walk(join(dir, 'dist')).filter((p) => p.endsWith('.js')).sort().map((p) => [relative(dir, p), statSync(p).size]);
    appendFileSync(client, footer);
  });
  const samples = [];
  try {
    for (let i = 0; i < runs; i++) {
      // A fresh code-server and window each time: a new extension host loads the bundle from scratch.
      const { result } = await runWindow({ extensionsDir, fixture, env: { CUBELAB_TEST_MODE: 'bench' }, timeoutMs: 120_000 });
      if (result.error) throw new Error(`${label}: ${result.error}`);
      const a = result.activation;
      const s = {
        total: a.totalMs,
        evaluate: result.bundleEnd - a.bundleStart, // our module's top level
        vscode: a.activateStart - result.bundleEnd, // VS Code between require() and activate()
        activate: a.activateEnd - a.activateStart, // our activate()
        version: result.vscodeVersion,
      };
      s.own = s.evaluate + s.activate;
      samples.push(s);
      console.log(`  ${label} run ${i + 1}/${runs}: totalMs ${s.total.toFixed(1)} = evaluate ${s.evaluate.toFixed(1)} + VS Code ${s.vscode.toFixed(1)} + activate() ${s.activate.toFixed(1)}`);
    }
  } finally {
    rmSync(extensionsDir, { recursive: true, force: true });
  }
  return { samples, clientSize, bundles };
}

function summary(label, { samples, clientSize }) {
  const col = (k) => { const xs = samples.map((s) => s[k]); return `${median(xs).toFixed(1).padStart(6)} / ${Math.max(...xs).toFixed(1).padStart(6)}`; };
  return `${label.padEnd(12)} ${kb(clientSize).padStart(10)}   ${col('total')}   ${col('own')}   ${col('evaluate')}   ${col('vscode')}   ${col('activate')}`;
}

try {
  console.log(`measuring ${runs} fresh starts per variant...`);
  const production = await measure('production', undefined);
  const unminified = await measure('unminified', (dir) => copyFileSync(devClient, join(dir, 'dist', 'client.js')));

  const os = await import('node:os');
  console.log(`\nActivation of CubeLab in VS Code ${production.samples[0].version} (code-server), ${runs} fresh starts each,`
    + ` load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs. Milliseconds, median / max:`);
  console.log(`${'client.js'.padEnd(12)} ${'size'.padStart(10)}   ${'totalMs (API)'.padEnd(15)}   ${'own cost'.padEnd(15)}   ${'evaluate'.padEnd(15)}   ${'VS Code'.padEnd(15)}   activate()`);
  console.log(summary('production', production));
  console.log(summary('unminified', unminified));
  console.log('totalMs = evaluate (bundle top level) + VS Code (ExtensionContext set-up between require and activate) + activate();'
    + ' own cost = evaluate + activate().');

  console.log('\nBundles in the packaged extension (production build):');
  for (const [name, size] of production.bundles) console.log(`  ${name.padEnd(32)} ${kb(size).padStart(10)}`);
  if (!production.bundles.some(([n]) => n.includes('webviews'))) console.log('  (no webview bundles yet)');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
