import { GraphQLError } from 'graphql';
import type { Logger } from '../util/logger.ts';
import { currentRequestId } from './request-id.ts';

/**
 * yoga's `maskError`: a GraphQL error the API raised on purpose (it has a code, or is a syntax, validation or
 * HTTP error) goes out unchanged; anything else (a bug, a failed dependency, a stack overflow) is logged with its
 * request id and answered as `{"message": "internal error", "extensions": {"code": "INTERNAL", "requestId"}}`.
 */
export function maskUnexpectedError(logger: Logger) {
  return (error: unknown): GraphQLError => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (error instanceof GraphQLError && (original === undefined || original instanceof GraphQLError)) {
      return error;
    }
    const requestId = currentRequestId();
    logger.error({ err: original, requestId, path: (error as GraphQLError).path }, 'graphql request failed');
    return new GraphQLError('internal error', {
      ...(error instanceof GraphQLError && error.path ? { path: error.path } : {}),
      extensions: { code: 'INTERNAL', ...(requestId ? { requestId } : {}) },
    });
  };
}
