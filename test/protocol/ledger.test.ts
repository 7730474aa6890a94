import { describe, expect, it } from 'vitest';
import { repeatByte } from '../../src/protocol/bytes.ts';
import { Ledger } from '../../src/protocol/ledger/ledger.ts';
import type { ValidatorCertificate } from '../../src/protocol/types.ts';
import type { Credit, LedgerDelta } from '../../src/protocol/validation/decision.ts';
import { ALICE, ALPHA_USD, BOB, CAROL } from '../support/demo-keys.ts';

const KEY = repeatByte(1, 32);
const cert = (txHash: Uint8Array): ValidatorCertificate => ({
  txHash,
  effectsHash: repeatByte(9, 32),
  signature: new Uint8Array(64),
  createdUnixMillis: 1n,
});

function delta(seq: bigint, amount: bigint, extra: Partial<LedgerDelta> = {}): LedgerDelta {
  const txHash = repeatByte(Number(seq) + 10, 32);
  return {
    txHash,
    effects: { sender: ALICE, recipient: BOB, amount, asset: ALPHA_USD, nonce: { nonceKey: KEY, seq } },
    debits: [{ account: ALICE, asset: ALPHA_USD, amount }],
    signedTx: new Uint8Array([0x76]),
    ...extra,
  };
}

const ledger = () => new Ledger({ maxRequestCache: 4, maxSettledCerts: 4 });

describe('Ledger', () => {
  it('sums debits per holding and tracks the highest locked sequence per lane', () => {
    const l = ledger();
    l.record(delta(0n, 3n), cert(repeatByte(10, 32)));
    l.record(delta(1n, 4n), cert(repeatByte(11, 32)));
    expect(l.debitOf(ALICE, ALPHA_USD)).toBe(7n);
    expect(l.highestLockedSeq(ALICE, KEY)).toBe(1n);
    expect(l.lockedTx(ALICE, KEY, 1n)).toEqual(repeatByte(11, 32));
  });

  it('refuses to record a second tx on a locked contention key', () => {
    const l = ledger();
    l.record(delta(0n, 3n), cert(repeatByte(10, 32)));
    expect(() =>
      l.record({ ...delta(0n, 3n), txHash: repeatByte(99, 32) }, cert(repeatByte(99, 32))),
    ).toThrow(/already locked/);
  });

  it('releases locks below the chain nonce exactly once and keeps their certificate for lookups', () => {
    const l = ledger();
    l.record(delta(0n, 3n), cert(repeatByte(10, 32)));
    l.record(delta(1n, 4n), cert(repeatByte(11, 32)));
    expect(l.releaseThroughNonce(ALICE, KEY, 1n)).toHaveLength(1);
    expect(l.releaseThroughNonce(ALICE, KEY, 1n)).toHaveLength(0);
    expect(l.debitOf(ALICE, ALPHA_USD)).toBe(4n);
    expect(l.ownCertificate(repeatByte(10, 32))).toBeDefined();
    expect(l.lockedTx(ALICE, KEY, 0n)).toBeUndefined();
  });

  it('releases locks whose validBefore passed and credits whose parent deadline passed, locked here or not', () => {
    const l = ledger();
    l.record(delta(0n, 3n, { inclusionDeadlineMs: 1000n }), cert(repeatByte(10, 32)));
    const credit: Credit = {
      parentTxHash: repeatByte(10, 32),
      parentEffectsHash: repeatByte(11, 32),
      parentSender: ALICE,
      parentNonceKey: KEY,
      parentSeq: 0n,
      recipient: BOB,
      asset: ALPHA_USD,
      amount: 3n,
      deadline: { kind: 'unixMillis', value: 1000n },
    };
    const child: LedgerDelta = {
      txHash: repeatByte(50, 32),
      effects: {
        sender: BOB,
        recipient: CAROL,
        amount: 3n,
        asset: ALPHA_USD,
        nonce: { nonceKey: KEY, seq: 0n },
      },
      debits: [{ account: BOB, asset: ALPHA_USD, amount: 3n }],
      signedTx: new Uint8Array([0x76]),
      credit,
    };
    l.record(child, cert(repeatByte(50, 32)));
    expect(l.creditOf(BOB, ALPHA_USD)).toBe(3n);
    expect(l.releaseExpired(999n)).toHaveLength(0);
    expect(l.releaseExpired(1000n)).toHaveLength(1);
    expect(l.creditOf(BOB, ALPHA_USD)).toBe(0n);
    expect(l.hasCredit(credit.parentTxHash)).toBe(false);
  });

  it('counts a parent credit once and drops it when the parent lane nonce passes', () => {
    const l = ledger();
    const credit: Credit = {
      parentTxHash: repeatByte(7, 32),
      parentEffectsHash: repeatByte(8, 32),
      parentSender: CAROL,
      parentNonceKey: KEY,
      parentSeq: 5n,
      recipient: ALICE,
      asset: ALPHA_USD,
      amount: 8n,
      deadline: { kind: 'unixMillis', value: 10_000n },
    };
    l.record(delta(0n, 3n, { credit }), cert(repeatByte(10, 32)));
    l.record(delta(1n, 3n, { credit }), cert(repeatByte(11, 32)));
    expect(l.creditOf(ALICE, ALPHA_USD)).toBe(8n);
    l.releaseThroughNonce(CAROL, KEY, 5n);
    expect(l.creditOf(ALICE, ALPHA_USD)).toBe(8n);
    l.releaseThroughNonce(CAROL, KEY, 6n);
    expect(l.creditOf(ALICE, ALPHA_USD)).toBe(0n);
  });

  it('bounds the request cache, evicting the least recently used answer', () => {
    const l = ledger();
    for (let i = 0; i < 5; i++)
      l.cacheResponse(ALICE, `r${i}`, {
        txHash: repeatByte(i, 32),
        response: { cert: cert(repeatByte(i, 32)) },
      });
    expect(l.cachedResponse(ALICE, 'r0')).toBeUndefined();
    expect(l.cachedResponse(ALICE, 'r4')).toBeDefined();
  });
});
