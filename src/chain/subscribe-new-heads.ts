import WebSocket from 'ws';
import { Backoff, type BackoffOptions } from '../util/backoff.ts';
import type { ChainHead } from './chain-port.ts';
import { ChainError } from './chain-port.ts';
import { headFromRpc, type RpcHeader } from './head-from-rpc.ts';

/** Reconnect backoff (reference §8): full jitter under a cap doubling from 500 ms to 30 s, reset once subscribed. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

const SUBSCRIBE_ID = 1;

export interface NewHeadsOptions {
  /** Reconnect backoff; default DEFAULT_BACKOFF. */
  readonly backoff?: BackoffOptions;
  /**
   * Started at a disconnect and stopped (the function it returns) once subscribed again: heads from elsewhere
   * meanwhile, e.g. HTTP polling. It calls `nodeIsBack` when the node answers again, and the socket reconnects at
   * once instead of waiting out a backoff grown during a long outage.
   */
  readonly whileDown?: (nodeIsBack: () => void) => () => void;
}

/**
 * `eth_subscribe("newHeads")` on its own WebSocket. Every disconnect is reported to `onError` as an
 * UNAVAILABLE ChainError and followed by a reconnect with backoff, until the returned function is called.
 */
export function subscribeNewHeads(
  wsUrl: string,
  onHead: (head: ChainHead) => void,
  onError: (error: Error) => void,
  options: NewHeadsOptions = {},
): () => void {
  const backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
  let stopped = false;
  let socket: WebSocket | undefined;
  /** Pending reconnect; undefined while connecting or connected. */
  let timer: NodeJS.Timeout | undefined;
  let stopWhileDown: (() => void) | undefined;
  /** `nodeIsBack` skipped the backoff once in this outage: later failures wait it out again. */
  let rushed = false;
  const up = (): void => {
    stopWhileDown?.();
    stopWhileDown = undefined;
    rushed = false;
  };
  const nodeIsBack = (): void => {
    if (stopped || rushed || timer === undefined) return;
    rushed = true;
    clearTimeout(timer);
    connect();
  };

  const connect = (): void => {
    timer = undefined;
    const ws = new WebSocket(wsUrl);
    socket = ws;
    let failure = '';
    ws.on('open', () => {
      ws.send(
        JSON.stringify({ jsonrpc: '2.0', id: SUBSCRIBE_ID, method: 'eth_subscribe', params: ['newHeads'] }),
      );
    });
    ws.on('message', (data) => {
      if (stopped) return;
      try {
        const msg = JSON.parse(data.toString()) as {
          id?: number;
          error?: { message?: string };
          method?: string;
          params?: { result?: RpcHeader };
        };
        if (msg.id === SUBSCRIBE_ID && msg.error) {
          onError(new ChainError('REJECTED', `eth_subscribe newHeads: ${msg.error.message}`));
        } else if (msg.id === SUBSCRIBE_ID) {
          backoff.reset();
          up();
        } else if (msg.method === 'eth_subscription' && msg.params?.result) {
          onHead(headFromRpc(msg.params.result));
        }
      } catch (err) {
        onError(err as Error);
      }
    });
    ws.on('error', (err) => {
      failure = err.message;
    });
    ws.on('close', () => {
      if (stopped) return;
      onError(
        new ChainError('UNAVAILABLE', `newHeads socket ${wsUrl} closed${failure ? `: ${failure}` : ''}`),
      );
      timer = setTimeout(connect, backoff.next());
      stopWhileDown ??= options.whileDown?.(nodeIsBack);
    });
  };

  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    up();
    socket?.terminate();
  };
}
