/**
 * The HTML page of a webview panel (pure: no `vscode` import, so the browser tests serve the very same page).
 * Strict CSP with a per-load nonce: scripts only from our bundle, styles only from our resources (plus
 * constructable stylesheets of the web components), images from our resources or data: URLs (PNG export),
 * no eval, no inline script, no remote content.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewPage {
  /** `webview.cspSource` (the test harness gives its own http origin). */
  cspSource: string;
  title: string;
  scriptUri: string;
  styleUris: string[];
  nonce?: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function webviewHtml(page: WebviewPage): string {
  const nonce = page.nonce ?? makeNonce();
  const styles = page.styleUris.map((u) => `<link rel="stylesheet" href="${escapeAttr(u)}" nonce="${nonce}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(page.cspSource, nonce)}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <title>${escapeAttr(page.title)}</title>
    ${styles}
  </head>
  <body>
    <div id="app"></div>
    <script nonce="${nonce}" src="${escapeAttr(page.scriptUri)}"></script>
  </body>
</html>`;
}
