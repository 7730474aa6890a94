/**
 * Reject codes with the reference's numeric values (reference §2.1, `RejectCode`).
 */
export enum RejectCode {
  UNSPECIFIED = 0,
  INVALID_FORMAT = 1,
  WRONG_CHAIN = 2,
  EXPIRED = 3,
  NOT_PAYMENT_TX = 4,
  NONCE_SEQ_TOO_LOW = 5,
  NONCE_SEQ_TOO_HIGH = 6,
  EQUIVOCATION = 7,
  INSUFFICIENT_FUNDS = 8,
  MISSING_PARENT_QC = 9,
  INVALID_PARENT_QC = 10,
  TEMPORARY_UNAVAILABLE = 11,
  /** Allegro: the node would not include the tx now; the message names the rule and by how much. */
  NOT_LANDABLE = 12,
  /** Allegro: a pending-settlement quota is full or the sender is cooling off; retry later. */
  RATE_LIMITED = 13,
  /** Allegro: a TIP-20 transfer to this recipient reverts (zero address, the token, a system address). */
  INVALID_RECIPIENT = 14,
}

/** An in-band refusal: a code and a human-readable message. */
export interface Reject {
  readonly code: RejectCode;
  readonly message: string;
}

export function reject(code: RejectCode, message: string): Reject {
  return { code, message };
}

/**
 * Rejects that may succeed on a later try with the same request: chain state, sidecar load, or the parent QCs
 * attached (they are not part of the tx hash) may change.
 * These are never cached as idempotent answers (fixes reference §14 "request cache stores rejects").
 */
export function isTransientReject(code: RejectCode): boolean {
  return (
    code === RejectCode.TEMPORARY_UNAVAILABLE ||
    code === RejectCode.RATE_LIMITED ||
    code === RejectCode.INSUFFICIENT_FUNDS ||
    code === RejectCode.NONCE_SEQ_TOO_HIGH ||
    code === RejectCode.MISSING_PARENT_QC ||
    code === RejectCode.INVALID_PARENT_QC
  );
}

/** Name of a reject code without the enum prefix, e.g. `INSUFFICIENT_FUNDS`. */
export function rejectCodeName(code: RejectCode): string {
  return RejectCode[code] ?? `UNKNOWN_${code}`;
}
