import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJsonError, sendMethodNotAllowed } from './json-error.ts';
import { keepConnectionsAlive } from './keep-alive.ts';
import type { Metrics } from './metrics.ts';

/** A health report: `ok` decides 200 or 503; the other fields are shown as JSON. */
export type HealthReport = { readonly ok: boolean } & Readonly<Record<string, unknown>>;

export interface HealthMetricsSources {
  readonly metrics: Metrics;
  health(): HealthReport;
}

/**
 * Answers `GET /metrics` (Prometheus text) and `GET /healthz` (JSON, 200 when healthy, else 503; `health` must
 * answer in O(1), it is polled), 405 for another method on them; returns false for any other path so the caller
 * can route it elsewhere.
 */
export async function serveHealthMetrics(
  sources: HealthMetricsSources,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics' && path !== '/healthz') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendMethodNotAllowed(res, req.method, ['GET', 'HEAD']);
    return true;
  }
  if (path === '/metrics') {
    const text = await sources.metrics.render();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(text);
    return true;
  }
  const report = sources.health();
  res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' });
  res.end(JSON.stringify(report));
  return true;
}

/** An HTTP server that serves only /metrics and /healthz (the sidecar's `--http-listen`). */
export interface HealthMetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 picks one) and serves `serveHealthMetrics`; 404 for anything else. */
export async function startHealthMetricsServer(
  listen: string,
  sources: HealthMetricsSources,
): Promise<HealthMetricsServer> {
  const server: Server = createServer((req, res) => {
    serveHealthMetrics(sources, req, res).then(
      (served) => served || sendJsonError(res, 404, 'NOT_FOUND', 'only /metrics and /healthz'),
      () => res.headersSent || sendJsonError(res, 500, 'INTERNAL', 'internal error'),
    );
  });
  const { host, port } = splitHostPort(listen);
  keepConnectionsAlive(server);
  server.listen(port, host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => closeServer(server),
  };
}

/** `host:port` split; the port may be 0. Throws on anything else. */
export function splitHostPort(address: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(address);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) throw new Error(`expected host:port, got "${address}"`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/** Stops accepting, ends idle keep-alive connections, and resolves once the server closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}
