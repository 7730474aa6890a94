import { ChainError, type ChainErrorCode } from './chain-port.ts';

/** viem error classes meaning "no answer from the node" rather than "the node said no". */
const TRANSPORT_ERRORS = new Set([
  'HttpRequestError',
  'TimeoutError',
  'WebSocketRequestError',
  'SocketClosedError',
]);

/**
 * Node messages (reth / Tempo and anvil wordings) and the code each maps to; the first match wins. anvil says
 * "transaction already imported" where reth says "already known".
 */
const MESSAGE_CODES: readonly (readonly [RegExp, ChainErrorCode])[] = [
  [/already known|already imported|known transaction/i, 'ALREADY_KNOWN'],
  [/nonce too low/i, 'NONCE_TOO_LOW'],
  [/replacement (transaction )?underpriced/i, 'REPLACEMENT_UNDERPRICED'],
  [/insufficient (fee token balance|funds)/i, 'INSUFFICIENT_FUNDS'],
  [/valid_?before|expired/i, 'EXPIRED'],
];

/** Maps an error thrown by a viem call (or the node behind it) to a ChainError with a code. */
export function toChainError(error: unknown): ChainError {
  if (error instanceof ChainError) return error;
  const chain = causeChain(error);
  const text = distinct(chain.map(describe)).join(' | ');
  const matched = MESSAGE_CODES.find(([pattern]) => pattern.test(text));
  if (matched) return new ChainError(matched[1], text, { cause: error });
  const unavailable = chain.some((e) => e instanceof Error && TRANSPORT_ERRORS.has(e.name));
  return new ChainError(unavailable ? 'UNAVAILABLE' : 'REJECTED', text, { cause: error });
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && chain.length < 10; e = (e as { cause?: unknown }).cause) {
    chain.push(e);
    if (!(e instanceof Error)) break;
  }
  return chain;
}

/** The short, body-free text of one error: viem's `shortMessage` and `details`, else `message`. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { shortMessage, details } = error as { shortMessage?: string; details?: string };
  return [shortMessage ?? error.message, details].filter((s) => s).join(': ');
}

/** The descriptions of a cause chain without those an earlier one already says (viem repeats its cause at each level). */
function distinct(parts: readonly string[]): string[] {
  const kept: string[] = [];
  for (const part of parts) if (!kept.some((k) => k.includes(part))) kept.push(part);
  return kept;
}
