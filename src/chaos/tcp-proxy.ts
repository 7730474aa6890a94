import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What the proxy does with traffic:
 * - 'pass': both ways;
 * - 'lose-replies': requests reach the upstream but replies are lost (an ack lost in flight);
 * - 'blackhole': connections stay open but nothing crosses either way (a partition: calls hang until they time out);
 * - 'refuse': open connections are cut and new ones closed at once (a peer that is down).
 */
export type ProxyMode = 'pass' | 'lose-replies' | 'blackhole' | 'refuse';

/** One phase of a partition scenario: its name, which proxies it cuts (`Cut` says how they are chosen), and how. */
export interface PartitionPhase<Cut> {
  readonly name: string;
  readonly cut: Cut;
  readonly mode: ProxyMode;
}

/** A TCP proxy on 127.0.0.1 in front of one upstream port, whose behaviour a test switches at will. */
export interface TcpProxy {
  readonly port: number;
  /** Setting it to 'refuse' cuts every open connection. */
  mode: ProxyMode;
  /** Connections accepted so far (in any mode). */
  readonly accepted: number;
  /** Chunks of data not forwarded (in 'blackhole', and the replies of 'lose-replies'), and connections refused. */
  readonly dropped: number;
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
  let mode: ProxyMode = 'pass';
  let accepted = 0;
  let dropped = 0;
  const cutAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  const server: Server = createServer((client) => {
    accepted++;
    if (mode === 'refuse') {
      dropped++;
      client.destroy();
      return;
    }
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
      if (mode === 'blackhole') {
        dropped++;
        return;
      }
      target.write(chunk);
      if (mode === 'lose-replies') setTimeout(drop, cutAfterMs).unref();
    });
    target.on('data', (chunk) => {
      if (mode === 'pass') client.write(chunk);
      else dropped++;
    });
    client.on('error', drop);
    target.on('error', drop);
    client.on('close', drop);
    target.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    get mode() {
      return mode;
    },
    set mode(next: ProxyMode) {
      mode = next;
      if (next === 'refuse') cutAll();
    },
    get accepted() {
      return accepted;
    },
    get dropped() {
      return dropped;
    },
    close: async () => {
      cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
