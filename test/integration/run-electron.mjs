// `npm run test:electron`: the same integration suite (test/integration/suite) under @vscode/test-electron,
// i.e. in a downloaded desktop VS Code with CubeLab loaded from this checkout (--extensionDevelopmentPath).
// It needs internet access to download VS Code (into .vscode-test/); on the offline build machines use
// `node test/integration/run-in-code-server.mjs` instead, which runs the same suite in code-server.
// Options: VSCODE_TEST_VERSION (default "stable"; e.g. 1.100.3 to match code-server 4.100.3).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, [join(here, 'build.mjs')], { cwd: root, stdio: 'inherit' });

// The suite edits its workspace: give it a copy of the fixture.
const workspace = mkdtempSync(join(tmpdir(), 'cubelab-electron-ws-'));
cpSync(join(here, 'fixtures', 'workspace'), workspace, { recursive: true });
try {
  await runTests({
    version: process.env.VSCODE_TEST_VERSION ?? 'stable',
    extensionDevelopmentPath: root,
    // index.js exports run(): Promise<void>, rejecting when a test fails.
    extensionTestsPath: join(here, 'out', 'suite', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
  console.log('integration suite passed under @vscode/test-electron');
} catch (err) {
  console.error(`integration suite failed under @vscode/test-electron: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
