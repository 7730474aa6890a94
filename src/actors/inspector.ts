import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import WebSocket from 'ws';
import type { InspectionEvent, Observer } from 'xstate';
import { Backoff, type BackoffOptions } from '../util/backoff.ts';
import { sanitizeForInspection } from './sanitize-for-inspection.ts';

/** Inspection events held while the socket is not open; the oldest are dropped beyond it. */
const MAX_QUEUED = 1000;
/** Reconnect backoff of the inspector's socket (full jitter). */
const RETRY: BackoffOptions = { initialMs: 250, maxMs: 5000 };
/** How long `stop` waits for a connecting socket to take the last events, and for the close. */
const STOP_WAIT_MS = 2000;

export interface WebSocketInspector {
  /** Pass as `inspect` to `createActor`: every actor it is given to (and their children) is reported. */
  readonly inspect: Observer<InspectionEvent>;
  /** Sends what is still queued (waiting briefly for a connecting socket), then closes; no reconnection afterwards. */
  stop(): Promise<void>;
}

/**
 * The Stately inspector over a WebSocket (`--inspect ws://127.0.0.1:PORT`): @statelyai/inspect's inspector
 * with every event passed through `sanitizeForInspection` before it leaves the process. Messages are the JSON
 * inspection events of @statelyai/inspect's own WebSocket adapter, which this replaces because that one keeps
 * retrying after `stop()` (a pending 5 s reconnect timer) and resends its whole backlog on every reconnect.
 * Nothing is sent anywhere else: there is no hosted-inspector default.
 */
export function createWebSocketInspector(options: { url: string }): WebSocketInspector {
  const queue: string[] = [];
  let socket: WebSocket | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  const retry = new Backoff(RETRY);
  let stopped = false;

  const flush = () => {
    while (socket?.readyState === WebSocket.OPEN && queue.length > 0) socket.send(queue.shift()!);
  };
  const connect = () => {
    const ws = new WebSocket(options.url);
    socket = ws;
    ws.on('open', () => {
      retry.reset();
      flush();
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (stopped || socket !== ws) return;
      retryTimer = setTimeout(connect, retry.next());
      retryTimer.unref();
    });
  };

  const inspector = createInspector(
    {
      start: connect,
      send(event: StatelyInspectionEvent) {
        if (stopped) return;
        queue.push(JSON.stringify(event));
        if (queue.length > MAX_QUEUED) queue.shift();
        flush();
      },
    },
    { serialize: (event) => sanitizeForInspection(event) as StatelyInspectionEvent },
  );
  inspector.start();

  return {
    inspect: inspector.inspect,
    async stop() {
      // The inspector hands events over on a zero timeout: let the last ones arrive first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      stopped = true;
      clearTimeout(retryTimer);
      const ws = socket;
      if (!ws) return;
      if (ws.readyState === WebSocket.CONNECTING && queue.length > 0) await settled(ws, 'open', STOP_WAIT_MS);
      flush();
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = settled(ws, 'close', STOP_WAIT_MS);
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close();
      await closed;
    },
  };
}

/** Resolves on `event` (or when the socket closes), at the latest after `ms`. */
function settled(ws: WebSocket, event: 'open' | 'close', ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      ws.off(event, done);
      ws.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    ws.once(event, done);
    ws.once('close', done);
  });
}
