/**
 * The hashes of MedPerf cube records (docs/interop.md §2.2). The algorithm is read off the hash's form: 40 hex
 * digits are SHA-1 (records before mlcommons/medperf 4c42201, 2023-08-25), 64 hex digits or `sha256:` and 64
 * are SHA-256. An empty hash means the record gives none: the file is reported as unverified (MedPerf itself
 * accepts it silently; CubeLab asks). Anything else is refused as not a hash.
 */
import { createHash, type Hash } from 'node:crypto';
import { RegistryError } from '../errors';

export type HashAlgorithm = 'sha1' | 'sha256';

export function hashAlgorithm(hash: string): HashAlgorithm | 'none' {
  const h = hash.trim().toLowerCase();
  if (!h) return 'none';
  if (/^[0-9a-f]{40}$/.test(h)) return 'sha1';
  if (/^(sha256:)?[0-9a-f]{64}$/.test(h)) return 'sha256';
  throw new RegistryError(`"${hash.slice(0, 80)}" is not a hash CubeLab knows (40 hex digits for SHA-1, 64 for SHA-256, optionally after "sha256:").`, 'refused');
}

/** The hex digest the hash names, without a `sha256:` prefix (lowercase). */
export const hashHex = (hash: string): string => hash.trim().toLowerCase().replace(/^sha256:/, '');

/** A file's SHA-1 and SHA-256 in one pass (which one counts depends on the record's hash). */
export class DualHash {
  private readonly sha1: Hash = createHash('sha1');
  private readonly sha256: Hash = createHash('sha256');
  size = 0;
  update(chunk: Buffer): void { this.sha1.update(chunk); this.sha256.update(chunk); this.size += chunk.length; }
  digest(): { sha1: string; sha256: string } { return { sha1: this.sha1.digest('hex'), sha256: this.sha256.digest('hex') }; }
}

/** A file whose content does not match the record's hash: names the file, the field, and both hashes. */
export class HashMismatchError extends RegistryError {
  constructor(readonly file: string, readonly field: string, readonly algorithm: HashAlgorithm, readonly expected: string, readonly actual: string, where: string) {
    super(`${file}: ${where} has ${algorithm === 'sha1' ? 'SHA-1' : 'SHA-256'} ${actual}, but the record's ${field} is ${expected}. Refused: nothing was written.`, 'digest');
    this.name = 'HashMismatchError';
  }
}

/** Checks computed digests against a record's hash; returns the status to report. */
export function checkHash(file: string, field: string, hash: string, got: { sha1: string; sha256: string }, where: string): { algorithm: HashAlgorithm | 'none'; status: 'verified' | 'unverified'; actual: string } {
  const algorithm = hashAlgorithm(hash);
  if (algorithm === 'none') return { algorithm, status: 'unverified', actual: got.sha256 };
  const actual = got[algorithm];
  if (actual !== hashHex(hash)) throw new HashMismatchError(file, field, algorithm, hash.trim(), actual, where);
  return { algorithm, status: 'verified', actual };
}
