import { GraphQLError } from 'graphql';

/** Codes a client finds in `errors[].extensions.code`. */
export type ApiErrorCode =
  | 'INVALID_HEX'
  | 'INVALID_ADDRESS'
  | 'INVALID_BIGINT'
  | 'INVALID_ARGUMENT'
  | 'INPUT_TOO_LARGE'
  | 'QUERY_TOO_DEEP'
  | 'QUERY_TOO_COSTLY'
  | 'NOT_FOUND'
  /** A subscription past the server's or the connection's cap of live subscriptions. */
  | 'TOO_MANY_SUBSCRIPTIONS'
  /** An answer beyond the size bound (ask for fewer items or fields). */
  | 'ANSWER_TOO_LARGE'
  /** The aggregator's own check of a payment failed; `extensions.rejectCode` says which RejectCode. */
  | 'PAYMENT_INVALID';

/** A GraphQL error with `extensions.code` (and any further extensions). */
export function apiError(code: ApiErrorCode, message: string, extensions: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}
