import type { Pool } from '../keys.ts';
import type { Reject } from '../reject.ts';
import type { DecodedTempoTx } from '../tempo/decode-tempo-tx.ts';
import type { Effects, Expiry, ValidatorCertificate } from '../types.ts';
import type { ChainRead } from './chain-view.ts';

/** An amount held back from `account`'s `asset` until the payment lands or can no longer land. */
export interface Debit {
  readonly account: Uint8Array;
  readonly asset: Uint8Array;
  readonly amount: bigint;
  /** 'escrow' for the account's escrow balance; the wallet otherwise. */
  readonly pool?: Pool;
}

/**
 * The credit a verified parent QC gives its recipient, live exactly as long as the parent can still land: until its
 * lane nonce passes `parentSeq` (landed: the balance shows it; or void) or its `deadline` passes (ARCHITECTURE.md
 * "Landability"), whether or not this validator locked the parent.
 */
export interface Credit {
  /** The parent payment, identified by (tx hash, effects hash), whatever qc_hash or threshold a QC carries. */
  readonly parentTxHash: Uint8Array;
  readonly parentEffectsHash: Uint8Array;
  /** The parent payment's contention key: the credit ends when the chain nonce passes `seq`. */
  readonly parentSender: Uint8Array;
  readonly parentNonceKey: Uint8Array;
  readonly parentSeq: bigint;
  readonly recipient: Uint8Array;
  readonly asset: Uint8Array;
  readonly amount: bigint;
  /** When the parent can no longer be included: its validBefore (unix millis), else its wrapper expiry. */
  readonly deadline: Expiry;
  /** 'escrow' when the parent is an escrow payment: the credit is to the recipient's escrow balance. */
  readonly pool?: Pool;
  /** Escrow parents only: the parent's payment id, which an escrow child must name as its `parent`. */
  readonly paymentId?: Uint8Array;
}

/** Everything an accepted payment adds to the ledger; persisted before the certificate leaves the process. */
export interface LedgerDelta {
  readonly txHash: Uint8Array;
  readonly effects: Effects;
  readonly debits: readonly Debit[];
  readonly credit?: Credit;
  /** Unix millis from which the signed tx can no longer be included (its validBefore), when it has one. */
  readonly inclusionDeadlineMs?: bigint;
  /** The parent payment this one spends from: settle it first (ARCHITECTURE.md "Settle"). */
  readonly parent?: ParentRef;
  /** The signed Tempo tx, kept so the payment can be forwarded to the chain after a restart. */
  readonly signedTx: Uint8Array;
  /**
   * The sender's previous payment in this lane (seq − 1) whose QC this request showed: the validator's lock there
   * is the certified one, so every live payment it holds in the lane is QC'd (FastPay's confirmation order).
   */
  readonly confirms?: Uint8Array;
  /** 'escrow' for an escrow payment: its lane and debits live in the escrow pool. */
  readonly pool?: Pool;
  /** Escrow payments only: the payment id (what the payer and the settlement signatures sign). */
  readonly paymentId?: Uint8Array;
}

/** A parent payment by FastPay tx hash and contention key; it has landed once its lane nonce passes `seq`. */
export interface ParentRef {
  /** The verified QC the child cited. */
  readonly qcHash: Uint8Array;
  readonly txHash: Uint8Array;
  readonly sender: Uint8Array;
  readonly nonceKey: Uint8Array;
  readonly seq: bigint;
}

/** The outcome of validating one submission against the ledger and the chain view at B. */
export type Decision =
  | {
      readonly kind: 'accept';
      readonly txHash: Uint8Array;
      readonly effectsHash: Uint8Array;
      /** The 32-byte digest the validator signs (reference §3.3). */
      readonly digest: Uint8Array;
      readonly delta: LedgerDelta;
      readonly decoded: DecodedTempoTx;
      readonly requestId?: string;
    }
  /** The same tx was already certified: return the existing certificate unchanged (reference §6.2 B1/B3). */
  | { readonly kind: 'existing'; readonly cert: ValidatorCertificate }
  | {
      readonly kind: 'reject';
      readonly reject: Reject;
      /** Set when the reject may be cached for (sender, request id): permanent and after phase A. */
      readonly cacheAs?: {
        readonly sender: Uint8Array;
        readonly requestId: string;
        readonly txHash: Uint8Array;
      };
    }
  /** The chain view lacks values; load them at B and decide again. */
  | { readonly kind: 'fetch'; readonly reads: readonly ChainRead[] };
