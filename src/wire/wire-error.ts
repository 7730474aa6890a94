import type { status } from '@grpc/grpc-js';

/**
 * The wire layer's error: a gRPC status code and a message. Thrown by service handlers to answer with
 * that status, and thrown by clients when a call ends with a non-OK status.
 */
export class WireError extends Error {
  override readonly name = 'WireError';

  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}
