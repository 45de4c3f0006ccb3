/**
 * A STAND-IN token issuer for the `auth: token` docker-registry on 127.0.0.1:5012 (the registry tier's own, not
 * a product): Docker's token protocol (GET with Basic credentials, or POST with an OAuth2 refresh token) on
 * 127.0.0.1:5013, JWTs signed with the key test/env/setup-registry.sh made (the registry trusts its certificate,
 * sent in the `x5c` header). It grants repository scopes to user "cubelab" with the right password and
 * refuses the catalog to everyone: the registry's catalog is "turned off" for CubeLab.
 */
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { OUT, PORTS, TOKEN_ISSUER, TOKEN_SERVICE, USER, tokenPassword } from './helpers';

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

export interface Issuer { server: Server; requests: { scopes: string[]; user: string; granted: string[] }[]; close(): Promise<void> }

export async function startTokenIssuer(): Promise<Issuer> {
  const key = readFileSync(join(OUT, 'token', 'key.pem'), 'utf8');
  const cert = new X509Certificate(readFileSync(join(OUT, 'token', 'cert.pem')));
  const password = tokenPassword();
  const requests: Issuer['requests'] = [];
  const refreshToken = `refresh-${randomBytes(8).toString('hex')}`;
  const sign = (claims: Record<string, unknown>): string => {
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [cert.raw.toString('base64')] }));
    const body = b64url(JSON.stringify(claims));
    const s = createSign('RSA-SHA256');
    s.update(`${header}.${body}`);
    return `${header}.${body}.${b64url(s.sign(key))}`;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let user = '';
      let ok = false;
      let scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      const auth = req.headers.authorization ?? '';
      if (req.method === 'POST') {
        const form = new URLSearchParams(body);
        scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        if (form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === refreshToken) { user = USER; ok = true; }
        else if (form.get('grant_type') === 'password' && form.get('username') === USER && form.get('password') === password) { user = USER; ok = true; }
        else { res.writeHead(401, { 'content-type': 'application/json' }); res.end('{"errors":[{"code":"UNAUTHORIZED","message":"bad refresh token"}]}'); return; }
      } else if (auth.startsWith('Basic ')) {
        const [u, ...p] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
        if (u === USER && p.join(':') === password) { user = USER; ok = true; }
        else { res.writeHead(401, { 'content-type': 'application/json' }); res.end('{"errors":[{"code":"UNAUTHORIZED","message":"wrong user name or password"}]}'); return; }
      }
      const access = scopes.map((s) => {
        const [type, ...rest] = s.split(':');
        const actions = (rest.pop() ?? '').split(',').filter(Boolean);
        const name = rest.join(':');
        // The catalog is refused to everyone; repositories only to the authenticated user.
        const granted = type === 'repository' && ok ? actions.filter((a) => ['pull', 'push', 'delete', '*'].includes(a)) : [];
        return { type: type ?? '', name, actions: granted };
      }).filter((a) => a.actions.length);
      requests.push({ scopes, user, granted: access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`) });
      const now = Math.floor(Date.now() / 1000);
      const token = sign({ iss: TOKEN_ISSUER, sub: user, aud: TOKEN_SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString(), ...(ok && req.method === 'GET' && url.searchParams.get('offline_token') === 'true' ? { refresh_token: refreshToken } : {}) }));
    });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(PORTS.issuer, '127.0.0.1', () => resolve()); });
  return { server, requests, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}
