import type { Pool } from '../keys.ts';
import type { Reject } from '../reject.ts';
import type { ValidatorCertificate } from '../types.ts';
import type { Credit, LedgerDelta } from './decision.ts';

/** A response remembered for a client request id: the tx it answered and the answer (reference §6.2 B1). */
export interface CachedResponse {
  readonly txHash: Uint8Array;
  readonly response: { readonly cert: ValidatorCertificate } | { readonly reject: Reject };
}

/** A live lock as the decision sees it: what was certified, and whether its QC has been shown here. */
export interface LiveLock {
  readonly delta: LedgerDelta;
  readonly cert: ValidatorCertificate;
  /** True once this validator saw a QC of this very tx (FastPay's confirmation). */
  readonly confirmed: boolean;
}

/**
 * The validator's own safety state as the decision reads it. Implemented in memory by `Ledger`; the sidecar keeps
 * it durable. All amounts are live at block B: payments whose lane nonce the chain passed are gone.
 */
export interface LedgerView {
  /** The tx hash this validator signed for the contention key, if any (reference §6.3). */
  lockedTx(sender: Uint8Array, nonceKey: Uint8Array, seq: bigint, pool?: Pool): Uint8Array | undefined;
  /** The live lock at the contention key (in the wallet lane, or the escrow lane for pool 'escrow'), if any. */
  lockAt(sender: Uint8Array, nonceKey: Uint8Array, seq: bigint, pool?: Pool): LiveLock | undefined;
  /** The live lock of a tx this validator certified, by FastPay tx hash. */
  lockOf(txHash: Uint8Array): LiveLock | undefined;
  /** This validator's own certificate for a tx it signed. */
  ownCertificate(txHash: Uint8Array): ValidatorCertificate | undefined;
  /** Highest sequence with a live lock in the lane, or undefined when none. */
  highestLockedSeq(sender: Uint8Array, nonceKey: Uint8Array, pool?: Pool): bigint | undefined;
  /** Live locks of `sender` per lane (liveLaneKey: nonce key and pool → count). */
  liveLanesOf(sender: Uint8Array): ReadonlyMap<string, number>;
  /** Σ live debits of payments this validator certified from `account` in `asset`. */
  debitOf(account: Uint8Array, asset: Uint8Array, pool?: Pool): bigint;
  /** Σ live credits of verified QCs paying `account` in `asset`, each parent counted once. */
  creditOf(account: Uint8Array, asset: Uint8Array, pool?: Pool): bigint;
  /** True when the credit of this parent payment is already counted. */
  hasCredit(parentTxHash: Uint8Array): boolean;
  /** The credit of a parent QC this validator already verified, by qc hash (an LRU: `--max-known-qcs`). */
  knownParent(qcHash: Uint8Array): Credit | undefined;
  /** Chain time (unix millis) until which `sender` gets no new certificate, if it is cooling off. */
  coolingOffUntil(sender: Uint8Array): bigint | undefined;
  /** The response cached for (sender, client request id). */
  cachedResponse(sender: Uint8Array, requestId: string): CachedResponse | undefined;
}
