/** A sidecar call that failed below the protocol; `transient` failures (UNAVAILABLE, DEADLINE_EXCEEDED) are retried. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly transient: boolean;
  /** The gRPC status name, e.g. `UNAVAILABLE`, when there is one. */
  readonly status: string | undefined;

  constructor(message: string, details: { readonly transient: boolean; readonly status?: string }) {
    super(message);
    this.transient = details.transient;
    this.status = details.status;
  }
}
