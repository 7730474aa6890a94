import { describe, expect, it } from 'vitest';
import { checkPayment, type PayeeChainReader } from '../../src/client/allegro-client.ts';
import { type BuiltPayment, buildPayment } from '../../src/client/build-payment.ts';
import { repeatByte } from '../../src/protocol/bytes.ts';
import { signCertificate } from '../../src/protocol/certificate.ts';
import { guaranteeOf } from '../../src/protocol/guarantee.ts';
import { assembleQuorumCertificate } from '../../src/protocol/quorum.ts';
import { TempoTxFormat } from '../../src/protocol/types.ts';
import { ALICE_KEY, ALPHA_USD, BOB, BOB_KEY, CAROL, DAVE, EDGAR } from '../support/demo-keys.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const FRANK = { name: 'Frank', id: repeatByte(0xf1, 32), seed: repeatByte(0x43, 32) };
const GRACE = { name: 'Grace', id: repeatByte(0xf2, 32), seed: repeatByte(0x45, 32) };
const VALIDATORS = [DAVE, EDGAR, FRANK, GRACE];
const committee = committeeOf(VALIDATORS);
const VALID_BEFORE = 1_900_000_000n;
const LANE_KEY = new Uint8Array(32).fill(7, 31);

function pay(spec: Partial<Parameters<typeof buildPayment>[0]> = {}): BuiltPayment {
  return buildPayment({
    suite,
    account: ALICE_KEY,
    to: BOB,
    amount: 10_000n,
    asset: ALPHA_USD,
    chainId: 1337n,
    lane: { nonceKey: LANE_KEY },
    seq: 3n,
    validBefore: VALID_BEFORE,
    ...spec,
  });
}

/** The certificates of `signers` for a built payment. */
function certsOf(built: BuiltPayment, signers = VALIDATORS.slice(0, 3)) {
  return signers.map((v) =>
    signCertificate(
      suite,
      suite.ed25519.signer(v.seed),
      v,
      committee,
      built.effects,
      built.txHash,
      built.effectsHash,
      1_700_000_000_000n,
    ),
  );
}

function qcOf(built: BuiltPayment) {
  return assembleQuorumCertificate(suite, committee, certsOf(built))!;
}

/** A chain at `height` and `timestampMs` whose lanes are all at nonce `laneNonce`. */
function chainAt(timestampMs: bigint, laneNonce: bigint): PayeeChainReader {
  return { head: async () => ({ height: 50n, timestampMs }), nonce: async () => laneNonce };
}

describe('checkPayment: what a payee gets from a payment and its QC', () => {
  it('a verifying QC of a direct-mode payment: LOCKED, its validBefore as deadline, landable before it', async () => {
    const built = pay();
    const check = await checkPayment({
      suite,
      committee,
      tx: built.tx,
      qc: qcOf(built),
      chain: chainAt(VALID_BEFORE * 1000n - 1n, 3n),
    });
    expect(check).toMatchObject({
      ok: true,
      guarantee: 'LOCKED',
      txHash: built.txHash,
      deadlineMs: VALID_BEFORE * 1000n,
      landability: { height: 50n, landable: true },
    });
    expect(check.ok && check.parent).toBeUndefined();
  });

  it('is not landable once the head time reaches validBefore, nor once its lane nonce passed', async () => {
    const built = pay();
    const at = (chain: PayeeChainReader) =>
      checkPayment({ suite, committee, tx: built.tx, qc: qcOf(built), chain });
    const late = await at(chainAt(VALID_BEFORE * 1000n, 0n));
    expect(late.ok && late.landability).toMatchObject({
      landable: false,
      reason: expect.stringContaining('validBefore'),
    });
    const taken = await at(chainAt(1_000n, 4n));
    expect(taken.ok && taken.landability).toMatchObject({
      landable: false,
      reason: expect.stringContaining('4 > 3'),
    });
  });

  it("counts the committee's threshold, never the QC's own: two certificates declaring threshold 2 are refused", async () => {
    const built = pay();
    const full = qcOf(built);
    const short = { ...full, certs: full.certs.slice(0, 2), threshold: 2, qcHash: new Uint8Array() };
    const check = await checkPayment({ suite, committee, tx: built.tx, qc: short });
    expect(check).toEqual({ ok: false, problem: expect.stringContaining('committee needs 3') });
  });

  it('refuses a QC of another payment', async () => {
    const check = await checkPayment({ suite, committee, tx: pay().tx, qc: qcOf(pay({ amount: 9n })) });
    expect(check).toEqual({ ok: false, problem: 'the QC certifies another payment' });
  });

  it('names the parent a chained payment depends on, with its tx when the payee has it', async () => {
    const parent = pay();
    const parentQc = qcOf(parent);
    const child = buildPayment({
      suite,
      account: BOB_KEY,
      to: CAROL,
      amount: 5_000n,
      asset: ALPHA_USD,
      chainId: 1337n,
      lane: { nonceKey: new Uint8Array(32) },
      seq: 0n,
      validBefore: VALID_BEFORE,
      parentQc,
    });
    const check = await checkPayment({
      suite,
      committee,
      tx: child.tx,
      qc: qcOf(child),
      parentTx: parent.tx,
    });
    expect(check.ok && check.parent).toEqual({ qcHash: parentQc.qcHash, tx: parent.tx });
  });

  it('the guarantee follows the tx format: ESCROWED only for the escrow format', () => {
    expect(guaranteeOf(TempoTxFormat.ALLEGRO_ESCROW_V1)).toBe('ESCROWED');
    expect(guaranteeOf(TempoTxFormat.TEMPO_NATIVE_V1)).toBe('LOCKED');
    expect(guaranteeOf(TempoTxFormat.EVM_OPAQUE_BYTES_V1)).toBe('LOCKED');
    expect(guaranteeOf(undefined)).toBe('LOCKED');
  });
});
