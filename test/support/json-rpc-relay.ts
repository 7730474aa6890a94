import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One JSON-RPC call as a client sent it. */
export interface JsonRpcCall {
  readonly jsonrpc: '2.0';
  readonly id: number | string;
  readonly method: string;
  readonly params?: readonly unknown[];
}

/**
 * A JSON-RPC relay on 127.0.0.1 in front of a node (anvil): it counts what reaches it — TCP connections (in total
 * and open at once), HTTP requests and calls (a batch counts once as a request) — holds every answer `delayMs`,
 * and lets a test answer calls itself (`intercept` returns the answer, or undefined to forward the call).
 */
export class JsonRpcRelay {
  connections = 0;
  open = 0;
  maxOpen = 0;
  requests = 0;
  calls = 0;
  delayMs = 0;
  intercept: (call: JsonRpcCall) => Promise<object | undefined> = async () => undefined;
  readonly #server: Server;

  constructor(private readonly target: string) {
    this.#server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      this.requests++;
      const body = JSON.parse(Buffer.concat(chunks).toString()) as JsonRpcCall | JsonRpcCall[];
      const calls = Array.isArray(body) ? body : [body];
      this.calls += calls.length;
      const answers = await Promise.all(calls.map((c) => this.#answer(c)));
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(Array.isArray(body) ? answers : answers[0]));
    });
    this.#server.on('connection', (socket) => {
      this.connections++;
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      socket.on('close', () => this.open--);
    });
  }

  /** Listens on an ephemeral port; returns the relay's URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Starts counting afresh (connections opened from now on; `maxOpen` from those open now). */
  reset(): void {
    this.connections = 0;
    this.maxOpen = this.open;
    this.requests = 0;
    this.calls = 0;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #answer(call: JsonRpcCall): Promise<unknown> {
    const own = await this.intercept(call);
    if (own) return own;
    const res = await fetch(this.target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(call),
    });
    return res.json();
  }
}
