import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { apiError } from './api-error.ts';

/** Largest JSON answer of one operation or one subscription event. */
export const MAX_ANSWER_BYTES = 2 * 1024 * 1024;

/**
 * Bounds every answer: a result (query, mutation, or one subscription event) whose JSON exceeds `maxBytes` is
 * replaced by an ANSWER_TOO_LARGE error. The cost limit keeps answers small already; this is the backstop that does
 * not depend on estimates.
 */
export function answerSizeLimitPlugin(maxBytes = MAX_ANSWER_BYTES): Plugin {
  const bounded = (result: ExecutionResult, setResult: (r: ExecutionResult) => void) => {
    const size = Buffer.byteLength(JSON.stringify(result));
    if (size > maxBytes) {
      setResult({
        errors: [apiError('ANSWER_TOO_LARGE', `answer of ${size} bytes exceeds ${maxBytes}: ask for less`)],
      });
    }
  };
  return {
    onExecute: () => ({
      onExecuteDone({ result, setResult }) {
        if (!(Symbol.asyncIterator in result)) bounded(result, setResult);
      },
    }),
    onSubscribe: () => ({
      onSubscribeResult: () => ({ onNext: ({ result, setResult }) => bounded(result, setResult) }),
    }),
  };
}
