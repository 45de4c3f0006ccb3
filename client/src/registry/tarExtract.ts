/**
 * A synchronous, defensive tar reader for the additional files (the ingest worker runs it while the tarball
 * is still arriving): ustar, pax (`x`, `g`) and GNU long names (`L`); regular files and folders only (links,
 * devices and FIFOs are refused); no absolute or `..` paths; no entry written twice (files are created with
 * `wx`); at most MAX_ENTRIES entries. Files are written with positional writes straight from the data it is
 * given: no per-entry streams.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, posix, sep } from 'node:path';

export const MAX_ENTRIES = 100_000;

/** Thrown for an entry CubeLab refuses (the worker reports its message; the caller makes a RegistryError of it). */
export class UnsafeTarError extends Error {}

/** A safe relative path of a tar entry, or a refusal naming it. */
export function entryPath(name: string): string {
  const n = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (!n || n === '.') return '';
  const bad = (): never => { throw new UnsafeTarError(`The additional files hold an entry with an unsafe path ("${n.slice(0, 120).replace(/[\u0000-\u001f]/g, ' ')}"): refused.`); };
  if (n.includes('\0') || n.includes('\\') || n.startsWith('/') || /^[A-Za-z]:/.test(n)) bad();
  if (n.split('/').some((p) => p === '..' || p === '' || p === '.')) bad();
  return posix.normalize(n);
}

function octal(b: Buffer, off: number, len: number): number {
  // base-256 (GNU) for sizes past 8 GiB
  if ((b[off] ?? 0) & 0x80) {
    let v = (b[off] ?? 0) & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + (b[off + i] ?? 0);
    return v;
  }
  const s = b.toString('latin1', off, off + len).replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

function cstring(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end >= 0 && end < off + len ? end : off + len);
}

function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(data.toString('latin1', i, sp), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const rec = data.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

type State =
  | { kind: 'header' }
  | { kind: 'file'; fd: number; left: number; pad: number; pos: number }
  | { kind: 'meta'; type: string; left: number; pad: number; parts: Buffer[] }
  | { kind: 'skip'; left: number };

export class TarExtractor {
  readonly files: string[] = [];
  private state: State = { kind: 'header' };
  private header = Buffer.alloc(512);
  private headerFill = 0;
  private entries = 0;
  private zeros = 0;
  private ended = false;
  private pax: Record<string, string> = {};
  private longName: string | undefined;
  private readonly made = new Set<string>();

  constructor(private readonly target: string) {
    mkdirSync(target, { recursive: true });
    this.made.add(target);
  }

  private dir(d: string): void {
    if (this.made.has(d)) return;
    mkdirSync(d, { recursive: true });
    this.made.add(d);
  }

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      const s = this.state;
      if (this.ended) return; // data after the end-of-archive blocks is ignored, as tar does
      if (s.kind === 'header') {
        const n = Math.min(512 - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + n);
        this.headerFill += n;
        off += n;
        if (this.headerFill === 512) { this.headerFill = 0; this.onHeader(); }
      } else if (s.kind === 'file') {
        if (s.left > 0) {
          const n = Math.min(s.left, chunk.length - off);
          let w = 0;
          while (w < n) w += writeSync(s.fd, chunk, off + w, n - w, s.pos + w);
          s.pos += n; s.left -= n; off += n;
        } else {
          const n = Math.min(s.pad, chunk.length - off);
          s.pad -= n; off += n;
        }
        if (s.left === 0 && s.pad === 0) { closeSync(s.fd); this.state = { kind: 'header' }; }
      } else if (s.kind === 'meta') {
        if (s.left > 0) {
          const n = Math.min(s.left, chunk.length - off);
          s.parts.push(Buffer.from(chunk.subarray(off, off + n)));
          s.left -= n; off += n;
        } else {
          const n = Math.min(s.pad, chunk.length - off);
          s.pad -= n; off += n;
        }
        if (s.left === 0 && s.pad === 0) {
          const data = Buffer.concat(s.parts);
          if (s.type === 'x') this.pax = paxRecords(data);
          else if (s.type === 'L') this.longName = cstring(data, 0, data.length);
          this.state = { kind: 'header' };
        }
      } else {
        const n = Math.min(s.left, chunk.length - off);
        s.left -= n; off += n;
        if (s.left === 0) this.state = { kind: 'header' };
      }
    }
  }

  private onHeader(): void {
    const h = this.header;
    if (h.every((b) => b === 0)) { if (++this.zeros >= 2) this.ended = true; return; }
    this.zeros = 0;
    // The checksum: the header's bytes with the checksum field read as spaces.
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
    if (sum !== octal(h, 148, 8)) throw new UnsafeTarError('The additional files are not a valid tar archive (header checksum).');
    const type = String.fromCharCode(h[156] ?? 0);
    const size = octal(h, 124, 12);
    const pad = (512 - (size % 512)) % 512;
    if (type === 'x' || type === 'L') {
      if (size > 1 << 20) throw new UnsafeTarError('The additional files hold an oversized extended header: refused.');
      this.state = { kind: 'meta', type, left: size, pad, parts: [] };
      if (size === 0) this.state = { kind: 'header' };
      return;
    }
    if (type === 'g') { this.state = size + pad ? { kind: 'skip', left: size + pad } : { kind: 'header' }; return; }
    if (++this.entries > MAX_ENTRIES) throw new UnsafeTarError(`The additional files hold more than ${MAX_ENTRIES} entries: refused.`);
    const magic = h.toString('latin1', 257, 263);
    const prefix = magic.startsWith('ustar') ? cstring(h, 345, 155) : '';
    const raw = this.pax.path ?? this.longName ?? (prefix ? `${prefix}/${cstring(h, 0, 100)}` : cstring(h, 0, 100));
    const realSize = this.pax.size !== undefined ? Number(this.pax.size) : size;
    this.pax = {};
    this.longName = undefined;
    const rel = entryPath(raw);
    const abs = rel ? join(this.target, ...rel.split('/')) : this.target;
    if (type === '5') { this.dir(abs); this.state = realSize + pad ? { kind: 'skip', left: realSize + ((512 - (realSize % 512)) % 512) } : { kind: 'header' }; return; }
    if (type !== '0' && type !== '\0' && type !== '7') {
      const what: Record<string, string> = { 1: 'a hard link', 2: 'a symbolic link', 3: 'a character device', 4: 'a block device', 6: 'a FIFO' };
      throw new UnsafeTarError(`The additional files hold "${rel.slice(0, 120)}", ${what[type] ?? `an entry of type "${type}"`}: only files and folders are extracted; refused.`);
    }
    if (!rel) throw new UnsafeTarError('The additional files hold a file without a name: refused.');
    this.dir(join(abs, '..'));
    const mode = octal(h, 100, 8) & 0o111 ? 0o755 : 0o644;
    const fd = openSync(abs, 'wx', mode);
    this.files.push(rel.split('/').join(sep));
    const p = (512 - (realSize % 512)) % 512;
    this.state = { kind: 'file', fd, left: realSize, pad: p, pos: 0 };
    if (realSize === 0 && p === 0) { closeSync(fd); this.state = { kind: 'header' }; }
  }

  /** Checks that the archive ended where it should (no entry cut short). */
  end(): void {
    const s = this.state;
    if (s.kind === 'file') { closeSync(s.fd); throw new UnsafeTarError('The additional files end in the middle of a file.'); }
    if (s.kind !== 'header' || this.headerFill !== 0) throw new UnsafeTarError('The additional files end in the middle of an entry.');
  }

  /** Closes an open file after a failure. */
  abort(): void {
    const s = this.state;
    if (s.kind === 'file') { try { closeSync(s.fd); } catch { /* closed */ } }
    this.state = { kind: 'header' };
  }
}
