import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../util/logger.ts';
import { corsPolicy, DEFAULT_CORS_ORIGINS } from '../http/cors.ts';
import { closeServer, type HealthReport, serveHealthMetrics, splitHostPort } from '../http/health-metrics.ts';
import { sendJsonError } from '../http/json-error.ts';
import { keepConnectionsAlive } from '../http/keep-alive.ts';
import type { Metrics } from '../http/metrics.ts';

/** A request handler: answers and returns true, or returns false to let the next one try. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface AggregatorHttpOptions {
  /** `host:port`; port 0 picks one. */
  readonly listen: string;
  readonly corsOrigins?: readonly string[];
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/** The aggregator's HTTP server, up from the first moment of startup. */
export interface AggregatorHttp {
  readonly server: Server;
  readonly port: number;
  /** What startup is doing now, shown by /healthz until `ready`. */
  starting(step: string): void;
  /** Serves `routes` from now on, and `health` (O(1)) at /healthz. */
  ready(routes: readonly HttpRoute[], health: () => HealthReport): void;
  close(): Promise<void>;
}

/**
 * Starts the aggregator's HTTP server before anything else, so an operator can always ask it what it waits for:
 * until `ready`, `/healthz` answers 503 `{"ok": false, "waitingFor": [step]}` and every API path 503 STARTING.
 * CORS applies to every answer (preflights answered); `/metrics` always works. Every request carries an
 * `x-request-id`; a handler failure is logged with it and answered as a JSON 500 with code INTERNAL.
 */
export async function startAggregatorHttp(options: AggregatorHttpOptions): Promise<AggregatorHttp> {
  const cors = corsPolicy(options.corsOrigins ?? DEFAULT_CORS_ORIGINS);
  let step = 'starting';
  let routes: readonly HttpRoute[] | undefined;
  let health: () => HealthReport = () => ({ ok: false, waitingFor: [step] });
  const server = createServer((req, res) => {
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    void (async () => {
      if (cors(req, res)) return;
      if (await serveHealthMetrics({ metrics: options.metrics, health: () => health() }, req, res)) return;
      if (!routes) {
        sendJsonError(res, 503, 'STARTING', `the aggregator is starting: ${step}`);
        return;
      }
      for (const route of routes) if (await route(req, res)) return;
      sendJsonError(res, 404, 'NOT_FOUND', `no route ${req.method} ${(req.url ?? '/').split('?')[0]}`);
    })().catch((error: unknown) => {
      options.logger.error(
        { err: error, requestId, method: req.method, url: req.url },
        'http request failed',
      );
      if (!res.headersSent) sendJsonError(res, 500, 'INTERNAL', `internal error (request ${requestId})`);
      else res.destroy();
    });
  });
  const { host, port } = splitHostPort(options.listen);
  keepConnectionsAlive(server);
  server.listen(port, host);
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    starting(next) {
      step = next;
    },
    ready(next, report) {
      routes = next;
      health = report;
    },
    close: () => closeServer(server),
  };
}
