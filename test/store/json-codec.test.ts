import { describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from '../../src/store/json-codec.ts';
import { expectStoreError } from './store-conformance.ts';

describe('encodeJson / decodeJson', () => {
  it('round-trips bigints beyond 2^53 and byte strings (Uint8Array and Buffer) inside nested values', () => {
    const value = {
      amount: 2n ** 64n - 1n,
      negative: -5n,
      hash: new Uint8Array([0, 1, 0xab, 0xff]),
      empty: new Uint8Array(),
      list: [1n, Buffer.from([7]), 'text', null, { n: 3 }],
    };
    expect(decodeJson(encodeJson(value))).toEqual({
      ...value,
      list: [1n, new Uint8Array([7]), 'text', null, { n: 3 }],
    });
  });

  it('writes bigints as tagged decimal strings and bytes as tagged 0x-lowercase hex', () => {
    const text = new TextDecoder().decode(encodeJson({ a: 10n, b: new Uint8Array([0xab]) }));
    expect(text).toBe('{"a":{"$bigint":"10"},"b":{"$bytes":"0xab"}}');
  });

  it('leaves plain JSON alone and rejects bytes that are not JSON with STORE_CORRUPT', async () => {
    expect(decodeJson(encodeJson({ $bigint: 1, other: 'x' }))).toEqual({ $bigint: 1, other: 'x' });
    await expectStoreError((async () => decodeJson(new Uint8Array([0x7b])))(), 'STORE_CORRUPT');
  });
});
