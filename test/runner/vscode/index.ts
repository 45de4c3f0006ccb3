/** Suite entry for the companion extension (see run.mjs): runs runs.vscode.js with mocha, returns results. */
import * as path from 'path';
import Mocha from 'mocha';

export interface TestResult { title: string; state: 'passed' | 'failed'; durationMs: number; error?: string }

export function runSuite(): Promise<{ passed: number; failed: number; tests: TestResult[] }> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 120_000, reporter: 'spec' });
  mocha.addFile(path.join(__dirname, 'runs.vscode.js'));
  const tests: TestResult[] = [];
  return new Promise((resolve) => {
    const runner = mocha.run(() => resolve({ passed: tests.filter((t) => t.state === 'passed').length, failed: tests.filter((t) => t.state === 'failed').length, tests }));
    runner.on('pass', (t: Mocha.Test) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration ?? 0 }));
    runner.on('fail', (t: Mocha.Test, err: Error) => tests.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration ?? 0, error: err.stack ?? String(err) }));
  });
}
