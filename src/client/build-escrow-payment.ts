import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import type { EscrowDomain } from '../protocol/escrow/escrow-eip712.ts';
import { type EscrowPayment, escrowPaymentDigest, NO_PARENT } from '../protocol/escrow/escrow-payment.ts';
import { encodeEscrowPaymentTx } from '../protocol/escrow/escrow-payment-tx.ts';
import { signEscrowDigest } from '../protocol/escrow/escrow-signature.ts';
import { effectsHash, txHash } from '../protocol/hashing.ts';
import { type Effects, type FastPayTx, type QuorumCertificate, TempoTxFormat } from '../protocol/types.ts';
import { type BuiltPayment, parentQcHashOf } from './build-payment.ts';
import type { Lane } from './lane.ts';
import { type PayerKey, payerAddress, payerKeyBytes } from './payer-key.ts';

export interface EscrowPaymentSpec {
  readonly suite: CryptoSuite;
  readonly account: PayerKey;
  readonly domain: EscrowDomain;
  readonly to: Uint8Array;
  readonly amount: bigint;
  /** The TIP-20 token paid out of the escrow balance. */
  readonly asset: Uint8Array;
  readonly lane: Lane;
  readonly seq: bigint;
  /** Unix seconds: the escrow settles it only in a block with an earlier timestamp. */
  readonly deadline: bigint;
  /** The escrow parent this payment spends from: its QC (cited by qc_hash) and its payment id (signed). */
  readonly parent?: { readonly qc: QuorumCertificate; readonly paymentId: Uint8Array };
  readonly clientRequestId?: string;
}

export interface BuiltEscrowPayment extends BuiltPayment {
  readonly payment: EscrowPayment;
  /** What the payer signed and what a child names as its parent. */
  readonly paymentId: Uint8Array;
}

/**
 * Builds an ESCROWED payment (ALLEGRO_ESCROW_V1): the escrow payment signed by the payer over its payment id
 * (EIP-712), encoded canonically as `tempo_tx`, wrapped in a FastPayTx bound to it like a direct payment (chain
 * id, nonce key = lane, seq, expiry = the deadline in unix millis, the parent's qc_hash).
 */
export function buildEscrowPayment(spec: EscrowPaymentSpec): BuiltEscrowPayment {
  const { suite, domain } = spec;
  const payment: EscrowPayment = {
    payer: payerAddress(spec.account),
    recipient: spec.to,
    token: spec.asset,
    amount: spec.amount,
    lane: spec.lane.nonceKey,
    seq: spec.seq,
    deadline: spec.deadline,
    parent: spec.parent?.paymentId ?? NO_PARENT,
  };
  const paymentId = escrowPaymentDigest(domain, payment);
  const tempoTx = encodeEscrowPaymentTx({
    chainId: domain.chainId,
    escrow: domain.escrow,
    payment,
    payerSignature: signEscrowDigest(paymentId, payerKeyBytes(spec.account)),
  });
  const parentQcHash = spec.parent ? parentQcHashOf(suite, spec.parent.qc) : new Uint8Array();
  const intent = { sender: payment.payer, recipient: spec.to, amount: spec.amount, asset: spec.asset };
  const nonce = { nonceKey: spec.lane.nonceKey, seq: spec.seq };
  const expiry = { kind: 'unixMillis', value: spec.deadline * 1000n } as const;
  const tx: FastPayTx = {
    chainId: domain.chainId,
    tempoTx,
    format: TempoTxFormat.ALLEGRO_ESCROW_V1,
    intent,
    overlay: { payment: intent },
    nonce,
    expiry,
    parentQcHash,
    clientRequestId: spec.clientRequestId ?? '',
  };
  const effects: Effects = { ...intent, nonce };
  return {
    tx,
    txHash: txHash(suite, { chainId: domain.chainId, tempoTx, nonce, expiry, parentQcHash }),
    effectsHash: effectsHash(suite, effects),
    effects,
    payment,
    paymentId,
  };
}
