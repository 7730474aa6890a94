import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AnvilProcess, startAnvil } from '../../src/chain/anvil-process.ts';
import { ALPHA_USD, PATH_USD } from '../../src/chain/tempo-tokens.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { fromHex, U64_MAX } from '../../src/protocol/bytes.ts';
import { JsonRpcRelay } from '../support/json-rpc-relay.ts';
import { pidAlive } from '../support/pid-alive.ts';

/** anvil dev account #1. */
const DEV1 = fromHex('0x70997970c51812dc3a010c7d01b50e0d17dc79c8');

let anvil: AnvilProcess;
let relay: JsonRpcRelay;
let relayUrl: string;

beforeAll(async () => {
  anvil = await startAnvil({ blockTime: 1 });
  relay = new JsonRpcRelay(anvil.rpcUrl);
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
