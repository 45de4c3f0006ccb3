/**
 * A test-only extension that code-server loads beside the installed CubeLab. code-server has no
 * --extensionTestsPath, but the environment of the code-server process reaches the extension host, so:
 *   CUBELAB_TEST_RESULTS  file to write (JSON) when done; nothing happens without it
 *   CUBELAB_TEST_MODE     "suite" (default): require CUBELAB_TEST_ENTRY and run its runSuite()
 *                         "bench": wait for CubeLab to activate and write its activation timing
 *   CUBELAB_TEST_ENTRY    the bundled suite entry (test/integration/out/suite/index.js)
 */
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { CubeLabApi } from '../../../client/src/extension';
import type { SuiteResult } from '../suite/index';

export interface BenchResult {
  vscodeVersion: string;
  extensionHostPid: number;
  activation: CubeLabApi['activation'];
  /** When the bundle finished evaluating, if the benchmark appended a footer that records it. */
  bundleEnd?: number;
}

export function activate(): void {
  const resultsFile = process.env.CUBELAB_TEST_RESULTS;
  if (!resultsFile) return;
  // Not awaited: activate() returns at once, and the work writes its own result file.
  void work(resultsFile);
}

async function work(resultsFile: string): Promise<void> {
  const write = (value: unknown): void => {
    // Write then rename, so the harness never reads half a file.
    fs.writeFileSync(`${resultsFile}.tmp`, JSON.stringify(value, null, 2));
    fs.renameSync(`${resultsFile}.tmp`, resultsFile);
  };
  try {
    if (process.env.CUBELAB_TEST_MODE === 'bench') {
      const ext = vscode.extensions.getExtension<CubeLabApi>('cubelab.cubelab');
      if (!ext) throw new Error('cubelab.cubelab is not installed');
      const api = await ext.activate();
      const bundleEnd = (globalThis as { __cubelabBundleEnd?: number }).__cubelabBundleEnd;
      const result: BenchResult = { vscodeVersion: vscode.version, extensionHostPid: process.pid, activation: api.activation, bundleEnd };
      write(result);
      return;
    }
    const entry = process.env.CUBELAB_TEST_ENTRY;
    if (!entry) throw new Error('CUBELAB_TEST_ENTRY is not set');
    // A runtime path, resolved by Node in the extension host (the suite is not part of this bundle).
    const suite = require(entry) as { runSuite(): Promise<SuiteResult> }; // eslint-disable-line @typescript-eslint/no-require-imports
    write(await suite.runSuite());
  } catch (err) {
    write({ error: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
}

export function deactivate(): void {}
