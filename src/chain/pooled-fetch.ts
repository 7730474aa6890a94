import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** A `fetch` for JSON-RPC over a bounded pool of kept-alive connections, and the pool behind it. */
export interface PooledFetch {
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** Open TCP connections (busy or idle) to every host. */
  connections(): number;
  /** Closes every connection; later requests open new ones. */
  close(): void;
}

/**
 * A `fetch` that sends every request through one keep-alive agent holding at most `maxSockets` connections per
 * host: further requests queue for a free connection instead of opening new ones, and idle connections stay open
 * for the next request, so a busy sidecar neither floods its node with connections nor leaves TIME-WAIT sockets
 * behind (the global fetch opens a connection per concurrent request). Enough of `fetch` for viem's HTTP
 * transport: method, headers, a string body, an abort signal; the whole response body is read before resolving.
 */
export function createPooledFetch(options: { readonly maxSockets: number }): PooledFetch {
  const pool = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets };
  const http = new HttpAgent(pool);
  const https = new HttpsAgent(pool);

  const fetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : input);
      const secure = url.protocol === 'https:';
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: init.method ?? 'GET',
          headers,
          agent: secure ? https : http,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => readResponse(res).then(resolve, reject),
      );
      req.on('error', reject);
      req.end(typeof init.body === 'string' ? init.body : undefined);
    });

  return {
    fetch,
    connections: () => countSockets(http) + countSockets(https),
    close() {
      http.destroy();
      https.destroy();
    },
  };
}

async function readResponse(res: IncomingMessage): Promise<Response> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      headers.append(name, v);
  }
  const status = res.statusCode ?? 500;
  const empty = status === 204 || status === 304;
  return new Response(empty ? null : Buffer.concat(chunks), { status, headers });
}

function countSockets(agent: HttpAgent): number {
  let count = 0;
  for (const list of [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)])
    count += list?.length ?? 0;
  return count;
}
