// Tier 4: runs the integration suite (test/integration/suite) inside code-server's real extension host
// against the packaged CubeLab (test/out/cubelab.vsix, made by test/run-all.mjs or scripts/package.mjs).
// Prints each test, then a plain "N passed, N failed" line; exits non-zero on failures, or when the
// results never arrive. Usage: node test/integration/run-in-code-server.mjs [path/to.vsix]
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSuite, outDir, prepareExtensions, root, runWindow } from './harness.mjs';

const vsix = process.argv[2] ?? join(root, 'test/out/cubelab.vsix');
const started = Date.now();
let extensionsDir;
try {
  buildSuite();
  extensionsDir = await prepareExtensions(vsix);
  const { result, serverLog } = await runWindow({
    extensionsDir,
    fixture: join(root, 'test/integration/fixtures/workspace'),
    env: { CUBELAB_TEST_MODE: 'suite', CUBELAB_TEST_ENTRY: join(outDir, 'suite', 'index.js') },
    timeoutMs: 240_000,
    log: (m) => console.log(m),
  });
  if (result.error) {
    console.error(`The suite could not run in the extension host:\n${result.error}\ncode-server log (tail):\n${serverLog.slice(-3000)}`);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
  } else {
    for (const t of result.tests) {
      console.log(`${t.state === 'passed' ? '✔' : '✖'} ${t.title} (${t.durationMs} ms)`);
      if (t.error) console.log(t.error.replace(/^/gm, '    '));
    }
    console.log(`integration suite took ${((Date.now() - started) / 1000).toFixed(1)} s in code-server`);
    console.log(`${result.passed} passed, ${result.failed} failed`);
    if (result.failed > 0 || result.passed === 0) process.exitCode = 1;
  }
} catch (err) {
  console.error(`integration tier failed: ${err instanceof Error ? err.message : String(err)}`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
} finally {
  if (extensionsDir) rmSync(extensionsDir, { recursive: true, force: true });
}
