import { type RejectCode, rejectCodeName } from '../protocol/reject.ts';
import type { ValidatorCertificate } from '../protocol/types.ts';

/** The latest thing one validator answered for a payment (reference §10.3 step 5, with forged certificates kept apart). */
export type ValidatorAnswer =
  | { readonly kind: 'none' }
  | { readonly kind: 'certificate'; readonly cert: ValidatorCertificate }
  | { readonly kind: 'reject'; readonly code: RejectCode; readonly message: string }
  /** A certificate that failed verification against the committee: never counted (reference §14). */
  | { readonly kind: 'invalidCertificate'; readonly message: string }
  | { readonly kind: 'transportError'; readonly message: string; readonly transient: boolean };

/** One validator's part in a certificate collection, as it stood when the collection ended. */
export interface ValidatorReport {
  /** The committee member's name. */
  readonly validator: string;
  readonly answer: ValidatorAnswer;
  /** The answer will not change any more: a certificate, an invalid certificate, or a refusal not retried. */
  readonly final: boolean;
  /** A request to this validator was still unanswered, so it may yet certify. */
  readonly inFlight: boolean;
}

/** `name: CODE message`, the way errors and logs list a validator's answer. */
export function describeReport(report: ValidatorReport): string {
  const { answer } = report;
  const what =
    answer.kind === 'none'
      ? 'no answer'
      : answer.kind === 'certificate'
        ? 'certified'
        : answer.kind === 'reject'
          ? `${rejectCodeName(answer.code)} ${answer.message}`
          : answer.kind === 'invalidCertificate'
            ? `INVALID_CERTIFICATE ${answer.message}`
            : `${answer.transient ? 'UNAVAILABLE' : 'TRANSPORT_ERROR'} ${answer.message}`;
  return `${report.validator}: ${what}`;
}
