import { GraphQLError, parse, type Source } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../util/logger.ts';
import { apiError } from './api-error.ts';
import { currentRequestId } from './request-id.ts';

/** Most lexical tokens in one document: GraphiQL's introspection query has ~300; repeated selections have more. */
export const MAX_QUERY_TOKENS = 10_000;

/** Deepest `{`/`(`/`[` nesting parsed at all; the operation limits refuse far less deep queries later. */
export const MAX_QUERY_NESTING = 64;

/**
 * Parses with bounds, so that neither a huge document nor a deeply nested one reaches the recursive parser and
 * validators: more than MAX_QUERY_TOKENS tokens is QUERY_TOO_COSTLY (parsing and validating cost grows with them), nesting beyond MAX_QUERY_NESTING is
 * QUERY_TOO_DEEP (both answered as GraphQL errors, never as a crash of the request, and logged as a warning with
 * the request id: no client needs such a document).
 */
export function parseGuardPlugin(logger: Logger): Plugin {
  const refuse = (error: ReturnType<typeof apiError>) => {
    logger.warn({ requestId: currentRequestId(), code: error.extensions.code }, error.message);
    return error;
  };
  return {
    onParse({ setParseFn }) {
      setParseFn((source: string | Source) => {
        const text = typeof source === 'string' ? source : source.body;
        const nesting = nestingDepth(text);
        if (nesting > MAX_QUERY_NESTING) {
          throw refuse(apiError('QUERY_TOO_DEEP', `query nesting ${nesting} exceeds ${MAX_QUERY_NESTING}`));
        }
        try {
          return parse(source, { maxTokens: MAX_QUERY_TOKENS });
        } catch (error) {
          if (error instanceof GraphQLError && /tokens\. Parsing aborted/.test(error.message)) {
            throw refuse(apiError('QUERY_TOO_COSTLY', `query has more than ${MAX_QUERY_TOKENS} tokens`));
          }
          throw error;
        }
      });
    },
  };
}

/** The deepest bracket nesting of a GraphQL document, outside strings and comments. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '#') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (c === '{' || c === '(' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ')' || c === ']') depth--;
  }
  return deepest;
}
