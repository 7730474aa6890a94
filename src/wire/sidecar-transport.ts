import type { Reject } from '../protocol/reject.ts';
import type { SubmitRequest, ValidatorCertificate } from '../protocol/types.ts';

/** A sidecar's in-band answer to SubmitFastPay (reference §2.2): a certificate or a reject. */
export type SubmitAnswer = { readonly cert: ValidatorCertificate } | { readonly reject: Reject };

export interface SubmitOptions {
  /** Deadline of this one attempt. */
  readonly timeoutMs: number;
  /** Cancels the attempt. */
  readonly signal?: AbortSignal;
}

/**
 * How a payer reaches one validator's sidecar (reference §10.4 `SidecarTransport`). `submit` resolves with the
 * sidecar's answer and rejects with a `TransportError` when there is none; `transient` failures
 * (UNAVAILABLE, DEADLINE_EXCEEDED) are worth retrying.
 */
export interface SidecarTransport {
  submit(request: SubmitRequest, options: SubmitOptions): Promise<SubmitAnswer>;
  /** Releases the connection; later calls fail. */
  close(): void;
}
