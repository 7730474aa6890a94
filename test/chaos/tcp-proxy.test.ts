import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/** An echo server counting the bytes it received. */
let upstream: Server;
let received = 0;
let proxy: TcpProxy;

beforeAll(async () => {
  upstream = createServer((s) =>
    s.on('data', (chunk) => {
      received += chunk.length;
      s.write(chunk);
    }),
  );
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  proxy = await startTcpProxy((upstream.address() as { port: number }).port);
});

afterAll(async () => {
  await proxy.close();
  upstream.close();
});

async function open(): Promise<Socket> {
  const socket = connect(proxy.port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

describe('TCP proxy modes', () => {
  it("'pass' echoes through; 'blackhole' keeps the connection open and lets nothing cross", async () => {
    proxy.mode = 'pass';
    const socket = await open();
    socket.write('ping');
    expect(String((await once(socket, 'data'))[0])).toBe('ping');
    proxy.mode = 'blackhole';
    const before = received;
    const droppedBefore = proxy.dropped;
    socket.write('lost');
    const answer = await Promise.race([
      once(socket, 'data').then(() => 'answered'),
      new Promise((resolve) => setTimeout(resolve, 300, 'silent')),
    ]);
    expect(answer).toBe('silent');
    expect(received).toBe(before);
    expect(proxy.dropped).toBe(droppedBefore + 1);
    expect(socket.destroyed).toBe(false);
    proxy.mode = 'pass';
    socket.write('back');
    expect(String((await once(socket, 'data'))[0])).toBe('back');
    socket.destroy();
  });

  it("'refuse' cuts open connections and closes new ones at once", async () => {
    proxy.mode = 'pass';
    const socket = await open();
    const closed = once(socket, 'close');
    proxy.mode = 'refuse';
    await closed;
    const accepted = proxy.accepted;
    const next = connect(proxy.port, '127.0.0.1');
    next.on('error', () => undefined);
    const dropped = proxy.dropped;
    await once(next, 'close');
    expect(proxy.accepted).toBe(accepted + 1);
    expect(proxy.dropped).toBe(dropped + 1);
    proxy.mode = 'pass';
  });
});
