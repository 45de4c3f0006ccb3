// Runs code inside a real VS Code extension host (code-server) and brings back a JSON result:
// installs the packaged CubeLab and the companion extension (test/integration/companion) into a fresh
// extensions folder, starts code-server with environment variables the companion reads, opens the
// workbench in headless Chromium (code-server starts an extension host per window), and waits for the
// companion's result file. Used by run-in-code-server.mjs (the suite) and bench/activation.mjs (timings).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { require as tsRequire } from 'tsx/cjs/api';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
export const outDir = join(here, 'out');

/** The e2e tier's helpers (TypeScript, CommonJS like the tests that use them), loaded through tsx. */
export async function helpers() {
  const codeServer = tsRequire('../e2e/helpers/codeServer.ts', import.meta.url);
  const workbench = tsRequire('../e2e/helpers/workbench.ts', import.meta.url);
  return { codeServer, workbench };
}

/** Bundles the suite and the companion extension (test/integration/build.mjs). */
export function buildSuite() {
  execFileSync(process.execPath, [join(here, 'build.mjs')], { cwd: root, stdio: 'inherit' });
}

const companion = JSON.parse(readFileSync(join(here, 'companion', 'package.json'), 'utf8'));

/**
 * A fresh extensions folder with CubeLab installed from `vsix` and the companion beside it, in the
 * `publisher.name-version` folder VS Code's scanner expects. `patch(cubelabDir)` may change the installed
 * CubeLab before it runs (the benchmark swaps in an unminified client).
 */
export async function prepareExtensions(vsix, patch) {
  const { codeServer } = await helpers();
  codeServer.checkPrerequisites(vsix);
  if (!existsSync(join(outDir, 'companion', 'extension.js'))) buildSuite();
  const extensionsDir = codeServer.tempDir('ext');
  // The companion goes in first: the install then lists it in extensions.json. A folder copied in after
  // the install is not listed, and VS Code marks it as removed at startup.
  const target = join(extensionsDir, `${companion.publisher}.${companion.name}-${companion.version}`);
  mkdirSync(target, { recursive: true });
  cpSync(join(outDir, 'companion'), target, { recursive: true });
  await codeServer.installVsix(vsix, extensionsDir);
  if (patch) patch(installedDir(extensionsDir, 'cubelab.cubelab'));
  return extensionsDir;
}

/** The folder an extension was installed into (`publisher.name-version`). */
export function installedDir(extensionsDir, id) {
  const name = readdirSync(extensionsDir).find((n) => n.startsWith(`${id}-`));
  if (!name) throw new Error(`${id} is not installed in ${extensionsDir}`);
  return join(extensionsDir, name);
}

/** Runs one window of code-server until the companion writes `resultsFile`; returns the parsed result. */
export async function runWindow({ extensionsDir, fixture, env, timeoutMs = 180_000, log = () => {} }) {
  const { codeServer, workbench } = await helpers();
  const folder = codeServer.copyFixture(fixture);
  const resultsFile = join(codeServer.tempDir('results'), 'results.json');
  const server = await codeServer.startCodeServer({
    folder, extensionsDir, env: { ...env, CUBELAB_TEST_RESULTS: resultsFile },
    settings: { 'security.workspace.trust.enabled': false },
  });
  const browser = await workbench.launchBrowser();
  try {
    const page = await workbench.openWorkbench(browser, server.url);
    log(`workbench open at ${server.url}`);
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(resultsFile)) {
      if (Date.now() > deadline) {
        throw new Error(`no results from the extension host after ${timeoutMs / 1000} s (expected ${resultsFile}).\n`
          + `Is the companion extension loaded? code-server log (tail):\n${server.log().slice(-4000)}`);
      }
      await page.waitForTimeout(250);
    }
    return { result: JSON.parse(readFileSync(resultsFile, 'utf8')), serverLog: server.log() };
  } finally {
    await browser.close();
    await server.stop();
    rmSync(folder, { recursive: true, force: true });
    rmSync(dirname(resultsFile), { recursive: true, force: true });
  }
}
