import { afterEach, describe, expect, it } from 'vitest';
import { ChainError, type ChainHead, type ChainReceipt } from '../../src/chain/chain-port.ts';
import { repeatByte, toHex } from '../../src/protocol/bytes.ts';
import { laneKey } from '../../src/protocol/keys.ts';
import { Ledger, type LockRecord } from '../../src/protocol/ledger/ledger.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { WireStage } from '../../src/protocol/stage.ts';
import type { LedgerDelta, ParentRef } from '../../src/protocol/validation/decision.ts';
import { LifecycleHub } from '../../src/services/sidecar/lifecycle-hub.ts';
import { Settlement, type SettlementOptions } from '../../src/services/sidecar/settlement.ts';
import { SettlementSnapshots } from '../../src/services/sidecar/settlement-snapshots.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { capturedLogger } from '../support/captured-logger.ts';
import { ALICE, ALPHA_USD, BOB, CAROL } from '../support/demo-keys.ts';
import { eventually } from '../support/eventually.ts';
import { suite } from '../support/validator-harness.ts';

const KEY = repeatByte(1, 32);
const keccak = (raw: Uint8Array) => suite.keccak256(raw);

/** An in-memory Tempo node: records every broadcast, answers receipts and 2D nonces from maps the test sets. */
class FakeNode {
  readonly sent: Uint8Array[] = [];
  readonly sentAt: number[] = [];
  readonly receipts = new Map<string, ChainReceipt>();
  readonly nonces = new Map<string, bigint>();
  /** A refusal for the next broadcasts of a tx, consumed one per send. */
  readonly refusals = new Map<string, ChainError[]>();
  /** Signed txs (hex) the node refuses every time, as it would a fee token it does not take. */
  readonly refusedTxs = new Set<string>();
  down = false;

  sendRawTransaction = async (raw: Uint8Array): Promise<Uint8Array> => {
    if (this.down) throw new ChainError('UNAVAILABLE', 'connection refused');
    this.sent.push(raw);
    this.sentAt.push(Date.now());
    const refusal = this.refusals.get(toHex(raw))?.shift();
    if (refusal) throw refusal;
    if (this.refusedTxs.has(toHex(raw))) throw new ChainError('REJECTED', 'fee token not accepted');
    return keccak(raw);
  };

  receipt = async (hash: Uint8Array): Promise<ChainReceipt | undefined> => {
    if (this.down) throw new ChainError('UNAVAILABLE', 'connection refused');
    return this.receipts.get(toHex(hash));
  };

  nonce = async (account: Uint8Array, nonceKey: Uint8Array): Promise<bigint> => {
    if (this.down) throw new ChainError('UNAVAILABLE', 'connection refused');
    return this.nonces.get(laneKey(account, nonceKey)) ?? 0n;
  };

  sends(record: LockRecord): number {
    return this.sent.filter((raw) => toHex(raw) === toHex(record.delta.signedTx)).length;
  }

  /** Includes the tx in block `height` (reverted unless `success`) and moves its lane nonce past it. */
  include(record: LockRecord, height: bigint, success = true): ChainReceipt {
    const receipt = {
      txHash: keccak(record.delta.signedTx),
      blockNumber: height,
      blockHash: blockHash(height),
      success,
    };
    this.receipts.set(toHex(receipt.txHash), receipt);
    this.takeNonce(record);
    return receipt;
  }

  /** Another tx used the record's nonce. */
  takeNonce(record: LockRecord): void {
    const { sender, nonce } = record.delta.effects;
    this.nonces.set(laneKey(sender, nonce.nonceKey), nonce.seq + 1n);
  }
}

const blockHash = (height: bigint) => repeatByte(Number(height % 200n) + 1, 32);

interface Harness {
  readonly node: FakeNode;
  readonly ledger: Ledger;
  readonly hub: LifecycleHub;
  readonly snapshots: SettlementSnapshots;
  readonly settlement: Settlement;
  /** Certifies a payment: its lock goes into the ledger, the payment into the queue. */
  certify(delta: LedgerDelta): LockRecord;
  /** What the chain follower does at a new head: release landed or expired locks, then tell the settlement. */
  advance(height: bigint): void;
  stages(record: LockRecord): WireStage[];
}

let running: Settlement[] = [];
afterEach(async () => {
  await Promise.all(running.map((s) => s.stop()));
  running = [];
});

/**
 * A settlement over a fake node, at head 1. `restore` fills the ledger and the chain first, as they are when a
 * sidecar restarts: the first head then releases what landed meanwhile.
 */
function harness(
  options: Partial<SettlementOptions> = {},
  restore: (ledger: Ledger, node: FakeNode) => void = () => {},
): Harness {
  const node = new FakeNode();
  const ledger = new Ledger({ maxRequestCache: 16, maxSettledCerts: 64 });
  restore(ledger, node);
  const hub = new LifecycleHub(64);
  const snapshots = new SettlementSnapshots(new MemoryStore(), 'settlement/');
  const settlement = new Settlement({
    port: node,
    ledger,
    lifecycle: hub,
    keccak256: keccak,
    logger: capturedLogger().logger,
    snapshots,
    maxPending: 16,
    evictAfterRefusals: 5,
    coolOffMs: 60_000,
    finalityDepth: 2,
    forwardDelayBlocks: () => 0,
    retry: { initialMs: 20, maxMs: 200, random: () => 1 },
    ...options,
  });
  running.push(settlement);
  const h: Harness = {
    node,
    ledger,
    hub,
    snapshots: options.snapshots ?? snapshots,
    settlement,
    certify(delta) {
      const record = { delta, cert: certOf(delta) };
      ledger.record(delta, record.cert);
      settlement.enqueue(record);
      return record;
    },
    advance(height) {
      const head: ChainHead = { height, hash: blockHash(height), timestampMs: height * 1000n };
      const released = ledger
        .lanes()
        .flatMap((l) =>
          ledger.releaseThroughNonce(
            l.sender,
            l.nonceKey,
            node.nonces.get(laneKey(l.sender, l.nonceKey)) ?? 0n,
          ),
        );
      released.push(...ledger.releaseExpired(head.timestampMs));
      settlement.onAdvance({ head, released });
    },
    stages: (record) => hub.history(record.delta.txHash).map((u) => u.stage),
  };
  h.advance(1n);
  return h;
}

function payment(
  seq: bigint,
  extra: { sender?: Uint8Array; parent?: ParentRef; deadlineMs?: bigint; nonceKey?: Uint8Array } = {},
): LedgerDelta {
  const sender = extra.sender ?? ALICE;
  const nonceKey = extra.nonceKey ?? KEY;
  const tag = sender[0]! ^ nonceKey[31]!;
  return {
    txHash: repeatByte(0x40 + tag + Number(seq), 32),
    effects: { sender, recipient: CAROL, amount: 1n, asset: ALPHA_USD, nonce: { nonceKey, seq } },
    debits: [{ account: sender, asset: ALPHA_USD, amount: 1n }],
    signedTx: Uint8Array.of(0x76, tag, Number(seq)),
    ...(extra.parent ? { parent: extra.parent } : {}),
    ...(extra.deadlineMs !== undefined ? { inclusionDeadlineMs: extra.deadlineMs } : {}),
  };
}

const certOf = (delta: LedgerDelta) => ({
  txHash: delta.txHash,
  effectsHash: repeatByte(9, 32),
  signature: new Uint8Array(64),
  createdUnixMillis: 1n,
});

const parentOf = (record: LockRecord): ParentRef => ({
  qcHash: repeatByte(0xcc, 32),
  txHash: record.delta.txHash,
  sender: record.delta.effects.sender,
  nonceKey: record.delta.effects.nonce.nonceKey,
  seq: record.delta.effects.nonce.seq,
});

describe('Settlement', () => {
  it('forwards a certified payment, reports INCLUDED with the receipt block, FINALIZED after the depth', async () => {
    const h = harness();
    const p = h.certify(payment(0n));
    await eventually(() => expect(h.stages(p)).toEqual([WireStage.QUEUED_ONCHAIN]));
    expect(h.node.sends(p)).toBe(1);

    const receipt = h.node.include(p, 2n);
    h.advance(2n);
    await eventually(() => expect(h.stages(p)).toContain(WireStage.INCLUDED));
    const included = h.hub.history(p.delta.txHash).find((u) => u.stage === WireStage.INCLUDED)!;
    expect(included.blockHeight).toBe(2n);
    expect(included.blockHash).toEqual(receipt.blockHash);

    h.advance(3n);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.stages(p)).not.toContain(WireStage.FINALIZED);
    h.advance(4n);
    await eventually(() =>
      expect(h.stages(p)).toEqual([WireStage.QUEUED_ONCHAIN, WireStage.INCLUDED, WireStage.FINALIZED]),
    );
    expect(h.settlement.size).toBe(0);
  });

  it('forwards a lane in sequence order: a later sequence waits while an earlier one is refused', async () => {
    const h = harness();
    const first = payment(0n);
    h.node.refusals.set(toHex(first.signedTx), [new ChainError('REJECTED', 'txpool is full')]);
    const r0 = h.certify(first);
    const r1 = h.certify(payment(1n));
    await eventually(() => expect(h.node.sends(r1)).toBe(1));
    expect(h.node.sent.map(toHex)).toEqual([r0, r0, r1].map((r) => toHex(r.delta.signedTx)));
  });

  it('retries refused sends with exponential backoff (its caps: jitter drawn at 1)', async () => {
    const h = harness({ retry: { initialMs: 40, maxMs: 1000, random: () => 1 } });
    const delta = payment(0n);
    h.node.refusals.set(toHex(delta.signedTx), [
      new ChainError('REJECTED', 'a'),
      new ChainError('INSUFFICIENT_FUNDS', 'b'),
      new ChainError('REJECTED', 'c'),
    ]);
    const p = h.certify(delta);
    await eventually(() => expect(h.stages(p)).toEqual([WireStage.QUEUED_ONCHAIN]));
    const gaps = h.node.sentAt.slice(1).map((t, i) => t - h.node.sentAt[i]!);
    expect(gaps).toHaveLength(3);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
  });

  it('forwards a chained child only once its parent is included at B', async () => {
    const h = harness();
    const parent = h.certify(payment(0n, { sender: BOB }));
    const child = h.certify(payment(0n, { parent: parentOf(parent) }));
    await eventually(() => expect(h.node.sends(parent)).toBe(1));
    h.advance(2n);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.node.sends(child)).toBe(0);

    h.node.include(parent, 3n);
    h.advance(3n);
    await eventually(() => expect(h.node.sends(child)).toBe(1));
    expect(h.stages(parent)).toContain(WireStage.INCLUDED);
  });

  it('forwards a child whose parent other validators certified once the parent lane nonce passes it', async () => {
    const h = harness();
    const parent: ParentRef = {
      qcHash: repeatByte(0xcd, 32),
      txHash: repeatByte(0xee, 32),
      sender: BOB,
      nonceKey: KEY,
      seq: 4n,
    };
    const child = h.certify(payment(0n, { parent }));
    h.advance(2n);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.node.sends(child)).toBe(0);
    h.node.nonces.set(laneKey(BOB, KEY), 5n);
    h.advance(3n);
    await eventually(() => expect(h.node.sends(child)).toBe(1));
  });

  it("keeps settling after the node failed a parent lane's nonce read: the child goes out once the node is back", async () => {
    const h = harness();
    const parent: ParentRef = {
      qcHash: repeatByte(0xcd, 32),
      txHash: repeatByte(0xef, 32),
      sender: BOB,
      nonceKey: KEY,
      seq: 4n,
    };
    h.node.down = true;
    const child = h.certify(payment(0n, { parent }));
    h.advance(2n);
    await new Promise((r) => setTimeout(r, 60));
    expect(h.node.sends(child)).toBe(0);
    h.node.nonces.set(laneKey(BOB, KEY), 5n);
    h.node.down = false;
    await eventually(() => expect(h.node.sends(child)).toBe(1));
  });

  it('takes ALREADY_KNOWN as forwarded but not as included: inclusion comes from B only', async () => {
    const h = harness();
    const delta = payment(0n);
    h.node.refusals.set(toHex(delta.signedTx), [new ChainError('ALREADY_KNOWN', 'already known')]);
    const p = h.certify(delta);
    await eventually(() => expect(h.stages(p)).toEqual([WireStage.QUEUED_ONCHAIN]));
    h.advance(2n);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.stages(p)).toEqual([WireStage.QUEUED_ONCHAIN]);
    h.node.include(p, 3n);
    h.advance(3n);
    await eventually(() => expect(h.stages(p)).toContain(WireStage.INCLUDED));
  });

  it('checks NONCE_TOO_LOW against the receipt; another tx holding the nonce makes the payment FAILED', async () => {
    const h = harness();
    const delta = payment(0n);
    h.node.refusals.set(
      toHex(delta.signedTx),
      Array.from({ length: 20 }, () => new ChainError('NONCE_TOO_LOW', 'nonce too low')),
    );
    const p = h.certify(delta);
    await eventually(() => expect(h.node.sends(p)).toBeGreaterThanOrEqual(6));
    expect(h.stages(p)).toEqual([]);

    h.node.takeNonce(p);
    h.advance(2n);
    await eventually(() => expect(h.stages(p)).toEqual([WireStage.FAILED]));
    const failed = h.hub.history(p.delta.txHash)[0]!;
    expect(failed.message).toMatch(/used by another transaction/);
    expect(h.settlement.size).toBe(0);
  });

  it('takes NONCE_TOO_LOW with a receipt of our own tx as forwarded, then INCLUDED at B', async () => {
    const h = harness();
    const delta = payment(0n);
    h.node.refusals.set(toHex(delta.signedTx), [new ChainError('NONCE_TOO_LOW', 'nonce too low')]);
    const record = { delta, cert: certOf(delta) };
    h.node.include(record, 1n);
    h.ledger.record(delta, record.cert);
    h.settlement.enqueue(record);
    await eventually(() => expect(h.stages(record)).toEqual([WireStage.QUEUED_ONCHAIN]));
    h.advance(2n);
    await eventually(() => expect(h.stages(record)).toContain(WireStage.INCLUDED));
  });

  it('reports a reverted receipt as FAILED with its block', async () => {
    const h = harness();
    const p = h.certify(payment(0n));
    await eventually(() => expect(h.node.sends(p)).toBe(1));
    h.node.include(p, 2n, false);
    h.advance(2n);
    await eventually(() => expect(h.stages(p)).toEqual([WireStage.QUEUED_ONCHAIN, WireStage.FAILED]));
    const failed = h.hub.history(p.delta.txHash)[1]!;
    expect(failed.blockHeight).toBe(2n);
    expect(failed.message).toMatch(/reverted/);
  });

  it('reports EXPIRED when the deadline passes at B without inclusion', async () => {
    const h = harness();
    const p = h.certify(payment(0n, { deadlineMs: 3000n }));
    await eventually(() => expect(h.node.sends(p)).toBe(1));
    h.advance(2n);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.stages(p)).toEqual([WireStage.QUEUED_ONCHAIN]);
    h.advance(3n);
    await eventually(() => expect(h.stages(p)).toEqual([WireStage.QUEUED_ONCHAIN, WireStage.EXPIRED]));
  });

  it('broadcasts again while not included (a restarted node lost its pool), backing off in blocks', async () => {
    const h = harness();
    const p = h.certify(payment(0n));
    await eventually(() => expect(h.node.sends(p)).toBe(1));
    const sendsAt: number[] = [];
    for (let height = 2n; height <= 9n; height++) {
      h.advance(height);
      await new Promise((r) => setTimeout(r, 15));
      sendsAt.push(h.node.sends(p));
    }
    expect(sendsAt).toEqual([1, 2, 2, 2, 2, 3, 3, 3]);
  });

  it('backs off while the node is unreachable and forwards once it is back', async () => {
    const h = harness({ retry: { initialMs: 20, maxMs: 100 } });
    h.node.down = true;
    const p = h.certify(payment(0n));
    await new Promise((r) => setTimeout(r, 150));
    expect(h.node.sends(p)).toBe(0);
    h.node.down = false;
    await eventually(() => expect(h.stages(p)).toEqual([WireStage.QUEUED_ONCHAIN]));
  });

  it('admits new submissions only while the queue has room: TEMPORARY_UNAVAILABLE when full, room again once one settles', async () => {
    const h = harness({ maxPending: 2, finalityDepth: 0 });
    expect(h.settlement.admit()).toBeUndefined();
    const first = h.certify(payment(0n));
    h.certify(payment(0n, { sender: BOB }));
    expect(h.settlement.admit()).toMatchObject({
      code: RejectCode.TEMPORARY_UNAVAILABLE,
      message: expect.stringMatching(/settlement queue full \(2 payments/),
    });
    h.node.include(first, 2n);
    h.advance(2n);
    await eventually(() => expect(h.stages(first)).toContain(WireStage.FINALIZED));
    expect(h.settlement.admit()).toBeUndefined();
  });

  it('after a restart: resolves locks the chain released meanwhile, forwards the restored live ones', async () => {
    const landed = { delta: payment(0n), cert: certOf(payment(0n)) };
    const live = { delta: payment(0n, { sender: BOB }), cert: certOf(payment(0n, { sender: BOB })) };
    const h = harness({ finalityDepth: 0 }, (ledger, node) => {
      ledger.record(landed.delta, landed.cert);
      ledger.record(live.delta, live.cert);
      node.include(landed, 1n);
    });
    for (const record of h.ledger.locks()) h.settlement.enqueue(record);
    h.settlement.enqueue(landed);
    await eventually(() => expect(h.stages(landed)).toEqual([WireStage.INCLUDED, WireStage.FINALIZED]));
    await eventually(() => expect(h.node.sends(live)).toBe(1));
    expect(h.node.sends(landed)).toBe(0);
  });

  it('delays forwarding by the route: a non-primary sidecar steps in only after its delay in blocks', async () => {
    const h = harness({ forwardDelayBlocks: () => 2 });
    const p = h.certify(payment(0n));
    h.advance(2n);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.node.sends(p)).toBe(0);
    h.advance(3n);
    await eventually(() => expect(h.node.sends(p)).toBe(1));
  });
});

/** The persisted settlement machines: tx hash, state and why it was given up on. */
const persisted = async (snapshots: SettlementSnapshots) => {
  const all: { txHash: string; state: string; givenUp?: string }[] = [];
  for await (const { txHash, snapshot } of snapshots.all()) {
    const { givenUp } = snapshot.context;
    all.push({ txHash: toHex(txHash), state: snapshot.value, ...(givenUp ? { givenUp } : {}) });
  }
  return all;
};

const refused = (h: Harness, delta: LedgerDelta): LedgerDelta => {
  h.node.refusedTxs.add(toHex(delta.signedTx));
  return delta;
};

describe('Settlement: payments that cannot land leave the queue', () => {
  it('evicts a tx the node refused K times in a row: FAILED, never sent again, lock kept to its deadline, sender cooled off', async () => {
    const h = harness({ evictAfterRefusals: 3, coolOffMs: 5_000 });
    const p = h.certify(refused(h, payment(0n, { deadlineMs: 9_000n })));
    await eventually(() => expect(h.stages(p)).toEqual([WireStage.FAILED]));
    expect(h.hub.history(p.delta.txHash)[0]!.message).toBe(
      'evicted: node refused it 3 times: fee token not accepted',
    );
    expect(h.node.sends(p)).toBe(3);
    expect(h.settlement.size).toBe(0);
    expect(h.ledger.lockedTx(ALICE, KEY, 0n)).toEqual(p.delta.txHash);
    expect(h.ledger.coolingOffUntil(ALICE)).toBe(1_000n + 5_000n);
    await eventually(async () =>
      expect(await persisted(h.snapshots)).toEqual([
        {
          txHash: toHex(p.delta.txHash),
          state: 'evicted',
          givenUp: 'evicted: node refused it 3 times: fee token not accepted',
        },
      ]),
    );

    h.advance(5n);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.node.sends(p)).toBe(3);
    expect(h.ledger.lockedTx(ALICE, KEY, 0n)).toEqual(p.delta.txHash);
    h.advance(9n);
    await eventually(async () => expect(await persisted(h.snapshots)).toEqual([]));
    expect(h.ledger.lockedTx(ALICE, KEY, 0n)).toBeUndefined();
    expect(h.stages(p)).toEqual([WireStage.FAILED]);
  });

  it('counts refusals in a row only: a send the node accepts starts the count again', async () => {
    const h = harness({ evictAfterRefusals: 3 });
    const delta = payment(0n);
    const no = () => new ChainError('REJECTED', 'txpool is full');
    h.node.refusals.set(toHex(delta.signedTx), [no(), no()]);
    const p = h.certify(delta);
    await eventually(() => expect(h.stages(p)).toEqual([WireStage.QUEUED_ONCHAIN]));
    h.node.refusals.set(toHex(delta.signedTx), [no(), no()]);
    for (let height = 2n; height <= 6n; height++) h.advance(height);
    await eventually(() => expect(h.node.sends(p)).toBe(6));
    await new Promise((r) => setTimeout(r, 100));
    expect(h.stages(p)).toEqual([WireStage.QUEUED_ONCHAIN]);
    expect(h.settlement.size).toBe(1);
  });

  it('serves an honest payer while an attacker fills the queue with txs the node refuses', async () => {
    const h = harness({ maxPending: 8, evictAfterRefusals: 3 });
    const attack = Array.from({ length: 8 }, (_, i) =>
      h.certify(
        refused(h, payment(0n, { sender: BOB, nonceKey: repeatByte(i + 2, 32), deadlineMs: 3_600_000n })),
      ),
    );
    expect(h.settlement.admit()).toMatchObject({ code: RejectCode.TEMPORARY_UNAVAILABLE });

    await eventually(() => expect(attack.map(h.stages)).toEqual(attack.map(() => [WireStage.FAILED])));
    expect(h.settlement.admit()).toBeUndefined();
    expect(h.ledger.coolingOffUntil(BOB)).toBe(1_000n + 60_000n);
    expect(h.ledger.coolingOffUntil(ALICE)).toBeUndefined();
    const honest = h.certify(payment(0n, { deadlineMs: 3_600_000n }));
    await eventually(() => expect(h.stages(honest)).toEqual([WireStage.QUEUED_ONCHAIN]));
    h.node.include(honest, 2n);
    h.advance(2n);
    await eventually(() => expect(h.stages(honest)).toContain(WireStage.INCLUDED));
  });

  it('after a restart puts each machine back in its state: forwarded not sent as new, included finalized, evicted unsent and FAILED again; released ones resolve, stale snapshots go', async () => {
    const store = new MemoryStore();
    const snapshots = new SettlementSnapshots(store, 'settlement/');
    const before = harness({ snapshots, evictAfterRefusals: 3 });
    const forwarded = before.certify(payment(0n, { deadlineMs: 60_000n }));
    const included = before.certify(payment(0n, { sender: BOB, deadlineMs: 60_000n }));
    const reason = 'evicted: node refused it 3 times: fee token not accepted';
    const evicted = before.certify(refused(before, payment(0n, { sender: CAROL, deadlineMs: 60_000n })));
    await eventually(() => expect(before.stages(evicted)).toEqual([WireStage.FAILED]));
    await eventually(() => expect(before.stages(forwarded)).toEqual([WireStage.QUEUED_ONCHAIN]));
    before.node.include(included, 2n);
    before.advance(2n);
    await eventually(() => expect(before.stages(included)).toContain(WireStage.INCLUDED));
    await eventually(async () =>
      expect((await persisted(snapshots)).map((p) => p.state).sort()).toEqual([
        'evicted',
        'forwarded',
        'included',
      ]),
    );
    for await (const stored of snapshots.all()) {
      if (stored.snapshot.value === 'evicted') await snapshots.save(repeatByte(0x99, 32), stored.snapshot);
    }
    await before.settlement.stop();

    const expiredDelta = payment(0n, { nonceKey: repeatByte(7, 32), deadlineMs: 1_000n });
    const expired = { delta: expiredDelta, cert: certOf(expiredDelta) };
    const after = harness({ snapshots }, (ledger, node) => {
      for (const r of [...before.ledger.locks(), expired]) ledger.record(r.delta, r.cert);
      for (const [k, v] of before.node.receipts) node.receipts.set(k, v);
      for (const [k, v] of before.node.nonces) node.nonces.set(k, v);
    });

    expect(await after.settlement.restore()).toBe(2);
    await eventually(() => expect(after.stages(expired)).toEqual([WireStage.EXPIRED]));
    expect(after.hub.history(evicted.delta.txHash).map((u) => [u.stage, u.message])).toEqual([
      [WireStage.FAILED, reason],
    ]);
    after.advance(2n);
    await new Promise((r) => setTimeout(r, 30));
    expect([forwarded, included, evicted, expired].map((r) => after.node.sends(r))).toEqual([0, 0, 0, 0]);
    expect(after.stages(forwarded)).toEqual([]);

    after.node.include(forwarded, 3n);
    after.advance(3n);
    await eventually(() => expect(after.stages(forwarded)).toEqual([WireStage.INCLUDED]));
    after.advance(4n);
    await eventually(() => expect(after.stages(included)).toEqual([WireStage.FINALIZED]));
    expect(after.ledger.lockedTx(CAROL, KEY, 0n)).toEqual(evicted.delta.txHash);
    expect(after.node.sends(evicted)).toBe(0);
    await eventually(async () =>
      expect(await persisted(snapshots)).toEqual(
        [
          { txHash: toHex(evicted.delta.txHash), state: 'evicted', givenUp: reason },
          { txHash: toHex(forwarded.delta.txHash), state: 'included' },
        ].sort((a, b) => a.txHash.localeCompare(b.txHash)),
      ),
    );
  });

  const parentFates: {
    readonly fate: string;
    readonly before?: (h: Harness, parent: LedgerDelta) => void;
    readonly fail: (h: Harness, parent: LockRecord) => Promise<void>;
    readonly message: RegExp;
  }[] = [
    {
      fate: 'reverted',
      fail: async (h, parent) => {
        await eventually(() => expect(h.node.sends(parent)).toBe(1));
        h.node.include(parent, 2n, false);
        h.advance(2n);
      },
      message: /^parent failed: reverted in block 2$/,
    },
    {
      fate: 'had its nonce taken by another tx',
      fail: async (h, parent) => {
        h.node.takeNonce(parent);
        h.advance(2n);
      },
      message: /^parent failed: nonce 0 of its lane was used by another transaction$/,
    },
    {
      fate: 'expired',
      fail: async (h) => h.advance(3n),
      message: /^parent failed: expired unincluded at block 3$/,
    },
    {
      fate: 'was evicted',
      before: (h, parent) => refused(h, parent),
      fail: async () => {},
      message: /^parent failed: evicted: node refused it 5 times: fee token not accepted$/,
    },
  ];

  it.each(parentFates)('fails a chained child unsent when its parent $fate, keeping its lock', async (c) => {
    const h = harness();
    const parentDelta = payment(0n, { sender: BOB, deadlineMs: 3_000n });
    c.before?.(h, parentDelta);
    const parent = h.certify(parentDelta);
    const child = h.certify(payment(0n, { parent: parentOf(parent), deadlineMs: 30_000n }));
    await c.fail(h, parent);

    await eventually(() => expect(h.stages(child)).toEqual([WireStage.FAILED]));
    expect(h.hub.history(child.delta.txHash)[0]!.message).toMatch(c.message);
    expect(h.node.sends(child)).toBe(0);
    expect(h.settlement.size).toBe(0);
    expect(h.ledger.lockedTx(ALICE, KEY, 0n)).toEqual(child.delta.txHash);
    expect(h.ledger.coolingOffUntil(ALICE)).toBeUndefined();
    h.advance(30n);
    await eventually(() => expect(h.ledger.lockedTx(ALICE, KEY, 0n)).toBeUndefined());
    await new Promise((r) => setTimeout(r, 30));
    expect(h.stages(child)).toEqual([WireStage.FAILED]);
    expect(h.node.sends(child)).toBe(0);
  });
});
