/**
 * One SSH connection per host, through the system OpenSSH client, so the user's ~/.ssh/config (aliases,
 * ProxyJump, keys, agent) applies. A master process (`-M`, ControlMaster) holds the connection; every command,
 * transfer and socket forward reuses it (`-S <control socket>`), so a real network pays for one handshake.
 * Keepalives (one every 6 s, three unanswered) notice a dead link within 30 s (ssh gives up at interval × 4): the master exits and the connection
 * says `down`. Host keys are checked against known_hosts (`StrictHostKeyChecking=ask`): an unknown key is shown
 * with its fingerprint through `ask` and added only when the user accepts; a changed key is refused by ssh.
 * Errors are `TargetError`s with sentences, never crashes. Pure Node (no `vscode`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { TargetError } from '../../runs/backend';
import { AskpassServer, type AskFn } from './askpass';
import { parseSshHost, type SshHost } from './sshHost';

export interface SshOptions {
  /** The target's host setting: an SSH config alias or user@host[:port]. */
  host: string;
  /** An SSH config file to use instead of ~/.ssh/config (the tests' own). */
  configFile?: string;
  /** More `-o Key=Value` options (the tests' known_hosts). */
  options?: string[];
  /** Answers ssh's prompts (password, passphrase, one-time code, unknown host key). Without it, ssh asks nothing. */
  ask?: AskFn;
  /** dist/askpass.js, the SSH_ASKPASS program. */
  askpassMain?: string;
  keepaliveSeconds?: number;
  connectTimeoutSeconds?: number;
  ssh?: string;
}

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

export interface ExecResult { code: number; stdout: Buffer; stderr: string }

const MAX_STDERR = 64 * 1024;

function privateDir(prefix: string): string {
  const base = join(tmpdir(), `cubelab-${typeof process.getuid === 'function' ? process.getuid() : 'u'}`);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  chmodSync(base, 0o700);
  return mkdtempSync(join(base, prefix));
}

/** Turns what ssh printed when it could not connect into a sentence and a code. */
export function explainSshFailure(host: string, stderr: string): TargetError {
  const e = stderr.trim();
  const last = e.split('\n').filter((l) => l.trim() && !/^\s*(@|Warning: Permanently added)/.test(l)).slice(-2).join(' ');
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(e)) {
    return new TargetError(`The host key of ${host} has changed since it was recorded in your known_hosts, so CubeLab refuses to connect (a changed key can mean the connection is intercepted). If the host was reinstalled, check the new key with its administrator and remove the old one (ssh-keygen -R HOST).`, 'denied');
  }
  if (/Host key verification failed/i.test(e)) {
    return new TargetError(`The host key of ${host} was not accepted, so CubeLab did not connect. Connect again to review its fingerprint.`, 'denied');
  }
  if (/Permission denied/i.test(e)) {
    return new TargetError(`${host} refused the login (${last.replace(/^.*Permission denied/i, 'permission denied')}): check the user, the key (or the agent) and the password for this host.`, 'denied');
  }
  if (/Could not resolve hostname|Name or service not known/i.test(e)) return new TargetError(`The SSH host ${host} is unknown (${last}).`, 'missing');
  if (/Connection refused|timed out|No route to host|Network is unreachable|Connection reset|Connection closed|Broken pipe|not responding/i.test(e)) {
    return new TargetError(`${host} cannot be reached over SSH (${last}).`, 'unreachable');
  }
  return new TargetError(`SSH to ${host} failed${last ? `: ${last}` : ''}.`, 'unreachable');
}

export class SshConnection extends EventEmitter {
  readonly host: SshHost;
  private readonly dir: string;
  private readonly control: string;
  private master: ChildProcess | undefined;
  private connecting: Promise<void> | undefined;
  private askpass: AskpassServer | undefined;
  private _state: ConnectionState = 'disconnected';
  private forwards = new Map<string, string>();
  /** Why the connection went down last (for messages). */
  lastError: TargetError | undefined;

  constructor(readonly opts: SshOptions) {
    super();
    this.host = parseSshHost(opts.host);
    this.dir = privateDir('ssh-');
    this.control = join(this.dir, 'c');
  }

  get state(): ConnectionState { return this._state; }

  private setState(s: ConnectionState): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s);
  }

  /** Options every ssh call shares (config file, the caller's options, the destination's port). */
  private common(): string[] {
    const out: string[] = [];
    if (this.opts.configFile) out.push('-F', this.opts.configFile);
    for (const o of this.opts.options ?? []) out.push('-o', o);
    if (this.host.port) out.push('-p', String(this.host.port));
    return out;
  }

  /** Options of an ssh call that reuses this connection. */
  private muxArgs(): string[] {
    // BatchMode: if the master is gone, ssh must fail rather than open a second connection that prompts.
    return [...this.common(), '-S', this.control, '-o', 'ControlMaster=no', '-o', 'BatchMode=yes'];
  }

  /** The ssh command (words, the program first) that reuses this connection: for rsync's `-e`. */
  muxCommand(): string[] {
    return [this.opts.ssh ?? 'ssh', ...this.muxArgs()];
  }

  /** Opens the master connection (once; concurrent callers share the attempt). */
  connect(): Promise<void> {
    if (this._state === 'connected' && this.master && this.master.exitCode === null) return Promise.resolve();
    this.connecting ??= this.open().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private async open(): Promise<void> {
    this.setState('connecting');
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (this.opts.ask && this.opts.askpassMain) {
      this.askpass?.close();
      this.askpass = new AskpassServer(this.opts.ask, this.opts.askpassMain, this.host.spec);
      Object.assign(env, await this.askpass.start());
    }
    const keepalive = this.opts.keepaliveSeconds ?? 6;
    const args = [
      ...this.common(), '-M', '-N', '-S', this.control,
      '-o', 'ControlPersist=no', '-o', `ServerAliveInterval=${keepalive}`, '-o', 'ServerAliveCountMax=3',
      '-o', `ConnectTimeout=${this.opts.connectTimeoutSeconds ?? 15}`, '-o', 'StrictHostKeyChecking=ask',
      '-o', 'StreamLocalBindUnlink=yes', '-o', 'ExitOnForwardFailure=yes',
      ...(this.opts.ask && this.opts.askpassMain ? [] : ['-o', 'BatchMode=yes']),
      this.host.destination,
    ];
    const master = spawn(this.opts.ssh ?? 'ssh', args, { stdio: ['ignore', 'ignore', 'pipe'], env, detached: false });
    this.master = master;
    let stderr = '';
    master.stderr?.setEncoding('utf8');
    master.stderr?.on('data', (d: string) => { if (stderr.length < MAX_STDERR) stderr += d; });
    const exited = new Promise<number | null>((resolve) => {
      master.once('error', (e) => { stderr += `\n${e.message}`; resolve(-1); });
      master.once('exit', (code) => resolve(code));
    });
    // Ready when the control socket answers; failed when the master exits first.
    for (;;) {
      const done = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5))]);
      if (done) {
        const err = explainSshFailure(this.host.spec, stderr);
        this.lastError = err;
        this.setState('disconnected');
        throw err;
      }
      // The master makes its control socket once the connection is authenticated and ready for sessions.
      if (existsSync(this.control)) break;
    }
    this.setState('connected');
    this.lastError = undefined;
    void exited.then(() => {
      if (this.master !== master) return;
      this.master = undefined;
      this.forwards.clear();
      this.lastError = explainSshFailure(this.host.spec, stderr || 'Connection closed');
      this.setState('disconnected');
      this.emit('down', this.lastError);
    });
  }

  /** Runs a command line on the remote host (its login shell parses it; quote words with `shq`). */
  async exec(command: string, opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<ExecResult> {
    await this.connect();
    return new Promise((resolve, reject) => {
      const p = spawn(this.opts.ssh ?? 'ssh', [...this.muxArgs(), '-T', '--', this.host.destination, command], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs) timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs);
      p.stdout.on('data', (b: Buffer) => out.push(b));
      p.stderr.setEncoding('utf8');
      p.stderr.on('data', (d: string) => { if (err.length < MAX_STDERR) err += d; });
      p.once('error', (e) => { if (timer) clearTimeout(timer); reject(new TargetError(`Cannot run ssh: ${e.message}`, 'missing')); });
      p.once('close', (code) => {
        if (timer) clearTimeout(timer);
        // 255: ssh itself failed (the connection), not the remote command.
        if (code === 255) { reject(explainSshFailure(this.host.spec, err || 'Connection closed')); return; }
        resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err });
      });
      p.stdin.on('error', () => undefined);
      if (opts.input !== undefined) p.stdin.end(opts.input); else p.stdin.end();
    });
  }

  /** Starts a remote command with its streams (transfers, following files). The caller owns the process. */
  async spawn(command: string, stdin: 'pipe' | 'ignore' = 'ignore'): Promise<ChildProcess & { stdout: Readable }> {
    await this.connect();
    return spawn(this.opts.ssh ?? 'ssh', [...this.muxArgs(), '-T', '--', this.host.destination, command], { stdio: [stdin, 'pipe', 'pipe'] }) as ChildProcess & { stdout: Readable };
  }

  /**
   * Forwards a unix socket of the remote host (the Docker engine's) to a local unix socket in a folder only this
   * user can read (never a TCP port). Returns the local path; forwarded again after a reconnect.
   */
  async forwardSocket(remote: string): Promise<string> {
    await this.connect();
    const existing = this.forwards.get(remote);
    if (existing && existsSync(existing)) return existing;
    const local = join(this.dir, `f${this.forwards.size}.sock`);
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const p = spawn(this.opts.ssh ?? 'ssh', [...this.common(), '-S', this.control, '-O', 'forward', '-L', `${local}:${remote}`, this.host.destination], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr?.setEncoding('utf8');
      p.stderr?.on('data', (d: string) => { err += d; });
      p.once('exit', (code) => resolve({ code, err }));
      p.once('error', (e) => resolve({ code: -1, err: e.message }));
    });
    if (r.code !== 0) throw new TargetError(`Cannot forward ${remote} from ${this.host.spec}: ${r.err.trim() || `ssh exited with ${r.code}`}.`, 'target');
    this.forwards.set(remote, local);
    return local;
  }

  /** Closes the master (the remote work keeps running). */
  async close(): Promise<void> {
    const m = this.master;
    this.master = undefined;
    this.forwards.clear();
    if (m && m.exitCode === null) {
      await new Promise<void>((resolve) => {
        const p = spawn(this.opts.ssh ?? 'ssh', [...this.common(), '-S', this.control, '-O', 'exit', this.host.destination], { stdio: 'ignore' });
        p.once('exit', () => resolve());
        p.once('error', () => resolve());
      });
      if (m.exitCode === null) m.kill('SIGTERM');
    }
    this.askpass?.close();
    this.askpass = undefined;
    this.setState('disconnected');
  }

  /** Closes and removes the connection's private folder. */
  async dispose(): Promise<void> {
    await this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
