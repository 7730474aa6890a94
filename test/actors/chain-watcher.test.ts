import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.ts';
import type { PaymentInput } from '../../src/actors/payment.machine.ts';
import type { ChainHead, ChainPort, ChainReceipt } from '../../src/chain/chain-port.ts';
import { fromHex, repeatByte, toHex } from '../../src/protocol/bytes.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { eventually } from '../support/eventually.ts';

/** An in-memory chain: heads are mined by the test, receipts set by it. */
function fakeChain() {
  let listener: ((head: ChainHead) => void) | undefined;
  const receipts = new Map<string, ChainReceipt>();
  const chain: Pick<ChainPort, 'head' | 'watchHeads' | 'receipt'> = {
    head: async () => ({ height: 7n, hash: repeatByte(7, 32), timestampMs: 0n }),
    watchHeads(onHead) {
      listener = onHead;
      return () => {
        listener = undefined;
      };
    },
    receipt: async (hash) => receipts.get(toHex(hash)),
  };
  return {
    chain,
    mine: (height: bigint) => listener?.({ height, hash: repeatByte(Number(height), 32), timestampMs: 0n }),
    /** The chain drops the receipt (a reorg, or a reset to genesis). */
    forget: (chainTxHash: string) => receipts.delete(chainTxHash),
    /** A head at `height` whose hash differs from the first chain's (a reset chain). */
    mineOther: (height: bigint) =>
      listener?.({ height, hash: repeatByte(0x40 + Number(height), 32), timestampMs: 0n }),
    include(chainTxHash: string, blockNumber: bigint, success = true) {
      receipts.set(chainTxHash, {
        txHash: fromHex(chainTxHash),
        blockNumber,
        blockHash: repeatByte(Number(blockNumber), 32),
        success,
      });
    },
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

function payment(n: number): PaymentInput {
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

async function start(store: MemoryStore, chain: Pick<ChainPort, 'head' | 'watchHeads' | 'receipt'>) {
  const system = await ActorSystem.start({ committee, store, chain, finalityDepth: 2 });
  systems.push(system);
  return system;
}

const qcFormed = { type: 'QC_FORMED', at: 1, qcHash: '0xqc', blockHeight: '7' } as const;

describe('chain watcher', () => {
  it('makes a payment INCLUDED from its receipt, then FINALIZED two blocks later', async () => {
    const fake = fakeChain();
    const system = await start(new MemoryStore(), fake.chain);
    const p = payment(1);
    await system.payments.track(p);
    await system.payments.send(p.txHash, qcFormed);
    expect(system.head()?.height).toBe(7n);
    fake.mine(8n);
    expect(system.head()?.height).toBe(8n);
    fake.include(p.chainTxHash!, 9n);
    fake.mine(9n);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('INCLUDED'));
    expect(system.payments.get(p.txHash)?.context.inclusion).toEqual({
      blockNumber: '9',
      blockHash: toHex(repeatByte(9, 32)),
    });
    fake.mine(10n);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(system.payments.get(p.txHash)?.stage).toBe('INCLUDED');
    fake.mine(11n);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('FINALIZED'));
  });

  it('marks a payment whose tx reverted as FAILED', async () => {
    const fake = fakeChain();
    const system = await start(new MemoryStore(), fake.chain);
    const p = payment(2);
    await system.payments.track(p);
    await system.payments.send(p.txHash, qcFormed);
    fake.include(p.chainTxHash!, 8n, false);
    fake.mine(8n);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('FAILED'));
    expect(system.payments.get(p.txHash)?.context.failure).toBe('reverted in block 8');
  });

  it('does not look for receipts of payments without a QC', async () => {
    const fake = fakeChain();
    const system = await start(new MemoryStore(), fake.chain);
    const p = payment(3);
    await system.payments.track(p);
    fake.include(p.chainTxHash!, 8n);
    fake.mine(8n);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(system.payments.get(p.txHash)?.stage).toBe('SUBMITTED');
  });

  it('follows a payment restored after a restart: queued on chain before, included after', async () => {
    const store = new MemoryStore();
    const before = await start(store, fakeChain().chain);
    const p = payment(4);
    await before.payments.track(p);
    await before.payments.send(p.txHash, qcFormed);
    await before.payments.send(p.txHash, { type: 'QUEUED_ONCHAIN', at: 2, blockHeight: '8' });
    await before.stop();
    systems.splice(0);

    const fake = fakeChain();
    const after = await start(store, fake.chain);
    expect(after.payments.get(p.txHash)?.stage).toBe('QUEUED_ONCHAIN');
    fake.include(p.chainTxHash!, 9n);
    fake.mine(9n);
    await eventually(() => expect(after.payments.get(p.txHash)?.stage).toBe('INCLUDED'));
  });

  it('takes an INCLUDED payment back when its receipt is gone (chain reset), and follows it to a new inclusion', async () => {
    const fake = fakeChain();
    const system = await start(new MemoryStore(), fake.chain);
    const p = payment(5);
    await system.payments.track(p);
    await system.payments.send(p.txHash, qcFormed);
    fake.include(p.chainTxHash!, 9n);
    fake.mine(9n);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('INCLUDED'));
    fake.forget(p.chainTxHash!);
    fake.mineOther(2n);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('QC_FORMED'));
    expect(system.head()?.height).toBe(2n);
    fake.mineOther(11n);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(system.payments.get(p.txHash)?.stage).toBe('QC_FORMED');
    fake.include(p.chainTxHash!, 12n);
    fake.mine(12n);
    await eventually(() => expect(system.payments.get(p.txHash)?.context.inclusion?.blockNumber).toBe('12'));
    fake.mine(14n);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('FINALIZED'));
    expect(system.payments.get(p.txHash)?.context.lostInclusions?.map((l) => l.blockNumber)).toEqual(['9']);
  });

  it('is never FINALIZED for a tx whose receipt moved to another block: it goes back first', async () => {
    const fake = fakeChain();
    const system = await start(new MemoryStore(), fake.chain);
    const p = payment(6);
    await system.payments.track(p);
    await system.payments.send(p.txHash, qcFormed);
    fake.include(p.chainTxHash!, 9n);
    fake.mine(9n);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('INCLUDED'));
    fake.include(p.chainTxHash!, 10n);
    fake.mine(11n);
    await eventually(() => expect(system.payments.get(p.txHash)?.context.lostInclusions).toHaveLength(1));
    await eventually(() => expect(system.payments.get(p.txHash)?.context.inclusion?.blockNumber).toBe('10'));
    fake.mine(12n);
    await eventually(() => expect(system.payments.get(p.txHash)?.stage).toBe('FINALIZED'));
  });
});
