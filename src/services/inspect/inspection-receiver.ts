import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { keepConnectionsAlive } from '../http/keep-alive.ts';
import { InspectionLog } from './inspection-log.ts';
import { INSPECTION_PAGE } from './inspection-page.ts';

/** The only interface the receiver listens on. */
const HOST = '127.0.0.1';
/** Largest inspection message accepted (sanitised snapshots are far smaller). */
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Live page updates are sent at most this often. */
const STREAM_INTERVAL_MS = 200;

export interface InspectionReceiver {
  /** Where `--inspect` sends: `ws://127.0.0.1:PORT`. */
  readonly wsUrl: string;
  /** The page listing the actors: `http://127.0.0.1:PORT/`. */
  readonly pageUrl: string;
  readonly log: InspectionLog;
  close(): Promise<void>;
}

/**
 * A local receiver for `--inspect ws://…` (ARCHITECTURE.md "Actors": every actor can be viewed offline): one port
 * on 127.0.0.1 only, WebSocket for the inspectors' messages, and on HTTP the page (`/`), the actors as JSON
 * (`/actors`) and a live stream of them (`/stream`, server-sent events). Nothing is fetched from anywhere.
 */
export async function startInspectionReceiver(options: { port: number }): Promise<InspectionReceiver> {
  const log = new InspectionLog();
  const watchers = new Set<ServerResponse>();
  let pending: NodeJS.Timeout | undefined;
  const publish = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      const data = `data: ${JSON.stringify(log.actors())}\n\n`;
      for (const res of watchers) res.write(data);
    }, STREAM_INTERVAL_MS);
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(INSPECTION_PAGE);
    } else if (path === '/actors') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(log.actors()));
    } else if (path === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(`data: ${JSON.stringify(log.actors())}\n\n`);
      watchers.add(res);
      req.on('close', () => watchers.delete(res));
    } else {
      res.writeHead(404).end();
    }
  });
  const sockets = new WebSocketServer({ server, maxPayload: MAX_MESSAGE_BYTES });
  sockets.on('connection', (ws) => {
    ws.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (log.take(message)) publish();
    });
  });
  await new Promise<void>((resolve, reject) => {
    keepConnectionsAlive(server);
    server.once('error', reject);
    server.listen(options.port, HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    wsUrl: `ws://${HOST}:${port}`,
    pageUrl: `http://${HOST}:${port}/`,
    log,
    async close() {
      clearTimeout(pending);
      for (const res of watchers) res.end();
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
