/**
 * File paths <-> `file:` URIs, the one place that converts between them (server, CLI, client).
 *
 * Built on `vscode-uri`, so a URI made here is the string VS Code itself sends for the same file
 * (`file:///c%3A/ws/gs_config.yml`, `file://server/share/x`): go to definition and links then name the
 * document VS Code already has open. Hand-built URIs got Windows wrong (`file://c:/…` makes `c:` the host).
 *
 * Paths come back with `/` separators on every platform. Windows accepts them, and the server's own path
 * helpers (joinPath, dirOf) compare and join with `/`; a drive letter stays as written, a UNC path keeps
 * its `//server/share` prefix.
 */
import { URI, Utils } from 'vscode-uri';

/** Which platform's path rules apply: backslashes are separators on Windows and file-name characters elsewhere. */
export type PathFlavor = 'win32' | 'posix';

/** The flavor of the running process (`posix` in a browser, where no file paths are made). */
export const hostFlavor: PathFlavor = typeof process !== 'undefined' && process.platform === 'win32' ? 'win32' : 'posix';

/** The `file:` URI of an absolute path, as VS Code writes it. */
export function pathToFileUri(path: string, flavor: PathFlavor = hostFlavor): string {
  return fileUriOf(path, flavor).toString();
}

/** The same, as a vscode-uri `URI` (for `Utils.joinPath` and friends). */
export function fileUriOf(path: string, flavor: PathFlavor = hostFlavor): URI {
  // URI.file only turns backslashes into separators when vscode-uri itself runs on Windows; the flavor decides here.
  return URI.file(flavor === 'win32' ? path.replace(/\\/g, '/') : path);
}

/**
 * The path of a `file:` URI with `/` separators, or '' for any other scheme (an untitled document, a
 * virtual file system). Percent-escapes are decoded (`%3A` → `:`), the drive's leading slash dropped
 * (`/c:/x` → `c:/x`), a host kept as a UNC path (`file://server/share/x` → `//server/share/x`).
 */
export function fileUriToPath(uri: string): string {
  if (!/^file:/i.test(uri)) return '';
  const u = URI.parse(uri);
  if (u.authority && u.authority !== 'localhost' && u.path.length > 1) return `//${u.authority}${u.path}`;
  return /^\/[A-Za-z]:(\/|$)/.test(u.path) ? u.path.slice(1) : u.path;
}

/** The path in the form the platform writes it (backslashes on Windows), for messages and the file system. */
export function toPlatformPath(path: string, flavor: PathFlavor = hostFlavor): string {
  return flavor === 'win32' ? path.replace(/\//g, '\\') : path;
}

/** The decoded last segment of a URI's path (`file:///c%3A/ws/gs%20config.yml` → `gs config.yml`); never throws on a stray `%`. */
export function uriBaseName(uri: string): string {
  return Utils.basename(URI.parse(uri));
}
