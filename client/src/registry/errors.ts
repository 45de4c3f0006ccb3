/**
 * Registry errors as sentences a user can act on. Texts that come from a registry (its error bodies, header
 * values) are untrusted: `untrusted()` strips control characters and bounds their length before they reach a
 * message, a tree item or a log.
 */

export type RegistryErrorCode =
  | 'config' // a setting is wrong (URL, plain HTTP to a non-loopback host, caFile)
  | 'unreachable' // no connection (refused, DNS, timeout, proxy)
  | 'tls' // the certificate is not trusted
  | 'auth' // credentials missing or refused
  | 'denied' // authenticated, but not allowed
  | 'not-found' // repository, tag, manifest or blob unknown
  | 'unsupported' // the registry does not serve this (catalog, referrers, delete)
  | 'digest' // content does not match its digest
  | 'protocol' // an answer that breaks the Distribution API or CubeLab's artifact format
  | 'refused' // CubeLab refuses (manifest errors, existing version, unsafe path, folder not empty)
  | 'cancelled'
  | 'http'; // any other HTTP failure

export class RegistryError extends Error {
  constructor(message: string, readonly code: RegistryErrorCode, readonly status?: number) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** A digest mismatch: names the file and both digests. */
export class DigestMismatchError extends RegistryError {
  constructor(readonly file: string, readonly expected: string, readonly actual: string, where: string) {
    super(`${file}: ${where} has digest ${actual}, but the cube names ${expected}. Refused: nothing was written.`, 'digest');
  }
}

/** A string from a registry, safe to show: no control characters, at most `max` characters. */
export function untrusted(text: unknown, max = 200): string {
  const s = typeof text === 'string' ? text : String(text ?? '');
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
