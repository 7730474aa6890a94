import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import type { ChainHead } from '../../src/chain/chain-port.ts';
import { DEFAULT_BACKOFF, subscribeNewHeads } from '../../src/chain/subscribe-new-heads.ts';
import { eventually } from '../support/eventually.ts';

let server: WebSocketServer | undefined;
let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/**
 * A WebSocket node on 127.0.0.1 that drops every connection, or (`serve`) answers the subscription with one head
 * and drops the connection 20 ms later: reconnects then come after the base delay, not the grown one.
 */
async function flakyNode(): Promise<{
  url: string;
  connects: number[];
  served: number[];
  serve: { value: boolean };
}> {
  const connects: number[] = [];
  const served: number[] = [];
  const serve = { value: false };
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server!.once('listening', resolve));
  server.on('connection', (ws) => {
    connects.push(Date.now());
    if (!serve.value) return ws.terminate();
    served.push(Date.now());
    ws.on('message', () => {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x1' }));
      const result = {
        number: `0x${connects.length.toString(16)}`,
        hash: `0x${'ab'.repeat(32)}`,
        timestamp: '0x10',
      };
      ws.send(
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'eth_subscription',
          params: { subscription: '0x1', result },
        }),
      );
      setTimeout(() => ws.terminate(), 20);
    });
  });
  const { port } = server.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}`, connects, served, serve };
}

describe('subscribeNewHeads reconnect backoff (reference §8)', () => {
  it('defaults to 500 ms doubling up to 30 s', () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 500, maxMs: 30_000 });
  });

  it('doubles the delay after each failed connection up to the cap, and resets it once subscribed', async () => {
    // The delays it asks for, read from its reconnect timers (not from the wall clock, which a loaded machine
    // stretches): every timer whose callback is its `connect`.
    const delays: number[] = [];
    const setTimer = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      callback: (...args: unknown[]) => void,
      ms?: number,
      ...args: unknown[]
    ) => {
      if (callback.name === 'connect') delays.push(ms ?? 0);
      return setTimer(callback, ms, ...args);
    }) as typeof setTimeout);
    try {
      const node = await flakyNode();
      const heads: ChainHead[] = [];
      const errors: Error[] = [];
      stop = subscribeNewHeads(
        node.url,
        (h) => heads.push(h),
        (e) => errors.push(e),
        { backoff: { initialMs: 40, maxMs: 160, random: () => 1 } },
      );
      await eventually(() => expect(node.connects.length).toBeGreaterThanOrEqual(6), 30_000);
      expect(delays.slice(0, 5)).toEqual([40, 80, 160, 160, 160]);
      expect(errors.every((e) => /closed/.test(e.message))).toBe(true);

      node.serve.value = true;
      // Each subscribed connection resets the delay: the reconnects after them wait the initial 40 ms again.
      await eventually(() => {
        expect(heads.length).toBeGreaterThanOrEqual(4);
        expect(delays.slice(-3)).toEqual([40, 40, 40]);
      }, 30_000);
    } finally {
      spy.mockRestore();
    }
  });

  it('reconnects at once when the node answers again elsewhere (whileDown), instead of waiting out the backoff', async () => {
    const node = await flakyNode();
    const heads: ChainHead[] = [];
    let nodeIsBack: (() => void) | undefined;
    let downs = 0;
    let ups = 0;
    stop = subscribeNewHeads(
      node.url,
      (h) => heads.push(h),
      () => {},
      {
        // Ten minutes before any reconnect: only `nodeIsBack` can bring the socket back within the test.
        backoff: { initialMs: 600_000, maxMs: 600_000, random: () => 1 },
        whileDown: (back) => {
          downs++;
          nodeIsBack = back;
          return () => ups++;
        },
      },
    );
    await eventually(() => expect(downs).toBe(1), 10_000);
    expect(node.connects).toHaveLength(1);

    node.serve.value = true;
    nodeIsBack!();
    await eventually(() => expect(heads.length).toBeGreaterThanOrEqual(1), 10_000);
    expect(node.connects).toHaveLength(2);
    expect(ups).toBe(1);
  });
});
