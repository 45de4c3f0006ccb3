/**
 * Prompts of OpenSSH (a password, a key's passphrase, a one-time code, "continue connecting?" for an unknown
 * host key with its fingerprint) reach the user through an input box: ssh runs with SSH_ASKPASS pointing at a
 * small script (askpassMain.ts, bundled as dist/askpass.js) that hands the prompt to this server over a unix
 * socket in a folder only the user can read, with a per-server token, and prints the answer. Nothing is stored:
 * each answer goes to ssh once. Pure Node; the editor supplies `ask`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type PromptKind = 'host-key' | 'password' | 'passphrase' | 'code' | 'other';

export interface SshPrompt {
  kind: PromptKind;
  /** OpenSSH's own text (for a host key: the host and the key's fingerprint). */
  text: string;
  /** The host the connection is for (the target's setting). */
  host: string;
}

/** Answers a prompt; undefined means the user cancelled (ssh then gives up). */
export type AskFn = (prompt: SshPrompt) => Promise<string | undefined>;

export function promptKind(text: string): PromptKind {
  if (/continue connecting|authenticity of host/i.test(text)) return 'host-key';
  if (/passphrase/i.test(text)) return 'passphrase';
  if (/password/i.test(text)) return 'password';
  if (/code|otp|token|verification/i.test(text)) return 'code';
  return 'other';
}

/** The environment that makes ssh ask through `script` even without a terminal. */
export interface AskpassEnv { SSH_ASKPASS: string; SSH_ASKPASS_REQUIRE: string; DISPLAY: string; CUBELAB_ASKPASS_SOCKET: string; CUBELAB_ASKPASS_TOKEN: string; CUBELAB_ASKPASS_NODE: string; CUBELAB_ASKPASS_MAIN: string; ELECTRON_RUN_AS_NODE: string }

export class AskpassServer {
  private server: Server | undefined;
  private readonly dir: string;
  private readonly token = randomBytes(16).toString('hex');

  constructor(private readonly ask: AskFn, private readonly mainScript: string, private readonly host: string) {
    const base = join(tmpdir(), `cubelab-${typeof process.getuid === 'function' ? process.getuid() : 'u'}`);
    mkdirSync(base, { recursive: true, mode: 0o700 });
    chmodSync(base, 0o700);
    this.dir = mkdtempSync(join(base, 'ap-'));
  }

  async start(): Promise<AskpassEnv> {
    const sock = join(this.dir, 's');
    this.server = createServer((conn) => {
      let buf = '';
      conn.setEncoding('utf8');
      conn.on('data', (d: string) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        let req: { token?: unknown; prompt?: unknown };
        try { req = JSON.parse(buf.slice(0, nl)) as typeof req; } catch { conn.end(); return; }
        if (req.token !== this.token || typeof req.prompt !== 'string') { conn.end(); return; }
        const text = req.prompt;
        void this.ask({ kind: promptKind(text), text, host: this.host }).then(
          (answer) => conn.end(JSON.stringify(answer === undefined ? { cancelled: true } : { answer }) + '\n'),
          () => conn.end(JSON.stringify({ cancelled: true }) + '\n'));
      });
      conn.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => { this.server?.once('error', reject); this.server?.listen(sock, () => resolve()); });
    chmodSync(sock, 0o600);
    const script = join(this.dir, 'askpass.sh');
    // ssh runs SSH_ASKPASS with the prompt as its argument; the script hands it to Node (VS Code's own, in Node mode).
    writeFileSync(script, '#!/bin/sh\nexec "$CUBELAB_ASKPASS_NODE" "$CUBELAB_ASKPASS_MAIN" "$@"\n', { mode: 0o700 });
    return {
      SSH_ASKPASS: script, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: process.env.DISPLAY || ':0',
      CUBELAB_ASKPASS_SOCKET: sock, CUBELAB_ASKPASS_TOKEN: this.token, CUBELAB_ASKPASS_NODE: process.execPath,
      CUBELAB_ASKPASS_MAIN: this.mainScript, ELECTRON_RUN_AS_NODE: '1',
    };
  }

  close(): void {
    this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
