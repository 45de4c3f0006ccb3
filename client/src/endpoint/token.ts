/**
 * The endpoint's optional token (`cubelab.endpoint.requireToken`, off by default). MLgym's websocket and REST
 * server entries are `scheme://host:port`, so an unmodified MLgym run cannot send a credential: with the token
 * on, only clients that send it connect. Without it, every local user (any process on this machine can reach
 * 127.0.0.1) and every page of an allowed origin can write to the event storage.
 * A client sends it as `Authorization: Bearer <token>` (REST, and the socket.io handshake of a program) or as
 * socket.io's `auth: {token}` (what a browser page can send). The token itself lives in VS Code's
 * SecretStorage (endpointCommands.ts) and reaches the endpoint as an option only.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(token, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return m ? m[1] : undefined;
}

/** Whether `given` is the endpoint's token (always true when the endpoint has none). */
export function tokenMatches(token: string | undefined, given: unknown): boolean {
  if (token === undefined) return true;
  return typeof given === 'string' && sameSecret(given, token);
}
