import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/protocol/bytes.ts';
import { effectsFromSummary } from '../../src/protocol/effects-from-summary.ts';
import { assembleQuorumCertificate, verifyQuorumCertificate } from '../../src/protocol/quorum.ts';
import { encodeTagged } from '../../src/protocol/tagged-json.ts';
import type { QuorumCertificate } from '../../src/protocol/types.ts';
import { type PaymentRecord, PaymentRecords } from '../../src/services/aggregator/payment-records.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { boardCert, txHashOf } from '../support/board-certs.ts';
import { DAVE, EDGAR } from '../support/demo-keys.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const committee = committeeOf([DAVE, EDGAR]);
const KEY_PREFIX = 'aggregator/payment/';

/** Payment `n` with the QC of both validators; `settlement` adds a (fake) escrow settlement signature to each. */
function recordWithQc(n: number, settlement = false): PaymentRecord & { qc: QuorumCertificate } {
  const certs = [boardCert(DAVE, n), boardCert(EDGAR, n)].map((cert) =>
    settlement ? { ...cert, settlementSignature: new Uint8Array(65).fill(7) } : cert,
  );
  const qc = assembleQuorumCertificate(suite, committee, certs)!;
  const first = certs[0]!;
  return {
    txHash: txHashOf(n),
    effectsHash: first.effectsHash,
    effects: effectsFromSummary(first.effects!)!,
    qc,
  };
}

const records = (store: MemoryStore) => new PaymentRecords({ store, committee, suite, recent: 0 });

describe('PaymentRecords stores a QC compactly and gives it back exactly as formed', () => {
  it('a QC read back from the store is the formed one (hash, signers, signatures, settlement signatures) and verifies', async () => {
    for (const settlement of [false, true]) {
      const store = new MemoryStore();
      const record = recordWithQc(1, settlement);
      await records(store).save(record);
      const read = await records(store).read(toHex(record.txHash));
      expect(read?.qc).toEqual(record.qc);
      expect(verifyQuorumCertificate(suite, committee, read!.qc!).ok).toBe(true);
    }
  });

  it('keeps a record with its QC under 2,000 bytes, so LMDB holds it in a leaf page instead of overflow pages', async () => {
    const store = new MemoryStore();
    const record = recordWithQc(2);
    await records(store).save(record);
    const key = KEY_PREFIX + toHex(record.txHash);
    const stored = (await store.get(key))!;
    expect(stored.length).toBeLessThan(2_000);
    expect(stored.length).toBeLessThan(encodeTagged(record).length / 2);
  });

  it('still reads a record written with the full QC by an earlier version', async () => {
    const store = new MemoryStore();
    const record = recordWithQc(3);
    const hex = toHex(record.txHash);
    await store.put(KEY_PREFIX + hex, encodeTagged(record));
    expect((await records(store).read(hex))?.qc).toEqual(record.qc);
  });

  it('refuses a stored QC that does not rebuild to its hash instead of serving it', async () => {
    const store = new MemoryStore();
    const record = recordWithQc(4);
    const hex = toHex(record.txHash);
    await records(store).save(record);
    const other = recordWithQc(5);
    // The record of payment 4 with payment 5's certificates: every field well formed, the hash no longer matching.
    await records(store).save({ ...record, qc: { ...record.qc, certs: other.qc.certs } });
    await expect(records(store).read(hex)).rejects.toThrow(/does not rebuild to its hash/);
  });
});
