/**
 * Timing of a certificate collection (reference §10.4 `RetryPolicy`, applied per validator inside one overall
 * deadline instead of per call).
 */
export interface RetryPolicy {
  /** The whole collection, all validators and retries included. */
  readonly deadlineMs: number;
  /** One request to one validator (never beyond the deadline). */
  readonly attemptTimeoutMs: number;
  /** Backoff before the first retry; doubled each retry up to `maxBackoffMs`. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /**
   * Retries of a reject that only a change of state can turn around (INSUFFICIENT_FUNDS, NONCE_SEQ_TOO_HIGH,
   * MISSING_PARENT_QC, INVALID_PARENT_QC) before it counts as that validator's final answer.
   * TEMPORARY_UNAVAILABLE and transient transport failures are retried until the deadline.
   */
  readonly stateRetries: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  deadlineMs: 5_000,
  attemptTimeoutMs: 2_000,
  initialBackoffMs: 50,
  maxBackoffMs: 1_000,
  stateRetries: 2,
};

/**
 * Delay before retry number `retry` (0 for the first): exponential backoff capped at `maxBackoffMs`, with
 * "equal jitter" (half fixed, half uniform in `random()`), so that payers retrying together spread out.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const capped = Math.min(policy.initialBackoffMs * 2 ** retry, policy.maxBackoffMs);
  return capped / 2 + random() * (capped / 2);
}
