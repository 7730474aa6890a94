import { type Reject, RejectCode, reject } from '../reject.ts';

/** A signed Tempo payment, decoded and checked by `decodeTempoTx` (reference §7, with our §14 fixes). */
export interface DecodedTempoTx {
  /** 'escrow': an ALLEGRO_ESCROW_V1 payment out of the escrow contract, not a Tempo tx (ESCROWED). */
  readonly kind: 'legacy' | 'eip2930' | 'eip1559' | 'tempo' | 'escrow';
  /** 20 bytes, recovered from (or, for P256, verified against) the sender signature. */
  readonly sender: Uint8Array;
  /** The chain id inside the signed tx. */
  readonly chainId: bigint;
  /** 32 bytes big-endian; all zero for EVM types (protocol nonce). */
  readonly nonceKey: Uint8Array;
  readonly nonce: bigint;
  /** 20 bytes. */
  readonly recipient: Uint8Array;
  /** Fits u64. */
  readonly amount: bigint;
  /** 20-byte TIP-20 token (the call target). */
  readonly asset: Uint8Array;
  /** Unix seconds (tempo only), undefined when absent. */
  readonly validBefore?: bigint;
  readonly validAfter?: bigint;
  /** 20 bytes when the tempo tx names a fee token; otherwise the chain picks it. */
  readonly feeToken?: Uint8Array;
  /** 20 bytes, recovered from the fee payer signature when the tempo tx carries one. */
  readonly feePayer?: Uint8Array;
  /** A fee payer other than the sender pays the fee. */
  readonly sponsored: boolean;
  /** Maximum fee the payer of the fee can be charged, in base units of the fee token. */
  readonly maxFee: bigint;
  /** The signed gas limit. */
  readonly gasLimit: bigint;
  /** The signed fee cap per gas (gasPrice for legacy and EIP-2930), in attodollars. */
  readonly maxFeePerGas: bigint;
  /** The hash the sender signed (for an escrow payment: its payment id). */
  readonly signingHash: Uint8Array;
  /** Escrow payments only: the 20-byte AllegroEscrow address the payment draws on. */
  readonly escrow?: Uint8Array;
  /** Escrow payments only: the parent's payment id, 32 zero bytes for none. */
  readonly escrowParent?: Uint8Array;
}

export type DecodeTempoTxResult = { ok: true; tx: DecodedTempoTx } | { ok: false; reject: Reject };

/** A failed decode with `code` and `message`. */
export function decodeFailure(code: RejectCode, message: string): DecodeTempoTxResult {
  return { ok: false, reject: reject(code, message) };
}

/** A failed decode for malformed input (INVALID_FORMAT). */
export function invalidTx(message: string): DecodeTempoTxResult {
  return decodeFailure(RejectCode.INVALID_FORMAT, message);
}
