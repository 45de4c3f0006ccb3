/**
 * Where a Slurm target's commands run: this machine (sbatch on the PATH) or a login node over the SSH layer's
 * connection. Both run POSIX `sh` scripts with their variable data on stdin (never spliced into a command line
 * from a setting), and write a run's generated files in one step (one tar stream over SSH). Pure Node.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { TargetError } from '../../runs/backend';
import type { ExecResult, SshConnection } from '../ssh/connection';
import { shq } from '../ssh/sshHost';
import { tarOf, type TarFile } from '../ssh/tarWriter';

export interface ClusterShell {
  /** `this machine` or the SSH host, for messages. */
  readonly where: string;
  /** Runs a POSIX sh script; `input` goes to its stdin. */
  run(script: string, opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<ExecResult>;
  /** Writes files (paths relative to `dir`, made with mode 0700) with their modes. */
  writeFiles(dir: string, files: TarFile[]): Promise<void>;
  /** The account's home folder (expands `~` in settings). */
  home(): Promise<string>;
  dispose(): Promise<void>;
}

const MAX_OUT = 256 * 1024 * 1024;

/** Commands on this machine, with the extension's environment (plus `env`: the tests' PATH shim). */
export class LocalShell implements ClusterShell {
  readonly where = 'this machine';
  constructor(private readonly env?: NodeJS.ProcessEnv) {}

  run(script: string, opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const p = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
      const out: Buffer[] = [];
      let size = 0;
      let err = '';
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs) timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs);
      p.stdout.on('data', (b: Buffer) => { size += b.length; if (size <= MAX_OUT) out.push(b); });
      p.stderr.setEncoding('utf8');
      p.stderr.on('data', (d: string) => { if (err.length < 65536) err += d; });
      p.once('error', (e) => { if (timer) clearTimeout(timer); reject(new TargetError(`Cannot run /bin/sh: ${e.message}`, 'missing')); });
      p.once('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ code: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out), stderr: err });
      });
      p.stdin.on('error', () => undefined);
      if (opts.input !== undefined) p.stdin.end(opts.input); else p.stdin.end();
    });
  }

  async writeFiles(dir: string, files: TarFile[]): Promise<void> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const made = new Set<string>([dir]);
    // Owner-only modes (the scripts' 0700, the secrets' 0600) survive any usual umask: no chmod per file.
    for (const f of files) {
      const path = join(dir, f.path);
      const parent = dirname(path);
      if (!made.has(parent)) { mkdirSync(parent, { recursive: true, mode: 0o700 }); made.add(parent); }
      writeFileSync(path, f.data, { mode: f.mode });
      if (f.mode & 0o077) chmodSync(path, f.mode);
    }
  }

  async home(): Promise<string> { return homedir(); }
  async dispose(): Promise<void> { /* nothing held */ }
}

/** Commands on a login node through the target's SSH connection (one master connection, multiplexed). */
export class SshShell implements ClusterShell {
  private homeDir: string | undefined;
  constructor(readonly ssh: SshConnection, readonly where: string) {
    ssh.on('down', () => { this.homeDir = undefined; });
  }

  run(script: string, opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<ExecResult> {
    // The login shell only sees `sh -c '<script>'`: the script itself is ours, its data comes on stdin.
    return this.ssh.exec(`sh -c ${shq(script)}`, opts);
  }

  async writeFiles(dir: string, files: TarFile[]): Promise<void> {
    const r = await this.run('umask 077 && mkdir -p "$1" && chmod 700 "$1" && tar -x -p -f - -C "$1"'.replace(/"\$1"/g, shq(dir)), { input: tarOf(files) });
    if (r.code !== 0) throw new TargetError(`Cannot write the run's files into ${dir} on ${this.where}: ${r.stderr.trim() || `exit code ${r.code}`}.`, 'staging');
  }

  async home(): Promise<string> {
    if (this.homeDir) return this.homeDir;
    const r = await this.run('printf "%s" "$HOME"');
    if (r.code !== 0 || !r.stdout.length) throw new TargetError(`${this.where} did not say where the account's home folder is (${r.stderr.trim() || `exit ${r.code}`}).`, 'target');
    this.homeDir = r.stdout.toString('utf8');
    return this.homeDir;
  }

  async dispose(): Promise<void> { await this.ssh.dispose(); }
}
