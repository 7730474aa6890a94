import { describe, expect, it } from 'vitest';
import { bytesEqual, concatBytes } from '../../src/protocol/bytes.ts';
import { decodeEscrowPayment, readEscrowPaymentTx } from '../../src/protocol/escrow/decode-escrow-payment.ts';
import { escrowPaymentDigest } from '../../src/protocol/escrow/escrow-payment.ts';
import { encodeEscrowPaymentTx } from '../../src/protocol/escrow/escrow-payment-tx.ts';
import { signEscrowDigest } from '../../src/protocol/escrow/escrow-signature.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { decodeTempoTx } from '../../src/protocol/tempo/decode-tempo-tx.ts';
import { TempoTxFormat } from '../../src/protocol/types.ts';
import { prepareSubmission } from '../../src/protocol/validation/prepare-submission.ts';
import { ALICE, ALICE_KEY, ALPHA_USD, BOB, BOB_KEY, DAVE, EDGAR } from '../support/demo-keys.ts';
import { ESCROW, ESCROW_DOMAIN, escrowPayment } from '../support/escrow-fixtures.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function rejectOf(bytes: Uint8Array) {
  const result = decodeEscrowPayment(suite, bytes);
  if (result.ok) throw new Error('expected a reject');
  return result.reject;
}

describe('decodeEscrowPayment', () => {
  it('maps a signed escrow payment onto the decoded payment: payer, lane, seq, token, deadline, payment id', () => {
    const built = escrowPayment({
      key: ALICE_KEY,
      to: BOB,
      amount: 10n,
      seq: 3n,
      lane: 7n,
      deadline: 1_900_000_000n,
    });
    const result = decodeTempoTx(suite, TempoTxFormat.ALLEGRO_ESCROW_V1, built.tx.tempoTx!);
    if (!result.ok) throw new Error(result.reject.message);
    const { tx } = result;
    expect(tx.kind).toBe('escrow');
    expect(tx.sender).toEqual(ALICE);
    expect(tx.recipient).toEqual(BOB);
    expect(tx.asset).toEqual(ALPHA_USD);
    expect(tx.amount).toBe(10n);
    expect(tx.nonce).toBe(3n);
    expect(tx.nonceKey).toEqual(built.payment.lane);
    expect(tx.validBefore).toBe(1_900_000_000n);
    expect(tx.chainId).toBe(1337n);
    expect(tx.escrow).toEqual(ESCROW);
    expect(tx.signingHash).toEqual(built.paymentId);
    expect(tx.maxFee).toBe(0n);
    expect(tx.sponsored).toBe(false);
  });

  it('reads back exactly what was encoded', () => {
    const built = escrowPayment({ key: ALICE_KEY, to: BOB, amount: 2n ** 64n - 1n });
    const read = readEscrowPaymentTx(built.tx.tempoTx!);
    expect(read.payment).toEqual(built.payment);
    expect(read.escrow).toEqual(ESCROW);
    expect(bytesEqual(encodeEscrowPaymentTx(read), built.tx.tempoTx!)).toBe(true);
  });

  it('refuses trailing bytes, a missing field and a non-canonical integer as INVALID_FORMAT', () => {
    const built = escrowPayment({ key: ALICE_KEY, to: BOB, amount: 10n });
    const bytes = built.tx.tempoTx!;
    expect(rejectOf(concatBytes(bytes, Uint8Array.of(0))).message).toBe(
      'non-canonical escrow payment encoding',
    );
    const read = readEscrowPaymentTx(bytes);
    const short = encodeEscrowPaymentTx({ ...read, payerSignature: read.payerSignature.subarray(0, 64) });
    expect(rejectOf(short).code).toBe(RejectCode.INVALID_FORMAT);
    // amount 10 is the one-byte string 0x0a; as 0x820000 0a it would carry leading zeros.
    const amountAt = bytes.indexOf(0x0a, 1 + 1 + 2 + 3 * 21 + 21);
    const padded = concatBytes(
      bytes.subarray(0, amountAt),
      Uint8Array.of(0x82, 0x00, 0x0a),
      bytes.subarray(amountAt + 1),
    );
    const header = padded.slice();
    header[1]! += 2;
    expect(rejectOf(header).message).toBe('non-canonical escrow payment encoding');
  });

  it('refuses a payment not signed by its payer, and a high-s twin of a valid signature', () => {
    const built = escrowPayment({ key: ALICE_KEY, to: BOB, amount: 10n });
    const read = readEscrowPaymentTx(built.tx.tempoTx!);
    const bobSig = signEscrowDigest(
      escrowPaymentDigest(ESCROW_DOMAIN, read.payment),
      Buffer.from(BOB_KEY.slice(2), 'hex'),
    );
    expect(rejectOf(encodeEscrowPaymentTx({ ...read, payerSignature: bobSig })).message).toBe(
      'escrow payment is not signed by its payer',
    );
    const sig = read.payerSignature;
    const s = BigInt(`0x${Buffer.from(sig.subarray(32, 64)).toString('hex')}`);
    const highS = Buffer.from((SECP256K1_N - s).toString(16).padStart(64, '0'), 'hex');
    const twin = concatBytes(sig.subarray(0, 32), highS, Uint8Array.of(sig[64] === 27 ? 28 : 27));
    expect(rejectOf(encodeEscrowPaymentTx({ ...read, payerSignature: twin })).message).toBe(
      'secp256k1 signature s is not low (EIP-2)',
    );
  });

  it('binds the wrapper like a direct payment: its expiry must be the deadline in unix millis', () => {
    const committee = committeeOf([DAVE, EDGAR]);
    const built = escrowPayment({ key: ALICE_KEY, to: BOB, amount: 10n, deadline: 1_900_000_000n });
    expect(prepareSubmission(suite, committee, built.tx).ok).toBe(true);
    const moved = { ...built.tx, expiry: { kind: 'unixMillis' as const, value: 1_900_000_001_000n } };
    const result = prepareSubmission(suite, committee, moved);
    expect(result.ok ? undefined : result.reject.message).toMatch(
      /expiry must equal the signed tx validBefore/,
    );
  });
});
