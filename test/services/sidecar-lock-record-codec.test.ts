import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repeatByte } from '../../src/protocol/bytes.ts';
import { Ledger, type LockRecord } from '../../src/protocol/ledger/ledger.ts';
import { encodeTagged } from '../../src/protocol/tagged-json.ts';
import type { Credit } from '../../src/protocol/validation/decision.ts';
import {
  decodeSafetyRecord,
  encodeSafetyRecord,
  SAFETY_RECORD_VERSION,
} from '../../src/services/sidecar/lock-record-codec.ts';
import { SafetyJournal } from '../../src/services/sidecar/safety-journal.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';

const SENDER = repeatByte(0xa1, 20);
const RECIPIENT = repeatByte(0xb2, 20);
const ASSET = repeatByte(0x20, 20);

/** A lock record with every optional field set: credit, parent, confirmation, escrow pool and ids. */
function fullRecord(seq: bigint, tx: number): LockRecord {
  const nonce = { nonceKey: repeatByte(0x01, 32), seq };
  const txHash = repeatByte(tx, 32);
  const credit: Credit = {
    parentTxHash: repeatByte(0x77, 32),
    parentEffectsHash: repeatByte(0x78, 32),
    parentSender: RECIPIENT,
    parentNonceKey: repeatByte(0x02, 32),
    parentSeq: 4n,
    recipient: SENDER,
    asset: ASSET,
    amount: 5_000_000n,
    deadline: { kind: 'unixMillis', value: 1_800_000_000_000n },
    pool: 'escrow',
    paymentId: repeatByte(0x79, 32),
  };
  return {
    delta: {
      txHash,
      effects: { sender: SENDER, recipient: RECIPIENT, amount: 2n ** 64n - 1n, asset: ASSET, nonce },
      debits: [
        { account: SENDER, asset: ASSET, amount: 1_000_000n },
        { account: SENDER, asset: repeatByte(0x21, 20), amount: 0n, pool: 'escrow' },
      ],
      credit,
      inclusionDeadlineMs: 1_800_000_000_000n,
      parent: {
        qcHash: repeatByte(0x7a, 32),
        txHash: repeatByte(0x77, 32),
        sender: RECIPIENT,
        nonceKey: repeatByte(0x02, 32),
        seq: 4n,
      },
      signedTx: repeatByte(0x76, 180),
      confirms: repeatByte(0x7b, 32),
      pool: 'escrow',
      paymentId: repeatByte(0x7c, 32),
    },
    cert: {
      signer: { name: 'Dave', id: repeatByte(0xd1, 32), pubkey: repeatByte(0xd2, 32) },
      txHash,
      effectsHash: repeatByte(0x7d, 32),
      effects: { sender: SENDER, recipient: RECIPIENT, amount: 1n, asset: ASSET, nonce },
      signature: repeatByte(0x5e, 64),
      createdUnixMillis: 1_700_000_000_123n,
      settlementSignature: repeatByte(0x5f, 65),
    },
  };
}

/** Record-like values: objects of bytes, bigints (u64 and beyond, negative too), strings, numbers, booleans, arrays. */
const recordValue = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    fc.bigInt({ min: -(2n ** 130n), max: 2n ** 130n }),
    fc.string(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
  ),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.constantFrom('txHash', 'delta', 'amount', 'seq'), fc.string({ minLength: 1 })),
      tie('node'),
      { maxKeys: 5 },
    ),
  ),
}));

describe('binary safety records', () => {
  it('round-trips a lock record with every optional field exactly', () => {
    const record = fullRecord(7n, 0x42);
    const bytes = encodeSafetyRecord(record);
    expect(bytes[0]).toBe(SAFETY_RECORD_VERSION);
    expect(decodeSafetyRecord(bytes, 'lock/x')).toEqual(record);
  });

  it('round-trips any record-like value (fast-check)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), recordValue.node), (value) => {
        expect(decodeSafetyRecord(encodeSafetyRecord(value), 'k')).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a field named __proto__ as a field, never as the prototype', () => {
    const value = JSON.parse('{"__proto__":[1]}') as object;
    const decoded = decodeSafetyRecord<object>(encodeSafetyRecord(value), 'k');
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(decoded).toEqual(value);
  });

  it('drops undefined fields as JSON did', () => {
    expect(decodeSafetyRecord(encodeSafetyRecord({ a: 1n, b: undefined }), 'k')).toEqual({ a: 1n });
  });

  it('takes less than half the bytes of the tagged JSON it replaces', () => {
    const record = fullRecord(7n, 0x42);
    expect(encodeSafetyRecord(record).length * 2).toBeLessThan(encodeTagged(record).length);
  });

  it('restores lock and credit records written as tagged JSON by earlier versions, beside binary ones', async () => {
    const store = new MemoryStore();
    const old = fullRecord(0n, 0x42);
    const current = fullRecord(1n, 0x43);
    await store.put('lock/old', encodeTagged(old));
    await store.put('credit/old', encodeTagged(old.delta.credit));
    await new SafetyJournal(store).persist(current);
    const ledger = new Ledger({ maxRequestCache: 8, maxSettledCerts: 8 });
    expect(await new SafetyJournal(store).restore(ledger)).toEqual({ locks: 2, credits: 2, conflicts: 0 });
    expect(ledger.lockOf(old.delta.txHash)).toMatchObject(old);
    expect(ledger.lockOf(current.delta.txHash)).toMatchObject(current);
    expect(ledger.hasCredit(old.delta.credit!.parentTxHash)).toBe(true);
  });

  it('refuses a record of an unknown format version, naming its key and the versions it reads', () => {
    const bytes = encodeSafetyRecord(fullRecord(0n, 0x42));
    bytes[0] = 0x02;
    expect(() => decodeSafetyRecord(bytes, 'lock/0xabc')).toThrow(
      expect.objectContaining({
        code: 'STORE_CORRUPT',
        message: expect.stringMatching(
          /lock\/0xabc has format byte 0x02; this version reads 1 and tagged JSON/,
        ),
      }),
    );
  });

  it('refuses truncated or trailing bytes as STORE_CORRUPT instead of restoring part of a lock', () => {
    const bytes = encodeSafetyRecord(fullRecord(0n, 0x42));
    expect(() => decodeSafetyRecord(bytes.subarray(0, bytes.length - 3), 'lock/t')).toThrow(
      expect.objectContaining({ code: 'STORE_CORRUPT', message: expect.stringContaining('truncated') }),
    );
    const longer = new Uint8Array([...bytes, 0]);
    expect(() => decodeSafetyRecord(longer, 'lock/t')).toThrow(
      expect.objectContaining({
        code: 'STORE_CORRUPT',
        message: expect.stringContaining('after the record'),
      }),
    );
  });

  it('a restore stops with STORE_CORRUPT on a damaged record rather than start without the lock', async () => {
    const store = new MemoryStore();
    await store.put('lock/bad', new Uint8Array([0x09, 0x00]));
    const ledger = new Ledger({ maxRequestCache: 8, maxSettledCerts: 8 });
    await expect(new SafetyJournal(store).restore(ledger)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  });
});
