import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes } from '../bytes.ts';
import { bytesWord, uintWord } from './abi-word.ts';
import { type EscrowDomain, escrowTypedDigest, keccakText } from './escrow-eip712.ts';

/** A payment out of the escrow, field for field the contract's `Payment` struct. Addresses are 20 bytes. */
export interface EscrowPayment {
  readonly payer: Uint8Array;
  readonly recipient: Uint8Array;
  /** The TIP-20 token paid. */
  readonly token: Uint8Array;
  readonly amount: bigint;
  /** The payer's Allegro lane: its 32-byte nonce key (a uint256 on chain). */
  readonly lane: Uint8Array;
  /** Sequence in the lane (u64); the escrow executes each (payer, lane, seq) at most once. */
  readonly seq: bigint;
  /** Unix seconds (u64); the payment settles only in a block with timestamp < deadline. */
  readonly deadline: bigint;
  /** Payment id of the parent whose credit this payment spends, or 32 zero bytes for none. */
  readonly parent: Uint8Array;
}

/** 32 zero bytes: the `parent` of a payment that spends no parent's credit. */
export const NO_PARENT = new Uint8Array(32);

const PAYMENT_TYPEHASH = keccakText(
  'Payment(address payer,address recipient,address token,uint256 amount,uint256 lane,uint64 seq,uint64 deadline,bytes32 parent)',
);
const SETTLEMENT_TYPEHASH = keccakText('Settlement(bytes32 paymentId,uint64 epoch)');

/**
 * The payment id, which is also what the payer signs: the EIP-712 digest of the `Payment` struct in the
 * escrow's domain (the contract's `paymentDigest`). It binds escrow, chain id and every field, so a child names
 * its parent by it.
 */
export function escrowPaymentDigest(domain: EscrowDomain, payment: EscrowPayment): Uint8Array {
  const structHash = keccak_256(
    concatBytes(
      PAYMENT_TYPEHASH,
      bytesWord(payment.payer),
      bytesWord(payment.recipient),
      bytesWord(payment.token),
      uintWord(payment.amount),
      bytesWord(payment.lane),
      uintWord(payment.seq),
      uintWord(payment.deadline),
      bytesWord(payment.parent),
    ),
  );
  return escrowTypedDigest(domain, structHash);
}

/**
 * What a validator signs with its secp256k1 settlement key: the EIP-712 digest of `Settlement(paymentId,
 * epoch)` for the id from escrowPaymentDigest, binding the payment's fields and the committee epoch (the
 * contract's `settlementDigest`).
 */
export function escrowSettlementDigest(
  domain: EscrowDomain,
  paymentId: Uint8Array,
  epoch: bigint,
): Uint8Array {
  return escrowTypedDigest(
    domain,
    keccak_256(concatBytes(SETTLEMENT_TYPEHASH, bytesWord(paymentId), uintWord(epoch))),
  );
}
