import { HttpRequestError, RpcRequestError, TimeoutError } from 'viem';
import { describe, expect, it } from 'vitest';
import { ChainError } from '../../src/chain/chain-port.ts';
import { toChainError } from '../../src/chain/to-chain-error.ts';

const url = 'http://127.0.0.1:1';
const nodeSays = (message: string): RpcRequestError =>
  new RpcRequestError({ body: { method: 'eth_sendRawTransaction' }, error: { code: -32000, message }, url });

describe('toChainError', () => {
  it.each([
    ['already known', 'ALREADY_KNOWN'],
    ['transaction already imported', 'ALREADY_KNOWN'],
    ['nonce too low: next nonce 5, tx nonce 3', 'NONCE_TOO_LOW'],
    ['replacement transaction underpriced', 'REPLACEMENT_UNDERPRICED'],
    ['insufficient fee token balance: have 0, need 20000', 'INSUFFICIENT_FUNDS'],
    ['Tempo tx valid_before (1795215098) must be > current time + 3s (1795215112)', 'EXPIRED'],
    ['Failed to decode transaction', 'REJECTED'],
  ])('maps the node message "%s" to %s', (message, code) => {
    const error = toChainError(nodeSays(message));
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
  });

  it('finds the node message in a wrapped cause', () => {
    const wrapped = new Error('send failed', { cause: nodeSays('already known') });
    expect(toChainError(wrapped).code).toBe('ALREADY_KNOWN');
  });

  it('maps a refused connection and a timeout to UNAVAILABLE', () => {
    expect(toChainError(new HttpRequestError({ url, details: 'fetch failed' })).code).toBe('UNAVAILABLE');
    expect(toChainError(new TimeoutError({ body: {}, url })).code).toBe('UNAVAILABLE');
  });

  it('says a cause once, though viem repeats it at each level of the chain', () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const http = new HttpRequestError({ url, details: refused.message, cause: refused });
    const error = toChainError(new Error('read failed', { cause: http }));
    expect(error.message).toBe('read failed | HTTP request failed.: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('returns a ChainError unchanged', () => {
    const error = new ChainError('NOT_INCLUDED', 'x');
    expect(toChainError(error)).toBe(error);
  });
});
