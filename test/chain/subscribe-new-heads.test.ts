import { afterEach, describe, expect, it } from 'vitest';
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

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('subscribeNewHeads reconnect backoff (reference §8)', () => {
  it('defaults to 500 ms doubling up to 30 s', () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 500, maxMs: 30_000 });
  });

  it('doubles the delay after each failed connection up to the cap, and resets it once subscribed', async () => {
    const node = await flakyNode();
    const heads: ChainHead[] = [];
    const errors: Error[] = [];
    stop = subscribeNewHeads(
      node.url,
      (h) => heads.push(h),
      (e) => errors.push(e),
      { initialMs: 40, maxMs: 160, random: () => 1 },
    );
    await eventually(() => expect(node.connects.length).toBeGreaterThanOrEqual(6), 5_000);
    const failing = gaps(node.connects.slice(0, 6));
    [40, 80, 160, 160, 160].forEach((expected, i) => {
      expect(failing[i]).toBeGreaterThanOrEqual(expected - 5);
      expect(failing[i]).toBeLessThan(expected + 80);
    });
    expect(errors.every((e) => /closed/.test(e.message))).toBe(true);

    node.serve.value = true;
    await eventually(() => expect(heads.length).toBeGreaterThanOrEqual(4), 5_000);
    for (const gap of gaps(node.served.slice(0, 4))) expect(gap).toBeLessThan(130);
  });
});
