import type { Server } from 'node:http';

/**
 * How long an idle keep-alive connection stays open. A client that reuses a connection just as the server closes
 * it gets ECONNRESET (nodejs/node#52649, nodejs/undici#3141); clients stop reusing a connection before the timeout
 * the server announces, but on a starved machine that margin (undici: 2 s of the default 5 s) vanishes. A long
 * timeout leaves the race only after a minute idle; `server.close()` still closes idle connections at once.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Gives `server` the long keep-alive timeout, with the headers timeout above it as Node requires. */
export function keepConnectionsAlive<S extends Server>(server: S): S {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  return server;
}
