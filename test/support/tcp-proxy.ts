import { connect, createServer, type Server, type Socket } from 'node:net';

/** What the proxy does with traffic: pass it, or deliver requests but lose the replies (an ack lost in flight). */
export type ProxyMode = 'pass' | 'lose-replies';

/** A TCP proxy on 127.0.0.1 in front of one upstream port, whose behaviour a test switches at will. */
export interface TcpProxy {
  readonly port: number;
  mode: ProxyMode;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

/**
 * Starts a proxy to 127.0.0.1:`upstream`. In 'lose-replies' mode each request still reaches the upstream (so a
 * write is applied) but the reply is dropped and the client's connection is cut shortly after: the client sees a
 * failed command whose effect is unknown, the case a durable write must survive.
 */
export async function startTcpProxy(upstream: number, cutAfterMs = 100): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const target = connect(upstream, '127.0.0.1');
    sockets.add(client);
    sockets.add(target);
    const drop = () => {
      client.destroy();
      target.destroy();
      sockets.delete(client);
      sockets.delete(target);
    };
    client.on('data', (chunk) => {
      target.write(chunk);
      if (proxy.mode === 'lose-replies') setTimeout(drop, cutAfterMs).unref();
    });
    target.on('data', (chunk) => {
      if (proxy.mode === 'pass') client.write(chunk);
    });
    client.on('error', drop);
    target.on('error', drop);
    client.on('close', drop);
    target.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  const proxy: TcpProxy = {
    port: address.port,
    mode: 'pass',
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
