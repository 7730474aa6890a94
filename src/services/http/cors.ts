import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJsonError } from './json-error.ts';

/** Origins allowed when none are configured: pages served from this machine, any port. */
export const DEFAULT_CORS_ORIGINS: readonly string[] = ['http://127.0.0.1:*', 'http://localhost:*'];

const ALLOWED_HEADERS = 'content-type, accept, authorization, x-request-id, x-allegro-compat';
const ALLOWED_METHODS = 'GET, POST, OPTIONS';

/**
 * CORS for browser clients (the reference's web client calls the REST API from another origin). `origins` are
 * exact origins, `scheme://host:*` (any port), or `*` (any origin). An allowed origin gets
 * `Access-Control-Allow-Origin` on every answer; a preflight (`OPTIONS` with `Access-Control-Request-Method`) is
 * answered here with 204, or 403 for an origin not allowed. Returns true when it answered the request.
 */
export function corsPolicy(origins: readonly string[]) {
  const anyOrigin = origins.includes('*');
  const allowed = (origin: string) => anyOrigin || origins.some((pattern) => originMatches(pattern, origin));
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const origin = req.headers.origin;
    const ok = origin !== undefined && allowed(origin);
    if (ok) {
      res.setHeader('access-control-allow-origin', anyOrigin ? '*' : origin);
      res.setHeader('access-control-expose-headers', 'x-request-id');
      if (!anyOrigin) res.setHeader('vary', 'Origin');
    }
    if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
    if (!ok) {
      sendJsonError(res, 403, 'CORS_ORIGIN', `origin ${origin ?? '(none)'} is not allowed`);
      return true;
    }
    res.writeHead(204, {
      'access-control-allow-methods': ALLOWED_METHODS,
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': '600',
    });
    res.end();
    return true;
  };
}

/** `pattern` is an origin, or one ending in `:*` for any port of that scheme and host. */
function originMatches(pattern: string, origin: string): boolean {
  if (!pattern.endsWith(':*')) return pattern === origin;
  const prefix = pattern.slice(0, -1);
  return origin.startsWith(prefix) && /^[0-9]{1,5}$/.test(origin.slice(prefix.length));
}
