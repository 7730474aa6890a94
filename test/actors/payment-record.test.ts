import { afterEach, describe, expect, it } from 'vitest';
import { formedQc, paymentRecordOf, recordFields } from '../../src/actors/payment-record.ts';
import { PaymentSystem } from '../../src/actors/payment-system.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import { faultTolerance, quorumThreshold } from '../../src/protocol/committee.ts';
import { effectsFromSummary } from '../../src/protocol/effects-from-summary.ts';
import { assembleQuorumCertificate, verifyQuorumCertificate } from '../../src/protocol/quorum.ts';
import type { ValidatorCertificate } from '../../src/protocol/types.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { boardCert, txHashOf } from '../support/board-certs.ts';
import { DAVE, EDGAR } from '../support/demo-keys.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const committee = committeeOf([DAVE, EDGAR]);
const systems: PaymentSystem[] = [];
afterEach(async () => {
  for (const system of systems.splice(0)) await system.close();
});

/**
 * Payment `n` tracked from its certificates and QC'd as the aggregator does it, on a fresh PaymentSystem over
 * `store`; `settlement` adds an escrow settlement signature to each certificate.
 */
async function qcdPayment(store: MemoryStore, n: number, settlement = false) {
  const certs: ValidatorCertificate[] = [boardCert(DAVE, n), boardCert(EDGAR, n)].map((cert) =>
    settlement ? { ...cert, settlementSignature: new Uint8Array(65).fill(7) } : cert,
  );
  const qc = assembleQuorumCertificate(suite, committee, certs)!;
  const record = {
    txHash: txHashOf(n),
    effectsHash: certs[0]!.effectsHash,
    effects: effectsFromSummary(certs[0]!.effects!)!,
    expiresAtMs: 1_700_000_060_000n,
  };
  const system = await PaymentSystem.open({ store });
  systems.push(system);
  const key = toHex(record.txHash);
  await system.track({
    txHash: key,
    ...recordFields(record),
    threshold: quorumThreshold(committee),
    faultTolerance: faultTolerance(committee),
    blockAtSubmit: '1',
    submittedAt: 1_000,
  });
  for (const [i, cert] of certs.entries()) {
    const member = [DAVE, EDGAR][i]!;
    await system.send(key, {
      type: 'CERTIFICATE',
      at: 2_000,
      validatorId: toHex(member.id),
      validator: member.name,
      signature: toHex(cert.signature),
      createdUnixMillis: cert.createdUnixMillis.toString(),
    });
  }
  const certificates = system.get(key)!.context.certificates;
  await system.send(key, {
    type: 'QC_FORMED',
    at: 3_000,
    qcHash: toHex(qc.qcHash),
    blockHeight: '1',
    qc: formedQc(qc, certificates),
  });
  return { system, key, record, qc };
}

describe("a payment's record lives in its persisted snapshot, the QC exactly as formed", () => {
  it('gives back effects, deadlines and the QC (settlement signatures too) from the context, also after a restart', async () => {
    for (const settlement of [false, true]) {
      const store = new MemoryStore();
      const { system, key, record, qc } = await qcdPayment(store, 1, settlement);
      await system.close();
      systems.splice(0);
      const reopened = await PaymentSystem.open({ store });
      systems.push(reopened);
      const view = await reopened.load(key);
      const read = paymentRecordOf(view!.context, committee, suite)!;
      expect(read.effects).toEqual(record.effects);
      expect(read.expiresAtMs).toBe(record.expiresAtMs);
      expect(read.qc).toEqual(qc);
      expect(verifyQuorumCertificate(suite, committee, read.qc!).ok).toBe(true);
    }
  });

  it('keeps the QC compact: its signatures are the recorded certificates, not repeated', async () => {
    const { system, key } = await qcdPayment(new MemoryStore(), 2);
    const formed = system.get(key)!.context.qc!;
    expect(formed.certs.map((c) => Object.keys(c))).toEqual([['validatorId'], ['validatorId']]);
  });

  it('refuses a context whose QC does not rebuild to its hash instead of serving it', async () => {
    const { system, key } = await qcdPayment(new MemoryStore(), 3);
    const context = system.get(key)!.context;
    const other = boardCert(DAVE, 4);
    const tampered = {
      ...context,
      qc: {
        ...context.qc!,
        certs: [{ ...context.qc!.certs[0]!, signature: toHex(other.signature) }, context.qc!.certs[1]!],
      },
    };
    expect(() => paymentRecordOf(tampered, committee, suite)).toThrow(/does not rebuild to its hash/);
  });
});
