import { bytesEqual } from '../bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { type DecodeTempoTxResult, invalidTx } from '../tempo/decoded-tempo-tx.ts';
import {
  decodeRlp,
  isRlpUint,
  RlpError,
  type RlpItem,
  rlpBytes,
  rlpListItems,
  rlpUint,
} from '../tempo/rlp-reader.ts';
import { recoverSecp256k1Sender } from '../tempo/secp256k1-sender.ts';
import { escrowPaymentDigest } from './escrow-payment.ts';
import type { EscrowPaymentTx } from './escrow-payment-tx.ts';
import { ESCROW_SIGNATURE_LENGTH } from './escrow-signature.ts';

/** Byte length of each field of the list, or 'uint' for a canonical integer of at most 8 bytes. */
const FIELDS: readonly (number | 'uint')[] = [
  'uint',
  20,
  20,
  20,
  20,
  'uint',
  32,
  'uint',
  'uint',
  32,
  ESCROW_SIGNATURE_LENGTH,
];

/**
 * Reads the canonical encoding of `encodeEscrowPaymentTx` (strict RLP: minimal headers, no trailing bytes,
 * canonical integers that fit u64, fixed-length addresses, lane, parent and signature). Throws RlpError otherwise.
 */
export function readEscrowPaymentTx(bytes: Uint8Array): EscrowPaymentTx {
  const top = decodeRlp(bytes);
  const items = rlpListItems(bytes, top);
  if (items.length !== FIELDS.length)
    throw new RlpError(`expected ${FIELDS.length} escrow payment fields, got ${items.length}`);
  const values = items.map((item, i) => field(bytes, item, FIELDS[i]!));
  const [chainId, escrow, payer, recipient, token, amount, lane, seq, deadline, parent, payerSignature] =
    values as [
      bigint,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      bigint,
      Uint8Array,
      bigint,
      bigint,
      Uint8Array,
      Uint8Array,
    ];
  return {
    chainId,
    escrow,
    payment: { payer, recipient, token, amount, lane, seq, deadline, parent },
    payerSignature,
  };
}

function field(bytes: Uint8Array, item: RlpItem, shape: number | 'uint'): bigint | Uint8Array {
  if (shape === 'uint') {
    if (!isRlpUint(bytes, item)) throw new RlpError('non-canonical integer in escrow payment', true);
    return rlpUint(rlpBytes(bytes, item), 8);
  }
  const value = rlpBytes(bytes, item);
  if (value.length !== shape) throw new RlpError(`expected ${shape} bytes, got ${value.length}`);
  return value.slice();
}

/**
 * Decodes `ALLEGRO_ESCROW_V1`: the escrow payment, its payer recovered from the signature over the payment id
 * (low s, v 27/28, as the contract's ecrecover accepts; the recovered payer must be `payment.payer`). Mapped onto
 * the decoded-tx shape so the decision reads it like a transfer: sender = payer, nonce key = lane, nonce = seq,
 * asset = token, validBefore = deadline; no fee (the settling sidecar pays it), never sponsored. Bad input is a
 * reject, never an exception.
 */
export function decodeEscrowPayment(suite: CryptoSuite, bytes: Uint8Array): DecodeTempoTxResult {
  let tx: EscrowPaymentTx;
  try {
    tx = readEscrowPaymentTx(bytes);
  } catch (err) {
    if (!(err instanceof RlpError)) throw err;
    return invalidTx(
      err.nonCanonical
        ? 'non-canonical escrow payment encoding'
        : `invalid escrow payment encoding: ${err.message}`,
    );
  }
  const { payment, payerSignature } = tx;
  const paymentId = escrowPaymentDigest({ chainId: tx.chainId, escrow: tx.escrow }, payment);
  const v = payerSignature[64]!;
  if (v !== 27 && v !== 28) return invalidTx('escrow payer signature v must be 27 or 28');
  const payer = recoverSecp256k1Sender(suite, paymentId, {
    r: payerSignature.subarray(0, 32),
    s: payerSignature.subarray(32, 64),
    yParity: v - 27,
  });
  if (!(payer instanceof Uint8Array)) return { ok: false, reject: payer };
  if (!bytesEqual(payer, payment.payer)) return invalidTx('escrow payment is not signed by its payer');
  return {
    ok: true,
    tx: {
      kind: 'escrow',
      sender: payment.payer,
      chainId: tx.chainId,
      nonceKey: payment.lane,
      nonce: payment.seq,
      recipient: payment.recipient,
      amount: payment.amount,
      asset: payment.token,
      validBefore: payment.deadline,
      sponsored: false,
      maxFee: 0n,
      gasLimit: 0n,
      maxFeePerGas: 0n,
      signingHash: paymentId,
      escrow: tx.escrow,
      escrowParent: payment.parent,
    },
  };
}
