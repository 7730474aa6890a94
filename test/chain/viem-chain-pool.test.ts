import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AnvilProcess, startAnvil } from '../../src/chain/anvil-process.ts';
import { ALPHA_USD, PATH_USD } from '../../src/chain/tempo-tokens.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { fromHex, U64_MAX } from '../../src/protocol/bytes.ts';
import { pidAlive } from '../support/pid-alive.ts';

/** anvil dev account #1. */
const DEV1 = fromHex('0x70997970c51812dc3a010c7d01b50e0d17dc79c8');

/**
 * A JSON-RPC relay on 127.0.0.1 in front of anvil that counts what reaches the node: TCP connections (in total
 * and open at once), HTTP requests, and JSON-RPC calls; it holds every answer `delayMs`, so a slow node is seen.
 */
class CountingRelay {
  connections = 0;
  open = 0;
  maxOpen = 0;
  requests = 0;
  calls = 0;
  delayMs = 0;
  readonly #server: Server;

  constructor(target: string) {
    this.#server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString();
      this.requests++;
      const parsed = JSON.parse(body) as unknown;
      this.calls += Array.isArray(parsed) ? parsed.length : 1;
      const answer = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await answer.text();
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    });
    this.#server.on('connection', (socket) => {
      this.connections++;
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      socket.on('close', () => this.open--);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

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
}

let anvil: AnvilProcess;
let relay: CountingRelay;
let relayUrl: string;

beforeAll(async () => {
  anvil = await startAnvil({ blockTime: 1 });
  relay = new CountingRelay(anvil.rpcUrl);
  relayUrl = await relay.listen();
});

beforeEach(async () => {
  await expect.poll(() => relay.open).toBe(0);
});

afterAll(async () => {
  await relay?.close();
  await anvil?.stop();
  if (anvil) expect(pidAlive(anvil.pid)).toBe(false);
});

describe('createViemChain connection pool and batching', () => {
  it('sends the reads issued together as one JSON-RPC batch over one connection, each answered on its own', async () => {
    const chain = createViemChain({ rpcUrl: relayUrl });
    try {
      const { height } = await chain.head();
      relay.reset();
      const strangers = Array.from({ length: 50 }, () => randomBytes(20));
      const [dev, ...rest] = await Promise.all([
        chain.balanceOf(PATH_USD, DEV1, height),
        ...strangers.map((a) => chain.balanceOf(ALPHA_USD, a, height)),
        chain.receipt(randomBytes(32)),
      ]);
      expect(dev).toBe(U64_MAX);
      expect(rest).toEqual([...strangers.map(() => 0n), undefined]);
      expect(relay.calls).toBe(52);
      expect(relay.requests).toBe(1);
      expect(relay.connections).toBe(0);
    } finally {
      await chain.close();
    }
  });

  it('keeps at most maxConnections connections open to a slow node, reusing them for later requests', async () => {
    const maxConnections = 4;
    const chain = createViemChain({ rpcUrl: relayUrl, maxConnections });
    relay.delayMs = 100;
    try {
      const { height } = await chain.head();
      relay.reset();
      const reads: Promise<bigint>[] = [];
      for (let i = 0; i < 40; i++) {
        reads.push(chain.balanceOf(PATH_USD, DEV1, height));
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(await Promise.all(reads)).toEqual(reads.map(() => U64_MAX));
      expect(relay.requests).toBeGreaterThan(maxConnections);
      expect(relay.maxOpen).toBeLessThanOrEqual(maxConnections);
      expect(relay.connections).toBeLessThanOrEqual(maxConnections);
    } finally {
      relay.delayMs = 0;
      await chain.close();
    }
  });

  it('reuses one kept-alive connection for requests one after another and closes it on close', async () => {
    const chain = createViemChain({ rpcUrl: relayUrl });
    relay.reset();
    const { height } = await chain.head();
    for (let i = 0; i < 20; i++) expect(await chain.balanceOf(PATH_USD, DEV1, height)).toBe(U64_MAX);
    expect(relay.requests).toBe(21);
    expect(relay.connections).toBe(1);
    await chain.close();
    await expect.poll(() => relay.open).toBe(0);
  });
});
