import { toHex } from '../protocol/bytes.ts';
import { describeReport, type ValidatorReport } from './validator-answer.ts';

export type AllegroClientErrorCode =
  | 'PAYMENT_REJECTED'
  | 'QUORUM_TIMEOUT'
  | 'PENDING_PAYMENT'
  | 'INVALID_PAYMENT'
  | 'INVALID_PARENT_QC'
  | 'LANE_CONFLICT'
  | 'CONFIG'
  | 'CLIENT_CLOSED';

/** The client layer's error (ARCHITECTURE.md "one error class per layer with a code"). */
export class AllegroClientError extends Error {
  constructor(
    readonly code: AllegroClientErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AllegroClientError';
  }
}

/**
 * What a failed payment left its lane with: still `pending` (some validator may hold it: the next sendPayment
 * finishes it first), `released` (no validator holds it: the sequence is reused) or `resynced` (a quorum of
 * sidecars expects another sequence, which the lane now uses).
 */
export type LaneDisposition = 'pending' | 'released' | 'resynced';

/** A payment whose certificates could not be collected; `reports` lists every validator in committee order. */
export abstract class CollectionError extends AllegroClientError {
  readonly txHash: Uint8Array;
  readonly seq: bigint;
  readonly reports: readonly ValidatorReport[];

  constructor(
    code: AllegroClientErrorCode,
    failure: {
      readonly txHash: Uint8Array;
      readonly seq: bigint;
      readonly reports: readonly ValidatorReport[];
    },
    summary: string,
  ) {
    super(code, `payment ${toHex(failure.txHash)} (seq ${failure.seq}) ${summary}`);
    this.txHash = failure.txHash;
    this.seq = failure.seq;
    this.reports = failure.reports;
  }
}

type Failure = ConstructorParameters<typeof CollectionError>[1] & { readonly lane: LaneDisposition };

/** Quorum became impossible: more than f validators refused the payment for good. */
export class PaymentRejectedError extends CollectionError {
  readonly lane: LaneDisposition;

  constructor(failure: Failure) {
    super(
      'PAYMENT_REJECTED',
      failure,
      `rejected: ${failure.reports.filter(isRefusal).map(describeReport).join('; ')}`,
    );
    this.name = 'PaymentRejectedError';
    this.lane = failure.lane;
  }

  /** The validators that refused, each with its code and message. */
  get rejections(): readonly ValidatorReport[] {
    return this.reports.filter(isRefusal);
  }
}

/** The deadline passed with fewer than 2f+1 certificates. */
export class QuorumTimeoutError extends CollectionError {
  readonly lane: LaneDisposition;

  constructor(failure: Failure & { readonly needed: number }) {
    const have = failure.reports.filter((r) => r.answer.kind === 'certificate').length;
    super(
      'QUORUM_TIMEOUT',
      failure,
      `has ${have} of ${failure.needed} certificates at the deadline: ${failure.reports.map(describeReport).join('; ')}`,
    );
    this.name = 'QuorumTimeoutError';
    this.lane = failure.lane;
  }
}

/** The lane's earlier payment could neither be finished nor released, so no new payment was signed. */
export class PendingPaymentError extends CollectionError {
  constructor(pending: ConstructorParameters<typeof CollectionError>[1]) {
    super('PENDING_PAYMENT', pending, `is still pending: ${pending.reports.map(describeReport).join('; ')}`);
    this.name = 'PendingPaymentError';
  }
}

/** The validator said no: a reject, a certificate that does not verify, or a call failure not worth retrying. */
function isRefusal({ answer }: ValidatorReport): boolean {
  return (
    answer.kind === 'reject' ||
    answer.kind === 'invalidCertificate' ||
    (answer.kind === 'transportError' && !answer.transient)
  );
}
