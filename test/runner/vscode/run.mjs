// Runs test/runner/vscode/runs.vscode.ts inside code-server's extension host (the integration tier's
// harness) against the packaged CubeLab and the real Docker engine. Needs test/env/setup-vscode.sh and
// test/env/setup-docker.sh to have run. Usage: node test/runner/vscode/run.mjs
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { prepareExtensions, runWindow, root } from '../../integration/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(root, 'test/out/runner-vscode');
const vsix = join(root, 'test/out/cubelab-runner.vsix');
execFileSync('bash', [join(root, 'test/env/setup-docker.sh')], { stdio: 'inherit' });
execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'ignore' });
execFileSync(process.execPath, [join(root, 'scripts/package.mjs'), vsix], { stdio: 'inherit' });
rmSync(out, { recursive: true, force: true });
await esbuild.build({
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'inline', logLevel: 'warning',
  external: ['vscode', 'mocha'], entryPoints: [join(here, 'index.ts'), join(here, 'runs.vscode.ts')], outdir: out,
});
let extensionsDir;
let failed = 1;
try {
  extensionsDir = await prepareExtensions(vsix);
  const { result, serverLog } = await runWindow({
    extensionsDir, fixture: join(here, 'fixture'), timeoutMs: 300_000, log: (m) => console.log(m),
    env: { CUBELAB_TEST_MODE: 'suite', CUBELAB_TEST_ENTRY: join(out, 'index.js') },
  });
  if (result.error) {
    console.error(`${result.error}\ncode-server log (tail):\n${serverLog.slice(-3000)}`);
  } else {
    for (const t of result.tests) {
      console.log(`${t.state === 'passed' ? '✔' : '✖'} ${t.title} (${t.durationMs} ms)`);
      if (t.error) console.log(t.error.replace(/^/gm, '    '));
    }
    failed = result.failed;
    if (failed) console.log(`code-server log (tail):\n${serverLog.slice(-6000)}`);
    console.log(`${result.passed} passed, ${result.failed} failed`);
  }
} finally {
  if (extensionsDir) rmSync(extensionsDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
