/**
 * What a target's `host` setting means to OpenSSH: an alias of the user's SSH config (`gpu-box`, with its
 * HostName, User, Port, ProxyJump, keys), or `user@host[:port]`. Pure.
 */

export interface SshHost {
  /** What the user wrote. */
  spec: string;
  /** The destination argument for `ssh` (`alias` or `user@host`). */
  destination: string;
  /** `-p` when the spec names a port. */
  port?: number;
}

const ALIAS = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const USER_HOST_PORT = /^(?:([A-Za-z0-9_][A-Za-z0-9_.-]*)@)?([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

/** Parses a host setting; throws a sentence for anything OpenSSH would read as an option or a command. */
export function parseSshHost(spec: string): SshHost {
  const s = spec.trim();
  // Never let a setting become an option of ssh (`-oProxyCommand=...`) or carry shell syntax.
  if (!s || s.startsWith('-') || /[\s'"`$;&|<>\\]/.test(s)) {
    throw new Error(`The SSH host "${spec}" is not an alias of your SSH config or user@host[:port].`);
  }
  if (ALIAS.test(s)) return { spec: s, destination: s };
  const m = USER_HOST_PORT.exec(s);
  if (!m) throw new Error(`The SSH host "${spec}" is not an alias of your SSH config or user@host[:port].`);
  const port = m[3] ? Number(m[3]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`The SSH port in "${spec}" is out of range.`);
  const host = (m[2] ?? '').replace(/^\[|\]$/g, '');
  return { spec: s, destination: m[1] ? `${m[1]}@${host}` : host, ...(port !== undefined ? { port } : {}) };
}

/** A word for a POSIX shell on the remote host (single quotes; a quote inside becomes '\''). */
export function shq(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
