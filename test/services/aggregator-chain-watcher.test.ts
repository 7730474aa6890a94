import { afterEach, describe, expect, it } from 'vitest';
import { ChainWatcher } from '../../src/actors/chain-watcher.ts';
import { type PaymentRecord, recordFields } from '../../src/actors/payment-record.ts';
import { PaymentSystem } from '../../src/actors/payment-system.ts';
import type { BlockTransaction, ChainBlock, ChainHead, ChainPort } from '../../src/chain/chain-port.ts';
import { tip20TransferCall } from '../../src/chain/tempo-transfer.ts';
import { repeatByte, toHex } from '../../src/protocol/bytes.ts';
import { faultTolerance, quorumThreshold } from '../../src/protocol/committee.ts';
import { effectsHash } from '../../src/protocol/hashing.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { createLogger } from '../../src/util/logger.ts';
import { boardCert, txHashOf } from '../support/board-certs.ts';
import { ALICE, ALPHA_USD, BOB, CAROL, DAVE, EDGAR } from '../support/demo-keys.ts';
import { eventually } from '../support/eventually.ts';
import { startTestAggregator } from '../support/test-aggregator.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const committee = committeeOf([DAVE, EDGAR]);
const logger = createLogger('aggregator-chain-watcher-test', 'silent');
const ZERO_KEY = repeatByte(0, 32);

/** A chain in memory: the test appends blocks and announces heads. */
class FakeChain {
  readonly blocks = new Map<bigint, ChainBlock>();
  /** Every lane's nonce at any height, and the receipts the chain holds (by 0x-hex tx hash). */
  laneNonce = 0n;
  readonly receipts = new Set<string>();
  #onHead: ((head: ChainHead) => void) | undefined;

  constructor() {
    this.add(1n, []);
  }

  /** Added to every block hash byte: a chain restarted from genesis has other hashes at the same heights. */
  #generation = 0;

  /** The chain restarted from genesis: every block above it is gone. */
  reset() {
    this.#generation += 0x40;
    this.blocks.clear();
    this.receipts.clear();
  }

  add(height: bigint, transactions: BlockTransaction[], timestampMs = 1_700_000_000_000n + height * 1000n) {
    const head = { height, hash: repeatByte(Number(height) + this.#generation, 32), timestampMs };
    this.blocks.set(height, { head, transactions });
    this.#onHead?.(head);
  }

  readonly port = {
    head: async () => [...this.blocks.values()].at(-1)!.head,
    watchHeads: (onHead: (head: ChainHead) => void) => {
      this.#onHead = onHead;
      return () => undefined;
    },
    receipt: async (txHash: Uint8Array) =>
      this.receipts.has(toHex(txHash))
        ? { txHash, blockNumber: 0n, blockHash: new Uint8Array(32), success: true }
        : undefined,
    nonce: async () => this.laneNonce,
    block: async (height: bigint) => this.blocks.get(height),
  } as unknown as ChainPort;
}

/** Payment number `n` of board-certs (Alice pays Bob n + 1 on lane 0, seq n), as a block lists it. */
function transferOf(n: number, to = BOB, amount = BigInt(n + 1)): BlockTransaction {
  const call = tip20TransferCall(ALPHA_USD, to, amount);
  return {
    hash: repeatByte(0xc0 + n, 32),
    sender: ALICE,
    nonceKey: ZERO_KEY,
    nonce: BigInt(n),
    calls: [{ to: call.to, value: 0n, data: call.data }],
  };
}

let running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running) await r.stop();
  running = [];
});

/** A record of payment number `n` of board-certs, as a submission through the aggregator leaves it. */
function recordOf(n: number, deadlines: { expiresAtMs?: bigint; validBeforeMs?: bigint }) {
  const effects = {
    sender: ALICE,
    recipient: BOB,
    amount: BigInt(n + 1),
    asset: ALPHA_USD,
    nonce: { nonceKey: ZERO_KEY, seq: BigInt(n) },
  };
  return {
    txHash: txHashOf(n),
    effectsHash: effectsHash(suite, effects),
    effects,
    chainTxHash: transferOf(n).hash,
    ...deadlines,
  };
}

/** A payment the aggregator tracked before a restart: its persisted snapshot, which holds its record. */
async function seed(store: MemoryStore, record: PaymentRecord) {
  const system = await PaymentSystem.open({ store });
  await system.track({
    txHash: toHex(record.txHash),
    ...recordFields(record),
    threshold: quorumThreshold(committee),
    faultTolerance: faultTolerance(committee),
    blockAtSubmit: '0',
    submittedAt: 1000,
  });
  await system.close();
}

async function start(store = new MemoryStore()) {
  const { aggregator, registry } = await startTestAggregator({
    store,
    committee,
    logger,
    headSource: 'the test chain',
  });
  const chain = new FakeChain();
  const watcher = new ChainWatcher({
    payments: aggregator,
    heads: chain.port,
    chain: chain.port,
    scanned: { store, key: 'aggregator/chain/scanned' },
    finalityDepth: 2,
    onError: () => undefined,
  });
  await watcher.start();
  running.push(
    { stop: () => watcher.stop() },
    { stop: () => aggregator.close() },
    { stop: () => registry.close() },
  );
  const stageOf = (n: number) => aggregator.payment(toHex(txHashOf(n)))?.stage;
  return { aggregator, chain, stageOf, store };
}

describe('the aggregator follows payments with the chain watcher: on-chain stages read from its own chain', () => {
  it('a mirrored payment is INCLUDED when a block holds its certified transfer, FINALIZED at depth', async () => {
    const { aggregator, chain, stageOf } = await start();
    await aggregator.ingest(boardCert(DAVE, 4));
    await aggregator.ingest(boardCert(EDGAR, 4));
    expect(stageOf(4)).toBe('QC_FORMED');
    chain.receipts.add(toHex(transferOf(4).hash));
    chain.add(2n, [transferOf(4)]);
    await eventually(() => expect(stageOf(4)).toBe('INCLUDED'));
    expect(aggregator.payment(toHex(txHashOf(4)))?.inclusion).toEqual({
      blockNumber: '2',
      blockHash: toHex(repeatByte(2, 32)),
    });
    chain.add(3n, []);
    await new Promise((r) => setTimeout(r, 50));
    expect(stageOf(4)).toBe('INCLUDED');
    chain.add(4n, []);
    await eventually(() => expect(stageOf(4)).toBe('FINALIZED'));
  });

  it('a payment whose sequence another transaction took is FAILED, naming that transaction', async () => {
    const { aggregator, chain, stageOf } = await start();
    await aggregator.ingest(boardCert(DAVE, 5));
    await aggregator.ingest(boardCert(EDGAR, 5));
    chain.add(2n, [transferOf(5, CAROL)]);
    await eventually(() => expect(stageOf(5)).toBe('FAILED'));
    expect(aggregator.payment(toHex(txHashOf(5)))?.failure).toBe(
      `sequence 5 was taken by transaction ${toHex(repeatByte(0xc5, 32))} in block 2`,
    );
  });

  it('a payment mirrored only after its block was scanned (a slow or cut link) is found there: INCLUDED, then FINALIZED', async () => {
    const { aggregator, chain, stageOf, store } = await start();
    chain.receipts.add(toHex(transferOf(8).hash));
    chain.add(2n, [transferOf(8)]);
    chain.add(3n, []);
    await eventually(async () =>
      expect(new TextDecoder().decode(await store.get('aggregator/chain/scanned'))).toBe('3'),
    );
    await aggregator.ingest(boardCert(DAVE, 8, { millis: 1_700_000_001_500n }));
    await aggregator.ingest(boardCert(EDGAR, 8, { millis: 1_700_000_001_500n }));
    expect(stageOf(8)).toBe('QC_FORMED');
    chain.add(4n, []);
    await eventually(() => expect(stageOf(8)).toBe('FINALIZED'));
    expect(aggregator.payment(toHex(txHashOf(8)))?.inclusion?.blockNumber).toBe('2');
  });

  it('a payment mirrored after another transaction took its sequence in a scanned block is FAILED', async () => {
    const { aggregator, chain, stageOf, store } = await start();
    chain.add(2n, [transferOf(9, CAROL)]);
    await eventually(async () =>
      expect(new TextDecoder().decode(await store.get('aggregator/chain/scanned'))).toBe('2'),
    );
    await aggregator.ingest(boardCert(DAVE, 9, { millis: 1_700_000_001_500n }));
    await aggregator.ingest(boardCert(EDGAR, 9, { millis: 1_700_000_001_500n }));
    chain.add(3n, []);
    await eventually(() => expect(stageOf(9)).toBe('FAILED'));
    expect(aggregator.payment(toHex(txHashOf(9)))?.failure).toMatch(
      /^sequence 9 was taken by transaction .* in block 2$/,
    );
  });

  it('a restored payment that was not included when the head time passes its expiry is EXPIRED', async () => {
    const store = new MemoryStore();
    const effects = {
      sender: ALICE,
      recipient: BOB,
      amount: 7n,
      asset: ALPHA_USD,
      nonce: { nonceKey: ZERO_KEY, seq: 6n },
    };
    await seed(store, {
      txHash: txHashOf(6),
      effectsHash: effectsHash(suite, effects),
      effects,
      expiresAtMs: 1_700_000_002_500n,
    });
    await store.put('aggregator/chain/scanned', new TextEncoder().encode('0'));
    const { chain, stageOf } = await start(store);
    expect(stageOf(6)).toBe('SUBMITTED');
    chain.add(2n, []);
    await new Promise((r) => setTimeout(r, 50));
    expect(stageOf(6)).toBe('SUBMITTED');
    chain.add(3n, []);
    await eventually(() => expect(stageOf(6)).toBe('EXPIRED'));
  });

  it("a QC'd payment whose wrapper expiry passed but whose validBefore has not stays open, and lands INCLUDED", async () => {
    const store = new MemoryStore();
    await seed(store, recordOf(7, { expiresAtMs: 1_700_000_002_500n, validBeforeMs: 1_700_000_010_000n }));
    await seed(store, recordOf(8, { expiresAtMs: 1_700_000_002_500n }));
    await store.put('aggregator/chain/scanned', new TextEncoder().encode('1'));
    const { aggregator, chain, stageOf } = await start(store);
    await aggregator.ingest(boardCert(DAVE, 7));
    await aggregator.ingest(boardCert(EDGAR, 7));
    expect(stageOf(7)).toBe('QC_FORMED');
    chain.add(2n, []);
    chain.add(3n, []);
    // Payment 8 (no QC) expires at the same wrapper expiry, in the same sweep, after payment 7 was judged.
    await eventually(() => expect(stageOf(8)).toBe('EXPIRED'));
    expect(stageOf(7)).toBe('QC_FORMED');
    chain.receipts.add(toHex(transferOf(7).hash));
    chain.add(4n, [transferOf(7)]);
    await eventually(() => expect(stageOf(7)).toBe('INCLUDED'));
  });

  it("once a QC'd payment's validBefore passed: EXPIRED while its lane nonce has not passed, else FAILED without our receipt", async () => {
    const store = new MemoryStore();
    await seed(store, recordOf(9, { validBeforeMs: 1_700_000_002_500n }));
    await seed(store, recordOf(10, { validBeforeMs: 1_700_000_004_500n }));
    await store.put('aggregator/chain/scanned', new TextEncoder().encode('1'));
    const { aggregator, chain, stageOf } = await start(store);
    for (const n of [9, 10]) {
      await aggregator.ingest(boardCert(DAVE, n));
      await aggregator.ingest(boardCert(EDGAR, n));
    }
    chain.add(2n, []);
    chain.add(3n, []);
    await eventually(() => expect(stageOf(9)).toBe('EXPIRED'));
    expect(stageOf(10)).toBe('QC_FORMED');
    chain.laneNonce = 11n;
    chain.add(4n, []);
    chain.add(5n, []);
    await eventually(() => expect(stageOf(10)).toBe('FAILED'));
    expect(aggregator.payment(toHex(txHashOf(10)))?.failure).toBe(
      'sequence 10 of its lane was used by another transaction',
    );
  });

  it('a chain reset takes an INCLUDED payment back instead of FINALIZED; the lower head is the head; it lands again', async () => {
    const { aggregator, chain, stageOf } = await start();
    await aggregator.ingest(boardCert(DAVE, 11));
    await aggregator.ingest(boardCert(EDGAR, 11));
    chain.receipts.add(toHex(transferOf(11).hash));
    chain.add(2n, [transferOf(11)]);
    await eventually(() => expect(stageOf(11)).toBe('INCLUDED'));
    chain.reset();
    chain.add(1n, []);
    await eventually(() => expect(stageOf(11)).toBe('QC_FORMED'));
    expect(aggregator.head()?.height).toBe(1n);
    const lost = aggregator.payment(toHex(txHashOf(11)));
    expect(lost?.inclusion).toBeNull();
    chain.add(2n, []);
    chain.add(3n, []);
    chain.add(4n, []);
    await new Promise((r) => setTimeout(r, 50));
    expect(stageOf(11)).toBe('QC_FORMED');
    chain.receipts.add(toHex(transferOf(11).hash));
    chain.add(5n, [transferOf(11)]);
    await eventually(() => expect(stageOf(11)).toBe('INCLUDED'));
    expect(aggregator.payment(toHex(txHashOf(11)))?.inclusion?.blockNumber).toBe('5');
    chain.add(6n, []);
    chain.add(7n, []);
    await eventually(() => expect(stageOf(11)).toBe('FINALIZED'));
  });

  it('a reorg that replaces the including block rescans from below it and finds the tx in its new block', async () => {
    const { aggregator, chain, stageOf } = await start();
    await aggregator.ingest(boardCert(DAVE, 12));
    await aggregator.ingest(boardCert(EDGAR, 12));
    chain.receipts.add(toHex(transferOf(12).hash));
    chain.add(2n, [transferOf(12)]);
    await eventually(() => expect(stageOf(12)).toBe('INCLUDED'));
    chain.reset();
    chain.receipts.add(toHex(transferOf(12).hash));
    chain.add(1n, []);
    chain.add(2n, []);
    chain.add(3n, [transferOf(12)]);
    await eventually(() => expect(aggregator.payment(toHex(txHashOf(12)))?.inclusion?.blockNumber).toBe('3'));
    expect(aggregator.payment(toHex(txHashOf(12)))?.inclusion?.blockHash).toBe(toHex(repeatByte(0x43, 32)));
  });
});
