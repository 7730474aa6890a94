import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.ts';
import type { PaymentInput } from '../../src/actors/payment.machine.ts';
import type { ChainBlock, ChainHead, ChainPort } from '../../src/chain/chain-port.ts';
import { fromHex, repeatByte, toHex } from '../../src/protocol/bytes.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { eventually } from '../support/eventually.ts';

type FakePort = Pick<ChainPort, 'head' | 'watchHeads' | 'block' | 'receipt' | 'nonce'>;

/** An in-memory chain of blocks 0…7 at first: the test mines further blocks, each holding the txs it names. */
function fakeChain() {
  let listener: ((head: ChainHead) => void) | undefined;
  const blocks = new Map<bigint, ChainBlock>();
  const reverted = new Set<string>();
  /** Added to every block hash byte: a chain restarted from genesis has other hashes at the same heights. */
  let generation = 0;
  const top = () => blocks.get(BigInt(blocks.size - 1))!.head;
  const chain: FakePort = {
    head: async () => top(),
    watchHeads(onHead) {
      listener = onHead;
      return () => {
        listener = undefined;
      };
    },
    block: async (height) => blocks.get(height),
    receipt: async (hash) => {
      const block = [...blocks.values()].find((b) =>
        b.transactions.some((tx) => toHex(tx.hash) === toHex(hash)),
      );
      return (
        block && {
          txHash: hash,
          blockNumber: block.head.height,
          blockHash: block.head.hash,
          success: !reverted.has(toHex(hash)),
        }
      );
    },
    nonce: async () => 0n,
  };
  /** Adds the block at `height` holding `txs` (0x-hex chain hashes) and announces it as the head. */
  const mine = (height: bigint, txs: string[] = []) => {
    const head = { height, hash: repeatByte(Number(height) + generation, 32), timestampMs: 0n };
    const transactions = txs.map((hash) => ({
      hash: fromHex(hash, 32),
      sender: repeatByte(0xaa, 20),
      nonceKey: repeatByte(0, 32),
      nonce: 0n,
      calls: [],
    }));
    blocks.set(height, { head, transactions });
    listener?.(head);
  };
  for (let height = 0n; height <= 7n; height++) mine(height);
  return {
    chain,
    /** Mines every block up to `height`, the last one holding `txs`. */
    mineTo(height: bigint, txs: string[] = []) {
      for (let h = top().height + 1n; h < height; h++) mine(h);
      mine(height, txs);
    },
    /** A reorg: the blocks from `height` up are gone, and the blocks mined next have other hashes. */
    reorg(height: bigint) {
      generation += 0x40;
      for (const h of [...blocks.keys()]) if (h >= height) blocks.delete(h);
    },
    revert: (hash: string) => reverted.add(hash),
    /** The chain restarted from genesis: other hashes from now on, and only block 0 left. */
    reset() {
      generation += 0x40;
      blocks.clear();
      mine(0n);
    },
    blockHash: (height: bigint) => toHex(repeatByte(Number(height) + generation, 32)),
  };
}

/** A committee whose sidecars are never called in these tests (channels connect lazily). */
const committee: Committee = {
  chainId: 1337n,
  epoch: 1n,
  members: [
    { name: 'Dave', id: repeatByte(0xd1, 32), publicKey: repeatByte(1, 32), url: 'http://127.0.0.1:9' },
    { name: 'Edgar', id: repeatByte(0xe1, 32), publicKey: repeatByte(2, 32), url: 'http://127.0.0.1:9' },
  ],
};

function payment(n: number): PaymentInput & { chainTxHash: string } {
  return {
    txHash: toHex(repeatByte(n, 32)),
    sender: toHex(repeatByte(0xaa, 20)),
    recipient: toHex(repeatByte(0xbb, 20)),
    asset: toHex(repeatByte(0xcc, 20)),
    amount: '1',
    chainTxHash: toHex(repeatByte(0x80 + n, 32)),
    threshold: 2,
    faultTolerance: 0,
    blockAtSubmit: '7',
    submittedAt: 1000,
  };
}

const systems: ActorSystem[] = [];
afterEach(async () => {
  for (const system of systems.splice(0)) await system.stop();
});

async function start(store: MemoryStore, chain: FakePort) {
  const system = await ActorSystem.start({
    committee,
    store,
    chain,
    finalityDepth: 2,
    logger: { warn: () => undefined },
  });
  systems.push(system);
  return system;
}

const qcFormed = { type: 'QC_FORMED', at: 1, qcHash: '0xqc', blockHeight: '7' } as const;

async function qcd(system: ActorSystem, p: PaymentInput) {
  await system.payments.track(p);
  await system.payments.send(p.txHash, qcFormed);
}

describe('the ActorSystem follows payments with the chain watcher', () => {
  it('makes a payment INCLUDED by the block holding its signed tx, then FINALIZED two blocks later', async () => {
    const fake = fakeChain();
    const system = await start(new MemoryStore(), fake.chain);
    const p = payment(1);
    await qcd(system, p);
    expect(system.head()?.height).toBe(7n);
    fake.mineTo(8n);
    expect(system.head()?.height).toBe(8n);
    fake.mineTo(9n, [p.chainTxHash]);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('INCLUDED'));
    expect(system.payments.get(p.txHash)?.context.inclusion).toEqual({
      blockNumber: '9',
      blockHash: fake.blockHash(9n),
    });
    fake.mineTo(10n);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(system.payments.get(p.txHash)?.stage).toBe('INCLUDED');
    fake.mineTo(11n);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('FINALIZED'));
  });

  it('marks a payment whose tx reverted as FAILED', async () => {
    const fake = fakeChain();
    const system = await start(new MemoryStore(), fake.chain);
    const p = payment(2);
    await qcd(system, p);
    fake.revert(p.chainTxHash);
    fake.mineTo(8n, [p.chainTxHash]);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('FAILED'));
    expect(system.payments.get(p.txHash)?.context.failure).toBe('reverted in block 8');
  });

  it("takes the chain's word before the QC too: a block holding the tx makes a SUBMITTED payment INCLUDED", async () => {
    const fake = fakeChain();
    const system = await start(new MemoryStore(), fake.chain);
    const p = payment(3);
    await system.payments.track(p);
    fake.mineTo(8n, [p.chainTxHash]);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('INCLUDED'));
  });

  it('finds a tx that landed while the process was down: the scan resumes at the stored height', async () => {
    const store = new MemoryStore();
    const fake = fakeChain();
    const before = await start(store, fake.chain);
    const p = payment(4);
    await qcd(before, p);
    await before.payments.send(p.txHash, { type: 'QUEUED_ONCHAIN', at: 2, blockHeight: '8' });
    await before.stop();
    systems.splice(0);

    fake.mineTo(8n);
    fake.mineTo(9n, [p.chainTxHash]);
    const after = await start(store, fake.chain);
    await eventually(() => expect(after.payments.get(p.txHash)?.stage).toBe('INCLUDED'));
    expect(after.payments.get(p.txHash)?.context.inclusion?.blockNumber).toBe('9');
  });

  it('takes an INCLUDED payment back when the chain is reset, follows the lower head, and finalizes its new inclusion', async () => {
    const fake = fakeChain();
    const system = await start(new MemoryStore(), fake.chain);
    const p = payment(5);
    await qcd(system, p);
    fake.mineTo(9n, [p.chainTxHash]);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('INCLUDED'));
    fake.reset();
    fake.mineTo(2n);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('QC_FORMED'));
    expect(system.head()?.height).toBe(2n);
    fake.mineTo(11n);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(system.payments.get(p.txHash)?.stage).toBe('QC_FORMED');
    fake.mineTo(12n, [p.chainTxHash]);
    await eventually(() => expect(system.payments.get(p.txHash)?.context.inclusion?.blockNumber).toBe('12'));
    fake.mineTo(14n);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('FINALIZED'));
    expect(system.payments.get(p.txHash)?.context.lostInclusions?.map((l) => l.blockNumber)).toEqual(['9']);
  });

  it('is never FINALIZED for a block the chain reorganised away: it goes back first and is found in its new block', async () => {
    const fake = fakeChain();
    const system = await start(new MemoryStore(), fake.chain);
    const p = payment(6);
    await qcd(system, p);
    fake.mineTo(9n, [p.chainTxHash]);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('INCLUDED'));
    fake.reorg(9n);
    fake.mineTo(10n, [p.chainTxHash]);
    fake.mineTo(11n);
    await eventually(() => expect(system.payments.get(p.txHash)?.context.lostInclusions).toHaveLength(1));
    fake.mineTo(12n);
    await eventually(() => expect(system.payments.get(p.txHash)?.context.inclusion?.blockNumber).toBe('10'));
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('FINALIZED'));
    expect(system.payments.get(p.txHash)?.context.inclusion?.blockHash).toBe(fake.blockHash(10n));
  });
});
