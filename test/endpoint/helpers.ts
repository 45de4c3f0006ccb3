/**
 * Shared pieces of the endpoint tier: a started endpoint over a temporary event storage, and the Python
 * clients of test/endpoint/clients/ run with Debian's python3 (python3-socketio 5.x, python3-websocket,
 * python3-requests, installed by test/env/setup-python-socketio.sh). A pyenv python first on PATH would
 * not have those modules, hence the absolute path.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEndpoint, type EndpointHandle, type EndpointOptions } from '../../client/src/endpoint/index';

export const PYTHON = '/usr/bin/python3';
export const CLIENTS = join(__dirname, 'clients');
export const GS = '2024-02-14--22-15-46';

interface TestContext {
  after(fn: () => void | Promise<void>): void;
}

export async function startTestEndpoint(t: TestContext, options: Partial<Omit<EndpointOptions, 'storagePath' | 'port' | 'log'>> = {}): Promise<{ endpoint: EndpointHandle; root: string; parent: string; logs: string[] }> {
  // The storage sits alone in its own folder, so a test can see that nothing lands beside it.
  const parent = mkdtempSync(join(tmpdir(), 'cubelab-endpoint-'));
  const root = join(parent, 'event_storage');
  const logs: string[] = [];
  const endpoint = await startEndpoint({ ...options, storagePath: root, port: 0, log: (l) => logs.push(l) });
  t.after(async () => {
    await endpoint.close();
    rmSync(parent, { recursive: true, force: true });
  });
  return { endpoint, root, parent, logs };
}

export interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A Python client as a child process; `onLine` sees its stdout line by line as it comes. */
export function runPython(script: string, args: string[], onLine?: (line: string) => void, timeoutMs = 60_000): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(CLIENTS, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      stdout += b;
      pending += b;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onLine?.(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last stdout line of a client, as JSON; fails the test with the client's stderr when it did not finish. */
export function lastJson<T>(run: PythonRun): T {
  if (run.code !== 0) throw new Error(`python client exited with ${run.code}:\n${run.stderr}\n${run.stdout}`);
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}
