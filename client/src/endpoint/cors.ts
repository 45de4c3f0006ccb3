/**
 * CORS on the REST routes, for pages of the allowed origins (origins.ts): MLboard's REST server answers every
 * origin (`CORSMiddleware`, `allow_origins=["*"]`, all methods and headers), so MLboard's frontend reads it from
 * its own port. Here only the allowed origins get the headers, and their preflights (`OPTIONS` with
 * `Access-Control-Request-Method`, sent before a PUT with a JSON body or a request with an Authorization
 * header) are answered. Credentials (cookies) are not used, so none are allowed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CORS_METHODS = 'GET, PUT, POST, DELETE';
/** A header name list as browsers send it in Access-Control-Request-Headers. */
const HEADER_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;

/** Adds the CORS headers of a response to a page of `origin` (an allowed origin). */
export function setCorsHeaders(res: ServerResponse, origin: string): void {
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
}

/** Whether `req` is a CORS preflight (answered by answerPreflight, never by a route). */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers.origin !== undefined && typeof req.headers['access-control-request-method'] === 'string';
}

/** 204 for the preflight of a page of an allowed origin: the methods of the routes and the headers it asked for. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, origin: string): void {
  const requested = req.headers['access-control-request-headers'];
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': CORS_METHODS,
    'Access-Control-Max-Age': '600',
    Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    'Content-Length': '0',
  };
  if (typeof requested === 'string' && HEADER_LIST.test(requested.trim())) headers['Access-Control-Allow-Headers'] = requested.trim();
  // Chromium's Private Network Access asks this of a page outside the private network; the origin is allowed.
  if (req.headers['access-control-request-private-network'] === 'true') headers['Access-Control-Allow-Private-Network'] = 'true';
  res.writeHead(204, headers);
  res.end();
}
