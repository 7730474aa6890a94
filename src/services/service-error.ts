export type ServiceErrorCode =
  /** A configuration value (file, flag, peer URL) is malformed or inconsistent. */
  | 'CONFIG'
  /** A peer reports another validator id or key than the one pinned for it: refuse to start. */
  | 'KEY_CHANGED'
  /** Peers did not answer before the deadline. */
  | 'PEERS_UNREACHABLE';

/** The services layer's error (ARCHITECTURE.md conventions: one error class per layer with a `code`). */
export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ServiceError';
  }
}
