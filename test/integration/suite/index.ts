/**
 * Entry point of the integration suite in the shape @vscode/test-electron expects (`run(): Promise<void>`,
 * rejecting on failures). `runSuite()` also returns per-test results, which the code-server harness's
 * companion extension writes to a file (test/integration/run-in-code-server.mjs).
 */
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export interface TestResult { title: string; state: 'passed' | 'failed'; durationMs: number; error?: string }
export interface SuiteResult { passed: number; failed: number; tests: TestResult[] }

export function runSuite(): Promise<SuiteResult> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  // The esbuild step puts each *.test.ts beside this file as *.test.js.
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  const tests: TestResult[] = [];
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run(() => resolve({
        passed: tests.filter((t) => t.state === 'passed').length,
        failed: tests.filter((t) => t.state === 'failed').length,
        tests,
      }));
      runner.on('pass', (t: Mocha.Test) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration ?? 0 }));
      // 'fail' also fires for failing hooks, which count as failures too.
      runner.on('fail', (t: Mocha.Test, err: Error) => tests.push({
        title: t.fullTitle(), state: 'failed', durationMs: t.duration ?? 0, error: err.stack ?? String(err),
      }));
    } catch (err) {
      reject(err);
    }
  });
}

export async function run(): Promise<void> {
  const result = await runSuite();
  if (result.failed > 0) throw new Error(`${result.failed} integration test(s) failed.`);
}
